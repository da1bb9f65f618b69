/* SPDX-License-Identifier: GPL-2.0 */
/* knat: rewriting packet headers. */
#ifndef _KNAT_XLATE_H
#define _KNAT_XLATE_H

#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/skbuff.h>
#include <asm/unaligned.h>
#include <net/checksum.h>
#include <net/ip.h>
#include "knat.h"
#include "proto.h"

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

/* The ports (identifier) and TCP flags of @p, from its header @h. */
static __always_inline int knat_parse_ports(struct knat_pkt *p, const u8 *h)
{
	const struct knat_proto *kp = p->kp;

	p->src.port = get_unaligned((const __be16 *)(h + kp->sport));
	p->dst.port = get_unaligned((const __be16 *)(h + kp->dport));
	/* Data, not a call: no indirect branch per packet. */
	if (kp->queries_only && !knat_icmp_is_query(h[0]))
		return -EPROTONOSUPPORT;
	if (kp->flags_at)
		p->tcp_flags = h[kp->flags_at];
	return 0;
}

int knat_parse_ports_copied(const struct sk_buff *skb, struct knat_pkt *p);

/*
 * Fills @p from @skb (skb->data at the IPv4 header). Returns 0 for what
 * knat translates (a protocol with ports, an ICMP query, one without
 * ports), -EPROTONOSUPPORT for ICMP other than queries, -EINVAL for a
 * transport header cut short. Inline for the two hot paths (knat's
 * postrouting hook and its fast path); knat_pkt_parse() for the rest.
 */
static __always_inline int __knat_pkt_parse(struct sk_buff *skb,
					    struct knat_pkt *p)
{
	const struct iphdr *iph = ip_hdr(skb);
	const struct knat_proto *kp = knat_proto_of(iph->protocol);

	/* Every field: no memset a packet. */
	p->kp = kp;
	p->thoff = skb_network_offset(skb) + iph->ihl * 4;
	p->src = (struct knat_key){ .addr = iph->saddr, .proto = iph->protocol };
	p->dst = (struct knat_key){ .addr = iph->daddr, .proto = iph->protocol };
	p->tcp_flags = 0;
	p->fragment = ip_is_fragment(iph);

	if (!kp->ports) {
		/* Each side's key names the other side's address. */
		p->src.raddr = iph->daddr;
		p->dst.raddr = iph->saddr;
		return 0;
	}
	/* As skb_header_pointer() judges it. */
	if (likely((int)skb_headlen(skb) - (int)p->thoff >= kp->hdrlen))
		return knat_parse_ports(p, skb->data + p->thoff);
	return knat_parse_ports_copied(skb, p);
}

int knat_pkt_parse(struct sk_buff *skb, struct knat_pkt *p);

/*
 * skb_ensure_writable(), its common case (the bytes in the linear part,
 * the skb not cloned) without the call.
 */
static inline int knat_make_writable(struct sk_buff *skb, unsigned int len)
{
	if (likely(len <= skb_headlen(skb) && !skb_cloned(skb)))
		return 0;
	return skb_ensure_writable(skb, len);
}

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

/*
 * inet_proto_csum_replace4() for the address (in the pseudo-header) and
 * inet_proto_csum_replace2() for the port, in one: the sum is folded
 * once, and no call is made. The device's sum (CHECKSUM_COMPLETE) covers
 * the port and the checksum field, whose changes cancel: only the
 * address's change is its. A sum yet to be made (CHECKSUM_PARTIAL) holds
 * the pseudo-header's alone.
 */
static __always_inline void knat_l4_csum_replace(__sum16 *sum,
						 struct sk_buff *skb,
						 __be32 from, __be32 to,
						 __be16 pfrom, __be16 pto)
{
	__wsum addr = csum_add(~(__force __wsum)from, (__force __wsum)to);

	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		*sum = ~csum_fold(csum_add(csum_unfold(*sum), addr));
		return;
	}
	*sum = csum_fold(csum_add(csum_add(~csum_unfold(*sum), addr),
				  csum_add(~(__force __wsum)(__force u32)pfrom,
					   (__force __wsum)(__force u32)pto)));
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->csum = ~csum_add(~skb->csum, addr);
}

/* knat_xlate(), inline for the hot paths. */
static __always_inline int __knat_xlate(struct sk_buff *skb,
					const struct knat_pkt *p,
					enum knat_side side,
					const struct knat_key *to)
{
	const struct knat_proto *kp = p->kp;
	unsigned int at = side == KNAT_SRC ? kp->sport : kp->dport;
	__sum16 *check;
	__be16 *portp;
	__be32 *addrp;
	struct iphdr *iph;
	u8 *th;

	/* Also un-clones the skb (tcpdump on the router) before we write. */
	if (knat_make_writable(skb, p->thoff + kp->hdrlen))
		return -ENOMEM;
	iph = ip_hdr(skb);
	addrp = side == KNAT_SRC ? &iph->saddr : &iph->daddr;
	if (kp->ports) {
		th = skb->data + p->thoff;
		portp = (__be16 *)(th + at);
		check = (__sum16 *)(th + kp->check);
		switch (kp->csum) {
		case KNAT_CSUM_INET_OPT:
			/* A zero UDP checksum means "none" and stays zero. */
			if (!*check && skb->ip_summed != CHECKSUM_PARTIAL)
				break;
			fallthrough;
		case KNAT_CSUM_INET:
			knat_l4_csum_replace(check, skb, *addrp, to->addr,
					     *portp, to->port);
			if (kp->mangle_zero && !*check)
				*check = CSUM_MANGLED_0;
			break;
		case KNAT_CSUM_ICMP:
			inet_proto_csum_replace2(check, skb, *portp, to->port,
						 false);
			break;
		case KNAT_CSUM_CRC32C:
			knat_crc32c_replace2(skb, (__le32 *)check, at,
					     skb_network_offset(skb) +
					     ntohs(iph->tot_len) - p->thoff,
					     *portp, to->port);
			/* The device's sum was of the old bytes. */
			if (skb->ip_summed == CHECKSUM_COMPLETE)
				skb->ip_summed = CHECKSUM_NONE;
			break;
		}
		*portp = to->port;
	}
	csum_replace4(&iph->check, *addrp, to->addr);
	*addrp = to->addr;
	return 0;
}

#endif /* _KNAT_XLATE_H */
