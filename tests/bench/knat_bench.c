// SPDX-License-Identifier: GPL-2.0
/*
 * knat microbenchmarks, run once at load: lookup cost by table size and
 * port allocation cost by pool use, each with one and with two CPUs at
 * work. Results are printed, one JSON object per line after
 * "knat_bench: ", never asserted: `make bench` collects and compares them.
 * Works on a private knat namespace state, as the KUnit suites do.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include "alloc.h"
#include "control.h"
#include "stats.h"
#include "table.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define LOOKUPS		200000	/* per CPU and table size */
#define CHUNK		1000	/* operations between reschedules */

static struct knat_net *bench_net(void)
{
	struct knat_net *kn = kzalloc(sizeof(*kn), GFP_KERNEL);

	if (!kn)
		return NULL;
	kn->net = &init_net;
	knat_config_defaults(&kn->cfg);
	if (knat_stats_init(kn))
		goto free;
	if (knat_table_init(kn))
		goto stats;
	if (knat_subs_init(kn))
		goto table;
	return kn;
table:
	knat_table_exit(kn);
stats:
	knat_stats_exit(kn);
free:
	kfree(kn);
	return NULL;
}

static void bench_net_free(struct knat_net *kn)
{
	knat_table_exit(kn);
	knat_subs_exit(kn);
	knat_stats_exit(kn);
	kfree(kn);
}

/* The i-th inside endpoint: 60000 ports per address. */
static struct knat_key in_key(u32 i)
{
	struct knat_key k = {
		.addr = htonl(0x0a000000 + i / 60000),
		.port = htons(1024 + i % 60000),
		.proto = IPPROTO_UDP,
	};
	return k;
}

/* Work run on several CPUs at once, started together. */
struct bench_job {
	struct knat_net *kn;
	struct knat_pool *pool;
	u32 n, first, step, ops;	/* what to work on */
	u64 ns, worst, done, failed;	/* what it measured */
	u32 *lat;			/* alloc: each operation's ns */
	struct completion *start;
	struct completion finished;
	int (*fn)(struct bench_job *job);
};

static int job_thread(void *arg)
{
	struct bench_job *job = arg;

	wait_for_completion(job->start);
	job->fn(job);
	complete(&job->finished);
	return 0;
}

/* Runs @jobs[0..ncpu) on CPUs 0..ncpu-1 at the same time. */
static int run_jobs(struct bench_job *jobs, int ncpu)
{
	DECLARE_COMPLETION_ONSTACK(start);
	struct task_struct *t;
	int i, n, err = 0;

	for (n = 0; n < ncpu; n++) {
		jobs[n].start = &start;
		init_completion(&jobs[n].finished);
		t = kthread_create(job_thread, &jobs[n], "knat_bench/%d", n);
		if (IS_ERR(t)) {
			err = PTR_ERR(t);
			break;
		}
		kthread_bind(t, n);
		wake_up_process(t);
	}
	/* Those started wait on @start, which lives on this stack: finish them. */
	complete_all(&start);
	for (i = 0; i < n; i++)
		wait_for_completion(&jobs[i].finished);
	return err;
}

static u32 next_rand(u32 *s)
{
	*s = *s * 1664525 + 1013904223;
	return *s;
}

/*
 * Random keys of the whole table (job->step 0), or of a hot set of HOT
 * keys spread over it (job->step = n / HOT): the first measures the
 * memory behind the table, the second the table itself.
 */
#define HOT	1000

static int lookup_job(struct bench_job *job)
{
	u32 seed = job->first + 1, i, j, found = 0, r;
	struct knat_key k;
	u64 t0;

	for (i = 0; i < job->ops; i += CHUNK) {
		rcu_read_lock();
		t0 = ktime_get_ns();
		for (j = 0; j < CHUNK; j++) {
			r = next_rand(&seed);
			k = in_key(job->step ? r % HOT * job->step : r % job->n);
			found += !!knat_map_lookup_in(job->kn, &k);
		}
		job->ns += ktime_get_ns() - t0;
		rcu_read_unlock();
		cond_resched();
	}
	job->done = found;
	return 0;
}

