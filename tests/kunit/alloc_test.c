// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the port-block allocator. Blocks, limits, exhaustion, cooling,
 * paired pooling, parity, and two CPUs allocating at once.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include "knat_test_util.h"
#include "forward.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* Allocates @n ports for inside host @host, proto UDP; fails the test on error. */
static void take(struct kunit *test, struct knat_net *kn, struct knat_pool *pool,
		 u32 host, u16 first_inport, u32 n, struct knat_block **blocks,
		 struct knat_key *outs)
{
	u32 i;

	for (i = 0; i < n; i++) {
		struct knat_key in = knat_test_key(IPPROTO_UDP, host, first_inport + i);
		struct knat_block *b;

		b = knat_test_alloc(kn, pool, &in, false, &outs[i]);
		KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(b), "port %u: %ld", i, PTR_ERR(b));
		blocks[i] = b;
	}
}

static void alloc_fills_pool_exactly(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 4);
	struct knat_block **blocks = kunit_kcalloc(test, 256, sizeof(*blocks), GFP_KERNEL);
	struct knat_key *outs = kunit_kcalloc(test, 256, sizeof(*outs), GFP_KERNEL);
	DECLARE_BITMAP(seen, 256);
	struct knat_key in = knat_test_key(IPPROTO_UDP, 0x0a000002, 9999), out;
	struct knat_block *b;
	u32 i;

	kn->cfg.max_blocks = 8;
	bitmap_zero(seen, 256);
	take(test, kn, pool, 0x0a000002, 1, 256, blocks, outs);
	for (i = 0; i < 256; i++) {
		u16 port = ntohs(outs[i].port);

		KUNIT_ASSERT_TRUE(test, port >= 2000 && port < 2256);
		KUNIT_EXPECT_FALSE_MSG(test, test_bit(port - 2000, seen),
				       "port %u handed out twice", port);
		__set_bit(port - 2000, seen);
		KUNIT_EXPECT_EQ(test, ntohl(outs[i].addr), 0xcb007100);
	}
	/* Full: a clean refusal, never a wrong port. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(knat_test_alloc(kn, pool, &in, false, &out)),
			-ENOSPC);
	/* The same ports are free for TCP: another protocol's space. */
	in.proto = IPPROTO_TCP;
	b = knat_test_alloc(kn, pool, &in, false, &out);
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	knat_port_release(kn, b, IPPROTO_TCP, out.port);
	for (i = 0; i < 256; i++)
		knat_port_release(kn, blocks[i], IPPROTO_UDP, outs[i].port);
	KUNIT_EXPECT_EQ(test, pool->addrs[0].ncooling, 4U);
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

static void alloc_subscriber_limit(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 4);
	struct knat_block **blocks = kunit_kcalloc(test, 128, sizeof(*blocks), GFP_KERNEL);
	struct knat_key *outs = kunit_kcalloc(test, 128, sizeof(*outs), GFP_KERNEL);
	struct knat_key in = knat_test_key(IPPROTO_UDP, 0x0a000002, 9999), out;
	struct knat_block *b;
	u32 i;

	kn->cfg.max_blocks = 2;
	take(test, kn, pool, 0x0a000002, 1, 128, blocks, outs);
	KUNIT_EXPECT_EQ(test, PTR_ERR(knat_test_alloc(kn, pool, &in, false, &out)),
			-EDQUOT);
	/* Another subscriber still gets the two blocks left. */
	in.addr = htonl(0x0a000003);
	b = knat_test_alloc(kn, pool, &in, false, &out);
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	KUNIT_EXPECT_EQ(test, knat_pa_nfree(&pool->addrs[0]), 1U);
	knat_port_release(kn, b, IPPROTO_UDP, out.port);
	for (i = 0; i < 128; i++)
		knat_port_release(kn, blocks[i], IPPROTO_UDP, outs[i].port);
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

