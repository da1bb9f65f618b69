// SPDX-License-Identifier: GPL-2.0
/* KUnit: the mapping table, keyed both ways; expiry; flush. */
#include <kunit/test.h>
#include <linux/delay.h>
#include <net/protocol.h>
#include <net/tcp.h>
#include "hooks.h"
#include "knat_test_util.h"
#include "peers.h"
#include "proto.h"
#include "twin.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

static struct knat_map *new_map_proto(struct kunit *test, struct knat_net *kn,
				      struct knat_pool *pool, u8 proto,
				      u32 host, u16 port)
{
	struct knat_map *m = knat_map_alloc(), *existing;

	KUNIT_ASSERT_NOT_NULL(test, m);
	m->in = knat_test_key(proto, host, port);
	m->block = knat_test_alloc(kn, pool, &m->in, false, &m->out);
	KUNIT_ASSERT_FALSE(test, IS_ERR(m->block));
	knat_map_refresh(kn, m);
	KUNIT_ASSERT_EQ(test, knat_map_insert(kn, m, &existing), 0);
	return m;
}

static struct knat_map *new_map(struct kunit *test, struct knat_net *kn,
				struct knat_pool *pool, u32 host, u16 port)
{
	return new_map_proto(test, kn, pool, IPPROTO_UDP, host, port);
}

/*
 * Time travel for one mapping: its expiry is moved back as if it had been
 * refreshed @age jiffies ago. Jiffies that really pass count towards the
 * age: only the moment between a move and the GC pass after it is not
 * accounted for, and TIMEOUT_SLACK is seconds.
 */
struct map_clock {
	struct knat_map *m;
	struct knat_key in, out;	/* still valid once @m is freed */
	unsigned long born;		/* jiffies of the last refresh, near enough */
	long shift;			/* jiffies the expiry was moved back */
};

static void map_clock_start(struct map_clock *c, struct knat_map *m)
{
	c->m = m;
	c->in = m->in;
	c->out = m->out;
	c->born = jiffies;
	c->shift = 0;
}

static void map_age(struct map_clock *c, long age)
{
	long delta = age - (long)(jiffies - c->born) - c->shift;

	WRITE_ONCE(c->m->expires, READ_ONCE(c->m->expires) - (u32)delta);
	c->shift += delta;
}

/*
 * Seconds either side of a timeout where a mapping must be there, then
 * gone: more than the second a refresh may round by (it skips the store
 * within a second), plus a second for the GC pass itself.
 */
#define TIMEOUT_SLACK	3

/*
 * After one GC pass at age @timeout + @offset seconds: there or gone.
 * Returns whether the mapping is still there (only then may it be aged).
 */
static bool expect_at_age(struct kunit *test, struct knat_net *kn,
			  struct map_clock *c, u32 timeout, int offset,
			  const char *state)
{
	bool there = offset < 0;
	struct knat_map *in, *out;

	map_age(c, ((long)timeout + offset) * HZ);
	knat_table_expire(kn);
	rcu_read_lock();
	in = knat_map_lookup_in(kn, &c->in);
	out = knat_map_lookup_out(kn, &c->out);
	/* Only compared from here: a failure report allocates, so may sleep. */
	rcu_read_unlock();
	KUNIT_EXPECT_TRUE_MSG(test, there ? in == c->m : !in,
			      "%s, %u s timeout, at %+d s: %s", state, timeout,
			      offset, in ? "still mapped" : "expired");
	KUNIT_EXPECT_TRUE_MSG(test, there ? out == c->m : !out,
			      "%s, %u s timeout, at %+d s: outside key %s",
			      state, timeout, offset,
			      out ? "still mapped" : "expired");
	return in;
}

static void table_lookup_both_ways(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 4);
	struct knat_map *m = new_map(test, kn, pool, 0x0a000002, 5000);
	struct knat_key k;

	rcu_read_lock();
	KUNIT_EXPECT_PTR_EQ(test, knat_map_lookup_in(kn, &m->in), m);
	KUNIT_EXPECT_PTR_EQ(test, knat_map_lookup_out(kn, &m->out), m);
	k = m->in;
	k.proto = IPPROTO_TCP;	/* the protocol is part of the key */
	KUNIT_EXPECT_NULL(test, knat_map_lookup_in(kn, &k));
	k = m->out;
	k.port = htons(ntohs(k.port) ^ 1);
	KUNIT_EXPECT_NULL(test, knat_map_lookup_out(kn, &k));
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, knat_stats_mappings(kn, -1), 1);
	KUNIT_EXPECT_EQ(test, knat_stats_mappings(kn, KNAT_P_UDP), 1);
	KUNIT_EXPECT_EQ(test, knat_stats_mappings(kn, KNAT_P_TCP), 0);
	knat_table_reap(kn, NULL, NULL);
	KUNIT_EXPECT_EQ(test, knat_stats_mappings(kn, -1), 0);
	KUNIT_EXPECT_EQ(test, knat_stats_mappings(kn, KNAT_P_UDP), 0);
	rcu_read_lock();
	KUNIT_EXPECT_NULL(test, knat_map_lookup_in(kn, &m->in));
	rcu_read_unlock();
	synchronize_rcu();
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

