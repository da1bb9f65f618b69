// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: ICMP errors (RFC 5508). Crafted errors of each type, quoting TCP,
 * UDP and echo packets, whole or only 8 transport bytes, with RFC 4884
 * extensions, linear and paged, are translated both ways; the result must
 * be byte for byte the error the other side would have seen, with every
 * checksum verified by the kernel's helpers. Malformed errors are refused
 * for the right reason. And the token bucket of what knat emits.
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
#include "icmp_err.h"
#include "knat_test_pkt.h"
#include "icmp_send.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define INNER_PAYLOAD	64
#define EXT_LEN		8	/* an RFC 4884 extension header, opaque here */

/* Addresses: inside host, its outside view, the remote peer, a router. */
#define IN_ADDR		0x0a000102	/* 10.0.1.2:5000 */
#define OUT_ADDR	0xcb007105	/* 203.0.113.5:40000 */
#define PEER_ADDR	0xc0000202	/* 192.0.2.2:53 */
#define ROUTER_ADDR	0xc6336401	/* 198.51.100.1 */

struct icmp_case {
	const char *name;
	u8 type, code;
	u8 inner_proto;
	unsigned int quote;	/* transport bytes quoted; 0: all */
	enum knat_side side;	/* KNAT_SRC: error toward inside */
	bool ext;		/* RFC 4884 length + extension */
	bool paged;
};

static const struct icmp_case icmp_cases[] = {
	{ "port unreach udp in", ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, IPPROTO_UDP, 0, KNAT_SRC },
	{ "port unreach udp 8 bytes in",
	  ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, IPPROTO_UDP, 8, KNAT_SRC },
	{ "frag needed tcp in", ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, IPPROTO_TCP, 0, KNAT_SRC },
	{ "frag needed tcp 8 bytes in",
	  ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, IPPROTO_TCP, 8, KNAT_SRC },
	{ "host unreach echo in", ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, IPPROTO_ICMP, 0, KNAT_SRC },
	{ "admin prohibited udp in paged",
	  ICMP_DEST_UNREACH, ICMP_PKT_FILTERED, IPPROTO_UDP, 0, KNAT_SRC, false, true },
	{ "ttl exceeded udp in", ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, IPPROTO_UDP, 0, KNAT_SRC },
	{ "ttl exceeded tcp in rfc4884",
	  ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, IPPROTO_TCP, 0, KNAT_SRC, true },
	{ "ttl exceeded echo in rfc4884 paged",
	  ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, IPPROTO_ICMP, 8, KNAT_SRC, true, true },
	{ "param problem tcp in", ICMP_PARAMETERPROB, 0, IPPROTO_TCP, 0, KNAT_SRC },
	{ "port unreach udp out", ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, IPPROTO_UDP, 0, KNAT_DST },
	{ "frag needed tcp out", ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, IPPROTO_TCP, 0, KNAT_DST },
	{ "ttl exceeded tcp 8 bytes out",
	  ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, IPPROTO_TCP, 8, KNAT_DST },
	{ "ttl exceeded echo out rfc4884",
	  ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, IPPROTO_ICMP, 0, KNAT_DST, true },
	{ "param problem udp out paged",
	  ICMP_PARAMETERPROB, 0, IPPROTO_UDP, 0, KNAT_DST, false, true },
};

