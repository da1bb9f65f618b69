/* SPDX-License-Identifier: GPL-2.0 */
/* knat: per-CPU counters, summed only when read. */
#ifndef _KNAT_STATS_H
#define _KNAT_STATS_H

#include <linux/percpu.h>
#include "knat.h"

/* Counters are enum knat_stat of the uapi header: operators see them all. */
struct knat_stats {
	u64 cnt[__KNAT_STAT_MAX];
};

int knat_stats_init(struct knat_net *kn);
void knat_stats_exit(struct knat_net *kn);
u64 knat_stats_read(const struct knat_net *kn, enum knat_stat c);

/* Safe from any context: this_cpu_inc needs no preemption guard. */
static inline void knat_stats_inc(struct knat_net *kn, enum knat_stat c)
{
	this_cpu_inc(kn->stats->cnt[c]);
}

#endif /* _KNAT_STATS_H */
