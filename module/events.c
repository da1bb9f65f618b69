// SPDX-License-Identifier: GPL-2.0
/*
 * knat: events on the "events" multicast group. Nothing is built unless
 * somebody listens in the namespace: the packet path pays one bit test.
 * Softirq context: atomic allocations, and a lost event is counted by
 * netlink itself (the listener sees ENOBUFS).
 */
#include <linux/ktime.h>
#include <net/genetlink.h>
#include "alloc.h"
#include "events.h"
#include "netlink.h"
#include "stats.h"

static struct sk_buff *event_new(struct knat_net *kn, u8 type, void **hdr)
{
	struct sk_buff *skb;

	if (!genl_has_listeners(&knat_genl_family, kn->net, KNAT_MCGRP_EVENTS))
		return NULL;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &knat_genl_family, 0, KNAT_CMD_EVENT);
	if (!*hdr ||
	    nla_put_u8(skb, KNAT_A_EVENT, type) ||
	    nla_put_u64_64bit(skb, KNAT_A_TIME_NS, ktime_get_real_ns(),
			      KNAT_A_PAD)) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

static void event_send(struct knat_net *kn, struct sk_buff *skb, void *hdr)
{
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(&knat_genl_family, kn->net, skb, 0,
				KNAT_MCGRP_EVENTS, GFP_ATOMIC);
}

void knat_event_block(struct knat_net *kn, const struct knat_block *b,
		      __be32 sub_addr, bool alloc)
{
	const struct knat_pool *pool = b->pa->pool;
	struct sk_buff *skb;
	void *hdr;

	skb = event_new(kn, alloc ? KNAT_EVENT_BLOCK_ALLOC :
			KNAT_EVENT_BLOCK_FREE, &hdr);
	if (!skb)
		return;
	if (nla_put_in_addr(skb, KNAT_A_IN_ADDR, sub_addr) ||
	    nla_put_in_addr(skb, KNAT_A_OUT_ADDR, b->pa->addr) ||
	    nla_put_u16(skb, KNAT_A_PORT_LO, b->first_port) ||
	    nla_put_u16(skb, KNAT_A_PORT_HI,
			b->first_port + pool->block_size - 1) ||
	    nla_put_string(skb, KNAT_A_POOL_NAME, pool->name)) {
		nlmsg_free(skb);
		return;
	}
	event_send(kn, skb, hdr);
}

void knat_event_refusal(struct knat_net *kn, const struct knat_pool *pool,
			const struct knat_key *in, long err)
{
	struct sk_buff *skb;
	void *hdr;

	if (err != -ENOSPC && err != -EDQUOT)
		return;
	if (!genl_has_listeners(&knat_genl_family, kn->net, KNAT_MCGRP_EVENTS))
		return;
	/* A refused flow retries with every packet: a log line each is too many. */
	if (!__ratelimit(&kn->event_rs)) {
		knat_stats_inc(kn, KNAT_STAT_EVENT_SUPPRESSED);
		return;
	}
	skb = event_new(kn, err == -ENOSPC ? KNAT_EVENT_POOL_FULL :
			KNAT_EVENT_SUB_LIMIT, &hdr);
	if (!skb)
		return;
	if (nla_put_in_addr(skb, KNAT_A_IN_ADDR, in->addr) ||
	    nla_put_be16(skb, KNAT_A_IN_PORT, in->port) ||
	    nla_put_u8(skb, KNAT_A_PROTO, in->proto) ||
	    nla_put_string(skb, KNAT_A_POOL_NAME, pool->name)) {
		nlmsg_free(skb);
		return;
	}
	event_send(kn, skb, hdr);
}
