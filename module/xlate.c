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

int knat_xlate(struct sk_buff *skb, const struct knat_pkt *p,
	       enum knat_side side, const struct knat_key *to)
{
	return __knat_xlate(skb, p, side, to);
}
EXPORT_SYMBOL_IF_KUNIT(knat_xlate);
