// SPDX-License-Identifier: GPL-2.0
/* knat CLI: generic netlink transport, family lookup, extack errors. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/knat.h>
#include "nl.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

static int family_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type <= CTRL_ATTR_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

/* CTRL_ATTR_MCAST_GROUPS: remember the id of the events group. */
static void family_groups(struct knat_nl *nl, const struct nlattr *groups)
{
	const struct nlattr *grp, *a;

	mnl_attr_for_each_nested(grp, groups) {
		const char *name = NULL;
		uint32_t id = 0;

		mnl_attr_for_each_nested(a, grp) {
			if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
			    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				name = mnl_attr_get_str(a);
			else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
				 mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				id = mnl_attr_get_u32(a);
		}
		if (name && !strcmp(name, KNAT_MCGRP_EVENTS_NAME))
			nl->events_group = id;
	}
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = {};
	struct knat_nl *nl = data;

	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb, tb);
	if (tb[CTRL_ATTR_FAMILY_ID])
		nl->family = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (tb[CTRL_ATTR_VERSION])
		nl->version = mnl_attr_get_u32(tb[CTRL_ATTR_VERSION]);
	if (tb[CTRL_ATTR_MCAST_GROUPS])
		family_groups(nl, tb[CTRL_ATTR_MCAST_GROUPS]);
	return MNL_CB_OK;
}

static struct nlmsghdr *msg_start(char *buf, uint16_t type, uint8_t cmd,
				  uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

/* The family id is filled in by knat_nl_talk, once it is known. */
struct nlmsghdr *knat_nl_msg(struct knat_nl *nl, uint8_t cmd, uint16_t flags)
{
	return msg_start(nl->req, 0, cmd, KNAT_GENL_VERSION, flags);
}

void knat_nl_init(struct knat_nl *nl)
{
	memset(nl, 0, sizeof(*nl));
	nl->seq = time(NULL);
}

int knat_nl_open(struct knat_nl *nl)
{
	char req[256];
	struct nlmsghdr *nlh;
	int one = 1;

	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "knat: netlink socket: %s\n", strerror(errno));
		return -1;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));

	nlh = msg_start(req, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, KNAT_GENL_NAME);
	if (knat_nl_talk(nl, nlh, family_cb, nl) < 0 || !nl->family) {
		fprintf(stderr, "knat: the knat module is not loaded (modprobe knat)\n");
		return -1;
	}
	return 0;
}

void knat_nl_close(struct knat_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

int knat_nl_join_events(struct knat_nl *nl)
{
	int grp = nl->events_group;

	if (!grp) {
		fprintf(stderr, "knat: the loaded module has no events group (too old?)\n");
		return -1;
	}
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0) {
		fprintf(stderr, "knat: joining the events group: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

int knat_nl_listen(struct knat_nl *nl, mnl_cb_t cb, void *data)
{
	int ret;

	for (;;) {
		ret = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (ret < 0 && errno == ENOBUFS) {
			/* The kernel dropped events: say so, keep listening. */
			fprintf(stderr, "knat: events lost (receive buffer full)\n");
			continue;
		}
		if (ret < 0) {
			fprintf(stderr, "knat: netlink receive: %s\n", strerror(errno));
			return -1;
		}
		ret = mnl_cb_run(nl->buf, ret, 0, 0, cb, data);
		if (ret <= 0)
			return ret;
	}
}

/*
 * Family lookups fail quietly (the caller says "not loaded"); every other
 * request's error is printed. A flag, not the callbacks' data pointer:
 * libmnl hands the reply callback's data to these too.
 */
static bool quiet_errors;

/* An NLMSG_ERROR carrying an error: print its extack message. */
static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	const char *msg = NULL;
	unsigned int off = sizeof(*err);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (err->error == 0)
		return MNL_CB_STOP;
	/* The request is echoed unless the kernel capped it. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		mnl_attr_for_each(attr, nlh, off) {
			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
			    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				msg = mnl_attr_get_str(attr);
		}
	}
	if (!quiet_errors) {
		if (msg)
			fprintf(stderr, "knat: %s\n", msg);
		else
			fprintf(stderr, "knat: %s\n", strerror(-err->error));
	}
	errno = -err->error;
	return MNL_CB_ERROR;
}

/* End of a dump; a dump that failed half way says so here. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	const int *err = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(int)) && *err < 0) {
		fprintf(stderr, "knat: dump failed: %s\n", strerror(-*err));
		errno = -*err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

static int noop_cb(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_OK;
}

/* The kernel flags the messages of a dump that a table resize disturbed. */
static void note_dump_intr(struct knat_nl *nl, int len)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)nl->buf;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			nl->dump_intr = true;
}

int knat_nl_talk(struct knat_nl *nl, struct nlmsghdr *nlh,
		 mnl_cb_t cb, void *data)
{
	/* libmnl runs no default for a control type left NULL here. */
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = noop_cb,
		[NLMSG_ERROR] = error_cb,
		[NLMSG_DONE] = done_cb,
		[NLMSG_OVERRUN] = noop_cb,
	};
	uint32_t seq;
	int ret;

	if (!nlh->nlmsg_type)
		nlh->nlmsg_type = nl->family;
	quiet_errors = nlh->nlmsg_type == GENL_ID_CTRL;
	nlh->nlmsg_seq = seq = ++nl->seq;
	nl->dump_intr = false;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0) {
		fprintf(stderr, "knat: netlink send: %s\n", strerror(errno));
		return -1;
	}
	do {
		ret = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (ret < 0) {
			fprintf(stderr, "knat: netlink receive: %s\n", strerror(errno));
			return -1;
		}
		note_dump_intr(nl, ret);
		ret = mnl_cb_run2(nl->buf, ret, seq, nl->portid, cb, data,
				  ctl, NLMSG_MIN_TYPE);
	} while (ret > 0);
	/* libmnl stops at the first such message (-1, EINTR). */
	if (nl->dump_intr) {
		fprintf(stderr, "knat: the table changed during the dump (a resize, or an expiry where the listing stood): entries may be listed twice or missing; run the command again\n");
		return -2;
	}
	return ret < 0 ? -1 : 0;
}

struct parse_ctx {
	const struct nlattr **tb;
	unsigned int max;
};

static int parse_attr_cb(const struct nlattr *attr, void *data)
{
	struct parse_ctx *ctx = data;
	unsigned int type = mnl_attr_get_type(attr);

	if (type <= ctx->max)
		ctx->tb[type] = attr;
	return MNL_CB_OK;
}

int knat_nl_parse(const struct nlmsghdr *nlh, const struct nlattr **tb,
		  unsigned int max)
{
	struct parse_ctx ctx = { tb, max };

	memset(tb, 0, sizeof(*tb) * (max + 1));
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), parse_attr_cb,
			      &ctx) < 0 ? -1 : 0;
}
