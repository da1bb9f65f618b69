// SPDX-License-Identifier: GPL-2.0
/*
 * knat stats: the namespace's counters, grouped so that they read at a
 * glance in 80 columns, and per pool bar charts of its port blocks and of
 * its busiest subscribers.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/knat.h>
#include "cli.h"
#include "json.h"
#include "subscriber.h"

/* Names in enum knat_stat order; the JSON keys are these. */
static const char *const stat_names[__KNAT_STAT_MAX] = {
	[KNAT_STAT_OUT_XLATED] = "out_translated",
	[KNAT_STAT_IN_XLATED] = "in_translated",
	[KNAT_STAT_HAIRPIN] = "hairpinned",
	[KNAT_STAT_MAP_CREATED] = "mappings_created",
	[KNAT_STAT_MAP_EXPIRED] = "mappings_expired",
	[KNAT_STAT_BLOCK_ALLOC] = "blocks_allocated",
	[KNAT_STAT_BLOCK_FREE] = "blocks_freed",
	[KNAT_STAT_DROP_NO_MAPPING] = "drop_no_mapping",
	[KNAT_STAT_DROP_FILTERED] = "drop_filtered",
	[KNAT_STAT_DROP_POOL_FULL] = "drop_pool_full",
	[KNAT_STAT_DROP_SUB_LIMIT] = "drop_subscriber_limit",
	[KNAT_STAT_DROP_NOMEM] = "drop_nomem",
	[KNAT_STAT_DROP_MALFORMED] = "drop_malformed",
	[KNAT_STAT_DROP_FRAGMENT] = "drop_fragment",
	[KNAT_STAT_NL_REQUESTS] = "netlink_requests",
	[KNAT_STAT_EVENT_SUPPRESSED] = "events_suppressed",
	[KNAT_STAT_ICMP_ERR_IN] = "icmp_errors_in",
	[KNAT_STAT_ICMP_ERR_OUT] = "icmp_errors_out",
	[KNAT_STAT_ICMP_SENT] = "icmp_sent",
	[KNAT_STAT_ICMP_SUPPRESSED] = "icmp_suppressed",
	[KNAT_STAT_DROP_TTL_EXPIRED] = "drop_ttl_expired",
	[KNAT_STAT_DROP_ICMP_TRUNCATED] = "drop_icmp_truncated",
	[KNAT_STAT_DROP_ICMP_CHECKSUM] = "drop_icmp_checksum",
	[KNAT_STAT_DROP_ICMP_NO_MAPPING] = "drop_icmp_no_mapping",
	[KNAT_STAT_DROP_ICMP_UNTRANSLATABLE] = "drop_icmp_untranslatable",
	[KNAT_STAT_OUT_PKTS_TCP] = "out_packets_tcp",
	[KNAT_STAT_OUT_PKTS_UDP] = "out_packets_udp",
	[KNAT_STAT_OUT_PKTS_ICMP] = "out_packets_icmp",
	[KNAT_STAT_IN_PKTS_TCP] = "in_packets_tcp",
	[KNAT_STAT_IN_PKTS_UDP] = "in_packets_udp",
	[KNAT_STAT_IN_PKTS_ICMP] = "in_packets_icmp",
	[KNAT_STAT_OUT_BYTES_TCP] = "out_bytes_tcp",
	[KNAT_STAT_OUT_BYTES_UDP] = "out_bytes_udp",
	[KNAT_STAT_OUT_BYTES_ICMP] = "out_bytes_icmp",
	[KNAT_STAT_IN_BYTES_TCP] = "in_bytes_tcp",
	[KNAT_STAT_IN_BYTES_UDP] = "in_bytes_udp",
	[KNAT_STAT_IN_BYTES_ICMP] = "in_bytes_icmp",
	[KNAT_STAT_DROP_MAPPING_LIMIT] = "drop_mapping_limit",
	[KNAT_STAT_LIMIT_REFUSED] = "limit_refused",
	[KNAT_STAT_DROP_SPOOFED] = "drop_spoofed",
	[KNAT_STAT_DROP_UNSUPPORTED] = "drop_unsupported",
	[KNAT_STAT_DROP_OTHER_UPLINK] = "drop_other_uplink",
	[KNAT_STAT_DROP_CONTENDED] = "drop_contended",
	[KNAT_STAT_DROP_TWIN_LIMIT] = "drop_twin_limit",
	[KNAT_STAT_OUT_PKTS_SCTP] = "out_packets_sctp",
	[KNAT_STAT_OUT_PKTS_UDPLITE] = "out_packets_udplite",
	[KNAT_STAT_OUT_PKTS_DCCP] = "out_packets_dccp",
	[KNAT_STAT_OUT_PKTS_OTHER] = "out_packets_other",
	[KNAT_STAT_IN_PKTS_SCTP] = "in_packets_sctp",
	[KNAT_STAT_IN_PKTS_UDPLITE] = "in_packets_udplite",
	[KNAT_STAT_IN_PKTS_DCCP] = "in_packets_dccp",
	[KNAT_STAT_IN_PKTS_OTHER] = "in_packets_other",
	[KNAT_STAT_OUT_BYTES_SCTP] = "out_bytes_sctp",
	[KNAT_STAT_OUT_BYTES_UDPLITE] = "out_bytes_udplite",
	[KNAT_STAT_OUT_BYTES_DCCP] = "out_bytes_dccp",
	[KNAT_STAT_OUT_BYTES_OTHER] = "out_bytes_other",
	[KNAT_STAT_IN_BYTES_SCTP] = "in_bytes_sctp",
	[KNAT_STAT_IN_BYTES_UDPLITE] = "in_bytes_udplite",
	[KNAT_STAT_IN_BYTES_DCCP] = "in_bytes_dccp",
	[KNAT_STAT_IN_BYTES_OTHER] = "in_bytes_other",
	[KNAT_STAT_DROP_ADDR_TAKEN] = "drop_addr_taken",
	[KNAT_STAT_FASTPATH] = "fastpath",
};