static void table_insert_collisions(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 4);
	struct knat_map *m = new_map(test, kn, pool, 0x0a000002, 5000);
	struct knat_map *dup = knat_map_alloc(), *existing;

	KUNIT_ASSERT_NOT_NULL(test, dup);
	/* The same outside endpoint: refused, nothing returned. */
	dup->in = knat_test_key(IPPROTO_UDP, 0x0a000003, 5000);
	dup->out = m->out;
	KUNIT_EXPECT_EQ(test, knat_map_insert(kn, dup, &existing), -EEXIST);
	KUNIT_EXPECT_NULL(test, existing);
	/* The same inside endpoint: refused, the winner returned. */
	dup->in = m->in;
	dup->out = knat_test_key(IPPROTO_UDP, 0xcb007100, 3000);
	KUNIT_EXPECT_EQ(test, knat_map_insert(kn, dup, &existing), -EEXIST);
	KUNIT_EXPECT_PTR_EQ(test, existing, m);
	rcu_read_lock();
	KUNIT_EXPECT_NULL(test, knat_map_lookup_out(kn, &dup->out));
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, knat_stats_mappings(kn, -1), 1);
	knat_map_free(dup);
	knat_table_reap(kn, NULL, NULL);
	synchronize_rcu();
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

/* Two UDP mappings, one a little older than the timeout: GC takes it only. */
static void table_expiry(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 4);
	struct map_clock old, fresh;

	map_clock_start(&old, new_map(test, kn, pool, 0x0a000002, 5000));
	map_clock_start(&fresh, new_map(test, kn, pool, 0x0a000002, 5001));
	bool old_in, old_out;

	map_age(&old, (300 + TIMEOUT_SLACK) * HZ);
	if (expect_at_age(test, kn, &fresh, 300, -TIMEOUT_SLACK, "udp fresh")) {
		rcu_read_lock();
		old_in = knat_map_lookup_in(kn, &old.in);
		old_out = knat_map_lookup_out(kn, &old.out);
		rcu_read_unlock();
		KUNIT_EXPECT_FALSE(test, old_in);
		KUNIT_EXPECT_FALSE(test, old_out);
		KUNIT_EXPECT_EQ(test, knat_stats_read(kn, KNAT_STAT_MAP_EXPIRED),
				1ULL);
		expect_at_age(test, kn, &fresh, 300, TIMEOUT_SLACK, "udp fresh");
		KUNIT_EXPECT_EQ(test, knat_stats_read(kn, KNAT_STAT_MAP_EXPIRED),
				2ULL);
	}
	KUNIT_EXPECT_EQ(test, knat_stats_mappings(kn, -1), 0);
	knat_table_reap(kn, NULL, NULL);	/* what a failure left */
	synchronize_rcu();
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

struct timer_case {
	const char *name;
	u8 proto;
	unsigned int flags;	/* BIT(KNAT_MAP_*) seen before the refresh */
	u32 timeout;		/* seconds the mapping must live */
	bool configured;	/* set in the namespace's config, not the default */
};

#define SYNS	(BIT(KNAT_MAP_SYN_OUT) | BIT(KNAT_MAP_SYN_IN))

/* The defaults are the RFCs' numbers: 4787 REQ-5, 5382 REQ-5, 5508 REQ-1. */
static const struct timer_case timer_cases[] = {
	{ "udp", IPPROTO_UDP, 0, 300 },
	{ "udp configured", IPPROTO_UDP, 0, 130, true },
	{ "icmp", IPPROTO_ICMP, 0, 60 },
	{ "tcp syn out", IPPROTO_TCP, BIT(KNAT_MAP_SYN_OUT), 240 },
	{ "tcp syn in", IPPROTO_TCP, BIT(KNAT_MAP_SYN_IN), 240 },
	{ "tcp established", IPPROTO_TCP, SYNS, 7440 },
	{ "tcp established configured", IPPROTO_TCP, SYNS, 3600, true },
	{ "tcp one fin", IPPROTO_TCP, SYNS | BIT(KNAT_MAP_FIN_OUT), 7440 },
	{ "tcp both fins", IPPROTO_TCP,
	  SYNS | BIT(KNAT_MAP_FIN_OUT) | BIT(KNAT_MAP_FIN_IN), 240 },
	{ "tcp rst", IPPROTO_TCP, SYNS | BIT(KNAT_MAP_RST), 240 },
	{ "tcp transitory configured", IPPROTO_TCP, BIT(KNAT_MAP_SYN_OUT), 30,
	  true },
};

