/* SPDX-License-Identifier: GPL-2.0 */
/* knat: the fast path for established mappings (fastpath.c). */
#ifndef _KNAT_FASTPATH_H
#define _KNAT_FASTPATH_H

#include <linux/netfilter.h>
#include "knat.h"

struct knat_map;
struct knat_pkt;

enum knat_fp_dir {
	KNAT_FP_OUT,		/* from the inside host */
	KNAT_FP_IN,		/* to it */
	KNAT_FP_DIRS
};

/*
 * What the normal path found for one direction of a mapping and one peer:
 * the route (held) and what it was looked up by. Published once, never
 * changed: a newer one replaces it whole.
 */
struct knat_fp_route {
	struct dst_entry *dst;
	__be32 peer_addr;
	__be16 peer_port;
	u8 tos;			/* & IPTOS_RT_MASK, as routing reads it */
	int iif;		/* where the packets it is for come in */
	u32 mark;
	int rp_filter;		/* of the interface, as it was (no flush follows it) */
	u32 gen;		/* knat_net.fp_gen when learned */
	unsigned long learned;	/* jiffies */
	struct rcu_head rcu;
};

/* A mapping's routes, allocated with its first one. */
struct knat_fp {
	struct knat_fp_route __rcu *route[KNAT_FP_DIRS];
};

/*
 * A packet of @m that the normal path translated (POSTROUTING, @skb
 * routed): its route is remembered for the fast path, if the next ones
 * may take it. @peer: the remote endpoint, the packet's destination
 * (KNAT_FP_OUT) or source (KNAT_FP_IN).
 */
void knat_fp_learn(struct knat_net *kn, struct knat_map *m,
		   enum knat_fp_dir dir, const struct sk_buff *skb,
		   const struct knat_pkt *p, const struct nf_hook_state *state,
		   u32 gen);
/*
 * An inbound packet the normal path translated, seen in POSTROUTING.
 * @gen: knat_net.fp_gen as it was before the hook looked at anything.
 */
void knat_fp_learn_in(struct knat_net *kn, const struct sk_buff *skb,
		      const struct knat_pkt *p,
		      const struct nf_hook_state *state, u32 gen);
/* @m is freed (no reader left): its routes go with it. */
void knat_fp_free(struct knat_map *m);

/*
 * Would the normal path show a forwarded packet to no netfilter hook but
 * knat's own, defragmentation's and a security module's, and to no IPsec
 * policy (fastpath_hooks.c)? Under RCU.
 */
bool knat_fp_path_alone(struct knat_net *kn, const struct net *net);
/* The namespace goes: what knat_fp_path_alone() remembers goes too. */
void knat_fp_seen_free(struct knat_net *kn);
int knat_fp_hooks_init(void);
void knat_fp_hooks_exit(void);

/* The configuration changed: every learned route is stale. */
static inline void knat_fp_invalidate(struct knat_net *kn)
{
	atomic_inc(&kn->fp_gen);
	/* Before the change: pairs with the hooks' acquire of fp_gen. */
	smp_mb__after_atomic();
}

/* Hooks (or unhooks) the namespace's devices as settings say; any context. */
void knat_fp_sync(struct knat_net *kn);
/* ... and waits until it is done (process context, no RTNL held). */
void knat_fp_sync_wait(struct knat_net *kn);
void knat_fp_init(struct knat_net *kn);
void knat_fp_exit(struct knat_net *kn);
int knat_fp_notifier_init(void);
void knat_fp_notifier_exit(void);

#endif /* _KNAT_FASTPATH_H */