static int fill_table(struct knat_net *kn, u32 from, u32 to)
{
	struct knat_map *m, *existing;
	u32 i;

	for (i = from; i < to; i++) {
		m = knat_map_alloc();
		if (!m)
			return -ENOMEM;
		m->in = in_key(i);
		m->out = m->in;
		m->out.addr = htonl(0xcb007100 + i / 60000);
		if (knat_map_insert(kn, m, &existing)) {
			knat_map_free(m);
			return -EEXIST;
		}
		if (i % CHUNK == 0)
			cond_resched();
	}
	return 0;
}

static void bench_lookup(void)
{
	static const u32 sizes[] = { 1000, 100000, 1000000 };
	struct bench_job jobs[2];
	struct knat_net *kn = bench_net();
	u32 have = 0, s;
	int ncpu;

	if (!kn)
		return;
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		if (fill_table(kn, have, sizes[s])) {
			pr_err("knat_bench: filling the table failed\n");
			break;
		}
		have = sizes[s];
		for (ncpu = 1; ncpu <= min_t(int, 2, num_online_cpus()); ncpu++) {
			u64 ns[2] = { 0, 0 }, found = 0;
			int i, hot;

			for (hot = 0; hot < 2; hot++) {
				memset(jobs, 0, sizeof(jobs));
				for (i = 0; i < ncpu; i++)
					jobs[i] = (struct bench_job){ .kn = kn, .n = have,
						.step = hot ? have / HOT : 0, .first = i,
						.ops = LOOKUPS, .fn = lookup_job };
				if (run_jobs(jobs, ncpu))
					goto out;
				for (i = 0; i < ncpu; i++) {
					ns[hot] += jobs[i].ns;
					found += jobs[i].done;
				}
			}
			pr_info("knat_bench: {\"bench\":\"lookup\",\"mappings\":%u,\"cpus\":%d,\"ns_per_op\":%llu,\"ns_per_op_hot\":%llu,\"found\":%llu,\"ops\":%u}\n",
				have, ncpu, div_u64(ns[0], (u64)ncpu * LOOKUPS),
				div_u64(ns[1], (u64)ncpu * LOOKUPS), found,
				2 * ncpu * LOOKUPS);
		}
	}
out:
	bench_net_free(kn);
}

/*
 * Allocation: one outside address, ports 1024-65535 in 252 blocks of 256,
 * 63 subscribers of 4 blocks each, so the pool can be filled to any level
 * evenly. At each level, ALLOC_OPS allocations are timed one by one, then
 * returned, so the level holds.
 */
#define SUBS		63
#define ALLOC_OPS	320	/* 0.5 % of the pool */

struct held {
	struct knat_block *b;
	__be16 port;
};

static int alloc_one(struct knat_net *kn, struct knat_pool *pool, u32 i,
		     struct held *h, u64 *ns)
{
	struct knat_key in = {
		.addr = htonl(0x0a010000 + i % SUBS),
		.port = htons(1 + i / SUBS),
		.proto = IPPROTO_UDP,
	}, out;
	u64 t0;

	local_bh_disable();
	rcu_read_lock();
	t0 = ktime_get_ns();
	h->b = knat_port_alloc(kn, pool, NULL, &in, false, &out);
	*ns = ktime_get_ns() - t0;
	rcu_read_unlock();
	local_bh_enable();
	if (IS_ERR(h->b))
		return PTR_ERR(h->b);
	h->port = out.port;
	return 0;
}

static void release_held(struct knat_net *kn, struct held *h, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++) {
		if (IS_ERR_OR_NULL(h[i].b))
			continue;
		local_bh_disable();
		knat_port_release(kn, h[i].b, IPPROTO_UDP, h[i].port);
		local_bh_enable();
		h[i].b = NULL;
	}
}

