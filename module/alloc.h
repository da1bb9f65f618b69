/* SPDX-License-Identifier: GPL-2.0 */
/* knat: pools, port blocks and subscribers. */
#ifndef _KNAT_ALLOC_H
#define _KNAT_ALLOC_H

#include <linux/list.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include "knat.h"

struct knat_sub;
struct knat_pool_addr;

/*
 * A block of block_size consecutive ports of one outside address, owned by
 * one subscriber at a time. One bitmap per protocol: TCP port 5000 and UDP
 * port 5000 are different endpoints.
 */
struct knat_block {
	struct knat_pool_addr *pa;
	struct knat_sub *owner;		/* NULL: free or cooling */
	struct list_head node;		/* owner's blocks, or pa->cooling */
	unsigned long cool_until;	/* jiffies */
	u16 first_port;
	/* u32: pins (mappings without ports) may exceed a u16 of ports. */
	u32 used;			/* bits set, all protocols, and pins */
	u32 reserved;			/* of which owned by others (forwards, services) */
	unsigned long *bits[KNAT_P_PORTED];
};

/*
 * A CPU's cache of free blocks of one address: block hand-out takes this
 * CPU's lock, and the address's lock only once per KNAT_MAG_BATCH blocks.
 */
#define KNAT_MAG_SIZE	8
#define KNAT_MAG_BATCH	4
/* Larger pools spread subscribers, hence lock traffic, over many addresses. */
#define KNAT_MAG_ADDRS_MAX	1024

struct knat_mag {
	spinlock_t lock;		/* n and idx; taken from other CPUs at exhaustion */
	u16 n;
	u16 idx[KNAT_MAG_SIZE];
};

/* One outside address of a pool; its lock guards its blocks' ownership. */
struct knat_pool_addr {
	struct knat_pool *pool;
	__be32 addr;
	spinlock_t lock;		/* blocks' owner, free and cooling sets */
	u32 nfree;			/* free[0..nfree) in random order */
	u32 *free;
	struct knat_mag __percpu *mags;	/* NULL in large pools */
	atomic_t nmag;			/* free blocks held in mags */
	struct list_head cooling;	/* oldest first */
	u32 ncooling;
	u32 nsubs;
	bool local;			/* also the router's own address */
	struct knat_block *blocks;
};

#define KNAT_POOL_PREFIXES 8

struct knat_prefix {
	__be32 addr;
	__be32 mask;
};

struct knat_pool {
	struct list_head list;		/* knat_net.pools, RCU */
	u32 id;
	char name[KNAT_POOL_NAME_MAX];
	u32 nprefix;			/* the outside addresses, as given */
	struct knat_prefix prefix[KNAT_POOL_PREFIXES];
	__be32 from_addr, from_mask;
	int out_ifindex;		/* 0: any */
	bool masquerade;
	bool dead;			/* being removed: map nothing new */
	bool noaddr;			/* masquerade, interface without address: neither */
	u16 port_lo, port_hi, block_size;
	u32 blocks_per_addr;
	u32 naddr;
	struct knat_pool_addr *addrs;
	/*
	 * Free-block accounting, so that refusing a new subscriber on a full
	 * pool, and finding an address for one, never walks the addresses:
	 * free blocks (stacks and magazines) of all addresses, the addresses
	 * that have some (a bit each, changed under that address's lock),
	 * cooling blocks, and a time before which none of them is cooled.
	 */
	atomic_t nfree;
	unsigned long *has_free;
	atomic_t ncooling;
	unsigned long cool_ready;	/* jiffies, a lower bound */
	struct rcu_head rcu;
};

struct knat_sub_key {
	__be32 addr;
	u32 pool_id;
};

/* An inside host and the blocks it holds, all on one address (paired). */
struct knat_sub {
	struct rhash_head node;
	struct knat_sub_key key;
	struct knat_pool_addr *pa;
	spinlock_t lock;		/* its blocks' bitmaps and list */
	bool dead;
	u16 nblocks;
	u32 npins;			/* mappings without ports (knat_port_alloc()) */
	u64 in_note;			/* where its packets came in: knat_sub_note() */
	struct list_head blocks;
	struct rcu_head rcu;
};

