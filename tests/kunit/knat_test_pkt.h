/* SPDX-License-Identifier: GPL-2.0 */
/* KUnit helpers shared by the packet suites: transport headers, checksums. */
#ifndef _KNAT_TEST_PKT_H
#define _KNAT_TEST_PKT_H

#include <linux/crc32.h>
#include <linux/dccp.h>
#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/sctp.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <asm/unaligned.h>

static inline unsigned int knat_test_l4_hdrlen(u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return sizeof(struct tcphdr);
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		return sizeof(struct udphdr);
	case IPPROTO_ICMP:
		return sizeof(struct icmphdr);
	case IPPROTO_SCTP:
		return sizeof(struct sctphdr);
	case IPPROTO_DCCP:
		return sizeof(struct dccp_hdr);
	}
	return 8;	/* GRE and the rest: 8 bytes of their own */
}

/* SCTP's CRC32c over @off..end, its own field taken as zero. */
static inline __le32 knat_test_sctp_crc(struct sk_buff *skb, unsigned int off)
{
	static const u8 zero[4];
	unsigned int at = off, n;
	u8 buf[64];
	u32 crc = ~0;

	crc = __crc32c_le(crc, skb_header_pointer(skb, at, 8, buf), 8);
	crc = __crc32c_le(crc, zero, 4);
	for (at = off + 12; at < skb->len; at += n) {
		n = min_t(unsigned int, sizeof(buf), skb->len - at);
		crc = __crc32c_le(crc, skb_header_pointer(skb, at, n, buf), n);
	}
	return cpu_to_le32(~crc);
}

/* How many bytes the UDP-Lite or DCCP checksum covers (RFC 3828, 4340). */
static inline unsigned int knat_test_coverage(struct sk_buff *skb,
					      unsigned int off, u8 proto)
{
	unsigned int len = skb->len - off, cov;
	u8 h[8];

	skb_copy_bits(skb, off, h, sizeof(h));
	if (proto == IPPROTO_UDPLITE)
		cov = get_unaligned_be16(h + 4);
	else if (proto == IPPROTO_DCCP)
		cov = h[5] & 15 ? h[4] * 4 + ((h[5] & 15) - 1) * 4 : 0;
	else
		cov = 0;
	return cov ? min(cov, len) : len;
}

/*
 * The transport (or ICMP) checksum of @skb folded over @off..end, with the
 * pseudo-header from the IP header at skb->data: 0 when it verifies. For
 * SCTP, 0 when its CRC32c does; for UDP-Lite and DCCP, over what their
 * checksum covers.
 */
static inline u16 knat_test_l4_fold(struct sk_buff *skb, unsigned int off,
				    u8 proto)
{
	const struct iphdr *iph = ip_hdr(skb);
	unsigned int len = skb->len - off;
	__wsum sum;
	__le32 crc;

	if (proto == IPPROTO_SCTP) {
		skb_copy_bits(skb, off + offsetof(struct sctphdr, checksum),
			      &crc, sizeof(crc));
		return crc != knat_test_sctp_crc(skb, off);
	}
	sum = skb_checksum(skb, off, knat_test_coverage(skb, off, proto), 0);
	if (proto == IPPROTO_ICMP)
		return (__force u16)csum_fold(sum);
	return (__force u16)csum_tcpudp_magic(iph->saddr, iph->daddr, len,
					      proto, sum);
}

#endif /* _KNAT_TEST_PKT_H */
