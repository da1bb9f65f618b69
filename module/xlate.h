/* SPDX-License-Identifier: GPL-2.0 */
/* knat: rewriting packet headers. */
#ifndef _KNAT_XLATE_H
#define _KNAT_XLATE_H

#include <linux/icmp.h>
#include <linux/skbuff.h>
#include "knat.h"

struct knat_proto;

/* The endpoints of an IPv4 packet as knat sees them. */
struct knat_pkt {
	const struct knat_proto *kp;	/* its protocol's entry (proto.c) */
	struct knat_key src;
	struct knat_key dst;
	unsigned int thoff;	/* transport header offset from skb->data */
	u8 tcp_flags;
	bool fragment;
};

/* ICMP queries carry an identifier knat maps like a port. */
static inline bool knat_icmp_is_query(u8 type)
{
	return type == ICMP_ECHO || type == ICMP_ECHOREPLY ||
	       type == ICMP_TIMESTAMP || type == ICMP_TIMESTAMPREPLY;
}

enum knat_side {
	KNAT_SRC,
	KNAT_DST,
};

/*
 * Fills @p from @skb (skb->data at the IPv4 header). Returns 0 for what
 * knat translates (a protocol with ports, an ICMP query, one without
 * ports), -EPROTONOSUPPORT for ICMP other than queries, -EINVAL for a
 * transport header cut short.
 */
int knat_pkt_parse(struct sk_buff *skb, struct knat_pkt *p);

/*
 * Rewrites the @side endpoint of @skb to @to (address and port or query
 * identifier), updating the IPv4 and transport checksums incrementally.
 */
int knat_xlate(struct sk_buff *skb, const struct knat_pkt *p,
	       enum knat_side side, const struct knat_key *to);

/*
 * Updates SCTP's CRC32c *@crc for the 16 bits at @at of a packet of @len
 * bytes (from its SCTP header) going from @from to @to.
 */
void knat_crc32c_replace2(struct sk_buff *skb, __le32 *crc, unsigned int at,
			  unsigned int len, __be16 from, __be16 to);

#endif /* _KNAT_XLATE_H */
