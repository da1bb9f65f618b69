// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the port-block allocator. Blocks, limits, exhaustion, cooling,
 * paired pooling, parity, and two CPUs allocating at once.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include "knat_test_util.h"

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
	KUNIT_EXPECT_EQ(test, pool->addrs[0].nfree, 1U);
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
	KUNIT_EXPECT_EQ(test, pool->addrs[0].nfree, 0U);
	/* Once cooled, it goes back to the free set. */
	b->cool_until = jiffies - 1;
	knat_pool_recool(kn, pool);
	KUNIT_EXPECT_EQ(test, pool->addrs[0].nfree, 1U);
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

static struct kunit_case alloc_test_cases[] = {
	KUNIT_CASE(alloc_fills_pool_exactly),
	KUNIT_CASE(alloc_subscriber_limit),
	KUNIT_CASE(alloc_blocks_cool_before_reuse),
	KUNIT_CASE(alloc_paired_pooling),
	KUNIT_CASE(alloc_parity),
	KUNIT_CASE(alloc_two_cpus_at_once),
	{}
};

static struct kunit_suite alloc_suite = {
	.name = "knat_alloc",
	.test_cases = alloc_test_cases,
};

kunit_test_suite(alloc_suite);

MODULE_LICENSE("GPL");
