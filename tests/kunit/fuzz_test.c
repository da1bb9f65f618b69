// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: 100,000 mutated packets through knat's translation entry points
 * (knat_pkt_parse + knat_xlate, knat_icmp_err_parse + knat_icmp_err_xlate),
 * in both directions, linear, paged and cloned. Seeded: a failure names the
 * case and iteration, and the same seed replays it.
 *
 * Each packet starts valid (UDP, TCP, echo, or an ICMP error quoting one of
 * them), takes one to three mutations (bit flips, truncation, growth,
 * random 16-bit words over the headers' length and offset fields), then
 * what ip_rcv() would do (drop a bad IP header, trim to tot_len, and the
 * header checksum must be right). Half the time the transport checksum is
 * recomputed, so the deep paths see packets they accept.
 *
 * What must hold: a packet knat refuses is refused by a verdict the hooks
 * count; a packet it translates comes out with a valid IP header checksum,
 * the new address and port where they belong, and every other checksum as
 * valid or as invalid as it came in (a wrong one is never "fixed"); a
 * cloned packet's original is never written.
 */
#include <kunit/test.h>
#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/prandom.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <asm/unaligned.h>
#include "icmp_err.h"
#include "knat_test_pkt.h"
#include "proto.h"
#include "xlate.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define FUZZ_RUNS	12500	/* per case; 8 cases: 100,000 packets */
#define FUZZ_MAX	640	/* bytes */
#define FUZZ_SEED	0x6b6e6174

enum fuzz_kind { FUZZ_UDP, FUZZ_TCP, FUZZ_ECHO, FUZZ_ERROR };

struct fuzz_case {
	const char *name;
	enum fuzz_kind kind;
	bool paged;
};

static const struct fuzz_case fuzz_cases[] = {
	{ "udp linear", FUZZ_UDP, false },
	{ "udp paged", FUZZ_UDP, true },
	{ "tcp linear", FUZZ_TCP, false },
	{ "tcp paged", FUZZ_TCP, true },
	{ "echo linear", FUZZ_ECHO, false },
	{ "echo paged", FUZZ_ECHO, true },
	{ "icmp error linear", FUZZ_ERROR, false },
	{ "icmp error paged", FUZZ_ERROR, true },
};

static void fuzz_case_desc(const struct fuzz_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(fuzz, fuzz_cases, fuzz_case_desc);

/* What became of the packets of one case. */
struct fuzz_tally {
	u32 ip_refused;		/* ip_rcv() would have dropped it */
	u32 fragment;		/* reassembled before knat sees it */
	u32 parse_refused;	/* knat_pkt_parse(): not TCP, UDP, ICMP */
	u32 icmp_refused[KNAT_ICMP_UNTRANSLATABLE + 1];
	u32 translated;
	u32 errors_translated;
	u32 cloned;
};

struct fuzz {
	struct kunit *test;
	struct rnd_state rnd;
	struct fuzz_tally t;
	u8 buf[FUZZ_MAX], orig[FUZZ_MAX];
	unsigned int len;
	u32 run;
};

static u32 rnd(struct fuzz *f, u32 n)
{
	return n ? prandom_u32_state(&f->rnd) % n : 0;
}

/* The transport checksum (or ICMP's) of @l4, @len bytes, made right. */
static void l4_checksum(u8 *l4, unsigned int len, u8 proto, __be32 s,
			__be32 d)
{
	__sum16 *check;

	if (proto == IPPROTO_TCP && len >= sizeof(struct tcphdr))
		check = &((struct tcphdr *)l4)->check;
	else if (proto == IPPROTO_UDP && len >= sizeof(struct udphdr))
		check = &((struct udphdr *)l4)->check;
	else if (proto == IPPROTO_ICMP && len >= 4)
		check = &((struct icmphdr *)l4)->checksum;
	else
		return;
	*check = 0;
	if (proto == IPPROTO_ICMP) {
		*check = csum_fold(csum_partial(l4, len, 0));
		return;
	}
	*check = csum_tcpudp_magic(s, d, len, proto, csum_partial(l4, len, 0));
	if (proto == IPPROTO_UDP && !*check)
		*check = CSUM_MANGLED_0;
}

/* An IPv4 header + transport header + payload at @p; its length. */
static unsigned int build_datagram(struct fuzz *f, u8 *p, u8 proto,
				   __be32 s, __be32 d, unsigned int payload)
{
	struct iphdr *iph = (struct iphdr *)p;
	unsigned int hl = knat_test_l4_hdrlen(proto), len = sizeof(*iph) + hl + payload;
	u8 *l4 = p + sizeof(*iph);
	unsigned int i;

	memset(p, 0, sizeof(*iph) + hl);
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 1 + rnd(f, 255);
	iph->protocol = proto;
	iph->saddr = s;
	iph->daddr = d;
	iph->id = htons(rnd(f, 65536));
	iph->tot_len = htons(len);
	iph->check = ip_fast_csum(iph, iph->ihl);
	for (i = 0; i < payload; i++)
		l4[hl + i] = rnd(f, 256);
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = (struct tcphdr *)l4;

		th->source = htons(1 + rnd(f, 65535));
		th->dest = htons(1 + rnd(f, 65535));
		th->seq = htonl(prandom_u32_state(&f->rnd));
		th->doff = 5;
		((u8 *)th)[13] = rnd(f, 256);	/* any flags, valid or not */
	} else if (proto == IPPROTO_UDP) {
		struct udphdr *uh = (struct udphdr *)l4;

		uh->source = htons(1 + rnd(f, 65535));
		uh->dest = htons(1 + rnd(f, 65535));
		uh->len = htons(hl + payload);
	} else {
		struct icmphdr *ih = (struct icmphdr *)l4;

		ih->type = rnd(f, 2) ? ICMP_ECHO : ICMP_ECHOREPLY;
		ih->un.echo.id = htons(rnd(f, 65536));
		ih->un.echo.sequence = htons(rnd(f, 65536));
	}
	if (proto != IPPROTO_UDP || rnd(f, 8))	/* now and then no UDP checksum */
		l4_checksum(l4, hl + payload, proto, s, d);
	return len;
}

static const u8 quotable[] = { IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMP };
static const u8 error_types[] = {
	ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED, ICMP_PARAMETERPROB
};

/* A valid packet of @kind in f->buf. */
static void build(struct fuzz *f, enum fuzz_kind kind)
{
	__be32 in = htonl(0x0a000000 | rnd(f, 1 << 16));
	__be32 peer = htonl(0xc0000200 | rnd(f, 256));
	struct icmphdr *ih;
	struct iphdr *iph;
	unsigned int qlen;

	switch (kind) {
	case FUZZ_UDP:
		f->len = build_datagram(f, f->buf, IPPROTO_UDP, in, peer,
					rnd(f, 200));
		return;
	case FUZZ_TCP:
		f->len = build_datagram(f, f->buf, IPPROTO_TCP, in, peer,
					rnd(f, 200));
		return;
	case FUZZ_ECHO:
		f->len = build_datagram(f, f->buf, IPPROTO_ICMP, in, peer,
					rnd(f, 200));
		return;
	case FUZZ_ERROR:
		break;
	}
	/* An error from @peer about a packet @in sent it, quoted in full or in part. */
	iph = (struct iphdr *)f->buf;
	ih = (struct icmphdr *)(f->buf + sizeof(*iph));
	qlen = build_datagram(f, f->buf + sizeof(*iph) + sizeof(*ih),
			      quotable[rnd(f, ARRAY_SIZE(quotable))], in, peer,
			      rnd(f, 120));
	qlen = min_t(unsigned int, qlen, 28 + rnd(f, qlen - 27));
	memset(ih, 0, sizeof(*ih));
	ih->type = error_types[rnd(f, ARRAY_SIZE(error_types))];
	ih->code = rnd(f, 16);
	f->len = sizeof(*iph) + sizeof(*ih) + qlen;
	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->protocol = IPPROTO_ICMP;
	iph->saddr = peer;
	iph->daddr = in;
	iph->tot_len = htons(f->len);
	iph->check = ip_fast_csum(iph, 5);
	l4_checksum((u8 *)ih, f->len - sizeof(*iph), IPPROTO_ICMP, 0, 0);
}

static void mutate(struct fuzz *f)
{
	unsigned int n = 1 + rnd(f, 3), at, grow;

	while (n--) {
		switch (rnd(f, 4)) {
		case 0:		/* a bit anywhere */
			at = rnd(f, f->len);
			f->buf[at] ^= 1 << rnd(f, 8);
			break;
		case 1:		/* shorter */
			f->len = 1 + rnd(f, f->len);
			break;
		case 2:		/* longer, with junk */
			grow = min_t(unsigned int, FUZZ_MAX - f->len, rnd(f, 64));
			while (grow--)
				f->buf[f->len++] = rnd(f, 256);
			break;
		default:	/* a random word over the headers' fields */
			at = rnd(f, min_t(unsigned int, f->len, 64)) & ~1U;
			if (at + 1 < f->len)
				put_unaligned((u16)prandom_u32_state(&f->rnd),
					      (u16 *)(f->buf + at));
			break;
		}
	}
}

/* What ip_rcv() checks before PREROUTING; false: it drops the packet. */
static bool ip_accepts(struct fuzz *f)
{
	struct iphdr *iph = (struct iphdr *)f->buf;
	unsigned int tot;

	if (f->len < sizeof(*iph) || iph->version != 4 || iph->ihl < 5 ||
	    iph->ihl * 4 > f->len)
		return false;
	tot = ntohs(iph->tot_len);
	if (tot > f->len && rnd(f, 2))	/* a sender that cut it, consistently */
		tot = f->len;
	if (tot < iph->ihl * 4 || tot > f->len)
		return false;
	iph->tot_len = htons(tot);
	f->len = tot;
	iph->check = 0;
	iph->check = ip_fast_csum(iph, iph->ihl);
	if (rnd(f, 2))	/* half: a transport checksum that verifies */
		l4_checksum(f->buf + iph->ihl * 4, f->len - iph->ihl * 4,
			    iph->protocol, iph->saddr, iph->daddr);
	return true;
}

/* f->buf as the stack hands it over: linear, or split into a page frag. */
static struct sk_buff *to_skb(struct fuzz *f, bool paged)
{
	unsigned int ihl = (f->buf[0] & 15) * 4, head = f->len;
	struct sk_buff *skb;

	if (paged)
		head = ihl + rnd(f, f->len - ihl + 1);
	skb = alloc_skb(LL_MAX_HEADER + head, GFP_KERNEL);
	if (!skb)
		return NULL;
	skb_reserve(skb, LL_MAX_HEADER);
	skb_reset_network_header(skb);
	skb_put_data(skb, f->buf, head);
	if (head < f->len) {
		struct page *page = alloc_page(GFP_KERNEL);

		if (!page) {
			kfree_skb(skb);
			return NULL;
		}
		memcpy(page_address(page), f->buf + head, f->len - head);
		skb_add_rx_frag(skb, 0, page, 0, f->len - head, PAGE_SIZE);
	}
	skb->protocol = htons(ETH_P_IP);
	skb_set_transport_header(skb, ihl);
	return skb;
}

static bool udp_unchecked(struct sk_buff *skb, unsigned int thoff)
{
	struct udphdr _uh;
	const struct udphdr *uh = skb_header_pointer(skb, thoff, sizeof(_uh), &_uh);

	return uh && !uh->check;
}

static struct knat_key random_key(struct fuzz *f, u8 proto)
{
	return (struct knat_key){
		.addr = htonl(0xcb007100 | rnd(f, 256)),
		.port = htons(1 + rnd(f, 65535)),
		.proto = proto,
	};
}

/* With the iteration: the seed and it replay a failure. */
#define FUZZ_EXPECT(fz, cond) ({					\
	const struct fuzz *_f = (fz);					\
	KUNIT_EXPECT_TRUE_MSG(_f->test, cond, "run %u", _f->run);	\
})

