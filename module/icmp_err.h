/* SPDX-License-Identifier: GPL-2.0 */
/* knat: ICMP errors and the packet they quote (RFC 5508). */
#ifndef _KNAT_ICMP_ERR_H
#define _KNAT_ICMP_ERR_H

#include <linux/skbuff.h>
#include "knat.h"
#include "xlate.h"

/*
 * An ICMP error (destination unreachable, time exceeded, parameter
 * problem) and the endpoints of the datagram it quotes. Offsets are from
 * skb->data.
 */
struct knat_icmp_err {
	unsigned int off;		/* the ICMP header */
	unsigned int inner;		/* the quoted IPv4 header */
	unsigned int inner_th;		/* the quoted transport header */
	unsigned int quote_end;		/* end of the quoted datagram (RFC 4884) */
	struct knat_key isrc;		/* the quoted packet's source ... */
	struct knat_key idst;		/* ... and destination */
};

/* Why an ICMP message is not a translatable error; each has a counter. */
enum knat_icmp_verdict {
	KNAT_ICMP_OK,
	KNAT_ICMP_NOT_ERROR,		/* a query, or a type knat leaves alone */
	KNAT_ICMP_TRUNCATED,		/* shorter than IP header + 8 bytes quoted */
	KNAT_ICMP_BAD_CHECKSUM,
	KNAT_ICMP_UNTRANSLATABLE,	/* quotes an error or a fragment */
};

static inline bool knat_icmp_is_error(u8 type)
{
	return type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED ||
	       type == ICMP_PARAMETERPROB;
}

/* Parses the ICMP message at @p->thoff; verifies its checksum. */
enum knat_icmp_verdict knat_icmp_err_parse(struct sk_buff *skb,
					   const struct knat_pkt *p,
					   struct knat_icmp_err *e);

/*
 * Rewrites the quoted packet's @side endpoint to @to (address and port or
 * query identifier, with the quoted IP and transport checksums) and, when
 * @outer is not 0, the outer header's opposite side address to @outer.
 * The ICMP checksum is computed afresh: it was verified by the parse.
 */
int knat_icmp_err_xlate(struct sk_buff *skb, const struct knat_icmp_err *e,
			enum knat_side side, const struct knat_key *to,
			__be32 outer);

#endif /* _KNAT_ICMP_ERR_H */