static void timer_case_desc(const struct timer_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(timer, timer_cases, timer_case_desc);

/* Each protocol and TCP state: mapped until just before its timeout, not after. */
static void table_timeouts(struct kunit *test)
{
	const struct timer_case *c = test->param_value;
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 4);
	struct knat_map *m;
	struct map_clock clk;
	int bit;

	if (c->configured && c->proto == IPPROTO_TCP &&
	    !knat_map_tcp_established(c->flags))
		kn->cfg.timeout_tcp_trans = c->timeout;
	else if (c->configured)
		kn->cfg.timeout[knat_proto_idx(c->proto)] = c->timeout;
	m = new_map_proto(test, kn, pool, c->proto, 0x0a000002, 5000);
	for (bit = 0; bit <= KNAT_MAP_RST; bit++)
		if (c->flags & BIT(bit))
			knat_map_set_flag(m, bit);
	map_clock_start(&clk, m);
	knat_map_refresh(kn, m);	/* as the packet that set the flags */
	if (expect_at_age(test, kn, &clk, c->timeout, -TIMEOUT_SLACK, c->name))
		expect_at_age(test, kn, &clk, c->timeout, TIMEOUT_SLACK, c->name);
	KUNIT_EXPECT_EQ(test, knat_stats_read(kn, KNAT_STAT_MAP_EXPIRED), 1ULL);
	KUNIT_EXPECT_EQ(test, knat_stats_mappings(kn, -1), 0);
	knat_table_reap(kn, NULL, NULL);	/* what a failure left */
	synchronize_rcu();
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

/*
 * One TCP mapping through its life: each refresh moves the expiry to the
 * new state's timeout, shorter as well as longer.
 */
static void table_tcp_timers(struct kunit *test)
{
	static const struct {
		int bit;
		u32 timeout;
		const char *state;
	} steps[] = {
		{ KNAT_MAP_SYN_OUT, 240, "syn out" },
		{ KNAT_MAP_SYN_IN, 7440, "established" },
		{ KNAT_MAP_RST, 240, "rst after established" },
	};
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 4);
	struct knat_map *m;
	struct map_clock clk;
	unsigned int i;

	m = new_map_proto(test, kn, pool, IPPROTO_TCP, 0x0a000002, 5000);
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		knat_map_set_flag(m, steps[i].bit);
		map_clock_start(&clk, m);
		knat_map_refresh(kn, m);
		if (!expect_at_age(test, kn, &clk, steps[i].timeout,
				   -TIMEOUT_SLACK, steps[i].state))
			goto out;	/* gone (and freed): nothing to age */
		map_age(&clk, 0);	/* young again, as just refreshed */
	}
	expect_at_age(test, kn, &clk, 240, TIMEOUT_SLACK, "rst after established");
out:
	knat_table_reap(kn, NULL, NULL);	/* what a failure left */
	synchronize_rcu();
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

/*
 * Segments through knat_map_track_tcp(), as the hooks see them, and the
 * timeout each leaves. A forged RST (filtering checks only the peer's
 * address) once left the mapping transitory for good: traffic after it
 * must make it established again (RFC 7857 section 2.2). A SYN reopening
 * a closed mapping starts a new session: the old peer's SYN no longer
 * counts.
 */
static void table_tcp_segments(struct kunit *test)
{
	static const struct {
		u8 flags;
		bool out;
		u32 timeout;
		const char *what;
	} steps[] = {
		{ TCPHDR_SYN, true, 240, "syn out" },
		{ TCPHDR_SYN | TCPHDR_ACK, false, 7440, "syn-ack in" },
		{ TCPHDR_ACK, true, 7440, "ack out" },
		{ TCPHDR_RST, false, 240, "forged rst in" },
		{ TCPHDR_ACK | TCPHDR_PSH, true, 7440, "data out after the rst" },
		{ TCPHDR_RST | TCPHDR_ACK, true, 240, "rst out" },
		{ TCPHDR_RST, true, 240, "another rst" },
		{ TCPHDR_ACK, false, 240, "data in after the rst (may be forged)" },
		{ TCPHDR_ACK, true, 7440, "data out after that" },
		{ TCPHDR_FIN | TCPHDR_ACK, true, 7440, "fin out" },
		{ TCPHDR_FIN | TCPHDR_ACK, false, 240, "fin in" },
		{ TCPHDR_ACK, true, 240, "last ack" },
		{ TCPHDR_SYN, true, 240, "syn out reopens" },
		{ TCPHDR_ACK, false, 240, "stray ack of the old session" },
		{ TCPHDR_SYN | TCPHDR_ACK, false, 7440, "syn-ack of the new one" },
	};
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 4);
	struct knat_map *m;
	unsigned int i;
	u32 left;

	m = new_map_proto(test, kn, pool, IPPROTO_TCP, 0x0a000002, 5000);
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		knat_map_track_tcp(m, steps[i].flags, steps[i].out);
		WRITE_ONCE(m->expires, (u32)jiffies);	/* refresh stores */
		knat_map_refresh(kn, m);
		left = (READ_ONCE(m->expires) - (u32)jiffies) / HZ;
		KUNIT_EXPECT_TRUE_MSG(test, left <= steps[i].timeout &&
				      left + 2 >= steps[i].timeout,
				      "after %s: %u s left, want %u",
				      steps[i].what, left, steps[i].timeout);
	}
	knat_table_reap(kn, NULL, NULL);
	synchronize_rcu();
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

static void table_filtering(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 4);
	struct knat_map *m = new_map(test, kn, pool, 0x0a000002, 5000);
	__be32 peer = htonl(0xc6336402), other = htonl(0xc6336403);

	knat_map_note_peer(kn, m, peer, htons(53));
	kn->cfg.filtering = KNAT_FILTER_EIF;
	KUNIT_EXPECT_TRUE(test, knat_map_peer_allowed(kn, m, other, htons(1)));
	kn->cfg.filtering = KNAT_FILTER_ADF;
	KUNIT_EXPECT_TRUE(test, knat_map_peer_allowed(kn, m, peer, htons(1)));
	KUNIT_EXPECT_FALSE(test, knat_map_peer_allowed(kn, m, other, htons(53)));
	kn->cfg.filtering = KNAT_FILTER_APDF;
	KUNIT_EXPECT_TRUE(test, knat_map_peer_allowed(kn, m, peer, htons(53)));
	KUNIT_EXPECT_FALSE(test, knat_map_peer_allowed(kn, m, peer, htons(54)));
	knat_table_reap(kn, NULL, NULL);
	synchronize_rcu();
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

