/* SPDX-License-Identifier: GPL-2.0 */
/* knat: port forwards and 1:1 NAT (control path, and the 1:1 lookups). */
#ifndef _KNAT_FORWARD_H
#define _KNAT_FORWARD_H

#include <linux/netlink.h>
#include "knat.h"

/* Outside ports out_port.. reach inside in_port.., as permanent mappings. */
struct knat_forward {
	struct list_head list;		/* knat_net.forwards */
	struct knat_key out;		/* first port */
	struct knat_key in;
	u16 count;
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

/* Packet path, under RCU: the 1:1 entry for an outside / inside address. */
struct knat_static *knat_static_by_out(struct knat_net *kn, __be32 addr);
struct knat_static *knat_static_by_in(struct knat_net *kn, __be32 addr);

#endif /* _KNAT_FORWARD_H */
