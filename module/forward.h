/* SPDX-License-Identifier: GPL-2.0 */
/* knat: port forwards and 1:1 NAT (control path, and the 1:1 lookups). */
#ifndef _KNAT_FORWARD_H
#define _KNAT_FORWARD_H

#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/netlink.h>
#include "knat.h"

/* Outside ports out_port.. reach inside in_port.., as permanent mappings. */
struct knat_forward {
	struct list_head list;		/* knat_net.forwards, RCU */
	struct knat_key out;		/* first port */
	struct knat_key in;
	u16 count;
	struct rcu_head rcu;
};

/* 1:1 NAT: every port of @in is @out outside. */
struct knat_static {
	struct list_head list;		/* knat_net.statics, RCU */
	__be32 out;
	__be32 in;
	struct rcu_head rcu;
};

/* Under kn->lock. */
int knat_forward_add(struct knat_net *kn, const struct knat_forward *f,
		     struct netlink_ext_ack *extack);
int knat_forward_del(struct knat_net *kn, const struct knat_key *out,
		     struct netlink_ext_ack *extack);
int knat_static_add(struct knat_net *kn, __be32 out, __be32 in,
		    struct netlink_ext_ack *extack);
int knat_static_del(struct knat_net *kn, __be32 out,
		    struct netlink_ext_ack *extack);
void knat_forwards_exit(struct knat_net *kn);
int knat_forwards_init(struct knat_net *kn);
void knat_forwards_destroy(struct knat_net *kn);

/* Packet path, under RCU: the 1:1 entry for an outside / inside address. */
struct knat_static *knat_static_by_out(struct knat_net *kn, __be32 addr);
struct knat_static *knat_static_by_in(struct knat_net *kn, __be32 addr);

/* Is @addr a forward's or a 1:1 entry's outside address? */
bool knat_outside_owned(struct knat_net *kn, __be32 addr);
/* Is @addr some forward's inside host? */
bool knat_forward_to(struct knat_net *kn, __be32 addr);

/*
 * The same, as a filter for every packet: false means no; true means
 * perhaps (another address may share the bit), worth a table lookup.
 */
static inline unsigned int knat_outside_bit(__be32 addr)
{
	return hash_32((__force u32)addr, ilog2(KNAT_OUTSIDE_ADDRS));
}

static inline bool knat_outside_maybe(const struct knat_net *kn, __be32 addr)
{
	return test_bit(knat_outside_bit(addr), kn->outside_addrs);
}

#endif /* _KNAT_FORWARD_H */
