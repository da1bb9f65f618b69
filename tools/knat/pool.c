// SPDX-License-Identifier: GPL-2.0
/* knat pool / knat masquerade: outside addresses and their port blocks. */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/knat.h>
#include "args.h"
#include "cli.h"
#include "json.h"

static const char pool_usage[] =
	"Usage: knat pool add ADDR|PREFIX[,ADDR|PREFIX...] [ports LO-HI] [block N]\n"
	"                     [out IFNAME] [from PREFIX] [name NAME]\n"
	"       knat pool del NAME\n"
	"       knat [-j] pool show\n";

static const char masq_usage[] =
	"Usage: knat masquerade add out IFNAME [from PREFIX] [ports LO-HI] [block N]\n"
	"       knat masquerade del out IFNAME\n"
	"       knat [-j] masquerade show\n";

static void put_prefix(struct nlmsghdr *nlh, int type, const struct prefix *p)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);

	mnl_attr_put_u32(nlh, KNAT_A_PREFIX_ADDR, p->addr.s_addr);
	mnl_attr_put_u8(nlh, KNAT_A_PREFIX_LEN, p->len);
	mnl_attr_nest_end(nlh, nest);
}

/* The options pool add and masquerade add share. */
static int pool_option(struct nlmsghdr *nlh, int argc, char **argv, int *i,
		       const char *cmd)
{
	const char *val = need_value(argc, argv, *i, cmd);
	uint16_t lo, hi;
	uint32_t n;
	struct prefix p;

	if (!val)
		return -1;
	if (!strcmp(argv[*i], "ports")) {
		if (parse_port_range("ports", val, &lo, &hi) < 0)
			return -1;
		mnl_attr_put_u16(nlh, KNAT_A_PORT_LO, lo);
		mnl_attr_put_u16(nlh, KNAT_A_PORT_HI, hi);
	} else if (!strcmp(argv[*i], "block")) {
		if (parse_u32("block", val, 64, 4096, &n) < 0)
			return -1;
		if (n & (n - 1)) {
			fprintf(stderr, "knat: block: '%s' is not a power of two\n", val);
			return -1;
		}
		mnl_attr_put_u16(nlh, KNAT_A_BLOCK_SIZE, n);
	} else if (!strcmp(argv[*i], "out")) {
		if (parse_ifname("out", val, &n) < 0)
			return -1;
		mnl_attr_put_u32(nlh, KNAT_A_OUT_IFINDEX, n);
	} else if (!strcmp(argv[*i], "from")) {
		if (parse_prefix("from", val, &p) < 0)
			return -1;
		put_prefix(nlh, KNAT_A_FROM, &p);
	} else if (!strcmp(argv[*i], "name")) {
		if (strlen(val) >= KNAT_POOL_NAME_MAX) {
			fprintf(stderr, "knat: name: '%s' is longer than %d characters\n",
				val, KNAT_POOL_NAME_MAX - 1);
			return -1;
		}
		mnl_attr_put_strz(nlh, KNAT_A_POOL_NAME, val);
	} else {
		fprintf(stderr, "knat: %s: unknown argument '%s'\n", cmd, argv[*i]);
		return -1;
	}
	(*i)++;
	return 0;
}

static int pool_add(int argc, char **argv)
{
	struct knat_nl nl;
	struct nlmsghdr *nlh;
	struct prefix p;
	char list[1024], *tok, *save;
	int i;

	if (argc < 3)
		return usage_error("pool add: which addresses?");
	knat_nl_init(&nl);
	nlh = knat_nl_msg(&nl, KNAT_CMD_POOL_ADD, 0);
	snprintf(list, sizeof(list), "%s", argv[2]);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (parse_prefix("pool add", tok, &p) < 0)
			return EXIT_USAGE;
		put_prefix(nlh, KNAT_A_POOL_PREFIX, &p);
	}
	for (i = 3; i < argc; i++)
		if (pool_option(nlh, argc, argv, &i, "pool add") < 0)
			return EXIT_USAGE;
	return cli_run(&nl, nlh, NULL, NULL);
}

