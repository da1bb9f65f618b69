/* SPDX-License-Identifier: GPL-2.0 */
/* KUnit helpers shared by the packet suites: transport headers, checksums. */
#ifndef _KNAT_TEST_PKT_H
#define _KNAT_TEST_PKT_H

#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>

static inline unsigned int knat_test_l4_hdrlen(u8 proto)
{
	return proto == IPPROTO_TCP ? sizeof(struct tcphdr) :
	       proto == IPPROTO_UDP ? sizeof(struct udphdr) :
	       sizeof(struct icmphdr);
}

/*
 * The transport (or ICMP) checksum of @skb folded over @off..end, with the
 * pseudo-header from the IP header at skb->data: 0 when it verifies.
 */
static inline u16 knat_test_l4_fold(struct sk_buff *skb, unsigned int off,
				    u8 proto)
{
	const struct iphdr *iph = ip_hdr(skb);
	unsigned int len = skb->len - off;
	__wsum sum = skb_checksum(skb, off, len, 0);

	if (proto == IPPROTO_ICMP)
		return (__force u16)csum_fold(sum);
	return (__force u16)csum_tcpudp_magic(iph->saddr, iph->daddr, len,
					      proto, sum);
}

#endif /* _KNAT_TEST_PKT_H */
