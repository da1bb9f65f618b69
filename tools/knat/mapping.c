// SPDX-License-Identifier: GPL-2.0
/* knat mapping: list and flush NAT mappings. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <linux/knat.h>
#include "args.h"
#include "cli.h"
#include "json.h"

static const char mapping_usage[] =
	"Usage: knat [-j] mapping show [proto PROTO] [inside ADDR] [outside ADDR]\n"
	"       knat mapping flush\n";

static int mapping_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[KNAT_A_MAX + 1];
	char in[INET_ADDRSTRLEN], out[INET_ADDRSTRLEN], remote[INET_ADDRSTRLEN] = "";
	struct in_addr a;
	unsigned int inport, outport, expires;
	const char *proto, *state = "", *pool = "";
	int *n = data;

	if (knat_nl_parse(nlh, tb, KNAT_A_MAX) < 0)
		return MNL_CB_ERROR;
	proto = proto_name(mnl_attr_get_u8(tb[KNAT_A_PROTO]));
	a.s_addr = mnl_attr_get_u32(tb[KNAT_A_IN_ADDR]);
	inet_ntop(AF_INET, &a, in, sizeof(in));
	a.s_addr = mnl_attr_get_u32(tb[KNAT_A_OUT_ADDR]);
	inet_ntop(AF_INET, &a, out, sizeof(out));
	inport = ntohs(mnl_attr_get_u16(tb[KNAT_A_IN_PORT]));
	outport = ntohs(mnl_attr_get_u16(tb[KNAT_A_OUT_PORT]));
	expires = mnl_attr_get_u32(tb[KNAT_A_EXPIRES_MS]);
	if (tb[KNAT_A_TCP_STATE])
		state = mnl_attr_get_u8(tb[KNAT_A_TCP_STATE]) == KNAT_TCP_EST ?
			"established" : "transitory";
	if (tb[KNAT_A_POOL_NAME])
		pool = mnl_attr_get_str(tb[KNAT_A_POOL_NAME]);
	if (tb[KNAT_A_REMOTE_ADDR]) {
		a.s_addr = mnl_attr_get_u32(tb[KNAT_A_REMOTE_ADDR]);
		inet_ntop(AF_INET, &a, remote, sizeof(remote));
	}
	(*n)++;
	if (cli.json) {
		json_begin('{', NULL);
		json_str("proto", proto);
		json_str("inside_addr", in);
		json_uint("inside_port", inport);
		json_str("outside_addr", out);
		json_uint("outside_port", outport);
		json_uint("expires_ms", expires);
		if (remote[0])
			json_str("remote_addr", remote);
		if (state[0])
			json_str("tcp_state", state);
		json_str("pool", pool);
		json_end('}');
		return MNL_CB_OK;
	}
	if (remote[0])	/* no ports: one remote's */
		printf("%-7s %15s       -> %15s       %6us remote %s\n", proto, in,
		       out, (expires + 999) / 1000, remote);
	else if (!pool[0])	/* a forward: permanent */
		printf("%-7s %15s:%-5u -> %15s:%-5u forward\n", proto, in, inport,
		       out, outport);
	else
		printf("%-7s %15s:%-5u -> %15s:%-5u %6us %s\n", proto, in, inport,
		       out, outport, (expires + 999) / 1000, state);
	return MNL_CB_OK;
}

static int mapping_show(int argc, char **argv)
{
	struct nlmsghdr *nlh;
	struct knat_nl nl;
	struct in_addr a;
	const char *val;
	uint8_t proto;
	int i, n = 0;

	knat_nl_init(&nl);
	nlh = knat_nl_msg(&nl, KNAT_CMD_MAPPING_GET, NLM_F_DUMP);
	for (i = 2; i < argc; i += 2) {
		val = need_value(argc, argv, i, "mapping show");
		if (!val)
			return EXIT_USAGE;
		if (!strcmp(argv[i], "proto")) {
			if (parse_proto("proto", val, &proto) < 0)
				return EXIT_USAGE;
			mnl_attr_put_u8(nlh, KNAT_A_PROTO, proto);
		} else if (!strcmp(argv[i], "inside") || !strcmp(argv[i], "outside")) {
			if (parse_addr(argv[i], val, &a) < 0)
				return EXIT_USAGE;
			mnl_attr_put_u32(nlh, argv[i][0] == 'i' ? KNAT_A_IN_ADDR :
					 KNAT_A_OUT_ADDR, a.s_addr);
		} else {
			fprintf(stderr, "knat: mapping show: unknown argument '%s'\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	return cli_dump(&nl, nlh, mapping_cb, &n);
}

int cmd_mapping(int argc, char **argv)
{
	struct knat_nl nl;

	if (argc < 2 || !strcmp(argv[1], "show"))
		return mapping_show(argc, argv);
	if (is_help(argv[1])) {
		fputs(mapping_usage, stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "flush"))
		return usage_error("mapping: unknown command '%s'", argv[1]);
	if (argc > 2)
		return usage_error("mapping flush: unknown argument '%s'", argv[2]);
	knat_nl_init(&nl);
	return cli_run(&nl, knat_nl_msg(&nl, KNAT_CMD_MAPPING_FLUSH, 0), NULL, NULL);
}