/*
 * Filtering is a security property: how many uncontacted peers does a
 * mapping let in, by how many peers it contacted? Measured over 20,000
 * random uncontacted addresses (ADF) and 20,000 uncontacted ports of
 * contacted addresses (APDF) at each count. The old 64-bit Bloom filter
 * let in 61 % of addresses (ADF) and 35 % of ports (APDF) at 16 peers.
 * Every contacted peer passes.
 */
static void table_filter_false_admission(struct kunit *test)
{
	static const unsigned int counts[] = { 1, 2, 4, 8, 16, 29 };
	const unsigned int trials = 20000;
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 4);
	__be32 *addr = kunit_kcalloc(test, KNAT_PEERS_MAX, sizeof(*addr), GFP_KERNEL);
	__be16 *port = kunit_kcalloc(test, KNAT_PEERS_MAX, sizeof(*port), GFP_KERNEL);
	unsigned int c, i, j, adf, apdf;
	struct knat_map *m;
	__be32 a;
	__be16 pt;

	KUNIT_ASSERT_NOT_NULL(test, addr);
	KUNIT_ASSERT_NOT_NULL(test, port);
	for (c = 0; c < ARRAY_SIZE(counts); c++) {
		m = new_map(test, kn, pool, 0x0a000002, 5000 + c);
		for (i = 0; i < counts[c]; i++) {
			/* Distinct: 198.18.0.0/15 by index, a random port. */
			addr[i] = htonl(0xc6120000 + i * 977 + (get_random_u32() & 511));
			port[i] = htons(1 + get_random_u32() % 65535);
			knat_map_note_peer(kn, m, addr[i], port[i]);
		}
		for (i = 0; i < counts[c]; i++) {
			kn->cfg.filtering = KNAT_FILTER_APDF;
			KUNIT_EXPECT_TRUE(test, knat_map_peer_allowed(kn, m, addr[i], port[i]));
			kn->cfg.filtering = KNAT_FILTER_ADF;
			KUNIT_EXPECT_TRUE(test, knat_map_peer_allowed(kn, m, addr[i], port[i]));
		}
		adf = 0;
		apdf = 0;
		kn->cfg.filtering = KNAT_FILTER_ADF;
		for (j = 0; j < trials; j++) {
			a = htonl(0x0b000000 | (get_random_u32() & 0xffffff));
			adf += knat_map_peer_allowed(kn, m, a, htons(80));
		}
		kn->cfg.filtering = KNAT_FILTER_APDF;
		for (j = 0; j < trials; j++) {
			i = get_random_u32() % counts[c];
			pt = htons(1 + get_random_u32() % 65535);
			if (pt == port[i])
				continue;
			apdf += knat_map_peer_allowed(kn, m, addr[i], pt);
		}
		kunit_info(test, "%u peers: %u.%02u %% of addresses (ADF), %u.%02u %% of ports (APDF) let in\n",
			   counts[c], adf * 100 / trials, adf * 10000 / trials % 100,
			   apdf * 100 / trials, apdf * 10000 / trials % 100);
		/* The bound is 1 % at 16 peers; the set is exact. */
		KUNIT_EXPECT_EQ_MSG(test, adf, 0, "ADF at %u peers", counts[c]);
		KUNIT_EXPECT_EQ_MSG(test, apdf, 0, "APDF at %u peers", counts[c]);
	}
	kn->cfg.filtering = KNAT_FILTER_ADF;
	knat_table_reap(kn, NULL, NULL);
	synchronize_rcu();
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

/* Past KNAT_PEERS_MAX peers, the oldest are forgotten, the rest all kept. */
static void table_filter_remembers_last(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 4);
	struct knat_map *m = new_map(test, kn, pool, 0x0a000002, 5000);
	const unsigned int n = 100;
	unsigned int i;

	for (i = 0; i < n; i++)
		knat_map_note_peer(kn, m, htonl(0xc6120000 + i), htons(1000 + i));
	kn->cfg.filtering = KNAT_FILTER_APDF;
	for (i = 0; i < n; i++) {
		bool kept = knat_map_peer_allowed(kn, m, htonl(0xc6120000 + i),
						  htons(1000 + i));

		KUNIT_EXPECT_EQ_MSG(test, kept, i >= n - KNAT_PEERS_MAX,
				    "peer %u of %u", i, n);
	}
	kn->cfg.filtering = KNAT_FILTER_ADF;
	knat_table_reap(kn, NULL, NULL);
	synchronize_rcu();
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

/*
 * A reap deletes every doomed mapping, however many: the walk pauses every
 * 1024 entries, and a pause right after deleting the entry it stands on
 * used to skip the next one (found as a use-after-free when a namespace
 * with a deleted pool went away).
 */
static void table_reap_misses_none(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 4, 1024, 64, 1000);
	const int n = 5000;
	struct knat_key *keys;
	int i, left = 0;

	keys = kunit_kcalloc(test, n, sizeof(*keys), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, keys);
	for (i = 0; i < n; i++)
		keys[i] = new_map(test, kn, pool, 0x0a000100 + i / 50,
				  1024 + i % 50)->in;
	KUNIT_EXPECT_EQ(test, knat_stats_mappings(kn, -1), n);
	knat_table_reap(kn, knat_map_of_pool, pool);
	rcu_read_lock();
	for (i = 0; i < n; i++)
		left += !!knat_map_lookup_in(kn, &keys[i]);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, left, 0);
	KUNIT_EXPECT_EQ(test, knat_stats_mappings(kn, -1), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&kn->map_out.nelems), 0);
	knat_table_reap(kn, NULL, NULL);
	synchronize_rcu();
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

