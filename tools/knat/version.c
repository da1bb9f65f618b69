// SPDX-License-Identifier: GPL-2.0
/* knat version: the CLI's and the module's versions, and whether they agree. */
#include <stdio.h>
#include <string.h>
#include <linux/knat.h>
#include "cli.h"

struct info {
	char module[64];
	unsigned int genl_version;
};

static int info_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[KNAT_A_MAX + 1];
	struct info *info = data;

	if (knat_nl_parse(nlh, tb, KNAT_A_MAX) < 0)
		return MNL_CB_ERROR;
	if (tb[KNAT_A_VERSION])
		snprintf(info->module, sizeof(info->module), "%s",
			 mnl_attr_get_str(tb[KNAT_A_VERSION]));
	if (tb[KNAT_A_GENL_VERSION])
		info->genl_version = mnl_attr_get_u32(tb[KNAT_A_GENL_VERSION]);
	return MNL_CB_OK;
}

int cmd_version(int argc, char **argv)
{
	struct info info = { "unknown", 0 };
	struct knat_nl nl;

	if (argc > 1 && !strcmp(argv[1], "help")) {
		printf("Usage: knat version\n");
		return EXIT_OK;
	}
	if (argc > 1)
		return usage_error("version takes no arguments ('%s')", argv[1]);
	knat_nl_init(&nl);
	if (cli_run(&nl, knat_nl_msg(&nl, KNAT_CMD_GET_INFO, 0), info_cb,
		    &info) != EXIT_OK)
		return EXIT_FAIL;
	if (cli.json)
		printf("{\"cli\":\"%s\",\"module\":\"%s\",\"genl_version\":%u,\"cli_genl_version\":%u}\n",
		       KNAT_CLI_VERSION, info.module, info.genl_version,
		       KNAT_GENL_VERSION);
	else
		printf("knat CLI %s, module %s (netlink family version %u)\n",
		       KNAT_CLI_VERSION, info.module, info.genl_version);
	if (strcmp(info.module, KNAT_CLI_VERSION))
		fprintf(stderr, "knat: warning: CLI %s and module %s are different releases\n",
			KNAT_CLI_VERSION, info.module);
	if (info.genl_version != KNAT_GENL_VERSION) {
		fprintf(stderr, "knat: warning: the CLI speaks family version %u, the module %u\n",
			KNAT_GENL_VERSION, info.genl_version);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
