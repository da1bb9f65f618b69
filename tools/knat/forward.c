// SPDX-License-Identifier: GPL-2.0
/* knat forward / knat static: port forwards and 1:1 NAT. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/knat.h>
#include "args.h"
#include "cli.h"
#include "json.h"

static const char forward_usage[] =
	"Usage: knat forward add tcp|udp OUTSIDE-ADDR:PORT[-PORT] to INSIDE-ADDR:PORT[-PORT]\n"
	"       knat forward del tcp|udp OUTSIDE-ADDR:PORT\n"
	"       knat [-j] forward show\n";

static const char static_usage[] =
	"Usage: knat static add OUTSIDE-ADDR INSIDE-ADDR\n"
	"       knat static del OUTSIDE-ADDR\n"
	"       knat [-j] static show\n";

/* "ADDR:PORT[-PORT]" */
static int parse_endpoint(const char *what, const char *arg, struct in_addr *a,
			  uint16_t *lo, uint16_t *hi)
{
	char buf[64], *colon;

	snprintf(buf, sizeof(buf), "%s", arg);
	colon = strrchr(buf, ':');
	if (!colon) {
		fprintf(stderr, "knat: %s: '%s' is not ADDR:PORT[-PORT]\n", what, arg);
		return -1;
	}
	*colon = 0;
	if (parse_addr(what, buf, a) < 0 ||
	    parse_port_range(what, colon + 1, lo, hi) < 0)
		return -1;
	return 0;
}

static int dump(uint8_t cmd, mnl_cb_t cb)
{
	struct knat_nl nl;

	knat_nl_init(&nl);
	return cli_dump(&nl, knat_nl_msg(&nl, cmd, NLM_F_DUMP), cb, NULL);
}

static int forward_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[KNAT_A_MAX + 1];
	char out[INET_ADDRSTRLEN], in[INET_ADDRSTRLEN];
	unsigned int oport, iport, n;
	struct in_addr a;
	const char *proto;

	if (knat_nl_parse(nlh, tb, KNAT_A_MAX) < 0)
		return MNL_CB_ERROR;
	proto = proto_name(mnl_attr_get_u8(tb[KNAT_A_PROTO]));
	a.s_addr = mnl_attr_get_u32(tb[KNAT_A_OUT_ADDR]);
	inet_ntop(AF_INET, &a, out, sizeof(out));
	a.s_addr = mnl_attr_get_u32(tb[KNAT_A_IN_ADDR]);
	inet_ntop(AF_INET, &a, in, sizeof(in));
	oport = ntohs(mnl_attr_get_u16(tb[KNAT_A_OUT_PORT]));
	iport = ntohs(mnl_attr_get_u16(tb[KNAT_A_IN_PORT]));
	n = mnl_attr_get_u16(tb[KNAT_A_PORT_COUNT]);
	if (cli.json) {
		json_begin('{', NULL);
		json_str("proto", proto);
		json_str("outside_addr", out);
		json_uint("outside_port", oport);
		json_str("inside_addr", in);
		json_uint("inside_port", iport);
		json_uint("ports", n);
		json_end('}');
	} else if (n > 1) {
		fprintf(cli.save ? cli.out : stdout, "forward %s%s %s:%u-%u to %s:%u-%u\n",
			cli.save ? "add " : "", proto, out, oport,
		       oport + n - 1, in, iport, iport + n - 1);
	} else {
		fprintf(cli.save ? cli.out : stdout, "forward %s%s %s:%u to %s:%u\n",
			cli.save ? "add " : "", proto, out, oport, in, iport);
	}
	return MNL_CB_OK;
}

