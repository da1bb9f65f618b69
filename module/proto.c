// SPDX-License-Identifier: GPL-2.0
/*
 * knat: the protocols it translates. Adding one with ports is an entry
 * here (and its index in knat.h); every protocol not here is mapped by
 * address alone, per remote address (GRE, ESP, IP in IP, ...).
 */
#include <linux/dccp.h>
#include <linux/icmp.h>
#include <linux/in.h>
#include <linux/sctp.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <kunit/visibility.h>
#include "proto.h"

static const struct knat_proto proto_tcp = {
	.idx = KNAT_P_TCP,
	.hdrlen = sizeof(struct tcphdr),
	.sport = offsetof(struct tcphdr, source),
	.dport = offsetof(struct tcphdr, dest),
	.check = offsetof(struct tcphdr, check),
	.csum = KNAT_CSUM_INET,
	.ports = true,
	.flags_at = 13,		/* CWR..FIN, as TCPHDR_* */
};

static const struct knat_proto proto_udp = {
	.idx = KNAT_P_UDP,
	.hdrlen = sizeof(struct udphdr),
	.sport = offsetof(struct udphdr, source),
	.dport = offsetof(struct udphdr, dest),
	.check = offsetof(struct udphdr, check),
	.csum = KNAT_CSUM_INET_OPT,
	.ports = true,
	.mangle_zero = true,
};

static const struct knat_proto proto_icmp = {
	.idx = KNAT_P_ICMP,
	.hdrlen = sizeof(struct icmphdr),
	.sport = offsetof(struct icmphdr, un.echo.id),
	.dport = offsetof(struct icmphdr, un.echo.id),
	.check = offsetof(struct icmphdr, checksum),
	.csum = KNAT_CSUM_ICMP,
	.ports = true,
	/* Queries carry an identifier knat maps like a port; errors not. */
	.queries_only = true,
};

/* The checksum is over the whole packet: updated, not recomputed. */
static const struct knat_proto proto_sctp = {
	.idx = KNAT_P_SCTP,
	.hdrlen = sizeof(struct sctphdr),
	.sport = offsetof(struct sctphdr, source),
	.dport = offsetof(struct sctphdr, dest),
	.check = offsetof(struct sctphdr, checksum),
	.csum = KNAT_CSUM_CRC32C,
	.ports = true,
};

/* RFC 3828: the header is always covered; zero is no "no checksum". */
static const struct knat_proto proto_udplite = {
	.idx = KNAT_P_UDPLITE,
	.hdrlen = sizeof(struct udphdr),
	.sport = offsetof(struct udphdr, source),
	.dport = offsetof(struct udphdr, dest),
	.check = offsetof(struct udphdr, check),
	.csum = KNAT_CSUM_INET,
	.ports = true,
	.mangle_zero = true,
};

/* RFC 4340 9.1: ports and checksum in the first 8 bytes, always covered. */
static const struct knat_proto proto_dccp = {
	.idx = KNAT_P_DCCP,
	.hdrlen = offsetof(struct dccp_hdr, dccph_checksum) + sizeof(__sum16),
	.sport = offsetof(struct dccp_hdr, dccph_sport),
	.dport = offsetof(struct dccp_hdr, dccph_dport),
	.check = offsetof(struct dccp_hdr, dccph_checksum),
	.csum = KNAT_CSUM_INET,
	.ports = true,
};

/* No ports: one mapping per (inside address, remote address). */
const struct knat_proto knat_proto_other = {
	.idx = KNAT_P_OTHER,
};
EXPORT_SYMBOL_IF_KUNIT(knat_proto_other);

/*
 * RFC 4302: the ICV covers the addresses, so no NAT can carry AH; 1:1
 * entries translate it all the same (every protocol, by address), for
 * the endpoints to refuse.
 */
static const struct knat_proto proto_ah = {
	.idx = KNAT_P_OTHER,
	.unmapped = true,
};

static_assert(sizeof(struct tcphdr) <= KNAT_PROTO_HDRLEN_MAX);
static_assert(sizeof(struct udphdr) <= KNAT_PROTO_HDRLEN_MAX);
static_assert(sizeof(struct icmphdr) <= KNAT_PROTO_HDRLEN_MAX);
static_assert(sizeof(struct sctphdr) <= KNAT_PROTO_HDRLEN_MAX);
static_assert(sizeof(struct dccp_hdr) <= KNAT_PROTO_HDRLEN_MAX);

static const struct knat_proto *const protos_known[256] __initconst = {
	[IPPROTO_TCP] = &proto_tcp,
	[IPPROTO_UDP] = &proto_udp,
	[IPPROTO_ICMP] = &proto_icmp,
	[IPPROTO_SCTP] = &proto_sctp,
	[IPPROTO_UDPLITE] = &proto_udplite,
	[IPPROTO_DCCP] = &proto_dccp,
	[IPPROTO_AH] = &proto_ah,
};

/* Every slot set: a lookup a packet is one load, with no NULL to test. */
const struct knat_proto *knat_protos[256] __ro_after_init;
EXPORT_SYMBOL_IF_KUNIT(knat_protos);

void __init knat_protos_init(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(knat_protos); i++)
		knat_protos[i] = protos_known[i] ?: &knat_proto_other;
}