/*
 * GC expiry goes a slice at a time (a quarter of the table, at least
 * 4096), each call on from where the last stopped, and a full round
 * reaches every expired mapping.
 */
static void table_expire_in_slices(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 4, 1024, 64, 1000);
	const int n = 10000;
	int i, calls = 0;

	for (i = 0; i < n; i++)
		new_map(test, kn, pool, 0x0a000100 + i / 50,
			1024 + i % 50)->expires = (u32)jiffies - 1;
	knat_table_expire(kn);
	calls++;
	/* One slice: 4096 entries looked at, give or take a resize. */
	KUNIT_EXPECT_GE(test, knat_stats_mappings(kn, -1), n - 4200);
	KUNIT_EXPECT_LE(test, knat_stats_mappings(kn, -1), n - 4000);
	while (knat_stats_mappings(kn, -1) && calls < 10) {
		knat_table_expire(kn);
		calls++;
	}
	KUNIT_EXPECT_EQ(test, knat_stats_mappings(kn, -1), 0);
	KUNIT_EXPECT_LE(test, calls, 4);
	KUNIT_EXPECT_EQ(test, knat_stats_read(kn, KNAT_STAT_MAP_EXPIRED), (u64)n);
	knat_table_reap(kn, NULL, NULL);
	synchronize_rcu();
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

/* The longest bucket chain of @ht's current table. */
static unsigned int longest_chain(struct rhashtable *ht)
{
	struct bucket_table *tbl;
	struct rhash_head *pos;
	unsigned int i, n, longest = 0;

	rcu_read_lock();
	tbl = rht_dereference_rcu(ht->tbl, ht);
	for (i = 0; i < tbl->size; i++) {
		n = 0;
		rht_for_each_rcu(pos, tbl, i)
			n++;
		longest = max(longest, n);
	}
	rcu_read_unlock();
	return longest;
}

/* Links a mapping of inside @in to outside 203.0.113.0:@port. */
static void flood_map(struct kunit *test, struct knat_net *kn,
		      const struct knat_key *in, u16 port)
{
	struct knat_map *m = knat_map_alloc(), *existing;

	KUNIT_ASSERT_NOT_NULL(test, m);
	m->in = *in;
	m->out = knat_test_key(IPPROTO_UDP, 0xcb007100, port);
	KUNIT_ASSERT_EQ(test, knat_map_insert(kn, m, &existing), 0);
}

#define FLOOD_KEYS	256
#define FLOOD_BITS	10	/* the keys share a bucket of 1024 */
#define FLOOD_AIM	10	/* under rhashtable's chain limit (16) */

/*
 * Hash flooding: an inside host that knew a namespace's seed could pick
 * source ports that all land in one bucket. Each namespace's tables have
 * a random seed of their own (and a new one at every resize), so the same
 * keys spread out anywhere else, and where they were aimed the table
 * re-seeds instead of keeping a long chain. Chains are counted, not timed.
 */
static void table_hash_flood(struct kunit *test)
{
	struct knat_net *aimed = knat_test_net(test);
	struct knat_net *other = knat_test_net(test);
	/*
	 * rhashtable's own bucket function, with the hash the table's
	 * lookups use (table.c's own; today it gives jhash2's values).
	 */
	const struct rhashtable_params params = {
		.key_len = sizeof(struct knat_key),
		.hashfn = aimed->map_in.p.hashfn,
	};
	struct knat_key *keys, k;
	struct bucket_table *tbl;
	u32 seed, target = 0, tries = 0, chain_other, chain_aimed;
	int n = 0, i, found = 0;

	keys = kunit_kcalloc(test, FLOOD_KEYS, sizeof(*keys), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, keys);
	rcu_read_lock();
	tbl = rht_dereference_rcu(aimed->map_in.tbl, &aimed->map_in);
	seed = tbl->hash_rnd;
	KUNIT_EXPECT_NE(test, seed, rht_dereference_rcu(other->map_in.tbl,
							&other->map_in)->hash_rnd);
	rcu_read_unlock();
	/* The attacker's search: UDP source ports of hosts 10.0.0.0/16. */
	while (n < FLOOD_KEYS && tries < (1U << 24)) {
		u32 h;

		k = knat_test_key(IPPROTO_UDP, 0x0a000000 + (tries >> 16),
				  tries & 0xffff);
		tries++;
		h = rht_key_get_hash(&aimed->map_in, &k, params, seed) &
		    ((1U << FLOOD_BITS) - 1);
		if (!n)
			target = h;
		if (h == target)
			keys[n++] = k;
	}
	KUNIT_ASSERT_EQ(test, n, FLOOD_KEYS);
	kunit_info(test, "%d keys sharing a bucket of %u: %u tried\n", n,
		   1U << FLOOD_BITS, tries);

	/*
	 * The aim, shown: a few of the keys (no resize, no re-seed yet: the
	 * table has 64 buckets or fewer) make one chain where aimed.
	 */
	for (i = 0; i < FLOOD_AIM; i++)
		flood_map(test, aimed, &keys[i], 1024 + i);
	KUNIT_EXPECT_EQ(test, longest_chain(&aimed->map_in), FLOOD_AIM);
	for (i = 0; i < n; i++) {
		flood_map(test, other, &keys[i], 1024 + i);
		if (i >= FLOOD_AIM)
			flood_map(test, aimed, &keys[i], 1024 + i);
	}
	/* Resizes and re-seeding run from rhashtable's worker. */
	flush_work(&aimed->map_in.run_work);
	flush_work(&other->map_in.run_work);
	chain_other = longest_chain(&other->map_in);
	chain_aimed = longest_chain(&aimed->map_in);
	kunit_info(test, "longest chain: %u elsewhere, %u where aimed\n",
		   chain_other, chain_aimed);
	/* 256 keys in 512 buckets at random: a chain of 9 has p < 1e-5. */
	KUNIT_EXPECT_LE(test, chain_other, 8U);
	KUNIT_EXPECT_LE(test, chain_aimed, 8U);
	rcu_read_lock();
	for (i = 0; i < n; i++)
		found += knat_map_lookup_in(other, &keys[i]) &&
			 knat_map_lookup_in(aimed, &keys[i]);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, found, n);
	knat_table_reap(aimed, NULL, NULL);
	knat_table_reap(other, NULL, NULL);
	synchronize_rcu();
	knat_test_net_free(aimed);
	knat_test_net_free(other);
}