/*
 * The interface a subscriber's plausible packet came in by, and the
 * routes' generation (rt_genid_ipv4) it was checked under: one word,
 * written and read whole, so that no reader pairs one check's interface
 * with another's generation.
 */
static inline u64 knat_sub_note(int iif, int genid)
{
	return (u64)(u32)genid << 32 | (u32)iif;
}

/*
 * Did @sub's last plausible packet come in as @note says? Then one that
 * comes in so is plausible too: the reverse path it was checked by has
 * not changed (hooks.c). A note of no interface matches nothing.
 */
static inline bool knat_sub_noted(const struct knat_sub *sub, u64 note)
{
	return sub && (u32)note && READ_ONCE(sub->in_note) == note;
}

/* @addr's subscriber in @pool, or NULL. Under RCU. */
struct knat_sub *knat_sub_find(struct knat_net *kn,
			       const struct knat_pool *pool, __be32 addr);

struct knat_pool_params {
	const char *name;
	u32 id;
	u32 nprefix;
	struct knat_prefix prefix[KNAT_POOL_PREFIXES];
	__be32 *addrs;
	u32 naddr;
	u16 port_lo, port_hi, block_size;
	__be32 from_addr, from_mask;
	int out_ifindex;
	bool masquerade;
};

struct knat_pool *knat_pool_create(const struct knat_pool_params *p);
void knat_pool_destroy(struct knat_pool *pool);

static inline bool knat_pool_has_addr(const struct knat_pool *pool,
				      __be32 addr)
{
	u32 i;

	for (i = 0; i < pool->nprefix; i++)
		if ((addr & pool->prefix[i].mask) == pool->prefix[i].addr)
			return true;
	return false;
}

static inline bool knat_prefixes_overlap(const struct knat_prefix *a,
					 const struct knat_prefix *b)
{
	__be32 mask = a->mask & b->mask;

	return (a->addr & mask) == (b->addr & mask);
}

/* Free blocks of @pa, wherever they wait. */
static inline u32 knat_pa_nfree(const struct knat_pool_addr *pa)
{
	return READ_ONCE(pa->nfree) + atomic_read(&pa->nmag);
}

int knat_subs_init(struct knat_net *kn);
void knat_subs_exit(struct knat_net *kn);

/*
 * Picks an outside port for inside endpoint @in from @pool. Packet path:
 * the caller holds rcu_read_lock() (subscribers are freed by RCU).
 * @parity asks for an outside port of the same parity as in->port.
 * A port found owned by a forward or, on a router address, by a router
 * service is reserved in its block and another one is picked.
 * A protocol without ports gets no port, only the subscriber's address:
 * its mapping pins one of the subscriber's blocks (taking one if it has
 * none), at most max_blocks * block_size such mappings a subscriber.
 * Returns the block holding the port, or an ERR_PTR: -ENOSPC pool full,
 * -EDQUOT subscriber at its limit, -EADDRINUSE (no ports) the outside key
 * another inside host's, -EPROTONOSUPPORT (no ports) a protocol the
 * router's stack handles on the router's own address, -ENOMEM.
 * @found: @in's host's subscriber in @pool, if the caller found it
 * already (under the same RCU read section), else NULL. Under RCU.
 */
struct knat_block *knat_port_alloc(struct knat_net *kn, struct knat_pool *pool,
				   struct knat_sub *found,
				   const struct knat_key *in, bool parity,
				   struct knat_key *out);
void knat_port_release(struct knat_net *kn, struct knat_block *b,
		       u8 proto, __be16 port);
/* Returns cooled blocks to their free sets; from GC. */
void knat_pool_recool(struct knat_net *kn, struct knat_pool *pool);

#endif /* _KNAT_ALLOC_H */