/* A TCP, UDP or echo packet, translated one way or the other. */
static void fuzz_query(struct fuzz *f, struct sk_buff *skb,
		       const struct knat_pkt *p)
{
	enum knat_side side = rnd(f, 2) ? KNAT_SRC : KNAT_DST;
	struct knat_key to = random_key(f, p->src.proto);
	bool ports = knat_proto_of(p->src.proto)->ports;
	bool unchecked = p->src.proto == IPPROTO_UDP &&
			 udp_unchecked(skb, p->thoff);
	u16 before = knat_test_l4_fold(skb, p->thoff, p->src.proto);
	struct knat_pkt q;

	if (!ports)
		to.port = 0;	/* by address only: nothing else is written */
	if (knat_xlate(skb, p, side, &to)) {
		FUZZ_EXPECT(f, false);	/* nothing here can fail but memory */
		return;
	}
	f->t.translated++;
	FUZZ_EXPECT(f, !ip_fast_csum(ip_hdr(skb), ip_hdr(skb)->ihl));
	FUZZ_EXPECT(f, !knat_pkt_parse(skb, &q));
	if (side == KNAT_SRC) {
		FUZZ_EXPECT(f, q.src.addr == to.addr && q.src.port == to.port);
		FUZZ_EXPECT(f, q.dst.addr == p->dst.addr);
	} else {
		FUZZ_EXPECT(f, q.dst.addr == to.addr && q.dst.port == to.port);
		FUZZ_EXPECT(f, q.src.addr == p->src.addr);
	}
	/* Without ports no transport checksum covers the address. */
	if (ports && unchecked)
		FUZZ_EXPECT(f, udp_unchecked(skb, p->thoff));
	else if (ports)
		FUZZ_EXPECT(f, !knat_test_l4_fold(skb, p->thoff, p->src.proto) == !before);
}