static void alloc_blocks_cool_before_reuse(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 1);
	struct knat_key in = knat_test_key(IPPROTO_UDP, 0x0a000002, 1), out;
	struct knat_block *b;

	kn->cfg.cooling = 1000;
	b = knat_test_alloc(kn, pool, &in, false, &out);
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	knat_port_release(kn, b, IPPROTO_UDP, out.port);
	KUNIT_EXPECT_EQ(test, pool->addrs[0].ncooling, 1U);
	/* The only block rests: even its old owner must wait (RFC 6888). */
	KUNIT_EXPECT_EQ(test, PTR_ERR(knat_test_alloc(kn, pool, &in, false, &out)),
			-ENOSPC);
	knat_pool_recool(kn, pool);
	KUNIT_EXPECT_EQ(test, knat_pa_nfree(&pool->addrs[0]), 0U);
	/* Once cooled, it goes back to the free set. */
	b->cool_until = jiffies - 1;
	knat_pool_recool(kn, pool);
	KUNIT_EXPECT_EQ(test, knat_pa_nfree(&pool->addrs[0]), 1U);
	b = knat_test_alloc(kn, pool, &in, false, &out);
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	knat_port_release(kn, b, IPPROTO_UDP, out.port);
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

static void alloc_paired_pooling(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 8, 2000, 64, 4);
	struct knat_block **blocks = kunit_kcalloc(test, 200, sizeof(*blocks), GFP_KERNEL);
	struct knat_key *outs = kunit_kcalloc(test, 200, sizeof(*outs), GFP_KERNEL);
	u32 host, i;

	for (host = 1; host <= 4; host++) {
		take(test, kn, pool, 0x0a000000 + host, 1, 200, blocks, outs);
		for (i = 1; i < 200; i++)
			KUNIT_EXPECT_EQ(test, ntohl(outs[i].addr), ntohl(outs[0].addr));
		for (i = 0; i < 200; i++)
			knat_port_release(kn, blocks[i], IPPROTO_UDP, outs[i].port);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&kn->subs.nelems), 0);
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

