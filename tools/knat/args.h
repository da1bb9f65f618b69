/* SPDX-License-Identifier: GPL-2.0 */
/* knat CLI: parsing command-line values; each names what was wrong. */
#ifndef KNAT_ARGS_H
#define KNAT_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

struct prefix {
	struct in_addr addr;
	uint8_t len;
};

/* Each returns 0, or prints "knat: WHAT: 'ARG' ..." and returns -1. */
int parse_prefix(const char *what, const char *arg, struct prefix *p);
int parse_addr(const char *what, const char *arg, struct in_addr *a);
int parse_u32(const char *what, const char *arg, uint32_t min, uint32_t max,
	      uint32_t *v);
int parse_port_range(const char *what, const char *arg, uint16_t *lo,
		     uint16_t *hi);
int parse_ifname(const char *what, const char *arg, uint32_t *ifindex);
int parse_proto(const char *what, const char *arg, uint8_t *proto);
const char *proto_name(uint8_t proto);

/* argv[i + 1] must exist: the value of keyword argv[i]. */
const char *need_value(int argc, char **argv, int i, const char *cmd);
bool is_help(const char *arg);

#endif
