// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: races, for real. Each case runs two kthreads, one bound to each
 * of the first two online CPUs, released together by a start barrier,
 * for thousands of rounds, and checks an invariant whose violation is a
 * use-after-free, a leak or a broken limit: a mapping is in both tables
 * or in neither; a subscriber that got no block does not stay; ICMP
 * credit never exceeds burst + rate * elapsed; one flow mapped again and
 * again while GC, dumps, flushes and pool deletions run leaves nothing
 * behind. No wall-clock threshold:
 * only what happened is checked, however slow the machine.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include "knat_test_util.h"
#include "hooks.h"
#include "icmp_send.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

struct racer {
	void (*fn)(void *ctx, int idx);
	void *ctx;
	int idx;
	atomic_t *ready;
	struct completion done;
};

static int racer_main(void *data)
{
	struct racer *r = data;

	/* Start barrier: neither begins before both run on their CPUs. */
	atomic_inc(r->ready);
	while (atomic_read(r->ready) < 2)
		cpu_relax();
	r->fn(r->ctx, r->idx);
	kthread_complete_and_exit(&r->done, 0);
}

/* Runs @fn0 on the first online CPU and @fn1 on the second, at once. */
static void race_run(struct kunit *test, void (*fn0)(void *ctx, int idx),
		     void (*fn1)(void *ctx, int idx), void *ctx)
{
	struct racer *r = kunit_kcalloc(test, 2, sizeof(*r), GFP_KERNEL);
	atomic_t *ready = kunit_kzalloc(test, sizeof(*ready), GFP_KERNEL);
	struct task_struct *t[2];
	int cpu[2], i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_NOT_NULL(test, ready);
	KUNIT_ASSERT_GE_MSG(test, num_online_cpus(), 2U, "a race needs two CPUs");
	cpu[0] = cpumask_first(cpu_online_mask);
	cpu[1] = cpumask_next(cpu[0], cpu_online_mask);
	for (i = 0; i < 2; i++) {
		r[i] = (struct racer){ .fn = i ? fn1 : fn0, .ctx = ctx, .idx = i,
				       .ready = ready };
		init_completion(&r[i].done);
		t[i] = kthread_create_on_cpu(racer_main, &r[i], cpu[i],
					     "knat-race/%u");
		if (IS_ERR(t[i])) {
			/* Never woken: it stops without running racer_main. */
			if (i)
				kthread_stop(t[0]);
			KUNIT_ASSERT_FALSE(test, IS_ERR(t[i]));
		}
	}
	for (i = 0; i < 2; i++)
		wake_up_process(t[i]);
	for (i = 0; i < 2; i++)
		wait_for_completion(&r[i].done);
}

/* A private namespace state whose GC lock the walkers can take. */
static struct knat_net *race_net(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);

	mutex_init(&kn->lock);
	INIT_LIST_HEAD(&kn->pools);
	INIT_LIST_HEAD(&kn->forwards);
	INIT_LIST_HEAD(&kn->statics);
	return kn;
}

/* After a case's last reap: no mapping in either table, none counted. */
static void race_expect_no_mapping(struct kunit *test, struct knat_net *kn)
{
	KUNIT_EXPECT_EQ(test, atomic_read(&kn->map_in.nelems), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&kn->map_out.nelems), 0);
	KUNIT_EXPECT_EQ(test, knat_stats_mappings(kn, -1), 0);
}

static void race_map_free_rcu(struct rcu_head *head)
{
	knat_map_free(container_of(head, struct knat_map, rcu));
}

/* ---- 1. A mapping is in both tables or in neither. ---- */

#define INSERT_ROUNDS	20000

struct insert_race {
	struct knat_net *kn;
	struct knat_pool *pool;
	struct knat_map *holder;	/* holds the inside key (1a) */
	bool stop;
	u32 walks;			/* walker's completed walks */
	u32 half_seen;			/* 1a: walked into a half-linked mapping */
	u32 wrong;			/* 1a: insert results other than -EEXIST */
	u32 dead_linked;		/* 1b: DEAD and still in map_in */
	u32 failed;			/* 1b: ports or inserts that failed */
	u32 busy;			/* 1b: inserts rhashtable put off */
	int err;			/* 1b: the first failure */
	u32 err_round;
};

