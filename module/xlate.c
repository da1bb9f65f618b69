// SPDX-License-Identifier: GPL-2.0
/*
 * knat: parsing and rewriting IPv4 TCP, UDP and ICMP query headers.
 * Checksums are updated incrementally, which keeps a wrong checksum wrong
 * and works for CHECKSUM_PARTIAL (GSO, local) and CHECKSUM_COMPLETE alike.
 */
#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <kunit/visibility.h>
#include "xlate.h"

int knat_pkt_parse(struct sk_buff *skb, struct knat_pkt *p)
{
	const struct iphdr *iph = ip_hdr(skb);
	union {
		struct tcphdr tcp;
		struct udphdr udp;
		struct icmphdr icmp;
	} _h;
	const void *h;

	memset(p, 0, sizeof(*p));
	p->thoff = skb_network_offset(skb) + iph->ihl * 4;
	p->src.addr = iph->saddr;
	p->dst.addr = iph->daddr;
	p->src.proto = iph->protocol;
	p->dst.proto = iph->protocol;
	p->fragment = ip_is_fragment(iph);

	switch (iph->protocol) {
	case IPPROTO_TCP:
		h = skb_header_pointer(skb, p->thoff, sizeof(_h.tcp), &_h);
		if (!h)
			return -EINVAL;
		p->src.port = ((const struct tcphdr *)h)->source;
		p->dst.port = ((const struct tcphdr *)h)->dest;
		p->tcp_flags = ((const u8 *)h)[13];	/* CWR..FIN, as TCPHDR_* */
		return 0;
	case IPPROTO_UDP:
		h = skb_header_pointer(skb, p->thoff, sizeof(_h.udp), &_h);
		if (!h)
			return -EINVAL;
		p->src.port = ((const struct udphdr *)h)->source;
		p->dst.port = ((const struct udphdr *)h)->dest;
		return 0;
	case IPPROTO_ICMP:
		h = skb_header_pointer(skb, p->thoff, sizeof(_h.icmp), &_h);
		if (!h)
			return -EINVAL;
		if (!knat_icmp_is_query(((const struct icmphdr *)h)->type))
			return -EPROTONOSUPPORT;
		/* A query's identifier plays the port on both sides. */
		p->src.port = ((const struct icmphdr *)h)->un.echo.id;
		p->dst.port = p->src.port;
		return 0;
	}
	return -EPROTONOSUPPORT;
}
EXPORT_SYMBOL_IF_KUNIT(knat_pkt_parse);

int knat_xlate(struct sk_buff *skb, const struct knat_pkt *p,
	       enum knat_side side, const struct knat_key *to)
{
	unsigned int l4len;
	__sum16 *check = NULL;
	__be16 *portp;
	__be32 *addrp;
	struct iphdr *iph;
	void *th;
	bool pseudo = true;

	switch (p->src.proto) {
	case IPPROTO_TCP:
		l4len = sizeof(struct tcphdr);
		break;
	case IPPROTO_UDP:
		l4len = sizeof(struct udphdr);
		break;
	default:
		l4len = sizeof(struct icmphdr);
		break;
	}
	/* Also un-clones the skb (tcpdump on the router) before we write. */
	if (skb_ensure_writable(skb, p->thoff + l4len))
		return -ENOMEM;
	iph = ip_hdr(skb);
	th = skb->data + p->thoff;

	switch (p->src.proto) {
	case IPPROTO_TCP: {
		struct tcphdr *tcph = th;

		portp = side == KNAT_SRC ? &tcph->source : &tcph->dest;
		check = &tcph->check;
		break;
	}
	case IPPROTO_UDP: {
		struct udphdr *udph = th;

		portp = side == KNAT_SRC ? &udph->source : &udph->dest;
		/* A zero UDP checksum means "none" and stays zero. */
		if (udph->check || skb->ip_summed == CHECKSUM_PARTIAL)
			check = &udph->check;
		break;
	}
	default: {
		struct icmphdr *icmph = th;

		portp = &icmph->un.echo.id;
		check = &icmph->checksum;
		pseudo = false;		/* ICMP has no pseudo-header */
		break;
	}
	}

	addrp = side == KNAT_SRC ? &iph->saddr : &iph->daddr;
	if (check) {
		if (pseudo)
			inet_proto_csum_replace4(check, skb, *addrp, to->addr,
						 true);
		inet_proto_csum_replace2(check, skb, *portp, to->port, false);
		if (p->src.proto == IPPROTO_UDP && !*check)
			*check = CSUM_MANGLED_0;
	}
	*portp = to->port;
	csum_replace4(&iph->check, *addrp, to->addr);
	*addrp = to->addr;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(knat_xlate);