static void icmp_case_desc(const struct icmp_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(icmp, icmp_cases, icmp_case_desc);

/*
 * A whole datagram @s:@sport -> @d:@dport (for echo: the identifier is
 * @sport) with valid checksums, into @buf. Returns its length.
 */
static unsigned int build_datagram(u8 *buf, u8 proto, u32 s, u16 sport,
				   u32 d, u16 dport)
{
	unsigned int hl = knat_test_l4_hdrlen(proto), l4len = hl + INNER_PAYLOAD, i;
	struct iphdr *iph = (struct iphdr *)buf;
	u8 *l4 = buf + sizeof(*iph);
	__wsum sum;

	memset(buf, 0, sizeof(*iph) + hl);
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 1;
	iph->id = htons(0x1234);
	iph->frag_off = htons(IP_DF);
	iph->protocol = proto;
	iph->saddr = htonl(s);
	iph->daddr = htonl(d);
	iph->tot_len = htons(sizeof(*iph) + l4len);
	iph->check = ip_fast_csum(iph, iph->ihl);
	for (i = 0; i < INNER_PAYLOAD; i++)
		l4[hl + i] = i * 11 + 5;
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = (struct tcphdr *)l4;

		th->source = htons(sport);
		th->dest = htons(dport);
		th->seq = htonl(0xabcdef01);
		th->doff = 5;
		th->ack = 1;
		sum = csum_partial(l4, l4len, 0);
		th->check = csum_tcpudp_magic(iph->saddr, iph->daddr, l4len,
					      proto, sum);
	} else if (proto == IPPROTO_UDP) {
		struct udphdr *uh = (struct udphdr *)l4;

		uh->source = htons(sport);
		uh->dest = htons(dport);
		uh->len = htons(l4len);
		sum = csum_partial(l4, l4len, 0);
		uh->check = csum_tcpudp_magic(iph->saddr, iph->daddr, l4len,
					      proto, sum);
		if (!uh->check)
			uh->check = CSUM_MANGLED_0;
	} else {
		struct icmphdr *ih = (struct icmphdr *)l4;

		ih->type = ICMP_ECHO;
		ih->un.echo.id = htons(sport);
		ih->un.echo.sequence = htons(7);
		ih->checksum = csum_fold(csum_partial(l4, l4len, 0));
	}
	return sizeof(*iph) + l4len;
}

/* The ICMP message body: quote, RFC 4884 padding and extension. */
static unsigned int build_body(u8 *body, const struct icmp_case *c,
			       const u8 *dgram, unsigned int dlen)
{
	unsigned int qlen = c->quote ? sizeof(struct iphdr) + c->quote : dlen;
	unsigned int len = qlen, i;

	memcpy(body, dgram, qlen);
	if (c->ext) {
		/* The quote is zero-padded to 128 bytes, the extension follows. */
		len = max(qlen, 128U);
		memset(body + qlen, 0, len - qlen);
		for (i = 0; i < EXT_LEN; i++)
			body[len + i] = 0x20 + i;
		len += EXT_LEN;
	}
	return len;
}

