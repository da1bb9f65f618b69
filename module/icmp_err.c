// SPDX-License-Identifier: GPL-2.0
/*
 * knat: translating ICMP errors (RFC 5508). An error quotes the packet it
 * is about, as that packet was on the error sender's side of knat; the
 * quote is translated back along with the outer header. The quoted
 * transport checksum is updated only where the quote holds it (RFC 792
 * guarantees 8 bytes: UDP's checksum, not TCP's) and covers no more.
 */
#include <linux/icmp.h>
#include <linux/ip.h>
#include <asm/unaligned.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <kunit/visibility.h>
#include "icmp_err.h"
#include "proto.h"

enum knat_icmp_verdict knat_icmp_err_parse(struct sk_buff *skb,
					   const struct knat_pkt *p,
					   struct knat_icmp_err *e)
{
	const struct knat_proto *kp;
	struct icmphdr _ih;
	struct iphdr _iph;
	const struct icmphdr *ih;
	const struct iphdr *iph;
	u8 _h[8];
	const u8 *h;
	unsigned int len;

	memset(e, 0, sizeof(*e));
	e->off = p->thoff;
	ih = skb_header_pointer(skb, e->off, sizeof(_ih), &_ih);
	if (!ih)
		return KNAT_ICMP_TRUNCATED;
	if (!knat_icmp_is_error(ih->type))
		return KNAT_ICMP_NOT_ERROR;
	e->inner = e->off + sizeof(*ih);
	iph = skb_header_pointer(skb, e->inner, sizeof(_iph), &_iph);
	if (!iph || iph->version != 4 || iph->ihl < 5)
		return KNAT_ICMP_TRUNCATED;
	e->inner_th = e->inner + iph->ihl * 4;
	if (skb->len < e->inner_th + 8)
		return KNAT_ICMP_TRUNCATED;
	/*
	 * RFC 4884: a non-zero length (32-bit words, octet 5 for all three
	 * types) ends the quote where the extension structure begins.
	 */
	len = ((const u8 *)ih)[5] * 4;
	e->quote_end = len ? min(skb->len, e->inner + len) : skb->len;
	if (e->quote_end < e->inner_th + 8)
		return KNAT_ICMP_TRUNCATED;
	if (csum_fold(skb_checksum(skb, e->off, skb->len - e->off, 0)))
		return KNAT_ICMP_BAD_CHECKSUM;
	if (iph->frag_off & htons(IP_OFFSET))
		return KNAT_ICMP_UNTRANSLATABLE;

	e->isrc.addr = iph->saddr;
	e->idst.addr = iph->daddr;
	e->isrc.proto = iph->protocol;
	e->idst.proto = iph->protocol;
	kp = knat_proto_of(iph->protocol);
	if (!kp->ports) {
		e->isrc.raddr = iph->daddr;
		e->idst.raddr = iph->saddr;
		return KNAT_ICMP_OK;
	}
	/* Ports (and an ICMP query's identifier) are in the 8 bytes quoted. */
	h = skb_header_pointer(skb, e->inner_th, sizeof(_h), _h);
	/* Never an error about an error. */
	if (kp->queries_only && !knat_icmp_is_query(h[0]))
		return KNAT_ICMP_UNTRANSLATABLE;
	e->isrc.port = get_unaligned((const __be16 *)(h + kp->sport));
	e->idst.port = get_unaligned((const __be16 *)(h + kp->dport));
	return KNAT_ICMP_OK;
}
EXPORT_SYMBOL_IF_KUNIT(knat_icmp_err_parse);

/*
 * The quoted transport checksum, if the quote holds it, it is in use, and
 * it covers no more than the quote (not SCTP's).
 */
static __sum16 *inner_check(struct sk_buff *skb, const struct knat_icmp_err *e,
			    const struct knat_proto *kp)
{
	unsigned int at = e->inner_th + kp->check;
	__sum16 *check;

	if (kp->csum == KNAT_CSUM_NONE || kp->csum == KNAT_CSUM_CRC32C ||
	    at + sizeof(*check) > e->quote_end)
		return NULL;
	check = (__sum16 *)(skb->data + at);
	/* A zero UDP checksum means "none" and stays zero. */
	if (kp->csum == KNAT_CSUM_INET_OPT && !*check)
		return NULL;
	return check;
}

int knat_icmp_err_xlate(struct sk_buff *skb, const struct knat_icmp_err *e,
			enum knat_side side, const struct knat_key *to,
			__be32 outer)
{
	const struct knat_proto *kp = knat_proto_of(e->isrc.proto);
	struct icmphdr *ih;
	struct iphdr *iph, *inner;
	__be32 *addrp, *outerp;
	__be16 *portp;
	__sum16 *check;

	if (skb_ensure_writable(skb, e->quote_end))
		return -ENOMEM;
	iph = ip_hdr(skb);
	inner = (struct iphdr *)(skb->data + e->inner);
	addrp = side == KNAT_SRC ? &inner->saddr : &inner->daddr;
	if (kp->ports) {
		portp = (__be16 *)(skb->data + e->inner_th +
				   (side == KNAT_SRC ? kp->sport : kp->dport));
		check = inner_check(skb, e, kp);
		if (check) {
			if (kp->csum != KNAT_CSUM_ICMP)
				csum_replace4(check, *addrp, to->addr);
			csum_replace2(check, *portp, to->port);
			if (kp->mangle_zero && !*check)
				*check = CSUM_MANGLED_0;
		}
		*portp = to->port;
	}
	csum_replace4(&inner->check, *addrp, to->addr);
	*addrp = to->addr;

	if (outer) {
		/* Quoted source is the error's destination, and vice versa. */
		outerp = side == KNAT_SRC ? &iph->daddr : &iph->saddr;
		csum_replace4(&iph->check, *outerp, outer);
		*outerp = outer;
	}

	ih = (struct icmphdr *)(skb->data + e->off);
	ih->checksum = 0;
	ih->checksum = csum_fold(skb_checksum(skb, e->off, skb->len - e->off, 0));
	/* A device checksum of the old bytes would now be wrong. */
	skb->ip_summed = CHECKSUM_NONE;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(knat_icmp_err_xlate);