/*
 * Every walker (GC, flush, pool removal, dump) goes through map_out, and
 * whatever it finds there it may delete, or follow to its block. Under
 * the walk's RCU: a mapping met there must be linked in map_in as well.
 */
static bool half_linked(const struct knat_map *m, const void *arg)
{
	struct insert_race *r = (struct insert_race *)arg;

	if (knat_map_lookup_in(r->kn, &m->in) != m)
		r->half_seen++;
	return false;
}

static void walk_observe(void *ctx, int idx)
{
	struct insert_race *r = ctx;

	while (!READ_ONCE(r->stop)) {
		mutex_lock(&r->kn->lock);
		knat_table_reap(r->kn, half_linked, r);
		mutex_unlock(&r->kn->lock);
		WRITE_ONCE(r->walks, r->walks + 1);
		cond_resched();
	}
}

/*
 * As map_new() or knat_forward_add() losing to an inside key already
 * mapped: every insert fails, on the inside table.
 */
static void insert_losers(void *ctx, int idx)
{
	struct insert_race *r = ctx;
	struct knat_map *m, *existing;
	u32 i;
	int err;

	for (i = 0; i < INSERT_ROUNDS; i++) {
		m = knat_map_alloc();
		if (!m) {
			r->wrong++;
			break;
		}
		m->in = r->holder->in;
		m->out = knat_test_key(IPPROTO_UDP, 0xcb007100, 2000 + i % 8192);
		local_bh_disable();
		rcu_read_lock();
		err = knat_map_insert(r->kn, m, &existing);
		rcu_read_unlock();
		local_bh_enable();
		if (!err) {
			/* Linked: the final reap frees it. */
			r->wrong++;
			continue;
		}
		if (err != -EEXIST || existing != r->holder)
			r->wrong++;
		/* It may have been seen: it goes after a grace period. */
		call_rcu(&m->rcu, race_map_free_rcu);
		cond_resched();
	}
	WRITE_ONCE(r->stop, true);
}

/*
 * An insert that fails on its second table after the first made the
 * mapping visible to a walker: map_new() and knat_forward_add() freed it
 * at once while the walker held it (flush would release its port again
 * and call_rcu() a freed object; a dump follows m->block).
 */
static void race_insert_loser_never_walked(struct kunit *test)
{
	struct knat_net *kn = race_net(test);
	struct insert_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct knat_map *existing;

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->kn = kn;
	r->holder = knat_map_alloc();
	KUNIT_ASSERT_NOT_NULL(test, r->holder);
	r->holder->in = knat_test_key(IPPROTO_UDP, 0x0a000002, 5000);
	r->holder->out = knat_test_key(IPPROTO_UDP, 0xcb007100, 1000);
	KUNIT_ASSERT_EQ(test, knat_map_insert(kn, r->holder, &existing), 0);

	race_run(test, insert_losers, walk_observe, r);
	kunit_info(test, "%u failed inserts, %u walks", INSERT_ROUNDS, r->walks);
	KUNIT_EXPECT_EQ_MSG(test, r->half_seen, 0U,
			    "walks met a mapping linked in map_out only");
	KUNIT_EXPECT_EQ(test, r->wrong, 0U);

	mutex_lock(&kn->lock);
	knat_table_reap(kn, NULL, NULL);
	mutex_unlock(&kn->lock);
	rcu_barrier();
	race_expect_no_mapping(test, kn);
	knat_test_net_free(kn);
}

/* The flush, or the masquerade re-address reap: every mapping of the pool. */
static void walk_reap(void *ctx, int idx)
{
	struct insert_race *r = ctx;

	while (!READ_ONCE(r->stop)) {
		mutex_lock(&r->kn->lock);
		knat_table_reap(r->kn, knat_map_of_pool, r->pool);
		mutex_unlock(&r->kn->lock);
		WRITE_ONCE(r->walks, r->walks + 1);
		cond_resched();
	}
}