/*
 * A twin server's connections (twin.c): a reply is the forward's only for
 * the very peer endpoint that came in through it; a TCP entry is made by
 * a SYN only and kept past the short unconfirmed timeout only once the
 * peer acked the server's answer (a RST does not); a FIN or a RST makes
 * it transitory, a later segment undoes a RST, an outside SYN demotes
 * nothing; there are at most max-mappings entries.
 */
static void twin_gc(struct knat_net *kn)
{
	msleep(2 * jiffies_to_msecs(1) + 1);
	knat_twins_expire(kn);
}

static bool twin_has(struct knat_net *kn, const struct knat_key *in,
		     const struct knat_key *peer)
{
	bool known;

	rcu_read_lock();
	known = knat_twin_known(kn, in, peer);
	rcu_read_unlock();
	return known;
}

static int twin_in(struct knat_net *kn, const struct knat_key *in,
		   const struct knat_key *peer, u8 flags)
{
	int err;

	rcu_read_lock();
	err = knat_twin_note(kn, in, peer, flags);
	rcu_read_unlock();
	return err;
}

static bool twin_out(struct knat_net *kn, const struct knat_key *in,
		     const struct knat_key *peer, u8 flags)
{
	bool known;

	rcu_read_lock();
	known = knat_twin_answer(kn, in, peer, flags);
	rcu_read_unlock();
	return known;
}

/* A TCP handshake through the forward: SYN in, SYN-ACK out, then @third. */
static void twin_handshake(struct kunit *test, struct knat_net *kn,
			   const struct knat_key *in,
			   const struct knat_key *peer, u8 third)
{
	KUNIT_EXPECT_EQ(test, twin_in(kn, in, peer, TCPHDR_SYN), 0);
	KUNIT_EXPECT_TRUE(test, twin_out(kn, in, peer, TCPHDR_SYN | TCPHDR_ACK));
	KUNIT_EXPECT_EQ(test, twin_in(kn, in, peer, third), 0);
}

