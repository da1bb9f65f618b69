/* SPDX-License-Identifier: GPL-2.0 */
/* knat CLI: a small generic netlink layer on libmnl. */
#ifndef KNAT_NL_H
#define KNAT_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <libmnl/libmnl.h>

struct knat_nl {
	struct mnl_socket *sock;
	uint16_t family;
	uint8_t version;	/* the module's family version */
	uint32_t events_group;	/* multicast group id, 0: none */
	uint32_t seq;
	uint32_t portid;
	bool dump_intr;		/* a reply carried NLM_F_DUMP_INTR */
	char req[8192];		/* the request being built */
	char buf[32768];	/* >= the kernel's largest dump message */
};

/* Zeroes @nl: then requests can be built before the socket is opened. */
void knat_nl_init(struct knat_nl *nl);

/* Opens the socket and resolves the "knat" family; prints why on failure. */
int knat_nl_open(struct knat_nl *nl);
void knat_nl_close(struct knat_nl *nl);
/* Joins the events group; then read with knat_nl_listen(). */
int knat_nl_join_events(struct knat_nl *nl);
/* Runs @cb on every multicast message until it or the socket fails. */
int knat_nl_listen(struct knat_nl *nl, mnl_cb_t cb, void *data);

/* Starts a request for @cmd in nl->req (NLM_F_DUMP in @flags for dumps). */
struct nlmsghdr *knat_nl_msg(struct knat_nl *nl, uint8_t cmd, uint16_t flags);

/*
 * Sends @nlh and runs @cb on every reply message. Returns 0, or -1 after
 * printing the kernel's error (its extack message when there is one).
 */
int knat_nl_talk(struct knat_nl *nl, struct nlmsghdr *nlh,
		 mnl_cb_t cb, void *data);

/* Attribute table of a genl message, indexed by attribute type. */
int knat_nl_parse(const struct nlmsghdr *nlh, const struct nlattr **tb,
		  unsigned int max);

#endif
