// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the port-block allocator. Blocks, limits, exhaustion, cooling,
 * paired pooling, parity, two CPUs allocating at once, and the randomness
 * of block order and ports.
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

/*
 * The subscriber the packet path found for a new mapping's host serves the
 * allocation only if it is that host's in that pool and alive; else the
 * allocator finds (or makes) the right one itself.
 */
static void alloc_subscriber_hint(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 4);
	struct knat_key a = knat_test_key(IPPROTO_UDP, 0x0a000002, 1000);
	struct knat_key c = knat_test_key(IPPROTO_UDP, 0x0a000003, 1000);
	struct knat_key out_a, out_a2, out_a3, out_c, out_p;
	struct knat_block *ba, *ba2, *ba3, *bc, *bp;
	struct knat_sub *sub, *sub_c, *sub_p, *gone, *fresh;
	struct knat_pool *other;

	kn->cfg.max_blocks = 2;
	ba = knat_test_alloc(kn, pool, &a, false, &out_a);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ba));
	local_bh_disable();
	rcu_read_lock();
	sub = knat_sub_find(kn, pool, a.addr);
	/* The host's own: its block serves again. */
	a.port = htons(1001);
	ba2 = sub ? knat_port_alloc(kn, pool, sub, &a, false, &out_a2) :
		    ERR_PTR(-ENOENT);
	/* Another host's: not used; that host gets a subscriber of its own. */
	bc = knat_port_alloc(kn, pool, sub, &c, false, &out_c);
	sub_c = knat_sub_find(kn, pool, c.addr);
	rcu_read_unlock();
	local_bh_enable();
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sub);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ba2));
	KUNIT_EXPECT_PTR_EQ(test, ba2, ba);
	KUNIT_ASSERT_FALSE(test, IS_ERR(bc));
	KUNIT_EXPECT_PTR_NE(test, sub_c, sub);
	KUNIT_EXPECT_PTR_EQ(test, READ_ONCE(bc->owner), sub_c);
	KUNIT_EXPECT_PTR_NE(test, bc, ba);

	/*
	 * The same host's in another pool: not used either. (@sub, found in
	 * an RCU read section gone by, lives on: @ba's port keeps it.)
	 */
	other = knat_test_pool(test, 1, 3000, 64, 4);
	other->id = 2;
	local_bh_disable();
	rcu_read_lock();
	bp = knat_port_alloc(kn, other, sub, &a, false, &out_p);
	sub_p = knat_sub_find(kn, other, a.addr);
	rcu_read_unlock();
	local_bh_enable();
	KUNIT_ASSERT_FALSE(test, IS_ERR(bp));
	KUNIT_EXPECT_PTR_NE(test, sub_p, sub);
	KUNIT_EXPECT_PTR_EQ(test, READ_ONCE(bp->owner), sub_p);
	KUNIT_EXPECT_EQ(test, ntohs(out_p.port) >= 3000, true);
	knat_port_release(kn, bp, IPPROTO_UDP, out_p.port);
	knat_pool_destroy(other);

	/*
	 * Dead: its last block went after the caller found it (still in the
	 * same RCU read section). A fresh subscriber serves.
	 */
	local_bh_disable();
	rcu_read_lock();
	knat_port_release(kn, ba, IPPROTO_UDP, out_a.port);
	knat_port_release(kn, ba2, IPPROTO_UDP, out_a2.port);
	gone = knat_sub_find(kn, pool, a.addr);
	a.port = htons(1002);
	ba3 = knat_port_alloc(kn, pool, sub, &a, false, &out_a3);
	fresh = knat_sub_find(kn, pool, a.addr);
	KUNIT_EXPECT_PTR_NE(test, fresh, sub);
	rcu_read_unlock();
	local_bh_enable();
	KUNIT_EXPECT_PTR_EQ(test, gone, (struct knat_sub *)NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ba3));
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, fresh);
	KUNIT_EXPECT_PTR_EQ(test, READ_ONCE(ba3->owner), fresh);
	knat_port_release(kn, ba3, IPPROTO_UDP, out_a3.port);
	knat_port_release(kn, bc, IPPROTO_UDP, out_c.port);
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

