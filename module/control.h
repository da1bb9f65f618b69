/* SPDX-License-Identifier: GPL-2.0 */
/* knat: configuration of a namespace (control path, may sleep). */
#ifndef _KNAT_CONTROL_H
#define _KNAT_CONTROL_H

#include <linux/netlink.h>
#include "alloc.h"

void knat_config_defaults(struct knat_config *cfg);
/* All of these run under kn->lock. */
int knat_pool_add(struct knat_net *kn, struct knat_pool_params *p,
		  struct netlink_ext_ack *extack);
int knat_pool_del(struct knat_net *kn, struct knat_pool *pool);
int knat_pool_replace(struct knat_net *kn, struct knat_pool *old,
		      struct knat_pool_params *p);
struct knat_pool *knat_pool_find(struct knat_net *kn, const char *name);
void knat_mapping_flush(struct knat_net *kn);
bool knat_addrs_full(struct knat_net *kn, u32 n, struct netlink_ext_ack *extack);
/* Unregisters the hooks once nothing is left to translate. */
void knat_hooks_maybe_disable(struct knat_net *kn);

/* ifaddr.c: the router's own addresses. */
/* The primary address of @ifindex, as a /32: what masquerade uses. */
int knat_masq_prefix(struct net *net, int ifindex, struct knat_prefix *pfx);
/* Which of @pool's addresses are also the router's; under kn->lock. */
void knat_pool_mark_local(struct knat_net *kn, struct knat_pool *pool);
void knat_addr_work_init(struct knat_net *kn);
int knat_masq_notifier_init(void);
void knat_masq_notifier_exit(void);

int knat_control_init(struct knat_net *kn);
void knat_control_exit(struct knat_net *kn);

#endif /* _KNAT_CONTROL_H */
