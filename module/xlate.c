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

/*
 * A transport header beyond the linear part, copied out first: apart,
 * so that the common case has no buffer on its stack (nor its canary).
 */
noinline int knat_parse_ports_copied(const struct sk_buff *skb,
				     struct knat_pkt *p)
{
	u8 h[KNAT_PROTO_HDRLEN_MAX];

	if (skb_copy_bits(skb, p->thoff, h, p->kp->hdrlen))
		return -EINVAL;
	return knat_parse_ports(p, h);
}
EXPORT_SYMBOL_IF_KUNIT(knat_parse_ports_copied);

int knat_pkt_parse(struct sk_buff *skb, struct knat_pkt *p)
{
	return __knat_pkt_parse(skb, p);
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

/*
 * inet_proto_csum_replace4() for the address (in the pseudo-header) and
 * inet_proto_csum_replace2() for the port, in one: the sum is folded
 * once, and no call is made. The device's sum (CHECKSUM_COMPLETE) covers
 * the port and the checksum field, whose changes cancel: only the
 * address's change is its. A sum yet to be made (CHECKSUM_PARTIAL) holds
 * the pseudo-header's alone.
 */
static __always_inline void l4_csum_replace(__sum16 *sum, struct sk_buff *skb,
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
			l4_csum_replace(check, skb, *addrp, to->addr, *portp,
					to->port);
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
EXPORT_SYMBOL_IF_KUNIT(knat_xlate);