static void table_twin_connections(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_key in = knat_test_key(IPPROTO_UDP, 0x0a000014, 53);
	struct knat_key peer = knat_test_key(IPPROTO_UDP, 0xc6336402, 41000);
	struct knat_key other = peer;

	/* No GC work in a test namespace: expiry is called by hand. */
	kn->exiting = true;
	KUNIT_ASSERT_EQ(test, knat_twins_init(kn), 0);
	kn->cfg.timeout[KNAT_P_UDP] = 0;
	kn->cfg.timeout[KNAT_P_TCP] = 600;
	kn->cfg.timeout_tcp_trans = 0;

	/* Only the very peer endpoint, to the very inside endpoint. */
	KUNIT_EXPECT_FALSE(test, twin_out(kn, &in, &peer, 0));
	KUNIT_EXPECT_EQ(test, twin_in(kn, &in, &peer, 0), 0);
	KUNIT_EXPECT_TRUE(test, twin_out(kn, &in, &peer, 0));
	other.port = htons(41001);
	KUNIT_EXPECT_FALSE(test, twin_out(kn, &in, &other, 0));
	other = peer;
	other.addr = htonl(0xc6336403);
	KUNIT_EXPECT_FALSE(test, twin_out(kn, &in, &other, 0));
	in.port = htons(54);
	KUNIT_EXPECT_FALSE(test, twin_out(kn, &in, &peer, 0));
	in.port = htons(53);
	twin_gc(kn);
	KUNIT_EXPECT_FALSE(test, twin_has(kn, &in, &peer));

	in.proto = IPPROTO_TCP;
	peer.proto = IPPROTO_TCP;
	other.proto = IPPROTO_TCP;
	/* Only a SYN makes an entry. */
	KUNIT_EXPECT_EQ(test, twin_in(kn, &in, &peer, TCPHDR_ACK), 0);
	KUNIT_EXPECT_FALSE(test, twin_has(kn, &in, &peer));
	/* Unconfirmed (here the transitory 0 s): answered, never acked. */
	KUNIT_EXPECT_EQ(test, twin_in(kn, &in, &peer, TCPHDR_SYN), 0);
	KUNIT_EXPECT_TRUE(test, twin_out(kn, &in, &peer, TCPHDR_SYN | TCPHDR_ACK));
	twin_gc(kn);
	KUNIT_EXPECT_FALSE(test, twin_has(kn, &in, &peer));
	/* A RST confirms nothing. */
	twin_handshake(test, kn, &in, &peer, TCPHDR_RST);
	twin_gc(kn);
	KUNIT_EXPECT_FALSE(test, twin_has(kn, &in, &peer));
	/* The peer's ACK confirms: established (600 s). */
	twin_handshake(test, kn, &in, &peer, TCPHDR_ACK);
	twin_gc(kn);
	KUNIT_EXPECT_TRUE(test, twin_has(kn, &in, &peer));
	/* A SYN from outside does not demote a live entry. */
	KUNIT_EXPECT_EQ(test, twin_in(kn, &in, &peer, TCPHDR_SYN), 0);
	twin_gc(kn);
	KUNIT_EXPECT_TRUE(test, twin_has(kn, &in, &peer));
	/* A RST makes it transitory, a later segment undoes that. */
	KUNIT_EXPECT_TRUE(test, twin_out(kn, &in, &peer, TCPHDR_RST));
	KUNIT_EXPECT_TRUE(test, twin_out(kn, &in, &peer, TCPHDR_ACK));
	twin_gc(kn);
	KUNIT_EXPECT_TRUE(test, twin_has(kn, &in, &peer));
	/* One FIN: transitory (0 s). */
	KUNIT_EXPECT_EQ(test, twin_in(kn, &in, &peer, TCPHDR_FIN | TCPHDR_ACK), 0);
	twin_gc(kn);
	KUNIT_EXPECT_FALSE(test, twin_has(kn, &in, &peer));

	/* As many as max-mappings, no more; known ones still refresh. */
	kn->cfg.max_mappings = 2;
	kn->cfg.timeout_tcp_trans = 240;
	KUNIT_EXPECT_EQ(test, twin_in(kn, &in, &peer, TCPHDR_SYN), 0);
	KUNIT_EXPECT_EQ(test, twin_in(kn, &in, &other, TCPHDR_SYN), 0);
	other.port = htons(41002);
	KUNIT_EXPECT_EQ(test, twin_in(kn, &in, &other, TCPHDR_SYN), -ENFILE);
	KUNIT_EXPECT_EQ(test, twin_in(kn, &in, &peer, TCPHDR_ACK), 0);
	/* A forward's going forgets its connections, the others stay. */
	knat_twins_forget(kn, &in, 1);
	KUNIT_EXPECT_FALSE(test, twin_has(kn, &in, &peer));
	KUNIT_EXPECT_EQ(test, twin_in(kn, &in, &other, TCPHDR_SYN), 0);
	in.port = htons(80);
	KUNIT_EXPECT_EQ(test, twin_in(kn, &in, &peer, TCPHDR_SYN), 0);
	in.port = htons(53);
	knat_twins_forget(kn, &in, 1);
	in.port = htons(80);
	KUNIT_EXPECT_TRUE(test, twin_has(kn, &in, &peer));
	knat_twins_forget(kn, &(struct knat_key){ .addr = in.addr }, 0);
	KUNIT_EXPECT_FALSE(test, twin_has(kn, &in, &peer));
	knat_twins_exit(kn);
	knat_test_net_free(kn);
}

/* knat_map_new() for (@proto, @host) to @remote, as the packet path calls it. */
static struct knat_map *addr_map(struct knat_net *kn, struct knat_pool *pool,
				 u8 proto, u32 host, u32 remote)
{
	struct knat_key in = knat_test_key(proto, host, 0);
	struct knat_map *m;

	in.raddr = htonl(remote);
	local_bh_disable();
	rcu_read_lock();
	m = knat_map_new(kn, pool, NULL, &in);
	rcu_read_unlock();
	local_bh_enable();
	return m;
}

/*
 * Protocols without ports: a mapping per (inside address, remote), on the
 * subscriber's outside address; a second inside host wanting the same
 * (protocol, outside address, remote) is refused, not mixed up; AH never
 * mapped; a subscriber's count bounded; its block held while they live.
 */
static void table_addr_only(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 4);
	struct knat_map *a1, *a2, *b, *m;
	struct knat_key k;
	int i;

	a1 = addr_map(kn, pool, IPPROTO_GRE, 0x0a000002, 0xc6336402);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a1));
	KUNIT_EXPECT_EQ(test, ntohl(a1->out.addr), 0xcb007100);
	KUNIT_EXPECT_EQ(test, ntohs(a1->out.port), 0);
	KUNIT_EXPECT_EQ(test, ntohl(a1->out.raddr), 0xc6336402);
	k = a1->out;
	rcu_read_lock();
	KUNIT_EXPECT_PTR_EQ(test, knat_map_lookup_out(kn, &k), a1);
	k.raddr = htonl(0xc6336403);	/* another remote finds nothing */
	KUNIT_EXPECT_NULL(test, knat_map_lookup_out(kn, &k));
	rcu_read_unlock();
	/* The remote is the peer: only it finds the mapping, it may send. */
	KUNIT_EXPECT_TRUE(test, knat_map_peer_allowed(kn, a1, a1->in.raddr, 0));

	a2 = addr_map(kn, pool, IPPROTO_GRE, 0x0a000002, 0xc6336403);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a2));
	KUNIT_EXPECT_PTR_EQ(test, a2->block, a1->block);	/* pinned, no port */
	KUNIT_EXPECT_EQ(test, atomic_read(&pool->nfree), 3);

	/* Another host, the same (GRE, outside address, remote): refused. */
	m = addr_map(kn, pool, IPPROTO_GRE, 0x0a000003, 0xc6336402);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(m), -EADDRINUSE);
	/* ESP is another protocol: its own key. */
	b = addr_map(kn, pool, IPPROTO_ESP, 0x0a000003, 0xc6336402);
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	KUNIT_EXPECT_EQ(test, ntohl(b->out.addr), 0xcb007100);
	/* AH's ICV covers the addresses: never mapped. */
	m = addr_map(kn, pool, IPPROTO_AH, 0x0a000003, 0xc6336409);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(m), -EPROTONOSUPPORT);
	KUNIT_EXPECT_EQ(test, knat_stats_mappings(kn, KNAT_P_OTHER), 3);
	KUNIT_EXPECT_EQ(test, knat_stats_mappings(kn, -1), 3);

	/* At most max_blocks * block_size a subscriber. */
	kn->cfg.max_blocks = 1;
	for (i = 1; i < 64; i++) {
		m = addr_map(kn, pool, IPPROTO_GRE, 0x0a000003, 0xc6330000 + i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(m));
	}
	m = addr_map(kn, pool, IPPROTO_GRE, 0x0a000003, 0xc6330000 + i);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(m), -EDQUOT);

	/* Gone, they give their blocks back to cool. */
	knat_table_reap(kn, NULL, NULL);
	KUNIT_EXPECT_EQ(test, knat_stats_read(kn, KNAT_STAT_BLOCK_FREE),
			knat_stats_read(kn, KNAT_STAT_BLOCK_ALLOC));
	KUNIT_EXPECT_EQ(test, knat_stats_read(kn, KNAT_STAT_BLOCK_ALLOC), 2);
	synchronize_rcu();
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