static void alloc_parity(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	/* An odd first port: bit 0 of a block is an odd port. */
	struct knat_pool *pool = knat_test_pool(test, 1, 2001, 64, 2);
	struct knat_block *blocks[64];
	struct knat_key outs[64];
	u16 p;

	for (p = 0; p < 64; p++) {
		struct knat_key in = knat_test_key(IPPROTO_UDP, 0x0a000002, 1000 + p);

		blocks[p] = knat_test_alloc(kn, pool, &in, true, &outs[p]);
		KUNIT_ASSERT_FALSE(test, IS_ERR(blocks[p]));
		KUNIT_EXPECT_EQ(test, ntohs(outs[p].port) & 1, p & 1);
	}
	for (p = 0; p < 64; p++)
		knat_port_release(kn, blocks[p], IPPROTO_UDP, outs[p].port);
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

struct racer {
	struct knat_net *kn;
	struct knat_pool *pool;
	u32 host;
	struct knat_key outs[256];
	struct knat_block *blocks[256];
	int err;
	struct completion done;
};

static int racer_fn(void *data)
{
	struct racer *r = data;
	u32 i;

	for (i = 0; i < 256 && !r->err; i++) {
		struct knat_key in = knat_test_key(IPPROTO_TCP, r->host, 1 + i);

		r->blocks[i] = knat_test_alloc(r->kn, r->pool, &in, false,
					       &r->outs[i]);
		if (IS_ERR(r->blocks[i]))
			r->err = PTR_ERR(r->blocks[i]);
	}
	complete(&r->done);
	return 0;
}

static void alloc_two_cpus_at_once(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 16);
	struct racer *r = kunit_kcalloc(test, 2, sizeof(*r), GFP_KERNEL);
	DECLARE_BITMAP(seen, 1024);
	int cpu, n = 0, i, j;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	kn->cfg.max_blocks = 8;
	bitmap_zero(seen, 1024);
	for_each_online_cpu(cpu) {
		struct task_struct *t;

		if (n == 2)
			break;
		r[n] = (struct racer){ .kn = kn, .pool = pool, .host = 0x0a000002 + n };
		init_completion(&r[n].done);
		t = kthread_create_on_cpu(racer_fn, &r[n], cpu, "knat-racer/%u");
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
		wake_up_process(t);
		n++;
	}
	for (i = 0; i < 2; i++) {
		wait_for_completion(&r[i].done);
		KUNIT_EXPECT_EQ(test, r[i].err, 0);
	}
	for (i = 0; i < 2; i++)
		for (j = 0; j < 256 && !r[i].err; j++) {
			u16 port = ntohs(r[i].outs[j].port) - 2000;

			KUNIT_EXPECT_FALSE(test, test_bit(port, seen));
			__set_bit(port, seen);
			knat_port_release(kn, r[i].blocks[j], IPPROTO_TCP,
					  r[i].outs[j].port);
		}
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

/* A forward holding outside UDP port @port of 203.0.113.0 (permanent). */
static struct knat_map *forward_on(struct kunit *test, struct knat_net *kn,
				   u16 port)
{
	struct knat_map *m = knat_map_alloc(), *existing;

	KUNIT_ASSERT_NOT_NULL(test, m);
	m->in = knat_test_key(IPPROTO_UDP, 0x0a090909, port);
	m->out = knat_test_key(IPPROTO_UDP, 0xcb007100, port);
	/* As knat_forward_add() does: the address is a forward's. */
	set_bit(knat_outside_bit(m->out.addr), kn->outside_addrs);
	KUNIT_ASSERT_EQ(test, knat_map_insert(kn, m, &existing), 0);
	return m;
}

/*
 * Ports owned by forwards are reserved in their block, never handed out;
 * the block still returns when its last mapping goes, and forgets the
 * reservations when it leaves the cooling list.
 */
static void alloc_skips_reserved_ports(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 1);
	struct knat_pool_addr *pa = &pool->addrs[0];
	struct knat_key in = knat_test_key(IPPROTO_UDP, 0x0a000002, 1), out, tout;
	struct knat_map **fw = kunit_kcalloc(test, 64, sizeof(*fw), GFP_KERNEL);
	struct knat_block *b, *tb;
	u32 i;

	kn->cfg.cooling = 1000;
	for (i = 0; i < 63; i++)
		fw[i] = forward_on(test, kn, 2000 + i);
	b = knat_test_alloc(kn, pool, &in, false, &out);
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	KUNIT_EXPECT_EQ(test, ntohs(out.port), 2063);
	in.port = htons(2);
	KUNIT_EXPECT_EQ(test, PTR_ERR(knat_test_alloc(kn, pool, &in, false, &tout)),
			-ENOSPC);
	/* Random picks met some forwards' ports on the way; now all of them. */
	KUNIT_EXPECT_EQ(test, b->reserved, 63);
	KUNIT_EXPECT_EQ(test, b->used, 64);
	/* Reservations are per protocol. */
	in.proto = IPPROTO_TCP;
	tb = knat_test_alloc(kn, pool, &in, false, &tout);
	KUNIT_ASSERT_PTR_EQ(test, tb, b);
	knat_port_release(kn, tb, IPPROTO_TCP, tout.port);
	KUNIT_EXPECT_EQ(test, pa->ncooling, 0U);
	knat_port_release(kn, b, IPPROTO_UDP, out.port);
	KUNIT_EXPECT_EQ(test, pa->ncooling, 1U);
	KUNIT_EXPECT_EQ(test, atomic_read(&kn->subs.nelems), 0);
	for (i = 0; i < 63; i++)
		knat_map_delete(kn, fw[i]);
	b->cool_until = jiffies - 1;
	knat_pool_recool(kn, pool);
	KUNIT_EXPECT_EQ(test, knat_pa_nfree(pa), 1U);
	KUNIT_EXPECT_EQ(test, b->used, 0);
	KUNIT_EXPECT_EQ(test, b->reserved, 0);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(b->bits[KNAT_P_UDP], 64));

	/* Every port taken by forwards: refused, and the block not lost. */
	for (i = 0; i < 64; i++)
		fw[i] = forward_on(test, kn, 2000 + i);
	in.proto = IPPROTO_UDP;
	KUNIT_EXPECT_EQ(test, PTR_ERR(knat_test_alloc(kn, pool, &in, false, &out)),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, pa->ncooling, 1U);
	KUNIT_EXPECT_EQ(test, atomic_read(&kn->subs.nelems), 0);
	knat_test_net_free(kn);
	rcu_barrier();
	knat_pool_destroy(pool);
}

