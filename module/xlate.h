/* SPDX-License-Identifier: GPL-2.0 */
/* knat: rewriting packet headers. */
#ifndef _KNAT_XLATE_H
#define _KNAT_XLATE_H

#include <linux/icmp.h>
#include <linux/skbuff.h>
#include "knat.h"

/* The endpoints of an IPv4 packet as knat sees them. */
struct knat_pkt {
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
 * Fills @p from @skb (skb->data at the IPv4 header). Returns 0 for TCP,
 * UDP and ICMP echo/timestamp queries, -EPROTONOSUPPORT for what knat does
 * not translate, -EINVAL for truncated headers.
 */
int knat_pkt_parse(struct sk_buff *skb, struct knat_pkt *p);

/*
 * Rewrites the @side endpoint of @skb to @to (address and port or query
 * identifier), updating the IPv4 and transport checksums incrementally.
 */
int knat_xlate(struct sk_buff *skb, const struct knat_pkt *p,
	       enum knat_side side, const struct knat_key *to);

#endif /* _KNAT_XLATE_H */