static void alloc_blocks_cool_before_reuse(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 1);
	struct knat_key in = knat_test_key(IPPROTO_UDP, 0x0a000002, 1), out;
	struct knat_block *b, *early;

	kn->cfg.cooling = 1000;
	b = knat_test_alloc(kn, pool, &in, false, &out);
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	knat_port_release(kn, b, IPPROTO_UDP, out.port);
	KUNIT_EXPECT_EQ(test, pool->addrs[0].ncooling, 1U);
	/* The only block rests: even its old owner must wait (RFC 6888). */
	KUNIT_EXPECT_EQ(test, PTR_ERR(knat_test_alloc(kn, pool, &in, false, &out)),
			-ENOSPC);
	/* It rests its 1000 s: 3 s before their end, it still does... */
	b->cool_until -= (1000 - 3) * HZ;
	knat_pool_recool(kn, pool);
	KUNIT_EXPECT_EQ(test, knat_pa_nfree(&pool->addrs[0]), 0U);
	early = knat_test_alloc(kn, pool, &in, false, &out);
	KUNIT_EXPECT_EQ(test, PTR_ERR(early), -ENOSPC);
	if (!IS_ERR(early))	/* not to leave a subscriber behind */
		knat_port_release(kn, early, IPPROTO_UDP, out.port);
	/* ... and 3 s after, it is back in the free set. */
	b->cool_until -= 6 * HZ;
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

/*
 * Two kthreads, one bound to each CPU, allocate at the same moment: each
 * round starts at a barrier both spin on, and each thread notes whether it
 * saw the other half-way through the round while it was half-way itself,
 * so the test knows the race really ran (under TCG on a busy host one vCPU
 * often finishes a round before the other is scheduled again: rounds go
 * on until each thread saw the other RACE_OVERLAPS times). Odd rounds
 * share one subscriber (its creation and its lock are raced too), even
 * rounds use one each; blocks cool for 0 s so that the rounds can go on.
 */
#define RACE_PORTS	128	/* per thread and round: two blocks */
#define RACE_OVERLAPS	8
#define RACE_MIN_ROUNDS	32
#define RACE_MAX_ROUNDS	2048

struct race;

struct racer {
	struct race *race;
	int id;
	unsigned int barriers;		/* passed so far */
	atomic_t done;			/* ports taken this round */
	struct knat_key outs[RACE_PORTS];
	struct knat_block *blocks[RACE_PORTS];
	int err;
	unsigned int overlaps;		/* rounds it saw the other running */
	struct completion exited;
};

struct race {
	struct knat_net *kn;
	struct knat_pool *pool;
	atomic_t arrived;
	unsigned int rounds, dups;	/* thread 0 counts, between barriers */
	bool stop;
	struct racer r[2];
};

/* Both threads pass barrier k together: the count only goes up. */
static void race_barrier(struct racer *r)
{
	int target = 2 * ++r->barriers;

	smp_mb__before_atomic();	/* our ports, before the other reads them */
	atomic_inc(&r->race->arrived);
	while (atomic_read_acquire(&r->race->arrived) < target) {
		cpu_relax();
		cond_resched();		/* the test's thread, RCU, the watchdog */
	}
}

/* Ports held by both threads right now; ports are below 2000 + 2048. */
static unsigned int race_dups(struct race *race)
{
	DECLARE_BITMAP(seen, 2048);
	unsigned int dups = 0;
	int i, j;

	bitmap_zero(seen, 2048);
	for (i = 0; i < 2; i++)
		for (j = 0; j < atomic_read(&race->r[i].done); j++) {
			u16 port = ntohs(race->r[i].outs[j].port) - 2000;

			dups += port >= 2048 || __test_and_set_bit(port, seen);
		}
	return dups;
}

