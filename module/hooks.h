/* SPDX-License-Identifier: GPL-2.0 */
/* knat: the netfilter hooks and what they share with the control path. */
#ifndef _KNAT_HOOKS_H
#define _KNAT_HOOKS_H

#include <linux/netfilter_ipv4.h>
#include "knat.h"

/*
 * PREROUTING runs after conntrack's defragmentation (-400), reassembles
 * what fragments reach it (hooks.c), and runs before conntrack
 * (-200): conntrack, when in use, sees inbound packets already translated
 * back to the inside view, which matches what it saw of the outbound ones
 * (POSTROUTING below runs after conntrack looked at them), so its tuples
 * stay consistent and replies are ESTABLISHED, not INVALID.
 * POSTROUTING runs after nf_nat's SNAT slot: if an operator also has
 * nftables NAT rules, theirs apply first and knat leaves that traffic be.
 */
#define KNAT_PRI_PREROUTING	(NF_IP_PRI_CONNTRACK - 10)
#define KNAT_PRI_POSTROUTING	(NF_IP_PRI_NAT_SRC + 10)

struct knat_pool;
/* Packet path, under RCU: the pool owning outside address @addr. */
struct knat_pool *knat_pool_owning(struct knat_net *kn, __be32 addr);
/*
 * The pool to map inside address @saddr in, for a packet to @daddr: the
 * one owning @daddr if it takes @saddr, else the first that does.
 */
struct knat_pool *knat_pool_taking(struct knat_net *kn, __be32 saddr,
				   __be32 daddr);

/* Is @ifindex some pool's out interface? Under RCU. */
bool knat_is_uplink(struct knat_net *kn, int ifindex);

#if IS_ENABLED(CONFIG_KUNIT)
struct knat_sub;
struct knat_map *knat_map_new(struct knat_net *kn, struct knat_pool *pool,
			      struct knat_sub *sub, const struct knat_key *in);
#endif

#endif /* _KNAT_HOOKS_H */
