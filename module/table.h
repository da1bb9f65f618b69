/* SPDX-License-Identifier: GPL-2.0 */
/* knat: the mapping table, keyed both ways. */
#ifndef _KNAT_TABLE_H
#define _KNAT_TABLE_H

#include <linux/rhashtable.h>
#include "knat.h"

struct knat_block;

/* Bits of knat_map.flags. */
enum {
	KNAT_MAP_DEAD,		/* unlinked or being unlinked */
	KNAT_MAP_SYN_OUT,	/* TCP: SYN seen from inside */
	KNAT_MAP_SYN_IN,	/* TCP: SYN seen from outside */
	KNAT_MAP_FIN_OUT,
	KNAT_MAP_FIN_IN,
	KNAT_MAP_RST,
};

/*
 * One NAT mapping (RFC 4787 "mapping"): an inside endpoint and the outside
 * endpoint it is known by. Endpoint-independent: the peers it talked to are
 * only remembered, lossily, for filtering. 88 bytes in its own slab cache.
 */
struct knat_map {
	struct rhash_head in_node;
	struct rhash_head out_node;
	struct knat_key in;
	struct knat_key out;
	unsigned long expires;		/* jiffies */
	unsigned long flags;
	struct knat_block *block;	/* holder of out.port */
	/*
	 * Peers seen from inside, as two 64-bit Bloom filters (address, and
	 * address + port): filtering never refuses a peer the inside host
	 * contacted; with many peers it lets a few more in.
	 */
	u64 peers_addr;
	u64 peers_addr_port;
	struct rcu_head rcu;
};

int knat_table_init(struct knat_net *kn);
void knat_table_exit(struct knat_net *kn);

struct knat_map *knat_map_lookup_in(struct knat_net *kn,
				    const struct knat_key *key);
struct knat_map *knat_map_lookup_out(struct knat_net *kn,
				     const struct knat_key *key);

struct knat_map *knat_map_alloc(void);
void knat_map_free(struct knat_map *m);
/*
 * Links @m under both keys. -EEXIST: the outside key is taken (try another
 * port) or, with *existing set, another CPU mapped the inside key first.
 */
int knat_map_insert(struct knat_net *kn, struct knat_map *m,
		    struct knat_map **existing);
/* Unlinks @m, returns its port and frees it after a grace period. */
void knat_map_delete(struct knat_net *kn, struct knat_map *m);

void knat_map_refresh(struct knat_net *kn, struct knat_map *m);
void knat_map_note_peer(struct knat_net *kn, struct knat_map *m,
			__be32 addr, __be16 port);
bool knat_map_peer_allowed(struct knat_net *kn, const struct knat_map *m,
			   __be32 addr, __be16 port);

/* Deletes every mapping for which @doomed says so; under kn->lock. */
void knat_table_reap(struct knat_net *kn,
		     bool (*doomed)(const struct knat_map *m, const void *arg),
		     const void *arg);
bool knat_map_expired(const struct knat_map *m, const void *arg);
bool knat_map_dynamic(const struct knat_map *m, const void *arg);
bool knat_map_of_pool(const struct knat_map *m, const void *pool);

int knat_cache_init(void);
void knat_cache_exit(void);

#endif /* _KNAT_TABLE_H */
