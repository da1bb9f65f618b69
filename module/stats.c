// SPDX-License-Identifier: GPL-2.0
/* knat: per-CPU counters. */
#include <kunit/visibility.h>
#include "stats.h"

int knat_stats_init(struct knat_net *kn)
{
	kn->stats = alloc_percpu(struct knat_stats);
	return kn->stats ? 0 : -ENOMEM;
}
EXPORT_SYMBOL_IF_KUNIT(knat_stats_init);

void knat_stats_exit(struct knat_net *kn)
{
	free_percpu(kn->stats);
	kn->stats = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(knat_stats_exit);

u64 knat_stats_read(const struct knat_net *kn, enum knat_stat c)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(kn->stats, cpu)->cnt[c]);
	return sum;
}
EXPORT_SYMBOL_IF_KUNIT(knat_stats_read);

long knat_stats_mappings(const struct knat_net *kn, int p)
{
	long sum = 0;
	int cpu, i;

	for_each_possible_cpu(cpu)
		for (i = 0; i < KNAT_P_MAX; i++)
			if (p < 0 || p == i)
				sum += READ_ONCE(per_cpu_ptr(kn->stats, cpu)->maps[i]);
	/* Inserts and deletes on different CPUs race the sum: never < 0. */
	return max(sum, 0L);
}
EXPORT_SYMBOL_IF_KUNIT(knat_stats_mappings);
