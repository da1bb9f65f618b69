/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * knat: the generic netlink ABI between knat.ko and the knat CLI.
 *
 * The family is "knat" (KNAT_GENL_NAME), version KNAT_GENL_VERSION. Every
 * command needs CAP_NET_ADMIN in the user namespace that owns the caller's
 * network namespace and acts on that network namespace only. Attributes
 * are validated strictly: unknown attributes are refused, and refusals come
 * with an extended ACK message naming the offending attribute. Addresses
 * and ports are in network byte order, everything else in host order.
 *
 * KNAT_CMD_GET_INFO
 *   Reply: KNAT_A_VERSION, KNAT_A_GENL_VERSION.
 *
 * KNAT_CMD_POOL_ADD
 *   KNAT_A_POOL_NAME (optional; default "poolN"), one or more
 *   KNAT_A_POOL_PREFIX (nested: KNAT_A_PREFIX_ADDR, KNAT_A_PREFIX_LEN),
 *   KNAT_A_PORT_LO/HI (default 1024-65535), KNAT_A_BLOCK_SIZE (default
 *   from config), KNAT_A_OUT_IFINDEX (translate only packets leaving
 *   there), KNAT_A_FROM (nested prefix: translate only these sources).
 *   With KNAT_A_MASQUERADE set, no prefix is given: the pool's address is
 *   the primary address of KNAT_A_OUT_IFINDEX, followed when it changes;
 *   while the interface has none, the pool maps nothing (pool full) and
 *   is dumped without KNAT_A_POOL_PREFIX. Address changes are followed
 *   by a work item, soon after the change, never under RTNL.
 *   Prefixes may not overlap each other, another pool's, or a 1:1 entry's
 *   outside address. With a router address in the pool and no ports
 *   given, the ports are the larger room beside
 *   net.ipv4.ip_local_port_range (1024 up to it, or above it); with no
 *   room for a block there, the pool is refused.
 * KNAT_CMD_POOL_DEL    KNAT_A_POOL_NAME. Its mappings go with it.
 * KNAT_CMD_POOL_GET    dump: one message per pool with the attributes
 *   above (a masquerade pool's prefix is its current address /32) plus
 *   KNAT_A_BLOCKS_TOTAL/USED/COOLING, KNAT_A_SUBSCRIBERS.
 *
 * KNAT_CMD_MAPPING_GET dump, optional filters KNAT_A_PROTO, KNAT_A_IN_ADDR,
 *   KNAT_A_OUT_ADDR. One message per mapping: KNAT_A_PROTO, KNAT_A_IN_ADDR,
 *   KNAT_A_IN_PORT, KNAT_A_OUT_ADDR, KNAT_A_OUT_PORT, KNAT_A_EXPIRES_MS
 *   (u32, 0 for static), KNAT_A_TCP_STATE (TCP only), KNAT_A_POOL_NAME.
 * KNAT_CMD_MAPPING_FLUSH  removes every dynamic mapping.
 *
 * KNAT_CMD_FORWARD_ADD KNAT_A_PROTO (tcp or udp), KNAT_A_OUT_ADDR,
 *   KNAT_A_OUT_PORT, KNAT_A_IN_ADDR, KNAT_A_IN_PORT, KNAT_A_PORT_COUNT
 *   (default 1): outside ports OUT_PORT.. reach inside ports IN_PORT..,
 *   and replies leave from them. Permanent mappings, never filtered.
 * KNAT_CMD_FORWARD_DEL  KNAT_A_PROTO, KNAT_A_OUT_ADDR, KNAT_A_OUT_PORT.
 * KNAT_CMD_FORWARD_GET  dump: the attributes of FORWARD_ADD.
 *
 * KNAT_CMD_STATIC_ADD   KNAT_A_OUT_ADDR, KNAT_A_IN_ADDR: 1:1 NAT, every
 *   port of the inside host is reachable at the outside address.
 * KNAT_CMD_STATIC_DEL   KNAT_A_OUT_ADDR.
 * KNAT_CMD_STATIC_GET   dump: KNAT_A_OUT_ADDR, KNAT_A_IN_ADDR.
 *
 * KNAT_CMD_CONFIG_SET  any of the KNAT_A_CFG_* attributes. ICMP that knat
 *   emits itself (time exceeded for packets it translates before
 *   forwarding, 3/13 for refused mappings and, with
 *   KNAT_A_CFG_UNREACH_NO_MAPPING, for unmapped inbound packets) is limited
 *   by a per-namespace token bucket: KNAT_A_CFG_ICMP_RATE a second, bursts
 *   of KNAT_A_CFG_ICMP_BURST. KNAT_A_CFG_MAX_MAPPINGS (dynamic mappings
 *   and forward ports) and KNAT_A_CFG_MAX_ADDRESSES (pool addresses and
 *   1:1 entries) bound what the namespace makes the kernel allocate; only
 *   an administrator of the initial user namespace may raise them
 *   (-EPERM), anyone who may configure may lower them.
 *   KNAT_A_CFG_FASTPATH (default 1) sends packets of established TCP and
 *   UDP mappings at the ingress of the interface they come in by, by the
 *   route the normal path found for their flow, where no other netfilter
 *   hook or IPsec policy would see them on the normal path.
 * KNAT_CMD_CONFIG_GET  reply: all KNAT_A_CFG_* attributes.
 *
 * KNAT_CMD_STATS_GET   reply: KNAT_A_STATS (nested, one u64 per
 *   enum knat_stat, attribute type = stat + 1), KNAT_A_MAPPINGS (u32) and
 *   by protocol KNAT_A_MAPPINGS_TCP/UDP/ICMP.
 *
 * KNAT_CMD_SUBSCRIBER_GET dump, optional filters KNAT_A_POOL_NAME,
 *   KNAT_A_IN_ADDR. One message per inside host holding port blocks:
 *   KNAT_A_IN_ADDR, KNAT_A_POOL_NAME, KNAT_A_OUT_ADDR (its one outside
 *   address), KNAT_A_BLOCKS_USED (blocks it holds), KNAT_A_PORTS_USED.
 *
 * KNAT_CMD_EVENT  sent, never received: multicast on group
 *   KNAT_MCGRP_EVENTS ("events"; joining needs CAP_NET_ADMIN), one message
 *   per event: KNAT_A_EVENT, KNAT_A_TIME_NS (u64, CLOCK_REALTIME), and
 *   for block events KNAT_A_IN_ADDR (the subscriber), KNAT_A_OUT_ADDR,
 *   KNAT_A_PORT_LO/HI (the block's ports, every protocol), KNAT_A_POOL_NAME;
 *   for refusals KNAT_A_IN_ADDR, KNAT_A_IN_PORT, KNAT_A_PROTO,
 *   KNAT_A_POOL_NAME. Refusal events are rate-limited (10 a second per
 *   namespace; KNAT_STAT_EVENT_SUPPRESSED counts the rest), block events
 *   never: they are the compliance log (RFC 6888, one per block).
 */
#ifndef _UAPI_LINUX_KNAT_H
#define _UAPI_LINUX_KNAT_H

#define KNAT_GENL_NAME		"knat"
#define KNAT_GENL_VERSION	1
#define KNAT_POOL_NAME_MAX	16	/* including the NUL */

enum knat_cmd {
	KNAT_CMD_UNSPEC,
	KNAT_CMD_GET_INFO,
	KNAT_CMD_POOL_ADD,
	KNAT_CMD_POOL_DEL,
	KNAT_CMD_POOL_GET,
	KNAT_CMD_MAPPING_GET,
	KNAT_CMD_MAPPING_FLUSH,
	KNAT_CMD_CONFIG_SET,
	KNAT_CMD_CONFIG_GET,
	KNAT_CMD_STATS_GET,
	KNAT_CMD_FORWARD_ADD,
	KNAT_CMD_FORWARD_DEL,
	KNAT_CMD_FORWARD_GET,
	KNAT_CMD_STATIC_ADD,
	KNAT_CMD_STATIC_DEL,
	KNAT_CMD_STATIC_GET,
	KNAT_CMD_EVENT,
	KNAT_CMD_SUBSCRIBER_GET,
	__KNAT_CMD_MAX
};

#define KNAT_CMD_MAX (__KNAT_CMD_MAX - 1)

enum knat_attr {
	KNAT_A_UNSPEC,
	KNAT_A_VERSION,			/* string */
	KNAT_A_GENL_VERSION,		/* u32 */
	KNAT_A_POOL_NAME,		/* string, < KNAT_POOL_NAME_MAX */
	KNAT_A_POOL_PREFIX,		/* nested knat_prefix_attr */
	KNAT_A_PORT_LO,			/* u16 */
	KNAT_A_PORT_HI,			/* u16 */
	KNAT_A_BLOCK_SIZE,		/* u16, power of two 64..4096 */
	KNAT_A_OUT_IFINDEX,		/* u32 */
	KNAT_A_FROM,			/* nested knat_prefix_attr */
	KNAT_A_MASQUERADE,		/* flag */
	KNAT_A_BLOCKS_TOTAL,		/* u32 */
	KNAT_A_BLOCKS_USED,		/* u32 */
	KNAT_A_BLOCKS_COOLING,		/* u32 */
	KNAT_A_SUBSCRIBERS,		/* u32 */
	KNAT_A_PROTO,			/* u8, IPPROTO_* */
	KNAT_A_IN_ADDR,			/* be32 */
	KNAT_A_IN_PORT,			/* be16 (ICMP: echo identifier) */
	KNAT_A_OUT_ADDR,		/* be32 */
	KNAT_A_OUT_PORT,		/* be16 */
	KNAT_A_EXPIRES_MS,		/* u32 */
	KNAT_A_TCP_STATE,		/* u8, enum knat_tcp_state */
	KNAT_A_CFG_TIMEOUT_UDP,		/* u32, seconds */
	KNAT_A_CFG_TIMEOUT_TCP_EST,	/* u32, seconds */
	KNAT_A_CFG_TIMEOUT_TCP_TRANS,	/* u32, seconds */
	KNAT_A_CFG_TIMEOUT_ICMP,	/* u32, seconds */
	KNAT_A_CFG_FILTERING,		/* u8, enum knat_filtering */
	KNAT_A_CFG_BLOCK_SIZE,		/* u16, default for new pools */
	KNAT_A_CFG_MAX_BLOCKS,		/* u16, per subscriber */
	KNAT_A_CFG_COOLING,		/* u32, seconds, at most 86400 */
	KNAT_A_STATS,			/* nested, see KNAT_CMD_STATS_GET */
	KNAT_A_MAPPINGS,		/* u32 */
	KNAT_A_PAD,
	KNAT_A_PORT_COUNT,		/* u16, ports in a forward */
	KNAT_A_CFG_PORT_PARITY,		/* u8, 1: keep the inside port's parity */
	KNAT_A_EVENT,			/* u8, enum knat_event */
	KNAT_A_TIME_NS,			/* u64, ns since the epoch */
	KNAT_A_CFG_ICMP_RATE,		/* u32, <= 10000 ICMP messages a second; 0: none */
	KNAT_A_CFG_ICMP_BURST,		/* u32, 1..10000 */
	KNAT_A_CFG_UNREACH_NO_MAPPING,	/* u8, 1: answer unmapped inbound with 3/13 */
	KNAT_A_MAPPINGS_TCP,		/* u32 */
	KNAT_A_MAPPINGS_UDP,		/* u32 */
	KNAT_A_MAPPINGS_ICMP,		/* u32 */
	KNAT_A_PORTS_USED,		/* u32, a subscriber's ports in use */
	KNAT_A_CFG_MAX_MAPPINGS,	/* u32, >= 1 */
	KNAT_A_CFG_MAX_ADDRESSES,	/* u32, >= 1 */
	KNAT_A_CFG_TIMEOUT_SCTP,	/* u32, seconds */
	KNAT_A_CFG_TIMEOUT_UDPLITE,	/* u32, seconds */
	KNAT_A_CFG_TIMEOUT_DCCP,	/* u32, seconds */
	KNAT_A_CFG_TIMEOUT_OTHER,	/* u32, seconds: protocols without ports */
	KNAT_A_MAPPINGS_SCTP,		/* u32 */
	KNAT_A_MAPPINGS_UDPLITE,	/* u32 */
	KNAT_A_MAPPINGS_DCCP,		/* u32 */
	KNAT_A_MAPPINGS_OTHER,		/* u32 */
	KNAT_A_REMOTE_ADDR,		/* be32: a mapping without ports, its remote */
	KNAT_A_CFG_FASTPATH,		/* u8, 1: established flows sent at ingress */
	__KNAT_A_MAX
};

#define KNAT_A_MAX (__KNAT_A_MAX - 1)

enum knat_prefix_attr {
	KNAT_A_PREFIX_UNSPEC,
	KNAT_A_PREFIX_ADDR,		/* be32 */
	KNAT_A_PREFIX_LEN,		/* u8, 0..32 */
	__KNAT_A_PREFIX_MAX
};

#define KNAT_A_PREFIX_MAX (__KNAT_A_PREFIX_MAX - 1)

/* RFC 4787 section 5: which outside hosts may use a mapping. */
enum knat_filtering {
	KNAT_FILTER_EIF,	/* endpoint-independent */
	KNAT_FILTER_ADF,	/* address-dependent (default) */
	KNAT_FILTER_APDF,	/* address- and port-dependent */
};

#define KNAT_MCGRP_EVENTS_NAME	"events"

enum knat_event {
	KNAT_EVENT_BLOCK_ALLOC,		/* a block handed to a subscriber */
	KNAT_EVENT_BLOCK_FREE,		/* its last mapping gone: it cools */
	KNAT_EVENT_POOL_FULL,		/* a mapping refused: no free block */
	KNAT_EVENT_SUB_LIMIT,		/* a mapping refused: max-blocks */
};

enum knat_tcp_state {
	KNAT_TCP_TRANS,		/* SYN only, or closing: short timer */
	KNAT_TCP_EST,		/* SYN seen both ways: long timer */
};

/* Counters of KNAT_CMD_STATS_GET, in this order; never renumbered. */
enum knat_stat {
	KNAT_STAT_OUT_XLATED,		/* outbound packets translated */
	KNAT_STAT_IN_XLATED,		/* inbound packets translated */
	KNAT_STAT_HAIRPIN,		/* packets translated both ways */
	KNAT_STAT_MAP_CREATED,
	KNAT_STAT_MAP_EXPIRED,
	KNAT_STAT_BLOCK_ALLOC,
	KNAT_STAT_BLOCK_FREE,
	KNAT_STAT_DROP_NO_MAPPING,	/* inbound to a pool address, no mapping */
	KNAT_STAT_DROP_FILTERED,	/* inbound refused by the filtering mode */
	KNAT_STAT_DROP_POOL_FULL,	/* no free port in the pool */
	KNAT_STAT_DROP_SUB_LIMIT,	/* subscriber at max-blocks */
	KNAT_STAT_DROP_NOMEM,
	KNAT_STAT_DROP_MALFORMED,	/* truncated or bad headers */
	KNAT_STAT_DROP_FRAGMENT,	/* a fragment defrag did not join */
	KNAT_STAT_NL_REQUESTS,
	KNAT_STAT_EVENT_SUPPRESSED,	/* refusal events over the rate limit */
	KNAT_STAT_ICMP_ERR_IN,		/* ICMP errors translated toward inside */
	KNAT_STAT_ICMP_ERR_OUT,		/* ICMP errors translated toward outside */
	KNAT_STAT_ICMP_SENT,		/* ICMP errors knat emitted */
	KNAT_STAT_ICMP_SUPPRESSED,	/* ... and not, over icmp-rate */
	KNAT_STAT_DROP_TTL_EXPIRED,	/* TTL ran out where knat translates */
	KNAT_STAT_DROP_ICMP_TRUNCATED,	/* error quoting less than IP header + 8 */
	KNAT_STAT_DROP_ICMP_CHECKSUM,	/* error with a wrong ICMP checksum */
	KNAT_STAT_DROP_ICMP_NO_MAPPING,	/* error quoting a packet of no mapping */
	KNAT_STAT_DROP_ICMP_UNTRANSLATABLE, /* quoting an error, a fragment, ... */
	/*
	 * Packets and bytes (IP total length) rewritten, by direction and
	 * protocol (ICMP: queries and errors). A hairpinned packet counts in
	 * both directions.
	 */
	KNAT_STAT_OUT_PKTS_TCP,
	KNAT_STAT_OUT_PKTS_UDP,
	KNAT_STAT_OUT_PKTS_ICMP,
	KNAT_STAT_IN_PKTS_TCP,
	KNAT_STAT_IN_PKTS_UDP,
	KNAT_STAT_IN_PKTS_ICMP,
	KNAT_STAT_OUT_BYTES_TCP,
	KNAT_STAT_OUT_BYTES_UDP,
	KNAT_STAT_OUT_BYTES_ICMP,
	KNAT_STAT_IN_BYTES_TCP,
	KNAT_STAT_IN_BYTES_UDP,
	KNAT_STAT_IN_BYTES_ICMP,
	KNAT_STAT_DROP_MAPPING_LIMIT,	/* the namespace's max-mappings reached */
	KNAT_STAT_LIMIT_REFUSED,	/* configuration refused by a limit */
	KNAT_STAT_DROP_SPOOFED,		/* new flow from where its source is not */
	KNAT_STAT_DROP_UNSUPPORTED,	/* inside, of a protocol knat cannot map */
	KNAT_STAT_DROP_OTHER_UPLINK,	/* mapped by a pool of another out */
	KNAT_STAT_DROP_CONTENDED,	/* new flow lost a race with the control path */
	KNAT_STAT_DROP_TWIN_LIMIT,	/* a twin server's connections at max-mappings */
	/* As the TCP..ICMP block above; OTHER: protocols without ports. */
	KNAT_STAT_OUT_PKTS_SCTP,
	KNAT_STAT_OUT_PKTS_UDPLITE,
	KNAT_STAT_OUT_PKTS_DCCP,
	KNAT_STAT_OUT_PKTS_OTHER,
	KNAT_STAT_IN_PKTS_SCTP,
	KNAT_STAT_IN_PKTS_UDPLITE,
	KNAT_STAT_IN_PKTS_DCCP,
	KNAT_STAT_IN_PKTS_OTHER,
	KNAT_STAT_OUT_BYTES_SCTP,
	KNAT_STAT_OUT_BYTES_UDPLITE,
	KNAT_STAT_OUT_BYTES_DCCP,
	KNAT_STAT_OUT_BYTES_OTHER,
	KNAT_STAT_IN_BYTES_SCTP,
	KNAT_STAT_IN_BYTES_UDPLITE,
	KNAT_STAT_IN_BYTES_DCCP,
	KNAT_STAT_IN_BYTES_OTHER,
	/* No ports: (protocol, outside address, remote) is another host's. */
	KNAT_STAT_DROP_ADDR_TAKEN,
	KNAT_STAT_FASTPATH,		/* of the translated: sent at ingress */
	__KNAT_STAT_MAX
};

#define KNAT_STAT_MAX (__KNAT_STAT_MAX - 1)

#endif /* _UAPI_LINUX_KNAT_H */