static int alloc_job(struct bench_job *job)
{
	struct held *h;
	u32 k;
	u64 ns;

	h = kcalloc(job->ops, sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	for (k = 0; k < job->ops; k++) {
		/* Subscribers first + step * j: each CPU its own ones. */
		if (alloc_one(job->kn, job->pool, job->first + k * job->step,
			      &h[k], &ns)) {
			job->failed++;
			continue;
		}
		job->ns += ns;
		job->worst = max(job->worst, ns);
		job->lat[job->done++] = min_t(u64, ns, U32_MAX);
		if (k % 64 == 0)
			cond_resched();
	}
	release_held(job->kn, h, job->ops);
	kfree(h);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

static void bench_alloc(void)
{
	static u32 lat[ALLOC_OPS];
	static const u32 levels[] = { 1, 50, 90, 99 };
	struct knat_pool_params p = {
		.name = "bench", .id = 1, .naddr = 1, .nprefix = 1,
		.port_lo = 1024, .port_hi = 65535, .block_size = 256,
		.from_addr = htonl(0x0a000000), .from_mask = htonl(0xff000000),
	};
	__be32 addr = htonl(0xcb007101);
	struct bench_job jobs[2];
	struct knat_net *kn = bench_net();
	struct knat_pool *pool;
	struct held *fill;
	u32 total, have = 0, l, next = 0, misses = 0;
	int ncpu, i;
	u64 ns;

	if (!kn)
		return;
	kn->cfg.max_blocks = 4;
	kn->cfg.cooling = 0;	/* a block given back is at once free again */
	p.addrs = &addr;
	p.prefix[0].addr = addr;
	p.prefix[0].mask = htonl(0xffffffff);
	pool = knat_pool_create(&p);
	if (IS_ERR(pool))
		goto net;
	total = pool->blocks_per_addr * pool->block_size;
	fill = vcalloc(total, sizeof(*fill));
	if (!fill)
		goto pool;
	for (l = 0; l < ARRAY_SIZE(levels); l++) {
		while (have < total * levels[l] / 100 && misses < 2 * SUBS) {
			if (alloc_one(kn, pool, next++, &fill[have], &ns)) {
				misses++;
				continue;
			}
			misses = 0;
			if (++have % CHUNK == 0)
				cond_resched();
		}
		for (ncpu = 1; ncpu <= min_t(int, 2, num_online_cpus()); ncpu++) {
			u64 sum = 0, done = 0, failed = 0, worst = 0;

			memset(jobs, 0, sizeof(jobs));
			for (i = 0; i < ncpu; i++) {
				jobs[i] = (struct bench_job){ .kn = kn, .pool = pool,
					.first = next + i, .step = ncpu,
					.ops = ALLOC_OPS / ncpu, .fn = alloc_job,
					.lat = &lat[i * (ALLOC_OPS / ncpu)] };
			}
			if (run_jobs(jobs, ncpu))
				goto out;
			for (i = 0; i < ncpu; i++) {
				sum += jobs[i].ns;
				done += jobs[i].done;
				failed += jobs[i].failed;
				worst = max(worst, jobs[i].worst);
			}
			/* Refused ones left zeros at their job's end: sort them out. */
			sort(lat, ALLOC_OPS, sizeof(*lat), cmp_u32, NULL);
			pr_info("knat_bench: {\"bench\":\"alloc\",\"use_pct\":%u,\"cpus\":%d,\"ns_per_op\":%llu,\"median_ns\":%u,\"p99_ns\":%u,\"worst_ns\":%llu,\"ops\":%llu,\"refused\":%llu}\n",
				levels[l], ncpu, done ? div64_u64(sum, done) : 0,
				lat[ALLOC_OPS - done / 2 - 1],
				lat[ALLOC_OPS - done / 100 - 1], worst, done, failed);
			memset(lat, 0, sizeof(lat));
		}
	}
out:
	release_held(kn, fill, have);
	vfree(fill);
pool:
	synchronize_rcu();
	knat_pool_destroy(pool);
net:
	bench_net_free(kn);
}

static int __init knat_bench_init(void)
{
	pr_info("knat_bench: start\n");
	bench_lookup();
	bench_alloc();
	pr_info("knat_bench: done\n");
	return 0;
}

static void __exit knat_bench_exit(void)
{
}

module_init(knat_bench_init);
module_exit(knat_bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("knat microbenchmarks (make bench)");
