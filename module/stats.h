/* SPDX-License-Identifier: GPL-2.0 */
/* knat: per-CPU counters, summed only when read. */
#ifndef _KNAT_STATS_H
#define _KNAT_STATS_H

#include <linux/percpu.h>
#include "knat.h"
#include "proto.h"

/* Counters are enum knat_stat of the uapi header: operators see them all. */
struct knat_stats {
	u64 cnt[__KNAT_STAT_MAX];
	/* Live mappings by protocol: this CPU's inserts minus its deletes. */
	long maps[KNAT_P_MAX];
};

int knat_stats_init(struct knat_net *kn);
void knat_stats_exit(struct knat_net *kn);
u64 knat_stats_read(const struct knat_net *kn, enum knat_stat c);

/* Safe from any context: this_cpu_inc needs no preemption guard. */
static inline void knat_stats_inc(struct knat_net *kn, enum knat_stat c)
{
	this_cpu_inc(kn->stats->cnt[c]);
}

/* Packets and bytes knat rewrote, by direction and protocol. */
static inline void knat_stats_xlated(struct knat_net *kn, bool out, u8 proto,
				     unsigned int len)
{
	int p = knat_proto_idx(proto), base = KNAT_STAT_OUT_PKTS_TCP;
	int n = KNAT_P_SCTP;

	/* The layout of enum knat_stat this relies on: two blocks. */
	BUILD_BUG_ON(KNAT_STAT_OUT_PKTS_TCP + KNAT_P_SCTP - KNAT_STAT_IN_PKTS_TCP);
	BUILD_BUG_ON(KNAT_STAT_OUT_PKTS_TCP + 2 * KNAT_P_SCTP - KNAT_STAT_OUT_BYTES_TCP);
	BUILD_BUG_ON(KNAT_STAT_OUT_PKTS_TCP + KNAT_P_ICMP - KNAT_STAT_OUT_PKTS_ICMP);
	BUILD_BUG_ON(KNAT_STAT_OUT_PKTS_SCTP + KNAT_P_MAX - KNAT_P_SCTP -
		     KNAT_STAT_IN_PKTS_SCTP);
	BUILD_BUG_ON(KNAT_STAT_OUT_PKTS_SCTP + 3 * (KNAT_P_MAX - KNAT_P_SCTP) -
		     KNAT_STAT_IN_BYTES_SCTP);
	BUILD_BUG_ON(KNAT_STAT_OUT_PKTS_SCTP + KNAT_P_OTHER - KNAT_P_SCTP -
		     KNAT_STAT_OUT_PKTS_OTHER);
	if (p >= KNAT_P_SCTP) {
		base = KNAT_STAT_OUT_PKTS_SCTP;
		n = KNAT_P_MAX - KNAT_P_SCTP;
		p -= KNAT_P_SCTP;
	}
	if (!out)
		base += n;
	this_cpu_inc(kn->stats->cnt[base + p]);
	this_cpu_add(kn->stats->cnt[base + 2 * n + p], len);
}

/* Live mappings of protocol index @p, or of all protocols when @p < 0. */
long knat_stats_mappings(const struct knat_net *kn, int p);

#endif /* _KNAT_STATS_H */