/* Thread 0, both threads between rounds: enough races seen? */
static bool race_enough(struct race *race)
{
	race->rounds++;
	race->dups += race_dups(race);
	if (race->rounds >= RACE_MAX_ROUNDS || race->r[0].err || race->r[1].err)
		return true;
	return race->rounds >= RACE_MIN_ROUNDS &&
	       race->r[0].overlaps >= RACE_OVERLAPS &&
	       race->r[1].overlaps >= RACE_OVERLAPS;
}

static int racer_fn(void *data)
{
	struct racer *r = data, *other = &r->race->r[!r->id];
	struct race *race = r->race;
	int round, i, seen;
	bool overlap;

	for (round = 0; !READ_ONCE(race->stop); round++) {
		u32 host = 0x0a000002 + (round & 1 ? 0 : r->id);

		atomic_set(&r->done, 0);
		overlap = false;
		race_barrier(r);
		for (i = 0; i < RACE_PORTS && !r->err; i++) {
			struct knat_key in = knat_test_key(IPPROTO_TCP, host,
							   1 + r->id * RACE_PORTS + i);

			r->blocks[i] = knat_test_alloc(race->kn, race->pool, &in,
						       false, &r->outs[i]);
			if (IS_ERR(r->blocks[i])) {
				r->err = PTR_ERR(r->blocks[i]);
				break;
			}
			atomic_inc(&r->done);
			/* Half-way both: the two rounds overlapped. */
			seen = atomic_read(&other->done);
			if (i + 1 < RACE_PORTS && seen > 0 && seen < RACE_PORTS)
				overlap = true;
		}
		r->overlaps += overlap;
		race_barrier(r);	/* both done: compare */
		if (!r->id)
			WRITE_ONCE(race->stop, race_enough(race));
		race_barrier(r);	/* compared: give back */
		for (i = 0; i < atomic_read(&r->done); i++)
			knat_port_release(race->kn, r->blocks[i], IPPROTO_TCP,
					  r->outs[i].port);
	}
	/* Not a plain return: this module's text may go once we complete. */
	kthread_complete_and_exit(&r->exited, 0);
}

static void alloc_two_cpus_at_once(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 32);
	struct race *race = kunit_kzalloc(test, sizeof(*race), GFP_KERNEL);
	struct task_struct *t[2];
	int cpu[2], i;

	KUNIT_ASSERT_NOT_NULL(test, race);
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	kn->cfg.max_blocks = 8;
	kn->cfg.cooling = 0;
	race->kn = kn;
	race->pool = pool;
	cpu[0] = cpumask_first(cpu_online_mask);
	cpu[1] = cpumask_next(cpu[0], cpu_online_mask);
	for (i = 0; i < 2; i++) {
		race->r[i].race = race;
		race->r[i].id = i;
		init_completion(&race->r[i].exited);
		t[i] = kthread_create_on_cpu(racer_fn, &race->r[i], cpu[i],
					     "knat-racer/%u");
		if (IS_ERR(t[i])) {
			if (i)
				kthread_stop(t[0]);	/* never woken: exits */
			KUNIT_FAIL(test, "kthread: %ld", PTR_ERR(t[i]));
			return;
		}
	}
	for (i = 0; i < 2; i++)
		wake_up_process(t[i]);
	for (i = 0; i < 2; i++)
		wait_for_completion(&race->r[i].exited);
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_EQ(test, race->r[i].err, 0);
		/* The race ran: each thread saw the other at work. */
		KUNIT_EXPECT_GE_MSG(test, race->r[i].overlaps, RACE_OVERLAPS,
				    "thread on CPU %d saw the other running in %u of %u rounds",
				    cpu[i], race->r[i].overlaps, race->rounds);
	}
	kunit_info(test, "rounds overlapped: %u and %u of %u\n",
		   race->r[0].overlaps, race->r[1].overlaps, race->rounds);
	KUNIT_EXPECT_EQ(test, race->dups, 0U);
	KUNIT_EXPECT_EQ(test, atomic_read(&kn->subs.nelems), 0);
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
	kthread_complete_and_exit(&o->done, 0);
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