/* A port for @m, waiting for the reaper when the pool is all in use. */
static struct knat_block *race_port(struct insert_race *r, struct knat_map *m)
{
	struct knat_block *b;
	int tries;

	for (tries = 0; tries < 100; tries++) {
		u32 w = READ_ONCE(r->walks);

		b = knat_test_alloc(r->kn, r->pool, &m->in, false, &m->out);
		if (!IS_ERR(b))
			return b;
		while (READ_ONCE(r->walks) == w)
			cpu_relax();
	}
	return b;
}

/*
 * Deleted, yet in map_in: the reaper may be between its two unlinks.
 * Once its walk is over, a mapping still there stays for good, and it is
 * being freed. Under the RCU read section the insert ran in.
 */
static void check_dead_linked(struct insert_race *r, struct knat_map *m)
{
	u32 w;

	if (!(knat_map_flags(m) & BIT(KNAT_MAP_DEAD)) ||
	    knat_map_lookup_in(r->kn, &m->in) != m)
		return;
	w = READ_ONCE(r->walks);
	while (READ_ONCE(r->walks) - w < 2)
		cpu_relax();
	if (knat_map_lookup_in(r->kn, &m->in) != m)
		return;
	r->dead_linked++;
	/* The table's own params (table.c's): to unlink what the bug left. */
	rhashtable_remove_fast(&r->kn->map_in, &m->in_node, r->kn->map_in.p);
}

/* As map_new(): a port, then the insert as the packet path does it. */
static int insert_one(struct insert_race *r, u16 port)
{
	struct knat_map *m = knat_map_alloc(), *existing;
	struct knat_block *b;
	int err;

	if (!m)
		return -ENOMEM;
	m->in = knat_test_key(IPPROTO_UDP, 0x0a000002, port);
	b = race_port(r, m);
	if (IS_ERR(b)) {
		knat_map_free(m);
		return PTR_ERR(b);
	}
	m->block = b;
	knat_map_refresh(r->kn, m);
	rcu_read_lock();
	local_bh_disable();
	err = knat_map_insert(r->kn, m, &existing);
	local_bh_enable();
	if (err) {
		knat_port_release(r->kn, b, IPPROTO_UDP, m->out.port);
		call_rcu(&m->rcu, race_map_free_rcu);
	} else {
		check_dead_linked(r, m);
	}
	rcu_read_unlock();
	return err;
}

static void insert_fresh(void *ctx, int idx)
{
	struct insert_race *r = ctx;
	u32 i;
	int err;

	for (i = 0; i < INSERT_ROUNDS; i++) {
		/*
		 * -EBUSY: the table was resizing (it shrinks and grows all
		 * the time here); the flow's next packet would try again.
		 */
		while ((err = insert_one(r, 1 + i)) == -EBUSY &&
		       ++r->busy < INSERT_ROUNDS)
			cond_resched();
		if (err) {
			r->failed++;
			r->err = err;
			r->err_round = i;
			break;
		}
		cond_resched();
	}
	WRITE_ONCE(r->stop, true);
}

/*
 * The reverse interleaving: a flush (or the masquerade reap) deletes a
 * mapping between its two inserts, and the second links the DEAD object
 * into map_in for good; freed after the grace period, it is a
 * use-after-free for the flow's next packet.
 */