struct on_cpu {
	struct knat_net *kn;
	struct knat_pool *pool;
	struct knat_key in, out;
	struct knat_block *b;
	struct completion done;
};

static int on_cpu_fn(void *data)
{
	struct on_cpu *o = data;

	o->b = knat_test_alloc(o->kn, o->pool, &o->in, false, &o->out);
	complete(&o->done);
	return 0;
}

/* Allocates for @host on @cpu, as a packet arriving there would. */
static struct knat_block *alloc_on_cpu(struct kunit *test, struct knat_net *kn,
				       struct knat_pool *pool, int cpu, u32 host,
				       struct knat_key *out)
{
	struct on_cpu *o = kunit_kzalloc(test, sizeof(*o), GFP_KERNEL);
	struct task_struct *t;

	*o = (struct on_cpu){ .kn = kn, .pool = pool,
			      .in = knat_test_key(IPPROTO_UDP, host, 7) };
	init_completion(&o->done);
	t = kthread_create_on_cpu(on_cpu_fn, o, cpu, "knat-on-cpu/%u");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wake_up_process(t);
	wait_for_completion(&o->done);
	*out = o->out;
	return o->b;
}

/*
 * A CPU caches free blocks in its magazine; another CPU that finds the
 * address empty takes them from there: the pool is full only when no
 * CPU holds a free block.
 */
static void alloc_magazines_are_shared_at_exhaustion(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 4);
	struct knat_pool_addr *pa = &pool->addrs[0];
	struct knat_block *b[5];
	struct knat_key out[5];
	int cpu0, cpu1, i;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	cpu0 = cpumask_first(cpu_online_mask);
	cpu1 = cpumask_next(cpu0, cpu_online_mask);
	b[0] = alloc_on_cpu(test, kn, pool, cpu0, 0x0a000002, &out[0]);
	KUNIT_ASSERT_FALSE(test, IS_ERR(b[0]));
	/* The batch moved every block into cpu0's magazine. */
	KUNIT_EXPECT_EQ(test, pa->nfree, 0U);
	KUNIT_EXPECT_EQ(test, per_cpu_ptr(pa->mags, cpu0)->n, 3);
	KUNIT_EXPECT_EQ(test, knat_pa_nfree(pa), 3U);
	for (i = 1; i < 4; i++) {
		b[i] = alloc_on_cpu(test, kn, pool, cpu1, 0x0a000002 + i, &out[i]);
		KUNIT_ASSERT_FALSE(test, IS_ERR(b[i]));
		KUNIT_EXPECT_PTR_NE(test, b[i], b[i - 1]);
	}
	KUNIT_EXPECT_EQ(test, knat_pa_nfree(pa), 0U);
	b[4] = alloc_on_cpu(test, kn, pool, cpu1, 0x0a000009, &out[4]);
	KUNIT_EXPECT_EQ(test, PTR_ERR(b[4]), -ENOSPC);
	for (i = 0; i < 4; i++)
		knat_port_release(kn, b[i], IPPROTO_UDP, out[i].port);
	KUNIT_EXPECT_EQ(test, pa->ncooling, 4U);
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

static struct kunit_case alloc_test_cases[] = {
	KUNIT_CASE(alloc_fills_pool_exactly),
	KUNIT_CASE(alloc_subscriber_limit),
	KUNIT_CASE(alloc_blocks_cool_before_reuse),
	KUNIT_CASE(alloc_paired_pooling),
	KUNIT_CASE(alloc_parity),
	KUNIT_CASE(alloc_two_cpus_at_once),
	KUNIT_CASE(alloc_skips_reserved_ports),
	KUNIT_CASE(alloc_magazines_are_shared_at_exhaustion),
	{}
};

static struct kunit_suite alloc_suite = {
	.name = "knat_alloc",
	.test_cases = alloc_test_cases,
};

kunit_test_suite(alloc_suite);

MODULE_LICENSE("GPL");