/*
 * More mappings without ports on one block than a u16 counts: its use
 * count must not wrap, or the block cools (and its subscriber goes)
 * under 65,536 mappings that still hold it.
 */
static void table_addr_only_many_pins(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 4096, 2);
	struct knat_map *m, *first = NULL;
	u32 i;

	kn->cfg.max_blocks = 16;	/* 65,536 pins a subscriber */
	for (i = 0; i < 65536; i++) {
		m = addr_map(kn, pool, IPPROTO_GRE, 0x0a000002, 0xc6000000 + i);
		KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(m), "pin %u: %ld", i,
				       PTR_ERR_OR_ZERO(m));
		first = first ?: m;
		if (i % 1024 == 1023)
			cond_resched();	/* a minute of TCG and lockdep */
	}
	/* And a port on the same block. */
	m = new_map(test, kn, pool, 0x0a000002, 5000);
	KUNIT_ASSERT_PTR_EQ(test, m->block, first->block);
	knat_map_delete(kn, first);
	KUNIT_ASSERT_EQ(test, knat_stats_read(kn, KNAT_STAT_BLOCK_FREE), 0);
	knat_table_reap(kn, NULL, NULL);
	KUNIT_EXPECT_EQ(test, knat_stats_read(kn, KNAT_STAT_BLOCK_FREE), 1);
	synchronize_rcu();
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

/*
 * On the router's own address (masquerade), a protocol without ports
 * that the router's stack handles (IGMP here, as GRE or ESP once their
 * modules are in) is the router's: never mapped. Others are.
 */
static void table_addr_only_router_protocols(struct kunit *test)
{
	struct knat_net *kn = knat_test_net(test);
	struct knat_pool *pool = knat_test_pool(test, 1, 2000, 64, 4);
	struct knat_map *m;

	KUNIT_ASSERT_NOT_NULL(test, rcu_access_pointer(inet_protos[IPPROTO_IGMP]));
	KUNIT_ASSERT_NULL(test, rcu_access_pointer(inet_protos[253]));
	pool->addrs[0].local = true;
	m = addr_map(kn, pool, IPPROTO_IGMP, 0x0a000002, 0xc6336402);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(m), -EPROTONOSUPPORT);
	m = addr_map(kn, pool, 253, 0x0a000002, 0xc6336402);
	KUNIT_EXPECT_FALSE(test, IS_ERR(m));
	/* Not the router's address: IGMP to a remote is a host's. */
	pool->addrs[0].local = false;
	m = addr_map(kn, pool, IPPROTO_IGMP, 0x0a000002, 0xc6336402);
	KUNIT_EXPECT_FALSE(test, IS_ERR(m));
	knat_table_reap(kn, NULL, NULL);
	synchronize_rcu();
	knat_pool_destroy(pool);
	knat_test_net_free(kn);
}

static struct kunit_case table_test_cases[] = {
	KUNIT_CASE(table_lookup_both_ways),
	KUNIT_CASE(table_insert_collisions),
	KUNIT_CASE(table_expiry),
	KUNIT_CASE_PARAM(table_timeouts, timer_gen_params),
	KUNIT_CASE(table_tcp_timers),
	KUNIT_CASE(table_tcp_segments),
	KUNIT_CASE(table_filtering),
	KUNIT_CASE(table_filter_false_admission),
	KUNIT_CASE(table_filter_remembers_last),
	KUNIT_CASE(table_reap_misses_none),
	KUNIT_CASE(table_expire_in_slices),
	KUNIT_CASE(table_hash_flood),
	KUNIT_CASE(table_twin_connections),
	KUNIT_CASE(table_addr_only),
	KUNIT_CASE(table_addr_only_many_pins),
	KUNIT_CASE(table_addr_only_router_protocols),
	{}
};

static struct kunit_suite table_suite = {
	.name = "knat_table",
	.test_cases = table_test_cases,
};

kunit_test_suite(table_suite);

MODULE_LICENSE("GPL");