static void race_reap_between_inserts(struct kunit *test)
{
	struct knat_net *kn = race_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 16);
	struct insert_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct knat_pool_addr *pa = &pool->addrs[0];
	u32 i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	kn->cfg.cooling = 0;
	kn->cfg.max_blocks = 16;
	r->kn = kn;
	r->pool = pool;

	race_run(test, insert_fresh, walk_reap, r);
	kunit_info(test, "%u mappings, %u reaps, %u inserts put off (-EBUSY)",
		   INSERT_ROUNDS, r->walks, r->busy);
	KUNIT_EXPECT_EQ_MSG(test, r->dead_linked, 0U,
			    "deleted mappings left linked in map_in");
	KUNIT_EXPECT_EQ_MSG(test, r->failed, 0U, "error %d in round %u", r->err,
			    r->err_round);

	mutex_lock(&kn->lock);
	knat_table_reap(kn, knat_map_of_pool, pool);
	mutex_unlock(&kn->lock);
	rcu_barrier();
	race_expect_no_mapping(test, kn);
	/* Every port released once: the blocks all back, the host gone. */
	KUNIT_EXPECT_EQ(test, atomic_read(&kn->subs.nelems), 0);
	KUNIT_EXPECT_EQ(test, pa->nsubs, 0U);
	KUNIT_EXPECT_EQ(test, knat_pa_nfree(pa) + pa->ncooling,
			pool->blocks_per_addr);
	for (i = 0; i < pool->blocks_per_addr; i++)
		KUNIT_EXPECT_EQ_MSG(test, pa->blocks[i].used, 0, "block %u", i);
	knat_test_net_free(kn);
	knat_pool_destroy(pool);
}

/* ---- 2. A subscriber that got no block does not stay. ---- */

#define SUB_ROUNDS	10000

struct sub_race {
	struct knat_net *kn;
	struct knat_pool *pool;
	u32 got[2], refused[2];
};

/* A new inside host every round, for the pool's only block. */
static void sub_newcomers(void *ctx, int idx)
{
	struct sub_race *r = ctx;
	struct knat_block *b;
	u32 i;

	for (i = 0; i < SUB_ROUNDS; i++) {
		struct knat_key in, out;

		in = knat_test_key(IPPROTO_UDP, 0x0a000000 + ((idx + 1) << 16) + i, 7);
		b = knat_test_alloc(r->kn, r->pool, &in, false, &out);
		if (IS_ERR(b)) {
			r->refused[idx]++;
		} else {
			r->got[idx]++;
			knat_port_release(r->kn, b, IPPROTO_UDP, out.port);
		}
		cond_resched();
	}
}

static void race_sub_free(void *ptr, void *arg)
{
	kfree(ptr);
}

/*
 * sub_get() saw a free block, another CPU took it before pa_take_block():
 * the new subscriber has no block, so no release ever puts it. It leaks,
 * trips knat_subs_exit()'s WARN_ON, and outlives its pool (pool del, at
 * every masquerade address change) with sub->pa dangling for sub_fill().
 */
static void race_last_block_loser_put(struct kunit *test)
{
	struct knat_net *kn = race_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 1);
	struct sub_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct knat_pool_addr *pa = &pool->addrs[0];
	u32 left;

	KUNIT_ASSERT_NOT_NULL(test, r);
	kn->cfg.cooling = 0;
	kn->cfg.max_blocks = 1;
	r->kn = kn;
	r->pool = pool;

	race_run(test, sub_newcomers, sub_newcomers, r);
	kunit_info(test, "got %u + %u, refused %u + %u", r->got[0], r->got[1],
		   r->refused[0], r->refused[1]);
	KUNIT_EXPECT_GT(test, r->got[0] + r->got[1], 0U);
	left = atomic_read(&kn->subs.nelems);
	KUNIT_EXPECT_EQ_MSG(test, left, 0U, "subscribers left with no block");
	KUNIT_EXPECT_EQ(test, pa->nsubs, 0U);
	KUNIT_EXPECT_EQ(test, knat_pa_nfree(pa) + pa->ncooling, 1U);
	KUNIT_EXPECT_NULL(test, pa->blocks[0].owner);
	KUNIT_EXPECT_EQ(test, pa->blocks[0].used, 0);
	rcu_barrier();
	if (left) {
		/* Spare knat_subs_exit() what this case already reported. */
		rhashtable_free_and_destroy(&kn->subs, race_sub_free, NULL);
		KUNIT_ASSERT_EQ(test, knat_subs_init(kn), 0);
	}
	knat_test_net_free(kn);
	knat_pool_destroy(pool);
}