static int pool_del_named(const char *name)
{
	struct knat_nl nl;
	struct nlmsghdr *nlh;

	knat_nl_init(&nl);
	nlh = knat_nl_msg(&nl, KNAT_CMD_POOL_DEL, 0);
	mnl_attr_put_strz(nlh, KNAT_A_POOL_NAME, name);
	return cli_run(&nl, nlh, NULL, NULL);
}

struct show_ctx {
	bool masquerade_only;
	int n;
};

static void print_prefix_attr(const struct nlattr *nest, char *out, size_t len)
{
	const struct nlattr *attr;
	struct in_addr a = { 0 };
	unsigned int plen = 32;

	mnl_attr_for_each_nested(attr, nest) {
		if (mnl_attr_get_type(attr) == KNAT_A_PREFIX_ADDR)
			a.s_addr = mnl_attr_get_u32(attr);
		else if (mnl_attr_get_type(attr) == KNAT_A_PREFIX_LEN)
			plen = mnl_attr_get_u8(attr);
	}
	if (plen == 32)
		snprintf(out, len, "%s", inet_ntoa(a));
	else
		snprintf(out, len, "%s/%u", inet_ntoa(a), plen);
}

static int pool_show_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[KNAT_A_MAX + 1], *attr;
	struct show_ctx *ctx = data;
	char addrs[512] = "", from[64] = "", pfx[64], ifname[IF_NAMESIZE] = "";
	bool masq;
	uint32_t total, used, cooling, subs;

	if (knat_nl_parse(nlh, tb, KNAT_A_MAX) < 0)
		return MNL_CB_ERROR;
	masq = tb[KNAT_A_MASQUERADE];
	if (ctx->masquerade_only && !masq)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) != KNAT_A_POOL_PREFIX)
			continue;
		print_prefix_attr(attr, pfx, sizeof(pfx));
		if (addrs[0])
			strncat(addrs, ",", sizeof(addrs) - strlen(addrs) - 1);
		strncat(addrs, pfx, sizeof(addrs) - strlen(addrs) - 1);
	}
	if (tb[KNAT_A_FROM])
		print_prefix_attr(tb[KNAT_A_FROM], from, sizeof(from));
	if (tb[KNAT_A_OUT_IFINDEX] &&
	    !if_indextoname(mnl_attr_get_u32(tb[KNAT_A_OUT_IFINDEX]), ifname))
		snprintf(ifname, sizeof(ifname), "if%u",
			 mnl_attr_get_u32(tb[KNAT_A_OUT_IFINDEX]));
	total = mnl_attr_get_u32(tb[KNAT_A_BLOCKS_TOTAL]);
	used = mnl_attr_get_u32(tb[KNAT_A_BLOCKS_USED]);
	cooling = mnl_attr_get_u32(tb[KNAT_A_BLOCKS_COOLING]);
	subs = mnl_attr_get_u32(tb[KNAT_A_SUBSCRIBERS]);
	ctx->n++;
	if (cli.json) {
		json_begin('{', NULL);
		json_str("name", mnl_attr_get_str(tb[KNAT_A_POOL_NAME]));
		json_str("addresses", addrs);
		json_bool("masquerade", masq);
		json_uint("port_lo", mnl_attr_get_u16(tb[KNAT_A_PORT_LO]));
		json_uint("port_hi", mnl_attr_get_u16(tb[KNAT_A_PORT_HI]));
		json_uint("block_size", mnl_attr_get_u16(tb[KNAT_A_BLOCK_SIZE]));
		json_str("out", ifname);
		json_str("from", from);
		json_uint("blocks_total", total);
		json_uint("blocks_used", used);
		json_uint("blocks_cooling", cooling);
		json_uint("subscribers", subs);
		json_end('}');
		return MNL_CB_OK;
	}
	if (cli.save) {
		FILE *f = cli.out;

		if (masq)
			fprintf(f, "masquerade add out %s", ifname);
		else
			fprintf(f, "pool add %s", addrs);
		if (from[0])
			fprintf(f, " from %s", from);
		fprintf(f, " ports %u-%u block %u", mnl_attr_get_u16(tb[KNAT_A_PORT_LO]),
			mnl_attr_get_u16(tb[KNAT_A_PORT_HI]),
			mnl_attr_get_u16(tb[KNAT_A_BLOCK_SIZE]));
		if (!masq && ifname[0])
			fprintf(f, " out %s", ifname);
		if (!masq)
			fprintf(f, " name %s", mnl_attr_get_str(tb[KNAT_A_POOL_NAME]));
		fputc('\n', f);
		return MNL_CB_OK;
	}
	printf("pool %s%s: %s ports %u-%u block %u",
	       mnl_attr_get_str(tb[KNAT_A_POOL_NAME]), masq ? " (masquerade)" : "",
	       addrs[0] ? addrs : "(no address)", mnl_attr_get_u16(tb[KNAT_A_PORT_LO]),
	       mnl_attr_get_u16(tb[KNAT_A_PORT_HI]),
	       mnl_attr_get_u16(tb[KNAT_A_BLOCK_SIZE]));
	if (ifname[0])
		printf(" out %s", ifname);
	if (from[0])
		printf(" from %s", from);
	printf("\n    blocks: %u used, %u cooling, %u free of %u; %u subscribers\n",
	       used, cooling, total - used - cooling, total, subs);
	return MNL_CB_OK;
}