/* The quoted IP header's checksum folded: 0 when it verifies. */
static u16 inner_ip_fold(struct sk_buff *skb, const struct knat_icmp_err *e)
{
	u8 hdr[60];
	unsigned int ihl;

	if (skb_copy_bits(skb, e->inner, hdr, 20))
		return 1;
	ihl = (hdr[0] & 15) * 4;
	if (e->inner + ihl > skb->len || skb_copy_bits(skb, e->inner, hdr, ihl))
		return 1;
	return (__force u16)ip_fast_csum(hdr, ihl / 4);
}

/* An ICMP error: the quote translated, as inbound or as outbound. */
static void fuzz_error(struct fuzz *f, struct sk_buff *skb,
		       const struct knat_pkt *p)
{
	enum knat_side side = rnd(f, 2) ? KNAT_SRC : KNAT_DST;
	enum knat_icmp_verdict v;
	struct knat_icmp_err e, e2;
	struct knat_key to;
	__be32 outer;
	u16 inner_before;

	v = knat_icmp_err_parse(skb, p, &e);
	if (v != KNAT_ICMP_OK) {
		f->t.icmp_refused[v]++;
		return;
	}
	to = random_key(f, e.isrc.proto);
	if (!knat_proto_of(e.isrc.proto)->ports)
		to.port = 0;	/* a quote without ports: the address only */
	outer = rnd(f, 2) ? to.addr : 0;
	inner_before = inner_ip_fold(skb, &e);
	if (knat_icmp_err_xlate(skb, &e, side, &to, outer)) {
		FUZZ_EXPECT(f, false);
		return;
	}
	f->t.errors_translated++;
	FUZZ_EXPECT(f, !ip_fast_csum(ip_hdr(skb), ip_hdr(skb)->ihl));
	/* The ICMP checksum verified on the way in: it must still. */
	FUZZ_EXPECT(f, !knat_test_l4_fold(skb, p->thoff, IPPROTO_ICMP));
	FUZZ_EXPECT(f, !inner_ip_fold(skb, &e) == !inner_before);
	FUZZ_EXPECT(f, knat_icmp_err_parse(skb, p, &e2) == KNAT_ICMP_OK);
	if (side == KNAT_SRC) {
		FUZZ_EXPECT(f, e2.isrc.addr == to.addr && e2.isrc.port == to.port);
		if (outer)
			FUZZ_EXPECT(f, ip_hdr(skb)->daddr == outer);
	} else {
		FUZZ_EXPECT(f, e2.idst.addr == to.addr && e2.idst.port == to.port);
		if (outer)
			FUZZ_EXPECT(f, ip_hdr(skb)->saddr == outer);
	}
}