/* ---- 3. ICMP credit: never more than burst + rate * elapsed. ---- */

#define BUCKET_ROUNDS	20000
#define BUCKET_RATE	1000			/* a message per ms */
#define BUCKET_BURST	4
#define BUCKET_STEP	1000			/* ns per reading of the clock */
#define BUCKET_T0	(1000 * NSEC_PER_SEC)

struct bucket_race {
	struct knat_icmp_bucket b;
	atomic64_t clock;		/* a monotonic clock, shared */
	u32 granted[2];
};

/* As knat_icmp_send(): read the clock, then take from the bucket. */
static void bucket_flood(void *ctx, int idx)
{
	struct bucket_race *r = ctx;
	u32 i;

	for (i = 0; i < BUCKET_ROUNDS; i++) {
		u64 now = atomic64_add_return(BUCKET_STEP, &r->clock);

		r->granted[idx] += knat_icmp_bucket_take(&r->b, BUCKET_RATE,
							 BUCKET_BURST, now);
		if (i % 64 == 63)
			cond_resched();
	}
}

/*
 * Two CPUs read the time, then take the lock in the other order: the
 * later one's interval is negative, refills the bucket to the burst and
 * moves last backwards.
 */
static void race_icmp_bucket_limit(struct kunit *test)
{
	struct bucket_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	u64 elapsed, bound;
	u32 granted;

	KUNIT_ASSERT_NOT_NULL(test, r);
	spin_lock_init(&r->b.lock);
	atomic64_set(&r->clock, BUCKET_T0);

	race_run(test, bucket_flood, bucket_flood, r);
	elapsed = atomic64_read(&r->clock) - BUCKET_T0;
	bound = BUCKET_BURST + div_u64(elapsed, NSEC_PER_SEC / BUCKET_RATE);
	granted = r->granted[0] + r->granted[1];
	kunit_info(test, "granted %u + %u over %llu ns, bound %llu",
		   r->granted[0], r->granted[1], elapsed, bound);
	KUNIT_EXPECT_LE_MSG(test, (u64)granted, bound,
			    "more than burst + rate * elapsed");
	KUNIT_EXPECT_GE(test, (u64)granted, (u64)BUCKET_BURST);
}

/* ---- 4. One flow's packets against every control-path walker. ---- */

#define FLOW_ROUNDS	10000	/* at least; on until the walkers are done */
#define WALKS		100	/* of each kind */

struct flow_race {
	struct knat_net *kn;
	__be32 addr;			/* the pool's one outside address */
	bool stop;
	u32 rounds, mapped, refused;	/* the flow's rounds */
	u32 half_linked;		/* found in map_in, not in map_out */
	u32 pool_gone;			/* its pool's name read as empty */
	u32 walks[4];			/* GC, dump, flush, pool deletion */
	u32 dumped;
	u32 pool_seq;			/* every pool its own id */
	int err;			/* a pool that could not be made */
	int map_err;			/* map_new()'s, but for a dying pool */
};

static struct knat_pool *flow_pool_new(struct flow_race *r)
{
	struct knat_pool_params p = {
		.name = "race", .id = ++r->pool_seq, .naddr = 1, .nprefix = 1,
		.addrs = &r->addr, .port_lo = 2000, .port_hi = 2000 + 64 * 4 - 1,
		.block_size = 64,
		.from_mask = htonl(0xff000000), .from_addr = htonl(0x0a000000),
	};

	p.prefix[0].addr = r->addr;
	p.prefix[0].mask = htonl(0xffffffff);
	return knat_pool_create(&p);
}

/*
 * The packet path of one flow, map_get() itself: its mapping, or a new
 * one in the namespace's first pool. A mapping found must be in both
 * tables; every other round it is made to expire, so that GC has work too.
 */