#define STATS_MAX	128	/* counters a newer module may send */
#define BUSIEST		5	/* subscribers charted per pool */
#define BAR		40	/* bar width of the block chart, characters */
#define BAR_SUB		16	/* ... of the subscriber chart */

struct pool_stats {
	char name[KNAT_POOL_NAME_MAX];
	uint32_t total, used, cooling, subs;
	unsigned int nbusy;
	struct subscriber busy[BUSIEST];	/* most ports in use first */
};

/*
 * Per protocol: its mappings' attribute and its first counter, out
 * packets; in packets, out bytes and in bytes follow @stride apart.
 */
static const struct {
	const char *name;
	int maps_attr;
	unsigned int first, stride;
} protos[] = {
	{ "tcp", KNAT_A_MAPPINGS_TCP, KNAT_STAT_OUT_PKTS_TCP, 3 },
	{ "udp", KNAT_A_MAPPINGS_UDP, KNAT_STAT_OUT_PKTS_UDP, 3 },
	{ "icmp", KNAT_A_MAPPINGS_ICMP, KNAT_STAT_OUT_PKTS_ICMP, 3 },
	{ "sctp", KNAT_A_MAPPINGS_SCTP, KNAT_STAT_OUT_PKTS_SCTP, 4 },
	{ "udplite", KNAT_A_MAPPINGS_UDPLITE, KNAT_STAT_OUT_PKTS_UDPLITE, 4 },
	{ "dccp", KNAT_A_MAPPINGS_DCCP, KNAT_STAT_OUT_PKTS_DCCP, 4 },
	{ "other", KNAT_A_MAPPINGS_OTHER, KNAT_STAT_OUT_PKTS_OTHER, 4 },
};

#define NPROTO (sizeof(protos) / sizeof(protos[0]))

struct stats {
	uint64_t cnt[STATS_MAX];
	unsigned int ncnt;
	uint32_t maps, maps_proto[NPROTO];
	unsigned int npools;
	struct pool_stats *pools;
};

static int counters_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[KNAT_A_MAX + 1], *attr;
	struct stats *st = data;
	unsigned int i;

	if (knat_nl_parse(nlh, tb, KNAT_A_MAX) < 0 || !tb[KNAT_A_STATS])
		return MNL_CB_ERROR;
	if (tb[KNAT_A_MAPPINGS])
		st->maps = mnl_attr_get_u32(tb[KNAT_A_MAPPINGS]);
	for (i = 0; i < NPROTO; i++)
		if (tb[protos[i].maps_attr])
			st->maps_proto[i] = mnl_attr_get_u32(tb[protos[i].maps_attr]);
	mnl_attr_for_each_nested(attr, tb[KNAT_A_STATS]) {
		i = mnl_attr_get_type(attr) - 1;
		if (i < STATS_MAX) {
			st->cnt[i] = mnl_attr_get_u64(attr);
			if (i + 1 > st->ncnt)
				st->ncnt = i + 1;
		}
	}
	return MNL_CB_OK;
}

