// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: knat_pkt_parse() and knat_xlate() on crafted IPv4 packets of
 * every protocol of the table (proto.c) and one without ports (GRE). Every
 * checksum (SCTP: CRC32c; UDP-Lite and DCCP: over their coverage) is
 * verified afterwards, over linear and paged skbs, and for
 * CHECKSUM_PARTIAL packets.
 */
#include <kunit/test.h>
#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <asm/unaligned.h>
#include "knat_test_pkt.h"
#include "proto.h"
#include "xlate.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define PAYLOAD 300

/* What craft_skb() sends: 10.0.1.2:40000 -> 198.51.100.2, port 80 or 53. */
#define SRC_ADDR	0x0a000102
#define DST_ADDR	0xc6336402
#define SRC_PORT	40000
#define ECHO_ID		4242
#define ECHO_SEQ	1

static u16 dst_port(u8 proto)
{
	return proto == IPPROTO_TCP ? 80 : 53;
}

static u8 payload_byte(unsigned int i)
{
	return i * 7 + 3;
}

struct xlate_case {
	const char *name;
	u8 proto;
	enum knat_side side;
	bool paged;		/* transport header and payload in a page frag */
	bool partial;		/* CHECKSUM_PARTIAL, as GSO or local output */
	bool zero_udp_csum;
	bool bad_csum;		/* a wrong checksum must stay wrong */
	bool header_cov;	/* UDP-Lite, DCCP: the checksum covers the header only */
};

static const struct xlate_case xlate_cases[] = {
	{ "tcp src", IPPROTO_TCP, KNAT_SRC },
	{ "tcp dst", IPPROTO_TCP, KNAT_DST },
	{ "tcp src paged", IPPROTO_TCP, KNAT_SRC, true },
	{ "tcp src partial", IPPROTO_TCP, KNAT_SRC, false, true },
	{ "tcp dst bad csum", IPPROTO_TCP, KNAT_DST, false, false, false, true },
	{ "udp src", IPPROTO_UDP, KNAT_SRC },
	{ "udp dst paged", IPPROTO_UDP, KNAT_DST, true },
	{ "udp src partial", IPPROTO_UDP, KNAT_SRC, false, true },
	{ "udp zero csum", IPPROTO_UDP, KNAT_SRC, false, false, true },
	{ "udp zero csum paged", IPPROTO_UDP, KNAT_DST, true, false, true },
	{ "udp bad csum", IPPROTO_UDP, KNAT_SRC, false, false, false, true },
	{ "icmp echo src", IPPROTO_ICMP, KNAT_SRC },
	{ "icmp echo dst paged", IPPROTO_ICMP, KNAT_DST, true },
	{ "sctp src", IPPROTO_SCTP, KNAT_SRC },
	{ "sctp dst paged", IPPROTO_SCTP, KNAT_DST, true },
	{ "sctp src partial", IPPROTO_SCTP, KNAT_SRC, false, true },
	{ "sctp dst bad crc", IPPROTO_SCTP, KNAT_DST, false, false, false, true },
	{ "udplite src", IPPROTO_UDPLITE, KNAT_SRC },
	{ "udplite dst header coverage", IPPROTO_UDPLITE, KNAT_DST, false, false,
	  false, false, true },
	{ "udplite src paged header coverage", IPPROTO_UDPLITE, KNAT_SRC, true,
	  false, false, false, true },
	{ "udplite bad csum", IPPROTO_UDPLITE, KNAT_SRC, false, false, false, true },
	{ "dccp src", IPPROTO_DCCP, KNAT_SRC },
	{ "dccp dst paged header coverage", IPPROTO_DCCP, KNAT_DST, true, false,
	  false, false, true },
	{ "gre src (no ports)", IPPROTO_GRE, KNAT_SRC },
	{ "gre dst paged (no ports)", IPPROTO_GRE, KNAT_DST, true },
};