/*
 * Randomness, with bounds a random allocator fails with a probability
 * below 1e-10 each (the derivations are next to each bound), and a
 * sequential or otherwise regular one fails for sure. 1000 subscribers
 * take one fresh block each (blocks cool 120 s, so none comes back) and
 * @picks ports in it; @ports gets port k of subscriber s at s * picks + k.
 */
#define RND_SUBS	1000
#define RND_LO		1024
#define RND_BSIZE	64

static void rnd_take(struct kunit *test, u32 picks, u16 *ports)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, RND_LO, RND_BSIZE,
						RND_SUBS);
	struct knat_block *b[8];
	struct knat_key out;
	u32 s, k;

	KUNIT_ASSERT_LE(test, picks, ARRAY_SIZE(b));
	for (s = 0; s < RND_SUBS; s++) {
		for (k = 0; k < picks; k++) {
			struct knat_key in = knat_test_key(IPPROTO_UDP,
							   0x0a010000 + s, 1 + k);

			b[k] = knat_test_alloc(kn, pool, &in, false, &out);
			KUNIT_ASSERT_FALSE(test, IS_ERR(b[k]));
			KUNIT_ASSERT_PTR_EQ(test, b[k], b[0]);
			ports[s * picks + k] = ntohs(out.port);
		}
		for (k = 0; k < picks; k++)
			knat_port_release(kn, b[k], IPPROTO_UDP,
					  htons(ports[s * picks + k]));
	}
	KUNIT_EXPECT_EQ(test, pool->addrs[0].ncooling, RND_SUBS);
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

/*
 * The blocks successive subscribers get are a random permutation of the
 * address's blocks, not address order, up or down, nor any stride.
 */
static void alloc_blocks_in_random_order(struct kunit *test)
{
	u16 *ports = kunit_kcalloc(test, RND_SUBS, sizeof(*ports), GFP_KERNEL);
	unsigned int neighbours = 0, ascents = 0;
	DECLARE_BITMAP(seen, RND_SUBS);
	int s, blk, prev = -1;

	KUNIT_ASSERT_NOT_NULL(test, ports);
	bitmap_zero(seen, RND_SUBS);
	rnd_take(test, 1, ports);
	for (s = 0; s < RND_SUBS; s++) {
		blk = (ports[s] - RND_LO) / RND_BSIZE;
		KUNIT_ASSERT_LT(test, blk, RND_SUBS);
		KUNIT_EXPECT_FALSE(test, __test_and_set_bit(blk, seen));
		if (prev >= 0) {
			neighbours += abs(blk - prev) == 1;
			ascents += blk > prev;
		}
		prev = blk;
	}
	kunit_info(test, "%u of %d successors are neighbours, %u ascents\n",
		   neighbours, RND_SUBS - 1, ascents);
	/*
	 * Successors that are neighbouring blocks: about 2 in a random
	 * permutation of n = 1000. A given set of t successions all holding
	 * has p <= (2 / (n - 2t + 1))^t (each next value is uniform over
	 * what is left, two of them neighbours), so
	 * P(>= t) <= C(n - 1, t) (2 / (n - 2t + 1))^t = 7.7e-13 for t = 20.
	 */
	KUNIT_EXPECT_LT(test, neighbours, 20U);
	/*
	 * Ascents: mean (n - 1) / 2. They are a function of n independent
	 * uniforms (whose ranks are the permutation), each moving at most
	 * two of them, so McDiarmid gives P(|X - 499.5| >= t) <=
	 * 2 exp(-t^2 / 2n) = 9.6e-11 for t = 218: within [282, 717].
	 * Address order has 999 (or 0), a stride as many.
	 */
	KUNIT_EXPECT_GE(test, ascents, 282U);
	KUNIT_EXPECT_LE(test, ascents, 717U);
}

#define RND_PICKS	8