static int pools_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[KNAT_A_MAX + 1];
	struct stats *st = data;
	struct pool_stats *p;

	if (knat_nl_parse(nlh, tb, KNAT_A_MAX) < 0 || !tb[KNAT_A_POOL_NAME])
		return MNL_CB_ERROR;
	p = realloc(st->pools, (st->npools + 1) * sizeof(*p));
	if (!p)
		return MNL_CB_ERROR;
	st->pools = p;
	p = &st->pools[st->npools++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s",
		 mnl_attr_get_str(tb[KNAT_A_POOL_NAME]));
	p->total = mnl_attr_get_u32(tb[KNAT_A_BLOCKS_TOTAL]);
	p->used = mnl_attr_get_u32(tb[KNAT_A_BLOCKS_USED]);
	p->cooling = mnl_attr_get_u32(tb[KNAT_A_BLOCKS_COOLING]);
	p->subs = mnl_attr_get_u32(tb[KNAT_A_SUBSCRIBERS]);
	return MNL_CB_OK;
}

/* Keeps each pool's BUSIEST subscribers, by ports in use. */
static int subs_cb(const struct nlmsghdr *nlh, void *data)
{
	struct stats *st = data;
	struct subscriber s;
	struct pool_stats *p = NULL;
	unsigned int i, j;

	if (subscriber_parse(nlh, &s) < 0)
		return MNL_CB_ERROR;
	for (i = 0; i < st->npools && !p; i++)
		if (!strcmp(st->pools[i].name, s.pool))
			p = &st->pools[i];
	if (!p)		/* a pool added since the pool dump */
		return MNL_CB_OK;
	for (i = 0; i < p->nbusy && p->busy[i].ports >= s.ports; i++)
		;
	if (i == BUSIEST)
		return MNL_CB_OK;
	if (p->nbusy < BUSIEST)
		p->nbusy++;
	for (j = p->nbusy - 1; j > i; j--)
		p->busy[j] = p->busy[j - 1];
	p->busy[i] = s;
	return MNL_CB_OK;
}

/* |####    |: @n of @of in @width characters, any non-zero n visible. */
static void put_bar(uint64_t n, uint64_t of, unsigned int width)
{
	uint64_t len = of ? (n * width + of - 1) / of : 0;
	unsigned int i;

	putchar('|');
	for (i = 0; i < width; i++)
		putchar(i < len ? '#' : ' ');
	putchar('|');
}

static void print_bar(const char *label, const char *what, uint64_t n,
		      uint64_t of)
{
	printf("  %-7s %-7s ", label, what);
	put_bar(n, of, BAR);
	printf(" %6llu %5.1f%%\n", (unsigned long long)n, of ? 100.0 * n / of : 0);
}

static void print_pool(const struct pool_stats *p)
{
	char in[INET_ADDRSTRLEN], out[INET_ADDRSTRLEN];
	unsigned int i;

	printf("\npool %s: %u blocks, %u subscribers\n", p->name, p->total,
	       p->subs);
	print_bar("blocks", "in use", p->used, p->total);
	print_bar("", "cooling", p->cooling, p->total);
	print_bar("", "free", p->total - p->used - p->cooling, p->total);
	if (!p->nbusy)
		return;
	printf("  busiest subscribers, by ports in use\n");
	for (i = 0; i < p->nbusy; i++) {
		inet_ntop(AF_INET, &p->busy[i].in, in, sizeof(in));
		inet_ntop(AF_INET, &p->busy[i].out, out, sizeof(out));
		printf("  %-15s ", in);
		put_bar(p->busy[i].ports, p->busy[0].ports, BAR_SUB);
		printf(" %5u ports, %u blocks, %s\n", p->busy[i].ports,
		       p->busy[i].blocks, out);
	}
}

static const char *stat_name(unsigned int i, char *buf, size_t len)
{
	if (i < __KNAT_STAT_MAX && stat_names[i])
		return stat_names[i];
	snprintf(buf, len, "counter_%u", i);	/* a newer module's */
	return buf;
}

/* Prints the counters @want picks, in two columns. */
static void print_counters(const struct stats *st, const char *title,
			   bool (*want)(unsigned int i))
{
	char buf[32];
	unsigned int i, col = 0;

	printf("\n%s\n", title);
	for (i = 0; i < st->ncnt; i++) {
		if (!want(i))
			continue;
		printf("  %-24s %12llu%s", stat_name(i, buf, sizeof(buf)),
		       (unsigned long long)st->cnt[i], col++ % 2 ? "\n" : "");
	}
	if (col % 2)
		putchar('\n');
}

