/* SPDX-License-Identifier: GPL-2.0 */
/*
 * knat: what it knows of each IP protocol, in one table (proto.c). Parsing,
 * keys, rewriting and checksums read it rather than switch on the protocol.
 */
#ifndef _KNAT_PROTO_H
#define _KNAT_PROTO_H

#include <linux/types.h>
#include "knat.h"

/* The transport checksum that a rewrite of address or ports must keep. */
enum knat_csum {
	KNAT_CSUM_NONE,		/* none covers them (GRE's, ESP's ICV) */
	KNAT_CSUM_INET,		/* Internet checksum with the pseudo-header */
	KNAT_CSUM_INET_OPT,	/* ... zero meaning none (UDP) */
	KNAT_CSUM_ICMP,		/* Internet checksum, no pseudo-header */
	KNAT_CSUM_CRC32C,	/* SCTP: CRC32c of the whole packet */
};

/* The longest hdrlen of the table (TCP's); proto.c checks each. */
#define KNAT_PROTO_HDRLEN_MAX	20

struct knat_proto {
	u8 idx;			/* enum knat_proto_idx */
	u8 hdrlen;		/* bytes read and made writable: ports, checksum */
	u8 sport, dport;	/* port offsets (ICMP query: the identifier's) */
	u8 check;		/* checksum offset, if csum is not NONE */
	u8 csum;		/* enum knat_csum */
	bool ports;		/* false: mapped by address, per remote */
	bool mangle_zero;	/* a zero result is sent as 0xffff */
	bool unmapped;		/* never mapped dynamically (AH: its ICV covers addresses) */
	bool queries_only;	/* ICMP: only queries (first byte the type) are mapped */
	u8 flags_at;		/* TCP: offset of the flags byte (state tracking), else 0 */
};

extern const struct knat_proto *knat_protos[256];
extern const struct knat_proto knat_proto_other;

void knat_protos_init(void);

static inline const struct knat_proto *knat_proto_of(u8 proto)
{
	return knat_protos[proto];
}

static inline int knat_proto_idx(u8 proto)
{
	return knat_proto_of(proto)->idx;
}

/* A key of a mapping without ports (its remote address is in it). */
static inline bool knat_key_addr_only(const struct knat_key *k)
{
	return !knat_proto_of(k->proto)->ports;
}

#endif /* _KNAT_PROTO_H */