static int pool_show(bool masquerade_only)
{
	struct show_ctx ctx = { masquerade_only, 0 };
	struct knat_nl nl;

	knat_nl_init(&nl);
	return cli_dump(&nl, knat_nl_msg(&nl, KNAT_CMD_POOL_GET, NLM_F_DUMP),
			pool_show_cb, &ctx);
}

int cmd_pool(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "show"))
		return argc > 2 ? usage_error("pool show: unknown argument '%s'", argv[2]) :
				  pool_show(false);
	if (is_help(argv[1])) {
		fputs(pool_usage, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "add"))
		return pool_add(argc, argv);
	if (!strcmp(argv[1], "del")) {
		if (argc != 3)
			return usage_error("pool del: give one pool name");
		return pool_del_named(argv[2]);
	}
	return usage_error("pool: unknown command '%s'", argv[1]);
}

/* A masquerade pool is named after its interface. */
static void masq_name(char *name, const char *ifname)
{
	snprintf(name, KNAT_POOL_NAME_MAX, "masq-%s", ifname);
}

int cmd_masquerade(int argc, char **argv)
{
	char name[KNAT_POOL_NAME_MAX];
	struct nlmsghdr *nlh;
	struct knat_nl nl;
	uint32_t ifindex;
	int i;

	if (argc < 2 || !strcmp(argv[1], "show"))
		return pool_show(true);
	if (is_help(argv[1])) {
		fputs(masq_usage, stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "add") && strcmp(argv[1], "del"))
		return usage_error("masquerade: unknown command '%s'", argv[1]);
	if (argc < 4 || strcmp(argv[2], "out"))
		return usage_error("masquerade %s: 'out IFNAME' comes first", argv[1]);
	if (parse_ifname("out", argv[3], &ifindex) < 0)
		return EXIT_USAGE;
	masq_name(name, argv[3]);
	if (!strcmp(argv[1], "del")) {
		if (argc > 4)
			return usage_error("masquerade del: unknown argument '%s'", argv[4]);
		return pool_del_named(name);
	}
	knat_nl_init(&nl);
	nlh = knat_nl_msg(&nl, KNAT_CMD_POOL_ADD, 0);
	mnl_attr_put(nlh, KNAT_A_MASQUERADE, 0, NULL);
	mnl_attr_put_u32(nlh, KNAT_A_OUT_IFINDEX, ifindex);
	mnl_attr_put_strz(nlh, KNAT_A_POOL_NAME, name);
	for (i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "out") || !strcmp(argv[i], "name"))
			return usage_error("masquerade add: '%s' is not allowed here", argv[i]);
		if (pool_option(nlh, argc, argv, &i, "masquerade add") < 0)
			return EXIT_USAGE;
	}
	return cli_run(&nl, nlh, NULL, NULL);
}
