/* SPDX-License-Identifier: GPL-2.0 */
/* knat: types shared by the module's files. */
#ifndef _KNAT_H
#define _KNAT_H

#include <linux/types.h>
#include <linux/ratelimit_types.h>
#include <linux/rhashtable-types.h>
#include <linux/workqueue.h>
#include <linux/netfilter.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <linux/knat.h>

#define KNAT_VERSION "0.4.0"

/*
 * Protocols knat translates (proto.c), as the index of per-protocol state:
 * those with ports first, each its own port space; then all without.
 */
enum knat_proto_idx {
	KNAT_P_TCP,
	KNAT_P_UDP,
	KNAT_P_ICMP,
	KNAT_P_SCTP,
	KNAT_P_UDPLITE,
	KNAT_P_DCCP,
	KNAT_P_PORTED,		/* count of the above */
	KNAT_P_OTHER = KNAT_P_PORTED,	/* GRE, ESP, ...: by address only */
	KNAT_P_MAX
};

/*
 * One side of a mapping: the transport endpoint as seen inside or outside.
 * For ICMP queries the "port" is the echo identifier. A protocol without
 * ports has none: its mappings are per remote address, @raddr (0 for the
 * others). On a router with two uplinks or more an inside key holds the
 * slot of the uplink its mapping is for (a mapping per uplink), else 0.
 * 12 bytes, hashed whole.
 */
struct knat_key {
	__be32 addr;
	__be16 port;
	u8 proto;		/* IPPROTO_* */
	u8 uplink;		/* inside keys: knat_net.uplinks slot + 1, or 0 */
	__be32 raddr;
};

/* Uplinks (pools' out interfaces) a namespace tells apart. */
#define KNAT_UPLINKS	16

/* Longest cooling in seconds, the CLI's bound too: cooling * HZ fits 32 bits. */
#define KNAT_COOLING_MAX	86400

/* Per-namespace settings (knat config set); read locklessly. */
struct knat_config {
	u32 timeout[KNAT_P_MAX];	/* seconds; TCP: established */
	u32 timeout_tcp_trans;
	u32 cooling;			/* seconds a freed block rests */
	u16 block_size;			/* default for new pools */
	u16 max_blocks;			/* per subscriber */
	u8 filtering;			/* enum knat_filtering */
	u8 port_parity;			/* RFC 4787 REQ-4, off by default */
	u8 unreach_no_mapping;		/* answer unmapped inbound with 3/13 */
	u8 fastpath;			/* fastpath.c: established flows at ingress */
	u32 icmp_rate;			/* messages a second knat emits */
	u32 icmp_burst;
	/* What the namespace may make the kernel allocate. */
	u32 max_mappings;		/* dynamic mappings and forward ports */
	u32 max_addrs;			/* pool addresses and 1:1 entries */
};

/* Like nf_conntrack_max on a host of 4 GB or more. */
#define KNAT_MAX_MAPPINGS_DEFAULT	262144
/* About 150 MB of block state at the smallest block size. */
#define KNAT_MAX_ADDRS_DEFAULT		1024

/* The budget of ICMP knat emits itself, in nanoseconds of credit. */
struct knat_icmp_bucket {
	spinlock_t lock;		/* credit and last */
	u64 credit;
	u64 last;
};

#define KNAT_OUTSIDE_ADDRS	256

struct knat_net {
	struct net *net;
	struct knat_stats __percpu *stats;
	struct knat_config cfg;
	struct mutex lock;		/* control path: pools, hooks, config */
	struct list_head pools;		/* RCU readers, writers under lock */
	struct list_head forwards;	/* struct knat_forward, RCU */
	struct list_head statics;	/* struct knat_static, RCU */
	struct rhashtable fwd_addrs;	/* forward.c: forwards' addresses */
	/* Outside addresses of forwards and 1:1 entries, hashed: a filter. */
	DECLARE_BITMAP(outside_addrs, KNAT_OUTSIDE_ADDRS);
	u32 pool_seq;			/* for default pool names */
	/*
	 * Out interfaces of pools, in the order first seen, never reused
	 * while the namespace lives: a slot names its mappings' uplink.
	 * Written under lock, nuplinks last (release).
	 */
	int uplinks[KNAT_UPLINKS];
	u32 nuplinks;
	bool hooks_on;
	struct nf_hook_ops hook_ops[2];	/* unregistered by address */
	struct rhashtable map_in;	/* struct knat_map by inside key */
	struct rhashtable map_out;	/* struct knat_map by outside key */
	struct rhashtable_iter expire_iter;	/* GC's walk, under lock */
	bool expire_walking;
	struct rhashtable subs;		/* struct knat_sub by inside address */
	struct rhashtable twins;	/* twin.c: a twin server's connections */
	struct delayed_work gc_work;
	struct work_struct addr_work;	/* ifaddr.c: after address changes */
	bool exiting;			/* no more work queued (pre_exit) */
	struct ratelimit_state event_rs;	/* refusal events */
	struct knat_icmp_bucket icmp_bucket;
	/* fastpath.c */
	atomic_t fp_gen;		/* bumped by every configuration change */
	bool fp_hooked;			/* devices hooked; written under RTNL */
	struct list_head fp_devs;	/* struct knat_fp_dev, under RTNL */
	struct knat_fp_seen __rcu *fp_seen;	/* hooks last judged */
	struct work_struct fp_work;	/* hooks or unhooks them */
};

extern unsigned int knat_net_id;

static inline struct knat_net *knat_pernet(const struct net *net)
{
	return net_generic(net, knat_net_id);
}

int knat_genl_init(void);
void knat_genl_exit(void);
int knat_hooks_enable(struct knat_net *kn);
/* The GC runs soon, if it was idle (any context). */
void knat_gc_kick(struct knat_net *kn);
void knat_hooks_disable(struct knat_net *kn);

#endif /* _KNAT_H */