/*
 * Ports in a block are picked at random: the first one of a fresh block
 * anywhere in it, the next ones rarely right after the last.
 */
static void alloc_ports_random_in_block(struct kunit *test)
{
	u16 *ports = kunit_kcalloc(test, RND_SUBS * RND_PICKS, sizeof(*ports),
				   GFP_KERNEL);
	unsigned int buckets[8] = {}, successors = 0, i;
	int s, k;

	KUNIT_ASSERT_NOT_NULL(test, ports);
	rnd_take(test, RND_PICKS, ports);
	for (s = 0; s < RND_SUBS; s++) {
		u16 *p = ports + s * RND_PICKS;

		buckets[((p[0] - RND_LO) % RND_BSIZE) / 8]++;
		for (k = 1; k < RND_PICKS; k++)
			successors += p[k] == p[k - 1] + 1;
	}
	/*
	 * First port of a fresh block by eighths of the block: each eighth
	 * is Binomial(1000, 1/8), mean 125; P(<= 50) = 8.4e-16 and
	 * P(>= 230) = 3.9e-20 (exact sums), 6.8e-15 over all eight. A
	 * sequential allocator puts all 1000 in the first.
	 */
	for (i = 0; i < ARRAY_SIZE(buckets); i++) {
		KUNIT_EXPECT_GT_MSG(test, buckets[i], 50U, "eighth %u", i);
		KUNIT_EXPECT_LT_MSG(test, buckets[i], 230U, "eighth %u", i);
	}
	/*
	 * Port p + 1 right after port p. knat takes the first free port at
	 * or after a uniform start, so with m ports used the chance is at
	 * most (m + 1) / 64 (the used run ending at p, and p + 1 itself); a
	 * uniform pick among the free has less. Over picks 2..8 of 1000
	 * blocks that bounds the count by independent Bernoullis of mean
	 * mu = 1000 * 35 / 64 = 547: P(>= 800) <= e^-mu (e mu / 800)^800 =
	 * 5.9e-23 (Chernoff). Sequential ports give 7000.
	 */
	kunit_info(test, "%u of %d picks right after the last\n", successors,
		   RND_SUBS * (RND_PICKS - 1));
	KUNIT_EXPECT_LT(test, successors, 800U);
}

/* The pool's free-block accounting agrees with its addresses. */
static void expect_accounting(struct kunit *test, struct knat_pool *pool,
			      const char *when)
{
	u32 i, sum = 0, bad = 0;

	for (i = 0; i < pool->naddr; i++) {
		u32 n = knat_pa_nfree(&pool->addrs[i]);

		sum += n;
		bad += !!n != test_bit(i, pool->has_free);
	}
	KUNIT_EXPECT_EQ_MSG(test, (u32)atomic_read(&pool->nfree), sum, "%s", when);
	KUNIT_EXPECT_EQ_MSG(test, bad, 0U, "has_free bits wrong %s", when);
}

/*
 * A full pool refuses a new subscriber without walking its addresses
 * (pool->nfree is 0 and no cooling block is due before cool_ready), and
 * the one address that gets a block back, cooled or recooled, is the
 * one a new subscriber finds. Small pools (magazines) and large ones.
 */
