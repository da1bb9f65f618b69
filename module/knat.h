/* SPDX-License-Identifier: GPL-2.0 */
/* knat: state shared by the module's files. */
#ifndef _KNAT_H
#define _KNAT_H

#include <linux/types.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#define KNAT_VERSION "0.1.0"

/* Per network namespace state; see main.c for its lifetime. */
struct knat_net {
	struct net *net;
	struct knat_stats __percpu *stats;
};

extern unsigned int knat_net_id;

static inline struct knat_net *knat_pernet(const struct net *net)
{
	return net_generic(net, knat_net_id);
}

int knat_genl_init(void);
void knat_genl_exit(void);

#endif /* _KNAT_H */
