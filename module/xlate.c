// SPDX-License-Identifier: GPL-2.0
/*
 * knat: parsing and rewriting IPv4 transport headers, as the protocol
 * table (proto.c) describes them. Checksums are updated incrementally,
 * which keeps a wrong checksum wrong and works for CHECKSUM_PARTIAL (GSO,
 * local) and CHECKSUM_COMPLETE alike.
 */
#include <linux/crc32.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <asm/unaligned.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <kunit/visibility.h>
#include "proto.h"
#include "xlate.h"

/* The ports (identifier) and TCP flags of @p, from its header @h. */
static __always_inline int parse_ports(struct knat_pkt *p, const u8 *h)
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

/*
 * A transport header beyond the linear part, copied out first: apart,
 * so that the common case has no buffer on its stack (nor its canary).
 */
static noinline int parse_ports_copied(const struct sk_buff *skb,
				       struct knat_pkt *p)
{
	u8 h[KNAT_PROTO_HDRLEN_MAX];

	if (skb_copy_bits(skb, p->thoff, h, p->kp->hdrlen))
		return -EINVAL;
	return parse_ports(p, h);
}

int knat_pkt_parse(struct sk_buff *skb, struct knat_pkt *p)
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
		return parse_ports(p, skb->data + p->thoff);
	return parse_ports_copied(skb, p);
}
EXPORT_SYMBOL_IF_KUNIT(knat_pkt_parse);

/*
 * SCTP's CRC32c covers the whole packet, so it is updated, not computed
 * again: CRC32c is linear, and the CRC of a packet with two bytes changed
 * is the old one xor the CRC register of the change alone, shifted over
 * the bytes that follow it. A few dozen operations, whatever the length,
 * and a corrupt packet stays corrupt. Unless the CRC is yet to be made
 * (CHECKSUM_PARTIAL, or per segment of a GSO packet).
 */
void knat_crc32c_replace2(struct sk_buff *skb, __le32 *crc, unsigned int at,
			  unsigned int len, __be16 from, __be16 to)
{
	__be16 d = from ^ to;
	u32 reg;

	if (skb->ip_summed == CHECKSUM_PARTIAL || skb_is_gso(skb) ||
	    len < at + sizeof(d))
		return;
	reg = __crc32c_le(0, (const u8 *)&d, sizeof(d));
	*crc ^= cpu_to_le32(__crc32c_le_shift(reg, len - at - sizeof(d)));
}
EXPORT_SYMBOL_IF_KUNIT(knat_crc32c_replace2);

int knat_xlate(struct sk_buff *skb, const struct knat_pkt *p,
	       enum knat_side side, const struct knat_key *to)
{
	const struct knat_proto *kp = p->kp;
	unsigned int at = side == KNAT_SRC ? kp->sport : kp->dport;
	__sum16 *check;
	__be16 *portp;
	__be32 *addrp;
	struct iphdr *iph;
	u8 *th;

	/* Also un-clones the skb (tcpdump on the router) before we write. */
	if (skb_ensure_writable(skb, p->thoff + kp->hdrlen))
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
			inet_proto_csum_replace4(check, skb, *addrp, to->addr,
						 true);
			fallthrough;
		case KNAT_CSUM_ICMP:
			inet_proto_csum_replace2(check, skb, *portp, to->port,
						 false);
			if (kp->mangle_zero && !*check)
				*check = CSUM_MANGLED_0;
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
EXPORT_SYMBOL_IF_KUNIT(knat_xlate);
