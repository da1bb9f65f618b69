/* SPDX-License-Identifier: GPL-2.0 */
/* knat: the mapping table, keyed both ways. */
#ifndef _KNAT_TABLE_H
#define _KNAT_TABLE_H

#include <linux/jhash.h>
#include <linux/jiffies.h>
#include <linux/rhashtable.h>
#include "knat.h"
#include "proto.h"

struct knat_block;
struct knat_fp;

/* Bits of knat_map.flags. */
enum {
	KNAT_MAP_DEAD,		/* unlinked or being unlinked */
	KNAT_MAP_SYN_OUT,	/* TCP: SYN seen from inside */
	KNAT_MAP_SYN_IN,	/* TCP: SYN seen from outside */
	KNAT_MAP_FIN_OUT,
	KNAT_MAP_FIN_IN,
	KNAT_MAP_RST,
	KNAT_MAP_TWIN,		/* a forward's, to a host with a 1:1 entry */
};

/*
 * One NAT mapping (RFC 4787 "mapping"): an inside endpoint and the outside
 * endpoint it is known by. Endpoint-independent: the peers it talked to are
 * only remembered, for filtering (peers.c). 88 bytes in its own slab cache:
 * at a million mappings every byte here is a megabyte.
 */
struct knat_map {
	struct rhash_head in_node;
	struct rhash_head out_node;
	struct knat_key in;
	struct knat_key out;
	struct knat_block *block;	/* holder of out.port */
	u32 expires;			/* jiffies, low 32 bits */
	atomic_t flags;			/* BIT(KNAT_MAP_*) */
	/* The one peer seen from inside (bit 0 set), or its peer set. */
	unsigned long peers;
	struct knat_fp __rcu *fp;	/* fastpath.c: learned routes, or NULL */
	struct rcu_head rcu;
};

/* Longest timeout: expires must stay within 2^31 jiffies of now. */
#define KNAT_TIMEOUT_MAX	(7 * 24 * 3600)

static inline unsigned int knat_map_flags(const struct knat_map *m)
{
	return atomic_read(&m->flags);
}

static inline void knat_map_set_flag(struct knat_map *m, int bit)
{
	if (!(atomic_read(&m->flags) & BIT(bit)))
		atomic_or(BIT(bit), &m->flags);
}

/* RFC 5382: established once SYNs crossed, until both FINs or a RST. */
static inline bool knat_map_tcp_established(unsigned int f)
{
	return (f & BIT(KNAT_MAP_SYN_OUT)) && (f & BIT(KNAT_MAP_SYN_IN)) &&
	       !(f & BIT(KNAT_MAP_RST)) &&
	       !((f & BIT(KNAT_MAP_FIN_OUT)) && (f & BIT(KNAT_MAP_FIN_IN)));
}

/* Would @n more mappings pass the namespace's max-mappings? */
static inline bool knat_mappings_full(struct knat_net *kn, u32 n)
{
	u32 have = atomic_read(&kn->map_in.nelems);

	return have + n > READ_ONCE(kn->cfg.max_mappings) || have + n < have;
}

int knat_table_init(struct knat_net *kn);
void knat_table_exit(struct knat_net *kn);

/*
 * A key is three words, with no padding: hashed as three words (the
 * values jhash2() gives), and compared as three words in the lookup
 * itself. rhashtable's defaults, as GCC builds them here, called
 * jhash2() through ht->p.hashfn from an outlined rht_key_get_hash(),
 * and memcmp() out of line with a length read at run time.
 */
static __always_inline u32 knat_key_hash(const void *data, u32 len, u32 seed)
{
	const u32 *w = data;

	BUILD_BUG_ON(sizeof(struct knat_key) != 3 * sizeof(u32));
	return jhash_3words(w[0], w[1], w[2], seed);
}

static inline bool knat_key_differs(const struct knat_key *a, const void *b)
{
	const u32 *x = (const u32 *)a, *y = b;

	return (x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]);
}

static inline int knat_map_in_cmp(struct rhashtable_compare_arg *arg,
				  const void *obj)
{
	return knat_key_differs(&((const struct knat_map *)obj)->in, arg->key);
}

static inline int knat_map_out_cmp(struct rhashtable_compare_arg *arg,
				   const void *obj)
{
	return knat_key_differs(&((const struct knat_map *)obj)->out, arg->key);
}

/* The parameters of table @side (in, out): one definition for all. */
#define KNAT_MAP_PARAMS(side) {						\
	.head_offset = offsetof(struct knat_map, side##_node),		\
	.key_offset = offsetof(struct knat_map, side),			\
	.key_len = sizeof(struct knat_key),				\
	.hashfn = knat_key_hash,					\
	.obj_cmpfn = knat_map_##side##_cmp,				\
	.automatic_shrinking = true,					\
}

