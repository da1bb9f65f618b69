// SPDX-License-Identifier: GPL-2.0
/* knat CLI: parsing command-line values. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "args.h"
#include "cli.h"

int parse_addr(const char *what, const char *arg, struct in_addr *a)
{
	if (inet_pton(AF_INET, arg, a) != 1) {
		fprintf(stderr, "knat: %s: '%s' is not an IPv4 address\n", what, arg);
		return -1;
	}
	return 0;
}

int parse_prefix(const char *what, const char *arg, struct prefix *p)
{
	char buf[64], *slash;
	uint32_t len = 32;

	snprintf(buf, sizeof(buf), "%s", arg);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = 0;
		if (parse_u32(what, slash + 1, 0, 32, &len) < 0)
			return -1;
	}
	if (inet_pton(AF_INET, buf, &p->addr) != 1) {
		fprintf(stderr, "knat: %s: '%s' is not an IPv4 address or prefix\n",
			what, arg);
		return -1;
	}
	p->len = len;
	return 0;
}

int parse_u32(const char *what, const char *arg, uint32_t min, uint32_t max,
	      uint32_t *v)
{
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || n < min || n > max) {
		fprintf(stderr, "knat: %s: '%s' is not a number from %u to %u\n",
			what, arg, min, max);
		return -1;
	}
	*v = n;
	return 0;
}

int parse_port_range(const char *what, const char *arg, uint16_t *lo,
		     uint16_t *hi)
{
	char buf[32], *dash;
	uint32_t a, b;

	snprintf(buf, sizeof(buf), "%s", arg);
	dash = strchr(buf, '-');
	if (dash)
		*dash = 0;
	if (parse_u32(what, buf, 1, 65535, &a) < 0)
		return -1;
	b = a;
	if (dash && parse_u32(what, dash + 1, 1, 65535, &b) < 0)
		return -1;
	if (b < a) {
		fprintf(stderr, "knat: %s: '%s' ends before it starts\n", what, arg);
		return -1;
	}
	*lo = a;
	*hi = b;
	return 0;
}

int parse_ifname(const char *what, const char *arg, uint32_t *ifindex)
{
	*ifindex = if_nametoindex(arg);
	if (!*ifindex) {
		fprintf(stderr, "knat: %s: no interface '%s'\n", what, arg);
		return -1;
	}
	return 0;
}

/* Protocols by name; any other is known by its number. */
static const struct {
	const char *name;
	uint8_t proto;
} protos[] = {
	{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP }, { "icmp", IPPROTO_ICMP },
	{ "sctp", IPPROTO_SCTP }, { "udplite", IPPROTO_UDPLITE },
	{ "dccp", IPPROTO_DCCP }, { "gre", IPPROTO_GRE }, { "esp", IPPROTO_ESP },
	{ "ah", IPPROTO_AH }, { "ipip", IPPROTO_IPIP }, { "ipv6", IPPROTO_IPV6 },
};

#define NPROTOS (sizeof(protos) / sizeof(protos[0]))

int parse_proto(const char *what, const char *arg, uint8_t *proto)
{
	unsigned long n;
	char *end;
	size_t i;

	for (i = 0; i < NPROTOS; i++)
		if (!strcmp(arg, protos[i].name)) {
			*proto = protos[i].proto;
			return 0;
		}
	n = strtoul(arg, &end, 10);
	/* 0 would mean "any" to a filter. */
	if (*arg >= '0' && *arg <= '9' && !*end && n >= 1 && n <= 255) {
		*proto = n;
		return 0;
	}
	fprintf(stderr, "knat: %s: '%s' is not a protocol (tcp, udp, icmp, sctp, "
		"udplite, dccp, gre, esp, ah, ipip, ipv6 or a number 1-255)\n",
		what, arg);
	return -1;
}

const char *proto_name(uint8_t proto)
{
	static char num[4];
	size_t i;

	for (i = 0; i < NPROTOS; i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	snprintf(num, sizeof(num), "%u", proto);
	return num;
}

const char *need_value(int argc, char **argv, int i, const char *cmd)
{
	if (i + 1 >= argc) {
		fprintf(stderr, "knat: %s: '%s' needs a value\n", cmd, argv[i]);
		return NULL;
	}
	return argv[i + 1];
}

bool is_help(const char *arg)
{
	return !strcmp(arg, "help") || !strcmp(arg, "-h") || !strcmp(arg, "--help");
}
