/* SPDX-License-Identifier: GPL-2.0 */
/* knat: the peers a mapping contacted, exactly (peers.c). */
#ifndef _KNAT_PEERS_H
#define _KNAT_PEERS_H

#include <linux/types.h>

struct knat_map;

/* The last peers a set remembers; older ones are forgotten. */
#define KNAT_PEERS_MAX	29

/* Under RCU. @by_port: the port must match too (APDF), not only the address. */
bool knat_peers_has(const struct knat_map *m, __be32 addr, __be16 port,
		    bool by_port);
/* Under RCU, any context. */
void knat_peers_note(struct knat_map *m, __be32 addr, __be16 port);
/* @m is unreachable. */
void knat_peers_free(struct knat_map *m);
void knat_peers_init(void);

#endif /* _KNAT_PEERS_H */