/* An IPv4 + ICMP error @osrc -> @odst around @body, checksums valid. */
static struct sk_buff *build_error(struct kunit *test, const struct icmp_case *c,
				   u32 osrc, u32 odst, const u8 *body,
				   unsigned int blen)
{
	struct sk_buff *skb;
	struct icmphdr *ih;
	struct iphdr *iph;
	__wsum sum;

	skb = alloc_skb(LL_MAX_HEADER + sizeof(*iph) + sizeof(*ih) + blen,
			GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, LL_MAX_HEADER);
	skb_reset_network_header(skb);
	iph = skb_put_zero(skb, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->protocol = IPPROTO_ICMP;
	iph->saddr = htonl(osrc);
	iph->daddr = htonl(odst);
	iph->tot_len = htons(sizeof(*iph) + sizeof(*ih) + blen);
	iph->check = ip_fast_csum(iph, iph->ihl);
	skb_set_transport_header(skb, sizeof(*iph));
	ih = skb_put_zero(skb, sizeof(*ih));
	ih->type = c->type;
	ih->code = c->code;
	if (c->type == ICMP_DEST_UNREACH && c->code == ICMP_FRAG_NEEDED)
		ih->un.frag.mtu = htons(1280);
	if (c->type == ICMP_PARAMETERPROB)
		((u8 *)ih)[4] = 8;	/* the pointer */
	if (c->ext)
		((u8 *)ih)[5] = 128 / 4;
	sum = csum_partial(ih, sizeof(*ih), 0);
	if (c->paged) {
		struct page *page = alloc_page(GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, page);
		memcpy(page_address(page), body, blen);
		skb_add_rx_frag(skb, 0, page, 0, blen, PAGE_SIZE);
	} else {
		skb_put_data(skb, body, blen);
	}
	sum = csum_partial(body, blen, sum);
	ih->checksum = csum_fold(sum);
	return skb;
}

/* The outer IPv4 and ICMP headers. */
#define OUTER_LEN	(sizeof(struct iphdr) + sizeof(struct icmphdr))

/*
 * The outer headers after translation: @sent but for the one address
 * translated (the destination of an error toward inside, the source of
 * one toward outside) and the two checksums, which are verified apart.
 * TTL, identification, lengths, type, code and the rest of the ICMP
 * header are untouched.
 */
static void expect_outer_kept(struct kunit *test, const u8 *sent,
			      const u8 *got, enum knat_side side)
{
	unsigned int addr = side == KNAT_SRC ? offsetof(struct iphdr, daddr) :
			    offsetof(struct iphdr, saddr);
	unsigned int i;
	u8 want[OUTER_LEN];

	memcpy(want, sent, OUTER_LEN);
	memcpy(want + addr, got + addr, 4);
	memcpy(want + offsetof(struct iphdr, check),
	       got + offsetof(struct iphdr, check), 2);
	memcpy(want + sizeof(struct iphdr) + offsetof(struct icmphdr, checksum),
	       got + sizeof(struct iphdr) + offsetof(struct icmphdr, checksum), 2);
	for (i = 0; i < OUTER_LEN && got[i] == want[i]; i++)
		;
	KUNIT_EXPECT_EQ_MSG(test, i, OUTER_LEN,
			    "outer byte %u: %02x, sent %02x", i,
			    got[min_t(unsigned int, i, OUTER_LEN - 1)],
			    sent[min_t(unsigned int, i, OUTER_LEN - 1)]);
}

static void icmp_error_translated(struct kunit *test)
{
	const struct icmp_case *c = test->param_value;
	u8 *before = kunit_kzalloc(test, 256, GFP_KERNEL);
	u8 *after = kunit_kzalloc(test, 256, GFP_KERNEL);
	u8 *body = kunit_kzalloc(test, 512, GFP_KERNEL);
	u8 *want = kunit_kzalloc(test, 512, GFP_KERNEL);
	u8 *got = kunit_kzalloc(test, 1024, GFP_KERNEL);
	u8 sent[OUTER_LEN];
	struct knat_key to = { .proto = c->inner_proto };
	unsigned int dlen, blen, icmp_len, i;
	u32 osrc, odst, want_osrc, want_odst;
	struct knat_icmp_err e;
	const struct iphdr *iph;
	struct sk_buff *skb;
	struct knat_pkt p;
	const u8 *q;

	if (c->side == KNAT_SRC) {
		/* Our packet went out as OUT; a router beyond says no. */
		dlen = build_datagram(before, c->inner_proto, OUT_ADDR, 40000,
				      PEER_ADDR, 53);
		build_datagram(after, c->inner_proto, IN_ADDR, 5000, PEER_ADDR, 53);
		osrc = ROUTER_ADDR;
		odst = OUT_ADDR;
		want_osrc = ROUTER_ADDR;
		want_odst = IN_ADDR;
		to.addr = htonl(IN_ADDR);
		to.port = htons(5000);
	} else {
		/* The peer's packet reached IN; IN says no, to the peer. */
		dlen = build_datagram(before, c->inner_proto, PEER_ADDR, 53,
				      IN_ADDR, 5000);
		build_datagram(after, c->inner_proto, PEER_ADDR, 53, OUT_ADDR,
			       40000);
		osrc = IN_ADDR;
		odst = PEER_ADDR;
		want_osrc = OUT_ADDR;
		want_odst = PEER_ADDR;
		to.addr = htonl(OUT_ADDR);
		to.port = htons(40000);
	}
	if (c->inner_proto == IPPROTO_ICMP && c->side == KNAT_DST) {
		/* An echo id is one field: the inside view's, then ours. */
		dlen = build_datagram(before, IPPROTO_ICMP, PEER_ADDR, 5000,
				      IN_ADDR, 0);
		build_datagram(after, IPPROTO_ICMP, PEER_ADDR, 40000, OUT_ADDR, 0);
	}
	blen = build_body(body, c, before, dlen);
	build_body(want, c, after, dlen);
	skb = build_error(test, c, osrc, odst, body, blen);
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 0, sent, OUTER_LEN), 0);

	KUNIT_ASSERT_EQ(test, knat_pkt_parse(skb, &p), -EPROTONOSUPPORT);
	KUNIT_ASSERT_EQ(test, knat_icmp_err_parse(skb, &p, &e), KNAT_ICMP_OK);
	KUNIT_EXPECT_EQ(test, e.isrc.proto, c->inner_proto);
	if (c->side == KNAT_SRC) {
		KUNIT_EXPECT_EQ(test, ntohl(e.isrc.addr), OUT_ADDR);
		KUNIT_EXPECT_EQ(test, ntohs(e.isrc.port), 40000);
	} else {
		KUNIT_EXPECT_EQ(test, ntohl(e.idst.addr), IN_ADDR);
		KUNIT_EXPECT_EQ(test, ntohs(e.idst.port), 5000);
	}

	KUNIT_ASSERT_EQ(test, knat_icmp_err_xlate(skb, &e, c->side, &to,
						  c->side == KNAT_SRC ?
						  htonl(want_odst) :
						  htonl(want_osrc)), 0);
	iph = ip_hdr(skb);
	KUNIT_EXPECT_EQ(test, (__force u16)ip_fast_csum(iph, iph->ihl), 0);
	KUNIT_EXPECT_EQ(test, ntohl(iph->saddr), want_osrc);
	KUNIT_EXPECT_EQ(test, ntohl(iph->daddr), want_odst);
	icmp_len = skb->len - sizeof(*iph);
	KUNIT_EXPECT_EQ(test, knat_test_l4_fold(skb, sizeof(*iph), IPPROTO_ICMP), 0);
	/* The body is what the other side would have quoted, to the byte. */
	KUNIT_ASSERT_EQ(test, icmp_len, (unsigned int)sizeof(struct icmphdr) + blen);
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 0, got, skb->len), 0);
	q = got + sizeof(*iph) + sizeof(struct icmphdr);
	for (i = 0; i < blen && q[i] == want[i]; i++)
		;
	KUNIT_EXPECT_EQ_MSG(test, i, blen, "body differs at byte %u: %02x, want %02x",
			    i, q[min(i, blen - 1)], want[min(i, blen - 1)]);
	/* The type, code, next-hop MTU and RFC 4884 length are kept. */
	KUNIT_EXPECT_EQ(test, got[20], c->type);
	KUNIT_EXPECT_EQ(test, got[21], c->code);
	if (c->code == ICMP_FRAG_NEEDED && c->type == ICMP_DEST_UNREACH)
		KUNIT_EXPECT_EQ(test, get_unaligned_be16(got + 26), 1280);
	if (c->ext)
		KUNIT_EXPECT_EQ(test, got[25], 32);
	expect_outer_kept(test, sent, got, c->side);
	kfree_skb(skb);
}