static void xlate_case_desc(const struct xlate_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(xlate, xlate_cases, xlate_case_desc);

/* The transport header + payload, with a valid checksum. */
static void build_l4(u8 *l4, const struct xlate_case *c, __be32 s, __be32 d)
{
	unsigned int hl = knat_test_l4_hdrlen(c->proto), len = hl + PAYLOAD, i;
	__wsum sum;

	memset(l4, 0, hl);
	for (i = 0; i < PAYLOAD; i++)
		l4[hl + i] = payload_byte(i);
	if (c->proto == IPPROTO_TCP) {
		struct tcphdr *th = (struct tcphdr *)l4;

		th->source = htons(SRC_PORT);
		th->dest = htons(dst_port(IPPROTO_TCP));
		th->doff = 5;
		th->syn = 1;
		sum = csum_partial(l4, len, 0);
		th->check = csum_tcpudp_magic(s, d, len, IPPROTO_TCP, sum);
	} else if (c->proto == IPPROTO_UDP) {
		struct udphdr *uh = (struct udphdr *)l4;

		uh->source = htons(SRC_PORT);
		uh->dest = htons(dst_port(IPPROTO_UDP));
		uh->len = htons(len);
		if (!c->zero_udp_csum) {
			sum = csum_partial(l4, len, 0);
			uh->check = csum_tcpudp_magic(s, d, len, IPPROTO_UDP, sum);
			if (!uh->check)
				uh->check = CSUM_MANGLED_0;
		}
	} else if (c->proto == IPPROTO_ICMP) {
		struct icmphdr *ih = (struct icmphdr *)l4;

		ih->type = ICMP_ECHO;
		ih->un.echo.id = htons(ECHO_ID);
		ih->un.echo.sequence = htons(ECHO_SEQ);
		ih->checksum = csum_fold(csum_partial(l4, len, 0));
	} else if (c->proto == IPPROTO_SCTP) {
		struct sctphdr *sh = (struct sctphdr *)l4;

		sh->source = htons(SRC_PORT);
		sh->dest = htons(dst_port(IPPROTO_SCTP));
		sh->vtag = htonl(0x12345678);
		sh->checksum = cpu_to_le32(~__crc32c_le(~0, l4, len));
	} else if (c->proto == IPPROTO_UDPLITE) {
		struct udphdr *uh = (struct udphdr *)l4;
		unsigned int cov = c->header_cov ? hl : len;

		uh->source = htons(SRC_PORT);
		uh->dest = htons(dst_port(IPPROTO_UDPLITE));
		uh->len = htons(c->header_cov ? hl : 0);	/* coverage */
		sum = csum_partial(l4, cov, 0);
		uh->check = csum_tcpudp_magic(s, d, len, IPPROTO_UDPLITE, sum);
		if (!uh->check)
			uh->check = CSUM_MANGLED_0;
	} else if (c->proto == IPPROTO_DCCP) {
		struct dccp_hdr *dh = (struct dccp_hdr *)l4;
		unsigned int cov = c->header_cov ? hl : len;

		dh->dccph_sport = htons(SRC_PORT);
		dh->dccph_dport = htons(dst_port(IPPROTO_DCCP));
		dh->dccph_doff = hl / 4;
		dh->dccph_cscov = c->header_cov ? 1 : 0;
		dh->dccph_type = DCCP_PKT_DATA;
		sum = csum_partial(l4, cov, 0);
		dh->dccph_checksum = csum_tcpudp_magic(s, d, len, IPPROTO_DCCP,
						       sum);
	} else {
		/* GRE: flags and version 0, protocol IPv4; nothing to map. */
		put_unaligned_be16(ETH_P_IP, l4 + 2);
	}
}

static struct sk_buff *craft_skb(struct kunit *test, const struct xlate_case *c)
{
	unsigned int hl = knat_test_l4_hdrlen(c->proto), l4len = hl + PAYLOAD;
	__be32 s = htonl(SRC_ADDR), d = htonl(DST_ADDR);
	struct sk_buff *skb;
	struct iphdr *iph;
	u8 *l4;

	skb = alloc_skb(LL_MAX_HEADER + sizeof(*iph) + l4len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, LL_MAX_HEADER);
	skb_reset_network_header(skb);
	iph = skb_put_zero(skb, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->protocol = c->proto;
	iph->saddr = s;
	iph->daddr = d;
	iph->tot_len = htons(sizeof(*iph) + l4len);
	iph->check = ip_fast_csum(iph, iph->ihl);

	if (c->paged) {
		struct page *page = alloc_page(GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, page);
		l4 = page_address(page);
		build_l4(l4, c, s, d);
		skb_add_rx_frag(skb, 0, page, 0, l4len, PAGE_SIZE);
	} else {
		l4 = skb_put(skb, l4len);
		build_l4(l4, c, s, d);
	}
	skb_set_transport_header(skb, sizeof(*iph));
	if (c->bad_csum) {
		__sum16 *check = (__sum16 *)(l4 + knat_proto_of(c->proto)->check);

		*check = (__force __sum16)((__force u16)*check ^ 0x0101);
	}
	if (c->partial) {
		/* As the stack leaves it: pseudo-header sum only, in place. */
		__sum16 *check = (__sum16 *)(l4 + knat_proto_of(c->proto)->check);

		skb->ip_summed = CHECKSUM_PARTIAL;
		skb->csum_start = skb_transport_header(skb) - skb->head;
		skb->csum_offset = (u8 *)check - l4;
		if (c->proto == IPPROTO_SCTP) {
			/* SCTP's CRC is the device's to compute, from zero. */
			skb->csum_not_inet = 1;
			put_unaligned(0, (__le32 *)check);
		} else {
			*check = ~csum_tcpudp_magic(s, d, l4len, c->proto, 0);
		}
	}
	return skb;
}

/* The transport checksum over the whole segment, folded: 0 when valid. */
static u16 l4_verify(struct sk_buff *skb, u8 proto)
{
	return knat_test_l4_fold(skb, ip_hdr(skb)->ihl * 4, proto);
}

/* The whole packet, linear or paged, into a buffer of the test's. */
static u8 *skb_bytes(struct kunit *test, struct sk_buff *skb)
{
	u8 *buf = kunit_kmalloc(test, skb->len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 0, buf, skb->len), 0);
	return buf;
}

/* Offsets in the transport header: the @side port (echo: identifier), the checksum. */
static unsigned int port_off(u8 proto, enum knat_side side)
{
	const struct knat_proto *kp = knat_proto_of(proto);

	return side == KNAT_SRC ? kp->sport : kp->dport;
}

static unsigned int check_off(u8 proto)
{
	return knat_proto_of(proto)->check;
}

/*
 * @got must be @sent with the @side address and port set to @to, byte for
 * byte: the other address and port, TTL, lengths, flags, sequence numbers
 * and every payload byte untouched. The checksums are left out here (the
 * caller verifies them).
 */
static void expect_only_rewritten(struct kunit *test, const u8 *sent,
				  const u8 *got, unsigned int len, u8 proto,
				  enum knat_side side, const struct knat_key *to)
{
	unsigned int th = sizeof(struct iphdr), i;
	u8 *want = kunit_kmalloc(test, len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, want);
	memcpy(want, sent, len);
	memcpy(want + (side == KNAT_SRC ? offsetof(struct iphdr, saddr) :
		       offsetof(struct iphdr, daddr)), &to->addr, 4);
	memcpy(want + offsetof(struct iphdr, check),
	       got + offsetof(struct iphdr, check), 2);
	if (knat_proto_of(proto)->ports) {
		memcpy(want + th + port_off(proto, side), &to->port, 2);
		memcpy(want + th + check_off(proto), got + th + check_off(proto),
		       proto == IPPROTO_SCTP ? 4 : 2);
	}
	for (i = 0; i < len && got[i] == want[i]; i++)
		;
	KUNIT_EXPECT_EQ_MSG(test, i, len,
			    "%s byte %u: %02x, sent %02x, want %02x",
			    i < th ? "IP header" :
			    i < th + knat_test_l4_hdrlen(proto) ? "L4 header" :
			    "payload", i, got[min(i, len - 1)],
			    sent[min(i, len - 1)], want[min(i, len - 1)]);
}

static void xlate_rewrites_and_checksums(struct kunit *test)
{
	const struct xlate_case *c = test->param_value;
	bool ports = knat_proto_of(c->proto)->ports;
	struct knat_key to = { .addr = htonl(0xcb007105),
			       .port = ports ? htons(61000) : 0,
			       .proto = c->proto };
	struct knat_pkt p;
	struct sk_buff *skb = craft_skb(test, c);
	const struct iphdr *iph;
	unsigned int hl = knat_test_l4_hdrlen(c->proto), i;
	u32 kept_addr, sent_addr;
	u16 kept_port, sent_port;
	const u8 *sent, *got, *l4;
	struct udphdr uh;
	u16 before = 0;

	if (c->bad_csum)
		before = l4_verify(skb, c->proto);
	sent = skb_bytes(test, skb);
	KUNIT_ASSERT_EQ(test, knat_pkt_parse(skb, &p), 0);
	KUNIT_EXPECT_EQ(test, p.src.proto, c->proto);
	KUNIT_EXPECT_EQ(test, p.thoff, 20U);
	if (!ports) {
		/* Keyed by the address of the other side instead. */
		KUNIT_EXPECT_EQ(test, ntohs(p.src.port), 0);
		KUNIT_EXPECT_EQ(test, ntohs(p.dst.port), 0);
		KUNIT_EXPECT_EQ(test, ntohl(p.src.raddr), DST_ADDR);
		KUNIT_EXPECT_EQ(test, ntohl(p.dst.raddr), SRC_ADDR);
	} else if (c->proto == IPPROTO_ICMP) {
		KUNIT_EXPECT_EQ(test, ntohs(p.src.port), ECHO_ID);
		KUNIT_EXPECT_EQ(test, ntohs(p.dst.port), ntohs(p.src.port));
		KUNIT_EXPECT_EQ(test, ntohl(p.src.raddr), 0);
	} else {
		KUNIT_EXPECT_EQ(test, ntohl(p.src.raddr), 0);
		KUNIT_EXPECT_EQ(test, ntohs(p.src.port), SRC_PORT);
		KUNIT_EXPECT_EQ(test, ntohs(p.dst.port), dst_port(c->proto));
	}

	KUNIT_ASSERT_EQ(test, knat_xlate(skb, &p, c->side, &to), 0);
	iph = ip_hdr(skb);
	KUNIT_EXPECT_EQ(test, (__force u16)ip_fast_csum(iph, iph->ihl), 0);
	KUNIT_EXPECT_EQ(test, ntohl(c->side == KNAT_SRC ? iph->saddr : iph->daddr),
			ntohl(to.addr));
	KUNIT_ASSERT_EQ(test, knat_pkt_parse(skb, &p), 0);
	KUNIT_EXPECT_EQ(test, ntohs(c->side == KNAT_SRC ? p.src.port : p.dst.port),
			ntohs(to.port));

	/* What must not change: the other endpoint, the payload, the rest. */
	KUNIT_ASSERT_EQ(test, skb->len, (unsigned int)(sizeof(*iph) + hl + PAYLOAD));
	got = skb_bytes(test, skb);
	kept_addr = ntohl(c->side == KNAT_SRC ? iph->daddr : iph->saddr);
	sent_addr = c->side == KNAT_SRC ? DST_ADDR : SRC_ADDR;
	KUNIT_EXPECT_EQ(test, kept_addr, sent_addr);
	l4 = got + sizeof(*iph);
	if (c->proto == IPPROTO_ICMP) {
		/* The identifier is both "ports": the sequence and type stay. */
		KUNIT_EXPECT_EQ(test, l4[0], ICMP_ECHO);
		KUNIT_EXPECT_EQ(test, get_unaligned_be16(l4 + 6), ECHO_SEQ);
	} else if (ports) {
		kept_port = ntohs(c->side == KNAT_SRC ? p.dst.port : p.src.port);
		sent_port = c->side == KNAT_SRC ? dst_port(c->proto) : SRC_PORT;
		KUNIT_EXPECT_EQ(test, kept_port, sent_port);
	}
	for (i = 0; i < PAYLOAD && l4[hl + i] == payload_byte(i); i++)
		;
	KUNIT_EXPECT_EQ_MSG(test, i, PAYLOAD, "payload byte %u: %02x, sent %02x",
			    i, l4[hl + min_t(unsigned int, i, PAYLOAD - 1)],
			    payload_byte(min_t(unsigned int, i, PAYLOAD - 1)));
	expect_only_rewritten(test, sent, got, skb->len, c->proto, c->side, &to);

	if (c->partial && c->proto == IPPROTO_SCTP) {
		/* Left for the device: still zero. */
		KUNIT_EXPECT_EQ(test, get_unaligned((u32 *)(l4 + check_off(c->proto))), 0);
	} else if (c->partial) {
		/* The device will finish it: only the pseudo-header is ours. */
		__sum16 *check = (__sum16 *)(skb->head + skb->csum_start +
					     skb->csum_offset);

		u16 want = (__force u16)csum_tcpudp_magic(iph->saddr, iph->daddr,
							  skb->len - 20, c->proto, 0);

		KUNIT_EXPECT_EQ(test, (__force u16)*check, (u16)~want);
	} else if (c->zero_udp_csum) {
		KUNIT_ASSERT_NOT_NULL(test, skb_header_pointer(skb, 20, sizeof(uh), &uh));
		KUNIT_EXPECT_EQ(test, (__force u16)uh.check, 0);
	} else if (c->bad_csum) {
		/* Incremental update: the error is carried, never repaired. */
		KUNIT_EXPECT_EQ(test, l4_verify(skb, c->proto), before);
		KUNIT_EXPECT_NE(test, l4_verify(skb, c->proto), 0);
	} else if (ports) {
		KUNIT_EXPECT_EQ(test, l4_verify(skb, c->proto), 0);
	}
	kfree_skb(skb);
}

static void xlate_cloned_skb_is_copied(struct kunit *test)
{
	static const struct xlate_case c = { "udp", IPPROTO_UDP, KNAT_SRC };
	struct knat_key to = { .addr = htonl(0xcb007105), .port = htons(61000),
			       .proto = IPPROTO_UDP };
	struct sk_buff *skb = craft_skb(test, &c), *clone;
	struct knat_pkt p;
	const u8 *sent;

	clone = skb_clone(skb, GFP_KERNEL);	/* as tcpdump holds one */
	KUNIT_ASSERT_NOT_NULL(test, clone);
	sent = skb_bytes(test, skb);
	KUNIT_ASSERT_EQ(test, knat_pkt_parse(skb, &p), 0);
	KUNIT_ASSERT_EQ(test, knat_xlate(skb, &p, KNAT_SRC, &to), 0);
	KUNIT_EXPECT_EQ(test, ntohl(ip_hdr(skb)->saddr), ntohl(to.addr));
	KUNIT_EXPECT_EQ(test, ntohl(ip_hdr(clone)->saddr), SRC_ADDR);
	/* Not one byte of what the clone's holder sees has changed. */
	KUNIT_EXPECT_EQ(test, memcmp(skb_bytes(test, clone), sent, clone->len), 0);
	kfree_skb(clone);
	kfree_skb(skb);
}

static void xlate_parse_refuses(struct kunit *test)
{
	static const struct xlate_case c = { "tcp", IPPROTO_TCP, KNAT_SRC };
	struct sk_buff *skb = craft_skb(test, &c);
	struct knat_pkt p;

	/* Truncated: fewer bytes than a TCP header. */
	skb_trim(skb, 20 + 10);
	KUNIT_EXPECT_EQ(test, knat_pkt_parse(skb, &p), -EINVAL);
	/* Not a query: ICMP errors are not mapped like flows. */
	ip_hdr(skb)->protocol = IPPROTO_ICMP;
	skb->data[20] = ICMP_DEST_UNREACH;
	KUNIT_EXPECT_EQ(test, knat_pkt_parse(skb, &p), -EPROTONOSUPPORT);
	/* Without ports, nothing is cut short: mapped by address. */
	ip_hdr(skb)->protocol = IPPROTO_GRE;
	skb_trim(skb, 20);
	KUNIT_EXPECT_EQ(test, knat_pkt_parse(skb, &p), 0);
	/* With ports: each protocol's header must be whole. */
	skb_put_zero(skb, 7);
	ip_hdr(skb)->protocol = IPPROTO_SCTP;
	KUNIT_EXPECT_EQ(test, knat_pkt_parse(skb, &p), -EINVAL);
	ip_hdr(skb)->protocol = IPPROTO_UDPLITE;
	KUNIT_EXPECT_EQ(test, knat_pkt_parse(skb, &p), -EINVAL);
	ip_hdr(skb)->protocol = IPPROTO_DCCP;
	KUNIT_EXPECT_EQ(test, knat_pkt_parse(skb, &p), -EINVAL);
	skb_put_zero(skb, 1);
	KUNIT_EXPECT_EQ(test, knat_pkt_parse(skb, &p), 0);
	kfree_skb(skb);
}

static struct kunit_case xlate_test_cases[] = {
	KUNIT_CASE_PARAM(xlate_rewrites_and_checksums, xlate_gen_params),
	KUNIT_CASE(xlate_cloned_skb_is_copied),
	KUNIT_CASE(xlate_parse_refuses),
	{}
};

static struct kunit_suite xlate_suite = {
	.name = "knat_xlate",
	.test_cases = xlate_test_cases,
};

kunit_test_suite(xlate_suite);

MODULE_LICENSE("GPL");
