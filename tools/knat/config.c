// SPDX-License-Identifier: GPL-2.0
/* knat config: the namespace's timeouts, filtering and block settings. */
#include <stdio.h>
#include <string.h>
#include <linux/knat.h>
#include "args.h"
#include "cli.h"
#include "json.h"

/* One table drives set, show and JSON: key, attribute, width, range. */
static const struct setting {
	const char *key;
	int attr;
	int bytes;
	uint32_t min, max;
} settings[] = {
	{ "timeout-udp", KNAT_A_CFG_TIMEOUT_UDP, 4, 1, 86400 * 7 },
	{ "timeout-tcp-est", KNAT_A_CFG_TIMEOUT_TCP_EST, 4, 1, 86400 * 7 },
	{ "timeout-tcp-trans", KNAT_A_CFG_TIMEOUT_TCP_TRANS, 4, 1, 86400 * 7 },
	{ "timeout-icmp", KNAT_A_CFG_TIMEOUT_ICMP, 4, 1, 86400 * 7 },
	{ "timeout-sctp", KNAT_A_CFG_TIMEOUT_SCTP, 4, 1, 86400 * 7 },
	{ "timeout-udplite", KNAT_A_CFG_TIMEOUT_UDPLITE, 4, 1, 86400 * 7 },
	{ "timeout-dccp", KNAT_A_CFG_TIMEOUT_DCCP, 4, 1, 86400 * 7 },
	{ "timeout-other", KNAT_A_CFG_TIMEOUT_OTHER, 4, 1, 86400 * 7 },
	{ "filtering", KNAT_A_CFG_FILTERING, 1, 0, 2 },
	{ "block-size", KNAT_A_CFG_BLOCK_SIZE, 2, 64, 4096 },
	{ "max-blocks-per-subscriber", KNAT_A_CFG_MAX_BLOCKS, 2, 1, 65535 },
	{ "cooling", KNAT_A_CFG_COOLING, 4, 0, 86400 },
	{ "port-parity", KNAT_A_CFG_PORT_PARITY, 1, 0, 1 },
	{ "icmp-rate", KNAT_A_CFG_ICMP_RATE, 4, 0, 10000 },
	{ "icmp-burst", KNAT_A_CFG_ICMP_BURST, 4, 1, 10000 },
	{ "unreach-no-mapping", KNAT_A_CFG_UNREACH_NO_MAPPING, 1, 0, 1 },
	{ "max-mappings", KNAT_A_CFG_MAX_MAPPINGS, 4, 1, 0xffffffff },
	{ "max-addresses", KNAT_A_CFG_MAX_ADDRESSES, 4, 1, 0xffffffff },
	{ "fastpath", KNAT_A_CFG_FASTPATH, 1, 0, 1 },
};

static const char *const filtering_names[] = { "eif", "adf", "apdf" };

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static void config_usage(FILE *f)
{
	size_t i;

	fputs("Usage: knat config set KEY VALUE [KEY VALUE...]\n"
	      "       knat [-j] config show\nKeys:", f);
	for (i = 0; i < NSETTINGS; i++)
		fprintf(f, " %s", settings[i].key);
	fputs("\nTimeouts and cooling are in seconds (timeout-other: protocols without\n"
	      "ports, GRE, ESP...); filtering is eif, adf or apdf;\n"
	      "port-parity 1 gives even inside ports even outside ports (RFC 4787);\n"
	      "icmp-rate (0: none) and icmp-burst bound the ICMP knat sends itself;\n"
	      "unreach-no-mapping 1 answers unmapped inbound packets with 3/13;\n"
	      "max-mappings and max-addresses (pool addresses and 1:1 entries)\n"
	      "limit the namespace; only the host's administrator may raise them;\n"
	      "fastpath 1 sends established TCP and UDP flows at ingress.\n", f);
}

static int config_set(int argc, char **argv)
{
	struct nlmsghdr *nlh;
	struct knat_nl nl;
	uint32_t v;
	size_t k;
	int i;

	if (argc < 4 || argc % 2)
		return usage_error("config set: give KEY VALUE pairs");
	knat_nl_init(&nl);
	nlh = knat_nl_msg(&nl, KNAT_CMD_CONFIG_SET, 0);
	for (i = 2; i < argc; i += 2) {
		for (k = 0; k < NSETTINGS && strcmp(settings[k].key, argv[i]); k++)
			;
		if (k == NSETTINGS)
			return usage_error("config set: unknown key '%s'", argv[i]);
		if (settings[k].attr == KNAT_A_CFG_FILTERING) {
			for (v = 0; v < 3 && strcmp(filtering_names[v], argv[i + 1]); v++)
				;
			if (v == 3)
				return usage_error("filtering: '%s' is not eif, adf or apdf",
						   argv[i + 1]);
		} else if (parse_u32(settings[k].key, argv[i + 1], settings[k].min,
				     settings[k].max, &v) < 0) {
			return EXIT_USAGE;
		}
		if (settings[k].bytes == 1)
			mnl_attr_put_u8(nlh, settings[k].attr, v);
		else if (settings[k].bytes == 2)
			mnl_attr_put_u16(nlh, settings[k].attr, v);
		else
			mnl_attr_put_u32(nlh, settings[k].attr, v);
	}
	return cli_run(&nl, nlh, NULL, NULL);
}

static int config_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[KNAT_A_MAX + 1];
	uint32_t v;
	size_t k;

	if (knat_nl_parse(nlh, tb, KNAT_A_MAX) < 0)
		return MNL_CB_ERROR;
	if (cli.json)
		json_begin('{', NULL);
	if (cli.save)
		fputs("config set", cli.out);
	for (k = 0; k < NSETTINGS; k++) {
		const struct nlattr *a = tb[settings[k].attr];

		if (!a)
			continue;
		v = settings[k].bytes == 1 ? mnl_attr_get_u8(a) :
		    settings[k].bytes == 2 ? mnl_attr_get_u16(a) : mnl_attr_get_u32(a);
		if (settings[k].attr == KNAT_A_CFG_FILTERING) {
			const char *name = v < 3 ? filtering_names[v] : "?";

			if (cli.save)
				fprintf(cli.out, " %s %s", settings[k].key, name);
			else if (cli.json)
				json_str(settings[k].key, name);
			else
				printf("%s %s\n", settings[k].key, name);
		} else if (cli.save) {
			fprintf(cli.out, " %s %u", settings[k].key, v);
		} else if (cli.json) {
			json_uint(settings[k].key, v);
		} else {
			printf("%s %u\n", settings[k].key, v);
		}
	}
	if (cli.save)
		fputc('\n', cli.out);
	if (cli.json) {
		json_end('}');
		json_done();
	}
	return MNL_CB_OK;
}

int cmd_config(int argc, char **argv)
{
	struct knat_nl nl;

	if (argc >= 2 && is_help(argv[1])) {
		config_usage(stdout);
		return EXIT_OK;
	}
	if (argc >= 2 && !strcmp(argv[1], "set"))
		return config_set(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "show"))
		return usage_error("config: unknown command '%s'", argv[1]);
	if (argc > 2)
		return usage_error("config show: unknown argument '%s'", argv[2]);
	knat_nl_init(&nl);
	return cli_run(&nl, knat_nl_msg(&nl, KNAT_CMD_CONFIG_GET, 0), config_cb,
		       NULL);
}
