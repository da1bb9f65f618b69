// SPDX-License-Identifier: GPL-2.0
/* knat stats: the namespace's counters. */
#include <stdio.h>
#include <string.h>
#include <linux/knat.h>
#include "cli.h"
#include "json.h"

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
};

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[KNAT_A_MAX + 1], *attr;
	uint32_t maps = 0;

	if (knat_nl_parse(nlh, tb, KNAT_A_MAX) < 0 || !tb[KNAT_A_STATS])
		return MNL_CB_ERROR;
	if (tb[KNAT_A_MAPPINGS])
		maps = mnl_attr_get_u32(tb[KNAT_A_MAPPINGS]);
	if (cli.json) {
		json_begin('{', NULL);
		json_uint("mappings", maps);
	} else {
		printf("%-24s %llu\n", "mappings", (unsigned long long)maps);
	}
	mnl_attr_for_each_nested(attr, tb[KNAT_A_STATS]) {
		unsigned int i = mnl_attr_get_type(attr) - 1;
		const char *name = i < __KNAT_STAT_MAX ? stat_names[i] : NULL;
		char unknown[32];

		if (!name) {	/* a newer module: show it anyway */
			snprintf(unknown, sizeof(unknown), "counter_%u", i);
			name = unknown;
		}
		if (cli.json)
			json_uint(name, mnl_attr_get_u64(attr));
		else
			printf("%-24s %llu\n", name,
			       (unsigned long long)mnl_attr_get_u64(attr));
	}
	if (cli.json) {
		json_end('}');
		json_done();
	}
	return MNL_CB_OK;
}

int cmd_stats(int argc, char **argv)
{
	struct knat_nl nl;

	if (argc >= 2 && !strcmp(argv[1], "help")) {
		printf("Usage: knat [-j] stats\n");
		return EXIT_OK;
	}
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "show")))
		return usage_error("stats: unknown argument '%s'", argv[1]);
	knat_nl_init(&nl);
	return cli_run(&nl, knat_nl_msg(&nl, KNAT_CMD_STATS_GET, 0), stats_cb,
		       NULL);
}
