// SPDX-License-Identifier: GPL-2.0
/*
 * knat monitor: one line per event from the module's "events" multicast
 * group: a compliance log (RFC 6888: one line per port block, with time,
 * inside address, outside address and ports) and refusals.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <linux/knat.h>
#include "args.h"
#include "cli.h"
#include "json.h"

static const char *const event_names[] = {
	[KNAT_EVENT_BLOCK_ALLOC] = "block-alloc",
	[KNAT_EVENT_BLOCK_FREE] = "block-free",
	[KNAT_EVENT_POOL_FULL] = "pool-full",
	[KNAT_EVENT_SUB_LIMIT] = "subscriber-limit",
};

static void addr_str(const struct nlattr *a, char *buf)
{
	struct in_addr in = { .s_addr = a ? mnl_attr_get_u32(a) : 0 };

	inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

/* RFC 3339, UTC, microseconds: sorts as text, reads as time. */
static void time_str(uint64_t ns, char *buf, size_t len)
{
	time_t s = ns / 1000000000ULL;
	struct tm tm;
	size_t n;

	gmtime_r(&s, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06lluZ",
		 (unsigned long long)(ns % 1000000000ULL) / 1000);
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[KNAT_A_MAX + 1];
	char when[48], in[INET_ADDRSTRLEN], out[INET_ADDRSTRLEN], unknown[16];
	const char *name, *pool;
	uint8_t type;
	uint64_t ns;

	if (knat_nl_parse(nlh, tb, KNAT_A_MAX) < 0 || !tb[KNAT_A_EVENT] ||
	    !tb[KNAT_A_TIME_NS])
		return MNL_CB_OK;	/* not an event we understand */
	type = mnl_attr_get_u8(tb[KNAT_A_EVENT]);
	if (type < sizeof(event_names) / sizeof(event_names[0]) &&
	    event_names[type]) {
		name = event_names[type];
	} else {
		snprintf(unknown, sizeof(unknown), "event-%u", type);
		name = unknown;
	}
	ns = mnl_attr_get_u64(tb[KNAT_A_TIME_NS]);
	time_str(ns, when, sizeof(when));
	pool = tb[KNAT_A_POOL_NAME] ? mnl_attr_get_str(tb[KNAT_A_POOL_NAME]) : "";
	addr_str(tb[KNAT_A_IN_ADDR], in);
	addr_str(tb[KNAT_A_OUT_ADDR], out);
	if (cli.json) {
		json_begin('{', NULL);
		json_str("time", when);
		json_uint("time_ns", ns);
		json_str("event", name);
		json_str("pool", pool);
		json_str("inside_addr", in);
		if (tb[KNAT_A_IN_PORT])
			json_uint("inside_port",
				  ntohs(mnl_attr_get_u16(tb[KNAT_A_IN_PORT])));
		if (tb[KNAT_A_PROTO])
			json_str("proto", proto_name(mnl_attr_get_u8(tb[KNAT_A_PROTO])));
		if (tb[KNAT_A_OUT_ADDR])
			json_str("outside_addr", out);
		if (tb[KNAT_A_PORT_LO] && tb[KNAT_A_PORT_HI]) {
			json_uint("port_lo", mnl_attr_get_u16(tb[KNAT_A_PORT_LO]));
			json_uint("port_hi", mnl_attr_get_u16(tb[KNAT_A_PORT_HI]));
		}
		json_end('}');
		json_done();
		return MNL_CB_OK;
	}
	printf("%s %s pool=%s inside=%s", when, name, pool, in);
	if (tb[KNAT_A_IN_PORT])
		printf(":%u", ntohs(mnl_attr_get_u16(tb[KNAT_A_IN_PORT])));
	if (tb[KNAT_A_PROTO])
		printf(" proto=%s", proto_name(mnl_attr_get_u8(tb[KNAT_A_PROTO])));
	if (tb[KNAT_A_OUT_ADDR])
		printf(" outside=%s", out);
	if (tb[KNAT_A_PORT_LO] && tb[KNAT_A_PORT_HI])
		printf(" ports=%u-%u", mnl_attr_get_u16(tb[KNAT_A_PORT_LO]),
		       mnl_attr_get_u16(tb[KNAT_A_PORT_HI]));
	putchar('\n');
	return MNL_CB_OK;
}

int cmd_monitor(int argc, char **argv)
{
	struct knat_nl nl;
	int ret;

	if (argc >= 2 && !strcmp(argv[1], "help")) {
		printf("Usage: knat [-j] [-n NETNS] monitor\n"
		       "Prints one line per event until interrupted: block-alloc, block-free\n"
		       "(the compliance log), pool-full, subscriber-limit.\n");
		return EXIT_OK;
	}
	if (argc > 1)
		return usage_error("monitor: unknown argument '%s'", argv[1]);
	/* A line reaches a pipe (logger, a file) as soon as it happens. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	knat_nl_init(&nl);
	if (knat_nl_open(&nl) < 0 || knat_nl_join_events(&nl) < 0) {
		knat_nl_close(&nl);
		return EXIT_FAIL;
	}
	/* On stderr, so a log file gets events only; scripts wait for it. */
	fprintf(stderr, "knat: listening for events\n");
	ret = knat_nl_listen(&nl, event_cb, NULL);
	knat_nl_close(&nl);
	return ret < 0 ? EXIT_FAIL : EXIT_OK;
}
