// SPDX-License-Identifier: GPL-2.0
/* KUnit: knat's per-CPU counters sum every CPU's share. */
#include <kunit/test.h>
#include "stats.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

static void stats_sum_over_cpus(struct kunit *test)
{
	/* Not on the stack: with lockdep and KASAN it outgrows a frame. */
	struct knat_net *kn = kunit_kzalloc(test, sizeof(*kn), GFP_KERNEL);
	u64 want = 0;
	int cpu;

	KUNIT_ASSERT_NOT_NULL(test, kn);
	KUNIT_ASSERT_EQ(test, knat_stats_init(kn), 0);
	KUNIT_EXPECT_EQ(test, knat_stats_read(kn, KNAT_STAT_NL_REQUESTS), 0ULL);
	for_each_possible_cpu(cpu) {
		per_cpu_ptr(kn->stats, cpu)->cnt[KNAT_STAT_NL_REQUESTS] += cpu + 1;
		want += cpu + 1;
	}
	knat_stats_inc(kn, KNAT_STAT_NL_REQUESTS);
	KUNIT_EXPECT_EQ(test, knat_stats_read(kn, KNAT_STAT_NL_REQUESTS), want + 1);
	knat_stats_exit(kn);
	KUNIT_EXPECT_TRUE(test, !kn->stats);
}

static void stats_pernet_exists(struct kunit *test)
{
	struct knat_net *kn = knat_pernet(&init_net);

	KUNIT_ASSERT_NOT_NULL(test, kn);
	KUNIT_EXPECT_PTR_EQ(test, kn->net, &init_net);
	KUNIT_EXPECT_TRUE(test, !!kn->stats);
}

static struct kunit_case stats_cases[] = {
	KUNIT_CASE(stats_sum_over_cpus),
	KUNIT_CASE(stats_pernet_exists),
	{}
};

static struct kunit_suite stats_suite = {
	.name = "knat_stats",
	.test_cases = stats_cases,
};

kunit_test_suite(stats_suite);

MODULE_LICENSE("GPL");