int cmd_forward(int argc, char **argv)
{
	uint16_t olo, ohi, ilo, ihi;
	struct in_addr oaddr, iaddr;
	struct nlmsghdr *nlh;
	struct knat_nl nl;
	uint8_t proto;
	bool add;

	if (argc < 2 || !strcmp(argv[1], "show"))
		return argc > 2 ? usage_error("forward show: unknown argument '%s'", argv[2]) :
				  dump(KNAT_CMD_FORWARD_GET, forward_cb);
	if (is_help(argv[1])) {
		fputs(forward_usage, stdout);
		return EXIT_OK;
	}
	add = !strcmp(argv[1], "add");
	if (!add && strcmp(argv[1], "del"))
		return usage_error("forward: unknown command '%s'", argv[1]);
	if (argc != (add ? 6 : 4))
		return usage_error(add ? "forward add: PROTO OUTSIDE:PORT to INSIDE:PORT" :
				   "forward del: PROTO OUTSIDE:PORT");
	if (parse_proto("proto", argv[2], &proto) < 0)
		return EXIT_USAGE;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return usage_error("forward: proto '%s': tcp or udp", argv[2]);
	if (parse_endpoint("outside", argv[3], &oaddr, &olo, &ohi) < 0)
		return EXIT_USAGE;
	knat_nl_init(&nl);
	nlh = knat_nl_msg(&nl, add ? KNAT_CMD_FORWARD_ADD : KNAT_CMD_FORWARD_DEL, 0);
	mnl_attr_put_u8(nlh, KNAT_A_PROTO, proto);
	mnl_attr_put_u32(nlh, KNAT_A_OUT_ADDR, oaddr.s_addr);
	mnl_attr_put_u16(nlh, KNAT_A_OUT_PORT, htons(olo));
	if (add) {
		if (strcmp(argv[4], "to"))
			return usage_error("forward add: expected 'to', got '%s'", argv[4]);
		if (parse_endpoint("inside", argv[5], &iaddr, &ilo, &ihi) < 0)
			return EXIT_USAGE;
		if (ihi - ilo != ohi - olo)
			return usage_error("forward add: %u outside ports but %u inside ports",
					   ohi - olo + 1, ihi - ilo + 1);
		mnl_attr_put_u32(nlh, KNAT_A_IN_ADDR, iaddr.s_addr);
		mnl_attr_put_u16(nlh, KNAT_A_IN_PORT, htons(ilo));
		mnl_attr_put_u16(nlh, KNAT_A_PORT_COUNT, ohi - olo + 1);
	} else if (ohi != olo) {
		return usage_error("forward del: name the first outside port only");
	}
	return cli_run(&nl, nlh, NULL, NULL);
}

static int static_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[KNAT_A_MAX + 1];
	char out[INET_ADDRSTRLEN], in[INET_ADDRSTRLEN];
	struct in_addr a;

	if (knat_nl_parse(nlh, tb, KNAT_A_MAX) < 0)
		return MNL_CB_ERROR;
	a.s_addr = mnl_attr_get_u32(tb[KNAT_A_OUT_ADDR]);
	inet_ntop(AF_INET, &a, out, sizeof(out));
	a.s_addr = mnl_attr_get_u32(tb[KNAT_A_IN_ADDR]);
	inet_ntop(AF_INET, &a, in, sizeof(in));
	if (cli.json) {
		json_begin('{', NULL);
		json_str("outside_addr", out);
		json_str("inside_addr", in);
		json_end('}');
	} else {
		fprintf(cli.save ? cli.out : stdout, "static %s%s %s\n",
			cli.save ? "add " : "", out, in);
	}
	return MNL_CB_OK;
}

int cmd_static(int argc, char **argv)
{
	struct in_addr out, in;
	struct nlmsghdr *nlh;
	struct knat_nl nl;
	bool add;

	if (argc < 2 || !strcmp(argv[1], "show"))
		return argc > 2 ? usage_error("static show: unknown argument '%s'", argv[2]) :
				  dump(KNAT_CMD_STATIC_GET, static_cb);
	if (is_help(argv[1])) {
		fputs(static_usage, stdout);
		return EXIT_OK;
	}
	add = !strcmp(argv[1], "add");
	if (!add && strcmp(argv[1], "del"))
		return usage_error("static: unknown command '%s'", argv[1]);
	if (argc != (add ? 4 : 3))
		return usage_error(add ? "static add: OUTSIDE-ADDR INSIDE-ADDR" :
				   "static del: OUTSIDE-ADDR");
	if (parse_addr("outside", argv[2], &out) < 0 ||
	    (add && parse_addr("inside", argv[3], &in) < 0))
		return EXIT_USAGE;
	knat_nl_init(&nl);
	nlh = knat_nl_msg(&nl, add ? KNAT_CMD_STATIC_ADD : KNAT_CMD_STATIC_DEL, 0);
	mnl_attr_put_u32(nlh, KNAT_A_OUT_ADDR, out.s_addr);
	if (add)
		mnl_attr_put_u32(nlh, KNAT_A_IN_ADDR, in.s_addr);
	return cli_run(&nl, nlh, NULL, NULL);
}