static void alloc_free_accounting(struct kunit *test)
{
	static const u32 sizes[] = { 200, KNAT_MAG_ADDRS_MAX + 76 };
	struct knat_key in, out, *outs;
	struct knat_block **blocks, *b;
	struct knat_net *kn;
	struct knat_pool *pool;
	u32 s, n, i, victim;

	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		n = sizes[s];
		kn = knat_test_net(test);
		kn->cfg.cooling = 1000;
		pool = knat_test_pool(test, n, 2000, 64, 1);
		blocks = kunit_kcalloc(test, n, sizeof(*blocks), GFP_KERNEL);
		outs = kunit_kcalloc(test, n, sizeof(*outs), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, blocks);
		KUNIT_ASSERT_NOT_NULL(test, outs);
		expect_accounting(test, pool, "when new");
		for (i = 0; i < n; i++)
			take(test, kn, pool, 0x0a000000 + i, 1000, 1, &blocks[i], &outs[i]);
		KUNIT_EXPECT_EQ(test, atomic_read(&pool->nfree), 0);
		KUNIT_EXPECT_TRUE(test, bitmap_empty(pool->has_free, n));
		expect_accounting(test, pool, "when full");
		in = knat_test_key(IPPROTO_UDP, 0x0b000001, 1000);
		KUNIT_EXPECT_EQ(test, PTR_ERR(knat_test_alloc(kn, pool, &in, false, &out)),
				-ENOSPC);

		/* One block cools: still refused, until it is due. */
		victim = n / 3;
		knat_port_release(kn, blocks[victim], IPPROTO_UDP, outs[victim].port);
		KUNIT_EXPECT_EQ(test, atomic_read(&pool->ncooling), 1);
		KUNIT_EXPECT_EQ(test, pool->cool_ready, blocks[victim]->cool_until);
		in.addr = htonl(0x0b000002);
		KUNIT_EXPECT_EQ(test, PTR_ERR(knat_test_alloc(kn, pool, &in, false, &out)),
				-ENOSPC);
		/* Time passes, as far as the pool can tell. */
		blocks[victim]->cool_until = jiffies - 1;
		pool->cool_ready = jiffies - 1;
		b = knat_test_alloc(kn, pool, &in, false, &out);
		KUNIT_ASSERT_FALSE(test, IS_ERR(b));
		KUNIT_EXPECT_PTR_EQ(test, b, blocks[victim]);
		blocks[victim] = b;
		outs[victim] = out;
		expect_accounting(test, pool, "after a cooled block");

		/* Another cools and the GC puts it back on its free stack. */
		victim = n - 1;
		knat_port_release(kn, blocks[victim], IPPROTO_UDP, outs[victim].port);
		blocks[victim]->cool_until = jiffies - 1;
		knat_pool_recool(kn, pool);
		KUNIT_EXPECT_EQ(test, atomic_read(&pool->nfree), 1);
		/* Paired pooling put host i on an address of its hash. */
		i = blocks[victim]->pa - pool->addrs;
		KUNIT_EXPECT_TRUE(test, test_bit(i, pool->has_free));
		expect_accounting(test, pool, "after recool");
		in.addr = htonl(0x0b000003);
		b = knat_test_alloc(kn, pool, &in, false, &out);
		KUNIT_ASSERT_FALSE(test, IS_ERR(b));
		KUNIT_EXPECT_PTR_EQ(test, b, blocks[victim]);
		blocks[victim] = b;
		outs[victim] = out;
		expect_accounting(test, pool, "full again");

		for (i = 0; i < n; i++)
			knat_port_release(kn, blocks[i], IPPROTO_UDP, outs[i].port);
		knat_pool_destroy(pool);
		knat_test_net_free(kn);
	}
}

static struct kunit_case alloc_test_cases[] = {
	KUNIT_CASE(alloc_fills_pool_exactly),
	KUNIT_CASE(alloc_subscriber_limit),
	KUNIT_CASE(alloc_subscriber_hint),
	KUNIT_CASE(alloc_blocks_cool_before_reuse),
	KUNIT_CASE(alloc_paired_pooling),
	KUNIT_CASE(alloc_parity),
	KUNIT_CASE(alloc_two_cpus_at_once),
	KUNIT_CASE(alloc_skips_reserved_ports),
	KUNIT_CASE(alloc_magazines_are_shared_at_exhaustion),
	KUNIT_CASE(alloc_blocks_in_random_order),
	KUNIT_CASE(alloc_ports_random_in_block),
	KUNIT_CASE(alloc_free_accounting),
	{}
};

static struct kunit_suite alloc_suite = {
	.name = "knat_alloc",
	.test_cases = alloc_test_cases,
};

kunit_test_suite(alloc_suite);

MODULE_LICENSE("GPL");