/* What the parse says of @skb, which it then frees. */
static enum knat_icmp_verdict verdict_of(struct sk_buff *skb)
{
	enum knat_icmp_verdict v;
	struct knat_icmp_err e;
	struct knat_pkt p;

	knat_pkt_parse(skb, &p);
	v = knat_icmp_err_parse(skb, &p, &e);
	kfree_skb(skb);
	return v;
}

static void icmp_malformed_refused(struct kunit *test)
{
	static const struct icmp_case c = {
		"", ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, IPPROTO_UDP, 0, KNAT_SRC,
	};
	u8 *dgram = kunit_kzalloc(test, 256, GFP_KERNEL);
	u8 *body = kunit_kzalloc(test, 512, GFP_KERNEL);
	struct sk_buff *skb;
	unsigned int dlen;
	struct iphdr *inner;
	struct icmphdr *ih;

	dlen = build_datagram(dgram, IPPROTO_UDP, OUT_ADDR, 40000, PEER_ADDR, 53);
	memcpy(body, dgram, dlen);

	/* IP header + 4 transport bytes: less than RFC 792's 8. */
	skb = build_error(test, &c, ROUTER_ADDR, OUT_ADDR, body, 24);
	KUNIT_EXPECT_EQ(test, verdict_of(skb), KNAT_ICMP_TRUNCATED);

	/* A wrong ICMP checksum. */
	skb = build_error(test, &c, ROUTER_ADDR, OUT_ADDR, body, dlen);
	ih = icmp_hdr(skb);
	ih->checksum = (__force __sum16)((__force u16)ih->checksum ^ 0x0101);
	KUNIT_EXPECT_EQ(test, verdict_of(skb), KNAT_ICMP_BAD_CHECKSUM);

	/* An RFC 4884 length shorter than IP header + 8. */
	skb = build_error(test, &c, ROUTER_ADDR, OUT_ADDR, body, dlen);
	ih = icmp_hdr(skb);
	csum_replace2(&ih->checksum, 0, htons(1));	/* octet 5: 1 word */
	((u8 *)ih)[5] = 1;
	KUNIT_EXPECT_EQ(test, verdict_of(skb), KNAT_ICMP_TRUNCATED);

	/* Quoting a non-first fragment: no ports to translate. */
	inner = (struct iphdr *)body;
	inner->frag_off = htons(100);
	inner->check = 0;
	inner->check = ip_fast_csum(inner, inner->ihl);
	skb = build_error(test, &c, ROUTER_ADDR, OUT_ADDR, body, dlen);
	KUNIT_EXPECT_EQ(test, verdict_of(skb), KNAT_ICMP_UNTRANSLATABLE);

	/* An error about an error. */
	dlen = build_datagram(dgram, IPPROTO_ICMP, OUT_ADDR, 40000, PEER_ADDR, 0);
	((struct icmphdr *)(dgram + 20))->type = ICMP_TIME_EXCEEDED;
	memcpy(body, dgram, dlen);
	skb = build_error(test, &c, ROUTER_ADDR, OUT_ADDR, body, dlen);
	KUNIT_EXPECT_EQ(test, verdict_of(skb), KNAT_ICMP_UNTRANSLATABLE);

	/* A query is not an error: the query path handles it. */
	skb = build_error(test, &c, ROUTER_ADDR, OUT_ADDR, body, dlen);
	ih = icmp_hdr(skb);
	csum_replace2(&ih->checksum, htons(ICMP_DEST_UNREACH << 8),
		      htons(ICMP_ECHO << 8));
	ih->type = ICMP_ECHO;
	ih->code = 0;
	KUNIT_EXPECT_EQ(test, verdict_of(skb), KNAT_ICMP_NOT_ERROR);
}