/*
 * rhashtable_lookup() on a table of mappings (node and key at @node_off
 * and @key_off), calling the hash and the compare directly: GCC inlines
 * them through rhashtable_params' pointers only in a small function, so
 * in the hot paths they were calls. Under RCU.
 */
static __always_inline struct knat_map *
knat_map_lookup(struct rhashtable *ht, const struct knat_key *key,
		size_t node_off, size_t key_off)
{
	struct rhash_lock_head __rcu *const *bkt;
	struct bucket_table *tbl;
	struct rhash_head *he;
	unsigned int hash;

	tbl = rht_dereference_rcu(ht->tbl, ht);
restart:
	hash = rht_bucket_index(tbl, knat_key_hash(key, sizeof(*key),
						   tbl->hash_rnd));
	bkt = rht_bucket(tbl, hash);
	do {
		rht_for_each_rcu_from(he, rht_ptr_rcu(bkt), tbl, hash) {
			void *m = (void *)he - node_off;

			if (!knat_key_differs(m + key_off, key))
				return m;
		}
		/* Moved to another chain meanwhile (a rehash): again. */
	} while (he != RHT_NULLS_MARKER(bkt));
	/* Ensure we see any new tables. */
	smp_rmb();
	tbl = rht_dereference_rcu(tbl->future_tbl, ht);
	if (unlikely(tbl))
		goto restart;
	return NULL;
}

/* The lookups, inline: for the packets' hot paths. */
static __always_inline struct knat_map *
__knat_map_lookup_in(struct knat_net *kn, const struct knat_key *key)
{
	return knat_map_lookup(&kn->map_in, key,
			       offsetof(struct knat_map, in_node),
			       offsetof(struct knat_map, in));
}

static __always_inline struct knat_map *
__knat_map_lookup_out(struct knat_net *kn, const struct knat_key *key)
{
	return knat_map_lookup(&kn->map_out, key,
			       offsetof(struct knat_map, out_node),
			       offsetof(struct knat_map, out));
}

/* ... and out of line, for the rest. */
struct knat_map *knat_map_lookup_in(struct knat_net *kn,
				    const struct knat_key *key);
struct knat_map *knat_map_lookup_out(struct knat_net *kn,
				     const struct knat_key *key);

/* For packets (GFP_ATOMIC); the control path charges its caller's memcg. */
struct knat_map *knat_map_alloc(void);
struct knat_map *knat_map_alloc_gfp(gfp_t gfp);
/* Frees @m at once: only if no table ever held it. */
void knat_map_free(struct knat_map *m);
/* Frees @m, unlinked, after a grace period: what a failed insert leaves. */
void knat_map_discard(struct knat_map *m);
/*
 * Links @m under both keys. -EEXIST: the outside key is taken (try another
 * port) or, with *existing set, another CPU mapped the inside key first.
 * On any error @m is linked nowhere, but lookups may have met it: free it
 * with knat_map_discard().
 */
int knat_map_insert(struct knat_net *kn, struct knat_map *m,
		    struct knat_map **existing);
/* Unlinks @m, returns its port and frees it after a grace period. */
void knat_map_delete(struct knat_net *kn, struct knat_map *m);

static inline u32 knat_map_timeout(const struct knat_net *kn,
				   const struct knat_map *m)
{
	if (m->in.proto == IPPROTO_TCP &&
	    !knat_map_tcp_established(knat_map_flags(m)))
		return READ_ONCE(kn->cfg.timeout_tcp_trans);
	return READ_ONCE(kn->cfg.timeout[knat_proto_idx(m->in.proto)]);
}

/* A packet of @m went through: its timeout starts again. Every packet. */
static inline void knat_map_refresh(struct knat_net *kn, struct knat_map *m)
{
	u32 expires = (u32)jiffies + knat_map_timeout(kn, m) * HZ;

	/* Skip the store (and the cache line bounce) within a second. */
	if (abs((s32)(expires - READ_ONCE(m->expires))) >= HZ)
		WRITE_ONCE(m->expires, expires);
}

/* A TCP segment of @m with @flags (TCPHDR_*) went through. */
void knat_map_track_tcp(struct knat_map *m, u8 flags, bool outbound);

/* Deletes every mapping for which @doomed says so; under kn->lock. */
void knat_table_reap(struct knat_net *kn,
		     bool (*doomed)(const struct knat_map *m, const void *arg),
		     const void *arg);
bool knat_map_expired(const struct knat_map *m, const void *arg);
/* GC: expires a slice of the table, where the last call stopped. */
void knat_table_expire(struct knat_net *kn);
bool knat_map_dynamic(const struct knat_map *m, const void *arg);
bool knat_map_of_pool(const struct knat_map *m, const void *pool);

int knat_cache_init(void);
void knat_cache_exit(void);

#endif /* _KNAT_TABLE_H */
