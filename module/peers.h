/* SPDX-License-Identifier: GPL-2.0 */
/* knat: the peers a mapping contacted, exactly (peers.c). */
#ifndef _KNAT_PEERS_H
#define _KNAT_PEERS_H

#include <linux/compiler.h>
#include <linux/types.h>
#include "table.h"

/* The last peers a set remembers; older ones are forgotten. */
#define KNAT_PEERS_MAX	29

/* A peer as a set holds it: address << 16 | port. */
static inline u64 knat_peer_key(__be32 addr, __be16 port)
{
	return (u64)(__force u32)addr << 16 | (__force u16)port;
}

static inline bool knat_peer_matches(u64 ent, u64 key, bool by_port)
{
	return by_port ? ent == key : (ent >> 16) == (key >> 16);
}

/* Out of line: @v is knat_map.peers, a set (bit 0 clear). */
bool knat_peers_set_has(unsigned long v, u64 key, bool by_port);
/* Under RCU, any context: @m has not met the peer. */
void knat_peers_add(struct knat_map *m, __be32 addr, __be16 port);

/*
 * Under RCU. @by_port: the port must match too (APDF), not only the
 * address. Inline: most mappings have one peer, kept in the word itself
 * (bit 0 set), and every packet asks.
 */
static inline bool knat_peers_has(const struct knat_map *m, __be32 addr,
				  __be16 port, bool by_port)
{
	unsigned long v = READ_ONCE(m->peers);	/* dependency-ordered */
	u64 key = knat_peer_key(addr, port);

	if (!v)
		return false;
	if (v & 1)
		return knat_peer_matches((u64)v >> 1, key, by_port);
	return knat_peers_set_has(v, key, by_port);
}

/* Under RCU, any context. */
static inline void knat_peers_note(struct knat_map *m, __be32 addr,
				   __be16 port)
{
	if (!knat_peers_has(m, addr, port, true))
		knat_peers_add(m, addr, port);
}

/* @m sent to @addr:@port from inside: filtering lets its replies in. */
static inline void knat_map_note_peer(struct knat_net *kn, struct knat_map *m,
				      __be32 addr, __be16 port)
{
	/*
	 * Forwards are never filtered, nor anything under EIF: no memory
	 * for peers there (a filtering change applies from a mapping's next
	 * outbound packet). A mapping without ports is its remote's alone.
	 */
	if (!m->block || knat_key_addr_only(&m->in) ||
	    READ_ONCE(kn->cfg.filtering) == KNAT_FILTER_EIF)
		return;
	knat_peers_note(m, addr, port);
}

/* May @addr:@port send to @m from outside (RFC 4787 section 5)? */
static inline bool knat_map_peer_allowed(struct knat_net *kn,
					 const struct knat_map *m,
					 __be32 addr, __be16 port)
{
	/* Found by its remote: no one else's packet finds it. */
	if (knat_key_addr_only(&m->in))
		return true;
	switch (READ_ONCE(kn->cfg.filtering)) {
	case KNAT_FILTER_EIF:
		return true;
	case KNAT_FILTER_ADF:
		return knat_peers_has(m, addr, port, false);
	default:
		return knat_peers_has(m, addr, port, true);
	}
}

/* @m is unreachable. */
void knat_peers_free(struct knat_map *m);
void knat_peers_init(void);

#endif /* _KNAT_PEERS_H */