static void fuzz_one(struct fuzz *f, const struct fuzz_case *c)
{
	struct sk_buff *skb, *orig = NULL;
	struct knat_pkt p;
	int err;

	build(f, c->kind);
	mutate(f);
	if (!ip_accepts(f)) {
		f->t.ip_refused++;
		return;
	}
	skb = to_skb(f, c->paged);
	KUNIT_ASSERT_NOT_NULL(f->test, skb);
	if (!rnd(f, 8)) {
		/* As with tcpdump on the router: the copy must be left alone. */
		orig = skb;
		skb = skb_clone(orig, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(f->test, skb);
		f->t.cloned++;
	}
	err = knat_pkt_parse(skb, &p);
	if (p.fragment)
		f->t.fragment++;
	else if (!err)
		fuzz_query(f, skb, &p);
	else if (err == -EPROTONOSUPPORT && p.src.proto == IPPROTO_ICMP)
		fuzz_error(f, skb, &p);
	else
		f->t.parse_refused++;
	if (orig) {
		FUZZ_EXPECT(f, !skb_copy_bits(orig, 0, f->orig, f->len));
		FUZZ_EXPECT(f, !memcmp(f->orig, f->buf, f->len));
		kfree_skb(orig);
	}
	kfree_skb(skb);
}

static void fuzz_translation(struct kunit *test)
{
	const struct fuzz_case *c = test->param_value;
	struct fuzz *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	u32 refused = 0, i;

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->test = test;
	prandom_seed_state(&f->rnd, FUZZ_SEED + c->kind * 2 + c->paged);
	for (f->run = 0; f->run < FUZZ_RUNS; f->run++) {
		fuzz_one(f, c);
		if (f->run % 256 == 255)
			cond_resched();
	}
	for (i = 0; i < ARRAY_SIZE(f->t.icmp_refused); i++)
		refused += f->t.icmp_refused[i];
	kunit_info(test, "%u packets: %u translated, %u errors translated, %u ip-refused, %u fragments, %u parse-refused, %u icmp-refused (%u truncated, %u bad checksum, %u untranslatable, %u not errors), %u cloned\n",
		   FUZZ_RUNS, f->t.translated, f->t.errors_translated,
		   f->t.ip_refused, f->t.fragment, f->t.parse_refused, refused,
		   f->t.icmp_refused[KNAT_ICMP_TRUNCATED],
		   f->t.icmp_refused[KNAT_ICMP_BAD_CHECKSUM],
		   f->t.icmp_refused[KNAT_ICMP_UNTRANSLATABLE],
		   f->t.icmp_refused[KNAT_ICMP_NOT_ERROR], f->t.cloned);
	/* Every packet accounted for, once. */
	KUNIT_EXPECT_EQ(test, f->t.ip_refused + f->t.fragment + f->t.parse_refused +
			refused + f->t.translated + f->t.errors_translated,
			(u32)FUZZ_RUNS);
	/* The fuzzer reached the translation, not only the refusals. */
	if (c->kind == FUZZ_ERROR)
		KUNIT_EXPECT_GT(test, f->t.errors_translated, FUZZ_RUNS / 10);
	else
		KUNIT_EXPECT_GT(test, f->t.translated, FUZZ_RUNS / 4);
	KUNIT_EXPECT_GT(test, f->t.cloned, FUZZ_RUNS / 16);
}

static struct kunit_case fuzz_test_cases[] = {
	KUNIT_CASE_PARAM(fuzz_translation, fuzz_gen_params),
	{}
};

static struct kunit_suite fuzz_test_suite = {
	.name = "knat_fuzz",
	.test_cases = fuzz_test_cases,
};

kunit_test_suite(fuzz_test_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("knat KUnit: mutated packets through the translation entry points");