static void flow_packets(void *ctx, int idx)
{
	struct knat_key in = knat_test_key(IPPROTO_UDP, 0x0a000002, 5000);
	struct flow_race *r = ctx;
	struct knat_pool *pool;
	struct knat_map *m;
	u32 i;

	for (i = 0; i < FLOW_ROUNDS || !READ_ONCE(r->stop); i++) {
		local_bh_disable();
		rcu_read_lock();
		m = knat_map_lookup_in(r->kn, &in);
		pool = list_first_or_null_rcu(&r->kn->pools, struct knat_pool, list);
		if (!m && pool) {
			m = knat_map_new(r->kn, pool, NULL, &in);
			/* A pool being deleted refuses; nothing else may. */
			if (IS_ERR(m) && PTR_ERR(m) != -ESTALE)
				r->map_err = PTR_ERR(m);
			if (IS_ERR(m))
				m = NULL;
		}
		if (m) {
			r->mapped++;
			/*
			 * DEAD is set before the first unlink: read after a
			 * failed lookup, it tells a deletion (by the other CPU,
			 * since our lookup_in) from a half-linked mapping.
			 */
			if (knat_map_lookup_out(r->kn, &m->out) != m) {
				smp_rmb();	/* the lookup before the flags */
				if (!(knat_map_flags(m) & BIT(KNAT_MAP_DEAD)))
					r->half_linked++;
			}
			/* What a dump and the hooks read of it. */
			if (m->block && !READ_ONCE(m->block->pa->pool->name[0]))
				r->pool_gone++;
			if (i & 1)
				WRITE_ONCE(m->expires, (u32)jiffies - 1000 * HZ);
		} else {
			r->refused++;
		}
		rcu_read_unlock();
		local_bh_enable();
		cond_resched();
	}
	r->rounds = i;
}

