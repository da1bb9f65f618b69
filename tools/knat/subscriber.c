// SPDX-License-Identifier: GPL-2.0
/* knat subscriber: inside hosts holding port blocks, and how much of them. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <linux/knat.h>
#include "args.h"
#include "cli.h"
#include "json.h"
#include "subscriber.h"

static const char subscriber_usage[] =
	"Usage: knat [-j] subscriber show [pool NAME] [inside ADDR]\n";

int subscriber_parse(const struct nlmsghdr *nlh, struct subscriber *s)
{
	const struct nlattr *tb[KNAT_A_MAX + 1];

	if (knat_nl_parse(nlh, tb, KNAT_A_MAX) < 0 || !tb[KNAT_A_IN_ADDR] ||
	    !tb[KNAT_A_OUT_ADDR] || !tb[KNAT_A_POOL_NAME] ||
	    !tb[KNAT_A_BLOCKS_USED] || !tb[KNAT_A_PORTS_USED])
		return -1;
	s->in.s_addr = mnl_attr_get_u32(tb[KNAT_A_IN_ADDR]);
	s->out.s_addr = mnl_attr_get_u32(tb[KNAT_A_OUT_ADDR]);
	snprintf(s->pool, sizeof(s->pool), "%s",
		 mnl_attr_get_str(tb[KNAT_A_POOL_NAME]));
	s->blocks = mnl_attr_get_u32(tb[KNAT_A_BLOCKS_USED]);
	s->ports = mnl_attr_get_u32(tb[KNAT_A_PORTS_USED]);
	return 0;
}

static int subscriber_cb(const struct nlmsghdr *nlh, void *data)
{
	char in[INET_ADDRSTRLEN], out[INET_ADDRSTRLEN];
	struct subscriber s;
	int *n = data;

	if (subscriber_parse(nlh, &s) < 0)
		return MNL_CB_ERROR;
	inet_ntop(AF_INET, &s.in, in, sizeof(in));
	inet_ntop(AF_INET, &s.out, out, sizeof(out));
	if (cli.json) {
		json_begin('{', NULL);
		json_str("inside_addr", in);
		json_str("outside_addr", out);
		json_str("pool", s.pool);
		json_uint("blocks", s.blocks);
		json_uint("ports", s.ports);
		json_end('}');
	} else {
		if (!(*n)++)
			printf("%-15s  %-15s  %-15s  %6s  %6s\n", "inside",
			       "outside", "pool", "blocks", "ports");
		printf("%-15s  %-15s  %-15s  %6u  %6u\n", in, out, s.pool,
		       s.blocks, s.ports);
	}
	return MNL_CB_OK;
}

static int subscriber_show(int argc, char **argv)
{
	struct nlmsghdr *nlh;
	struct knat_nl nl;
	struct in_addr a;
	const char *val;
	int i, n = 0;

	knat_nl_init(&nl);
	nlh = knat_nl_msg(&nl, KNAT_CMD_SUBSCRIBER_GET, NLM_F_DUMP);
	for (i = 2; i < argc; i += 2) {
		val = need_value(argc, argv, i, "subscriber show");
		if (!val)
			return EXIT_USAGE;
		if (!strcmp(argv[i], "pool")) {
			if (strlen(val) >= KNAT_POOL_NAME_MAX)
				return usage_error("pool: '%s' is longer than %d characters",
						   val, KNAT_POOL_NAME_MAX - 1);
			mnl_attr_put_strz(nlh, KNAT_A_POOL_NAME, val);
		} else if (!strcmp(argv[i], "inside")) {
			if (parse_addr("inside", val, &a) < 0)
				return EXIT_USAGE;
			mnl_attr_put_u32(nlh, KNAT_A_IN_ADDR, a.s_addr);
		} else {
			return usage_error("subscriber show: unknown argument '%s'",
					   argv[i]);
		}
	}
	return cli_dump(&nl, nlh, subscriber_cb, &n);
}

int cmd_subscriber(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "show"))
		return subscriber_show(argc, argv);
	if (is_help(argv[1])) {
		fputs(subscriber_usage, stdout);
		return EXIT_OK;
	}
	return usage_error("subscriber: unknown command '%s'", argv[1]);
}
