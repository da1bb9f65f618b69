// SPDX-License-Identifier: GPL-2.0
/*
 * knat: the peers a mapping contacted, for filtering (RFC 4787 section 5).
 *
 * Exact, not a Bloom filter: filtering is a security property, and a
 * 64-bit filter let in a third of all addresses once a mapping had
 * contacted 16 peers. knat_map.peers holds the first peer inline (most
 * mappings never have a second), tagged with bit 0; after that it points
 * to a set that grows 5, 13, 29 entries (a 64- to 256-byte kmalloc)
 * and then forgets its oldest peer for each new one. A peer is 48 bits,
 * address and port, so one set serves both ADF and APDF.
 *
 * Readers (every packet) are lockless under RCU. Writers, only for a peer
 * not yet known, take one of a few hashed spinlocks; a grown set replaces
 * the old one, which is freed after a grace period.
 */
#include <linux/hash.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <kunit/visibility.h>
#include "peers.h"
#include "table.h"

struct knat_peer_set {
	struct rcu_head rcu;
	u32 cap;
	u32 added;		/* ever; the next slot is added % cap */
	u64 ent[];		/* address << 16 | port */
};

#define PEER_SET_LAST	KNAT_PEERS_MAX
#define PEER_LOCK_BITS	6

static spinlock_t peer_locks[1 << PEER_LOCK_BITS];

static bool inline_peer(unsigned long v)
{
	return v & 1;
}

static u64 inline_key(unsigned long v)
{
	return (u64)v >> 1;
}

/* A 48-bit key fits beside the tag only in a 64-bit word. */
static bool can_inline(void)
{
	return BITS_PER_LONG == 64;
}

bool knat_peers_set_has(unsigned long v, u64 key, bool by_port)
{
	const struct knat_peer_set *set = (const struct knat_peer_set *)v;
	u32 i, n;

	/* Pairs with the release in set_add(): entries before the count. */
	n = min(smp_load_acquire(&set->added), set->cap);
	for (i = 0; i < n; i++)
		if (knat_peer_matches(READ_ONCE(set->ent[i]), key, by_port))
			return true;
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(knat_peers_set_has);

static struct knat_peer_set *set_alloc(u32 cap)
{
	struct knat_peer_set *set;

	set = kmalloc(struct_size(set, ent, cap), GFP_ATOMIC | __GFP_NOWARN);
	if (set) {
		set->cap = cap;
		set->added = 0;
	}
	return set;
}

static u32 next_cap(u32 cap)
{
	/* Sizes that fill a kmalloc bucket: 24 + 8 * cap = 64 .. 256. */
	return cap < PEER_SET_LAST ? cap * 2 + 3 : cap;
}

/* Under the peer lock of @m. */
static void set_add(struct knat_map *m, u64 key)
{
	unsigned long v = m->peers;
	struct knat_peer_set *set = (struct knat_peer_set *)v, *grown;
	u32 i;

	if (!v && can_inline()) {
		WRITE_ONCE(m->peers, (unsigned long)(key << 1 | 1));
		return;
	}
	if (!v || inline_peer(v) || (set->added >= set->cap &&
				     set->cap < PEER_SET_LAST)) {
		grown = set_alloc(!v || inline_peer(v) ? 5 :
				  next_cap(set->cap));
		if (!grown) {
			/* No memory: forget a peer rather than fail. */
			if (v && inline_peer(v))
				WRITE_ONCE(m->peers, (unsigned long)(key << 1 | 1));
			else if (v)
				goto replace;
			return;
		}
		if (v && inline_peer(v))
			grown->ent[grown->added++] = inline_key(v);
		else if (v)
			for (i = 0; i < set->cap; i++)
				grown->ent[grown->added++] = set->ent[i];
		grown->ent[grown->added++] = key;
		/* Pairs with the dependency-ordered READ_ONCE of readers. */
		smp_store_release(&m->peers, (unsigned long)grown);
		if (v && !inline_peer(v))
			kfree_rcu(set, rcu);
		return;
	}
replace:
	/* Full at the largest size: the oldest goes. */
	WRITE_ONCE(set->ent[set->added % set->cap], key);
	/* The entry before the count that shows it: knat_peers_has(). */
	smp_store_release(&set->added, set->added + 1);
}

void knat_peers_add(struct knat_map *m, __be32 addr, __be16 port)
{
	spinlock_t *lock;	/* of @m's writers */

	lock = &peer_locks[hash_ptr(m, PEER_LOCK_BITS)];
	spin_lock_bh(lock);
	if (!knat_peers_has(m, addr, port, true))
		set_add(m, knat_peer_key(addr, port));
	spin_unlock_bh(lock);
}
EXPORT_SYMBOL_IF_KUNIT(knat_peers_add);

/* @m is unreachable: no reader, no writer. */
void knat_peers_free(struct knat_map *m)
{
	unsigned long v = m->peers;

	if (v && !inline_peer(v))
		kfree((struct knat_peer_set *)v);
}

void knat_peers_init(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(peer_locks); i++)
		spin_lock_init(&peer_locks[i]);
}