static bool is_per_proto(unsigned int i)
{
	return (i >= KNAT_STAT_OUT_PKTS_TCP && i <= KNAT_STAT_IN_BYTES_ICMP) ||
	       (i >= KNAT_STAT_OUT_PKTS_SCTP && i <= KNAT_STAT_IN_BYTES_OTHER);
}

static bool is_drop(unsigned int i)
{
	return i < __KNAT_STAT_MAX && stat_names[i] &&
	       !strncmp(stat_names[i], "drop_", 5);
}

static bool is_other(unsigned int i)
{
	return !is_per_proto(i) && !is_drop(i);
}

static void print_text(const struct stats *st)
{
	unsigned int i, d, c;

	printf("mappings %u:", st->maps);
	for (i = 0; i < NPROTO; i++)
		printf("%s %s %u", i ? "," : "", protos[i].name, st->maps_proto[i]);
	printf("\n\ntranslated        %20s %20s\n", "packets", "bytes");
	for (d = 0; d < 2; d++)
		for (i = 0; i < NPROTO; i++) {
			c = protos[i].first + d * protos[i].stride;
			printf("  %-4s %-10s %20llu %20llu\n", d ? "in" : "out",
			       protos[i].name, (unsigned long long)st->cnt[c],
			       (unsigned long long)st->cnt[c + 2 * protos[i].stride]);
		}
	print_counters(st, "translation, mappings, blocks, ICMP", is_other);
	print_counters(st, "drops", is_drop);
	for (i = 0; i < st->npools; i++)
		print_pool(&st->pools[i]);
}

static void print_json(const struct stats *st)
{
	char in[INET_ADDRSTRLEN], out[INET_ADDRSTRLEN], buf[32];
	unsigned int i, j;

	json_begin('{', NULL);
	json_uint("mappings", st->maps);
	for (i = 0; i < NPROTO; i++) {
		snprintf(buf, sizeof(buf), "mappings_%s", protos[i].name);
		json_uint(buf, st->maps_proto[i]);
	}
	for (i = 0; i < st->ncnt; i++)
		json_uint(stat_name(i, buf, sizeof(buf)), st->cnt[i]);
	json_begin('[', "pools");
	for (i = 0; i < st->npools; i++) {
		const struct pool_stats *p = &st->pools[i];

		json_begin('{', NULL);
		json_str("name", p->name);
		json_uint("blocks_total", p->total);
		json_uint("blocks_used", p->used);
		json_uint("blocks_cooling", p->cooling);
		json_uint("blocks_free", p->total - p->used - p->cooling);
		json_uint("subscribers", p->subs);
		json_begin('[', "busiest");
		for (j = 0; j < p->nbusy; j++) {
			inet_ntop(AF_INET, &p->busy[j].in, in, sizeof(in));
			inet_ntop(AF_INET, &p->busy[j].out, out, sizeof(out));
			json_begin('{', NULL);
			json_str("inside_addr", in);
			json_str("outside_addr", out);
			json_uint("blocks", p->busy[j].blocks);
			json_uint("ports", p->busy[j].ports);
			json_end('}');
		}
		json_end(']');
		json_end('}');
	}
	json_end(']');
	json_end('}');
	json_done();
}

int cmd_stats(int argc, char **argv)
{
	struct stats st = { 0 };
	struct knat_nl nl;
	int ret;

	if (argc >= 2 && !strcmp(argv[1], "help")) {
		printf("Usage: knat [-j] stats\n");
		return EXIT_OK;
	}
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "show")))
		return usage_error("stats: unknown argument '%s'", argv[1]);
	knat_nl_init(&nl);
	ret = cli_run(&nl, knat_nl_msg(&nl, KNAT_CMD_STATS_GET, 0), counters_cb, &st);
	if (ret == EXIT_OK)
		ret = cli_run(&nl, knat_nl_msg(&nl, KNAT_CMD_POOL_GET, NLM_F_DUMP),
			      pools_cb, &st);
	if (ret == EXIT_OK)
		ret = cli_run(&nl, knat_nl_msg(&nl, KNAT_CMD_SUBSCRIBER_GET, NLM_F_DUMP),
			      subs_cb, &st);
	if (ret == EXIT_OK) {
		if (cli.json)
			print_json(&st);
		else
			print_text(&st);
	}
	free(st.pools);
	return ret;
}