/* A mapping dump's walk: every entry's pool name, as map_fill() reads it. */
static void flow_dump(struct flow_race *r)
{
	struct rhashtable_iter iter;
	struct knat_map *m;

	rhashtable_walk_enter(&r->kn->map_out, &iter);
	rhashtable_walk_start(&iter);
	while ((m = rhashtable_walk_next(&iter))) {
		if (IS_ERR(m))
			continue;	/* -EAGAIN: a resize, the walk goes on */
		if (m->block && READ_ONCE(m->block->pa->pool->name[0]))
			r->dumped++;
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}

/* GC, a dump, a flush, a pool deletion (and a new pool), in turn. */
static void flow_control(void *ctx, int idx)
{
	struct flow_race *r = ctx;
	struct knat_pool *pool;
	u32 i;

	for (i = 0; i < 4 * WALKS; i++) {
		switch (i % 4) {
		case 0:
			mutex_lock(&r->kn->lock);
			knat_table_expire(r->kn);
			mutex_unlock(&r->kn->lock);
			break;
		case 1:
			flow_dump(r);
			break;
		case 2:
			mutex_lock(&r->kn->lock);
			knat_mapping_flush(r->kn);
			mutex_unlock(&r->kn->lock);
			break;
		case 3:
			mutex_lock(&r->kn->lock);
			pool = list_first_entry_or_null(&r->kn->pools,
							struct knat_pool, list);
			if (pool)
				knat_pool_del(r->kn, pool);
			pool = flow_pool_new(r);
			if (IS_ERR(pool))
				r->err = PTR_ERR(pool);
			else
				list_add_tail_rcu(&pool->list, &r->kn->pools);
			mutex_unlock(&r->kn->lock);
			break;
		}
		r->walks[i % 4]++;
		cond_resched();
	}
	WRITE_ONCE(r->stop, true);
}

/*
 * Item 4 of issue 16: the same inside key mapped again and again on one
 * CPU while the other runs GC, dumps, flushes and pool deletions. No
 * mapping in one table only, none left behind, every port and
 * subscriber returned; KASAN, lockdep and kmemleak watch the rest.
 */
static void race_one_flow_vs_control(struct kunit *test)
{
	struct knat_net *kn = race_net(test);
	struct flow_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct knat_pool *pool;

	KUNIT_ASSERT_NOT_NULL(test, r);
	kn->cfg.cooling = 0;
	r->kn = kn;
	r->addr = htonl(0xcb007100);
	pool = flow_pool_new(r);
	KUNIT_ASSERT_FALSE(test, IS_ERR(pool));
	list_add_tail_rcu(&pool->list, &kn->pools);

	race_run(test, flow_packets, flow_control, r);
	kunit_info(test, "%u rounds: %u mapped, %u refused; %u GC, %u dumps (%u entries), %u flushes, %u pool deletions\n",
		   r->rounds, r->mapped, r->refused, r->walks[0], r->walks[1],
		   r->dumped, r->walks[2], r->walks[3]);
	KUNIT_EXPECT_EQ(test, r->half_linked, 0U);
	KUNIT_EXPECT_EQ(test, r->pool_gone, 0U);
	KUNIT_EXPECT_EQ(test, r->err, 0);
	KUNIT_EXPECT_EQ(test, r->map_err, 0);
	/* The flow was mapped again and again while the walkers ran. */
	KUNIT_EXPECT_GT(test, r->mapped, (u32)WALKS);

	/* The last pool's blocks all come back once its mappings go. */
	mutex_lock(&kn->lock);
	knat_mapping_flush(kn);
	mutex_unlock(&kn->lock);
	rcu_barrier();
	race_expect_no_mapping(test, kn);
	KUNIT_EXPECT_EQ(test, atomic_read(&kn->subs.nelems), 0);
	pool = list_first_entry_or_null(&kn->pools, struct knat_pool, list);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	KUNIT_EXPECT_EQ(test, pool->addrs[0].nsubs, 0U);
	KUNIT_EXPECT_EQ(test, knat_pa_nfree(&pool->addrs[0]) +
			pool->addrs[0].ncooling, pool->blocks_per_addr);
	KUNIT_EXPECT_EQ(test, atomic_read(&pool->nfree) +
			atomic_read(&pool->ncooling), (int)pool->blocks_per_addr);

	mutex_lock(&kn->lock);
	knat_pool_del(kn, pool);
	mutex_unlock(&kn->lock);
	rcu_barrier();
	knat_test_net_free(kn);
}

/* ---- 5. A lookup never misses a mapping while the tables resize. ---- */

#define RESIZE_RESIDENTS	64
#define RESIZE_CHURN		4096
#define RESIZE_ROUNDS		24

struct resize_race {
	struct knat_net *kn;
	struct knat_map *resident[RESIZE_RESIDENTS];
	bool stop;
	u32 lookups;
	u32 missed;		/* a resident not found: must stay 0 */
	u32 during_rehash;	/* lookups while a rehash was under way */
	u32 sizes_seen;		/* table sizes the looker saw change */
	int err;
};

/*
 * The packet path's lookups (knat's own walk of the bucket chains,
 * table.h): a resident mapping, linked throughout, is found by both its
 * keys, whatever the rehash moving it meanwhile.
 */
static void resize_look(void *ctx, int idx)
{
	struct resize_race *r = ctx;
	unsigned int size = 0, now;
	struct bucket_table *tbl;
	struct knat_map *m;
	u32 i;

	while (!READ_ONCE(r->stop)) {
		for (i = 0; i < RESIZE_RESIDENTS; i++) {
			m = r->resident[i];
			local_bh_disable();
			rcu_read_lock();
			tbl = rcu_dereference(r->kn->map_in.tbl);
			if (rcu_access_pointer(tbl->future_tbl))
				r->during_rehash++;
			now = tbl->size;
			if (__knat_map_lookup_in(r->kn, &m->in) != m ||
			    __knat_map_lookup_out(r->kn, &m->out) != m)
				r->missed++;
			rcu_read_unlock();
			local_bh_enable();
			if (now != size) {
				size = now;
				r->sizes_seen++;
			}
			r->lookups++;
		}
		cond_resched();
	}
}

/* Fills the tables (they grow) and empties them (they shrink), again. */
static void resize_churn(void *ctx, int idx)
{
	struct resize_race *r = ctx;
	struct knat_map **m, *existing;
	u32 round, i;
	int err;

	m = kcalloc(RESIZE_CHURN, sizeof(*m), GFP_KERNEL);
	if (!m) {
		r->err = -ENOMEM;
		goto out;
	}
	for (round = 0; round < RESIZE_ROUNDS && !r->err; round++) {
		for (i = 0; i < RESIZE_CHURN; i++) {
			m[i] = knat_map_alloc();
			if (!m[i]) {
				r->err = -ENOMEM;
				break;
			}
			m[i]->in = knat_test_key(IPPROTO_UDP, 0x0a100000 + i, 7000);
			m[i]->out = knat_test_key(IPPROTO_UDP, 0xcb007200, 1024 + i);
			local_bh_disable();
			rcu_read_lock();
			err = knat_map_insert(r->kn, m[i], &existing);
			rcu_read_unlock();
			local_bh_enable();
			/* -EBUSY: rhashtable put it off (a rehash): retried. */
			if (err == -EBUSY) {
				knat_map_discard(m[i]);
				i--;
				cond_resched();
				continue;
			}
			if (err) {
				r->err = err;
				knat_map_discard(m[i]);
				break;
			}
			if (!(i % 256))
				cond_resched();
		}
		while (i--) {
			local_bh_disable();
			knat_map_delete(r->kn, m[i]);
			local_bh_enable();
			if (!(i % 256))
				cond_resched();
		}
	}
	kfree(m);
out:
	WRITE_ONCE(r->stop, true);
}

/*
 * hooks.c and fastpath.c look mappings up with knat's own walk of
 * rhashtable's chains (table.h), not rhashtable_lookup(): it must follow
 * a rehash as rhashtable's does (a chain moved under it: walked again;
 * a table to come: looked in too). One CPU fills and empties the tables
 * 24 times (64 to 8192 buckets and back), the other looks up mappings
 * that stay linked throughout, by both keys.
 */
static void race_lookup_during_resize(struct kunit *test)
{
	struct knat_net *kn = race_net(test);
	struct resize_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct knat_map *existing;
	u32 i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->kn = kn;
	for (i = 0; i < RESIZE_RESIDENTS; i++) {
		r->resident[i] = knat_map_alloc();
		KUNIT_ASSERT_NOT_NULL(test, r->resident[i]);
		r->resident[i]->in = knat_test_key(IPPROTO_TCP, 0x0a200000 + i, 80);
		r->resident[i]->out = knat_test_key(IPPROTO_TCP, 0xcb007300, 2000 + i);
		KUNIT_ASSERT_EQ(test, knat_map_insert(kn, r->resident[i], &existing), 0);
	}

	race_run(test, resize_look, resize_churn, r);
	kunit_info(test, "%u lookups, %u during a rehash, %u table sizes seen, %u missed\n",
		   r->lookups, r->during_rehash, r->sizes_seen, r->missed);
	KUNIT_EXPECT_EQ(test, r->err, 0);
	KUNIT_EXPECT_EQ(test, r->missed, 0U);
	/* The race ran: the looker saw the tables resize under it. */
	KUNIT_EXPECT_GT(test, r->sizes_seen, 2U);
	KUNIT_EXPECT_GT(test, r->during_rehash, 0U);

	for (i = 0; i < RESIZE_RESIDENTS; i++) {
		local_bh_disable();
		knat_map_delete(kn, r->resident[i]);
		local_bh_enable();
	}
	rcu_barrier();
	race_expect_no_mapping(test, kn);
	knat_test_net_free(kn);
}

static struct kunit_case race_test_cases[] = {
	KUNIT_CASE(race_insert_loser_never_walked),
	KUNIT_CASE(race_reap_between_inserts),
	KUNIT_CASE(race_last_block_loser_put),
	KUNIT_CASE(race_icmp_bucket_limit),
	KUNIT_CASE(race_one_flow_vs_control),
	KUNIT_CASE(race_lookup_during_resize),
	{}
};

static struct kunit_suite race_suite = {
	.name = "knat_race",
	.test_cases = race_test_cases,
};

kunit_test_suite(race_suite);

MODULE_LICENSE("GPL");