static void icmp_token_bucket(struct kunit *test)
{
	struct knat_icmp_bucket b = {};
	u64 t = 1000 * NSEC_PER_SEC;
	int i, n = 0;

	spin_lock_init(&b.lock);
	/* A full bucket: the burst, then nothing. */
	for (i = 0; i < 20; i++)
		n += knat_icmp_bucket_take(&b, 10, 5, t);
	KUNIT_EXPECT_EQ(test, n, 5);
	/* 10 a second: one more after 100 ms, not before. */
	KUNIT_EXPECT_FALSE(test, knat_icmp_bucket_take(&b, 10, 5, t + 90 * NSEC_PER_MSEC));
	KUNIT_EXPECT_TRUE(test, knat_icmp_bucket_take(&b, 10, 5, t + 110 * NSEC_PER_MSEC));
	/* A long quiet time refills the burst, no more. */
	for (i = 0, n = 0; i < 20; i++)
		n += knat_icmp_bucket_take(&b, 10, 5, t + 60 * NSEC_PER_SEC);
	KUNIT_EXPECT_EQ(test, n, 5);
	/* Over one simulated second of flood: the rate, plus the burst. */
	for (i = 0, n = 0; i < 1000; i++)
		n += knat_icmp_bucket_take(&b, 10, 5, t + 120 * NSEC_PER_SEC +
					   i * NSEC_PER_MSEC);
	KUNIT_EXPECT_GE(test, n, 14);
	KUNIT_EXPECT_LE(test, n, 15);
	/* Rate 0: knat sends nothing. */
	KUNIT_EXPECT_FALSE(test, knat_icmp_bucket_take(&b, 0, 5, t + 200 * NSEC_PER_SEC));
}

static struct kunit_case icmp_test_cases[] = {
	KUNIT_CASE_PARAM(icmp_error_translated, icmp_gen_params),
	KUNIT_CASE(icmp_malformed_refused),
	KUNIT_CASE(icmp_token_bucket),
	{}
};

static struct kunit_suite icmp_test_suite = {
	.name = "knat_icmp",
	.test_cases = icmp_test_cases,
};

kunit_test_suite(icmp_test_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("knat KUnit: ICMP error translation and rate limit");
