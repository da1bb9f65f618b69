/* SPDX-License-Identifier: GPL-2.0 */
/* knat: per-CPU counters, summed only when read. */
#ifndef _KNAT_STATS_H
#define _KNAT_STATS_H

#include <linux/percpu.h>
#include "knat.h"

enum knat_counter {
	KNAT_CNT_NL_REQUESTS,	/* netlink requests served */
	KNAT_CNT_MAX
};

struct knat_stats {
	u64 cnt[KNAT_CNT_MAX];
};

int knat_stats_init(struct knat_net *kn);
void knat_stats_exit(struct knat_net *kn);
u64 knat_stats_read(const struct knat_net *kn, enum knat_counter c);

/* Safe from any context: this_cpu_inc needs no preemption guard. */
static inline void knat_stats_inc(struct knat_net *kn, enum knat_counter c)
{
	this_cpu_inc(kn->stats->cnt[c]);
}

#endif /* _KNAT_STATS_H */
