/* SPDX-License-Identifier: GPL-2.0 */
/* knat CLI: one message of the subscriber dump, for show and stats. */
#ifndef KNAT_SUBSCRIBER_H
#define KNAT_SUBSCRIBER_H

#include <stdint.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <linux/knat.h>

struct subscriber {
	struct in_addr in, out;
	char pool[KNAT_POOL_NAME_MAX];
	uint32_t blocks, ports;
};

/* Returns 0, or -1 when a required attribute is missing. */
int subscriber_parse(const struct nlmsghdr *nlh, struct subscriber *s);

#endif
