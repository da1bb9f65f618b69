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
