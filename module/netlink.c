// SPDX-License-Identifier: GPL-2.0
/*
 * knat: the "knat" generic netlink family: policies, the op table and the
 * small ops. Pool and mapping ops are in nl_pool.c and nl_mapping.c.
 * Control path only; every op runs with kn->lock held where it touches
 * configuration.
 */
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <kunit/visibility.h>
#include <net/sock.h>
#include "knat.h"
#include "fastpath.h"
#include "netlink.h"
#include "stats.h"
#include "table.h"

/* Seconds; the longest keeps expiry times within 32-bit jiffies. */
static struct netlink_range_validation timeout_range = {
	.min = 1, .max = KNAT_TIMEOUT_MAX,
};

/* Seconds; cooling * HZ must not wrap (it did: 4294968 s cooled 0.7 s). */
static struct netlink_range_validation cooling_range = {
	.max = KNAT_COOLING_MAX,
};

static const struct nla_policy knat_prefix_policy[KNAT_A_PREFIX_MAX + 1] = {
	[KNAT_A_PREFIX_ADDR] = { .type = NLA_BE32 },
	[KNAT_A_PREFIX_LEN] = NLA_POLICY_MAX(NLA_U8, 32),
};

const struct nla_policy *knat_nl_prefix_policy = knat_prefix_policy;

static const struct nla_policy knat_nl_policy[KNAT_A_MAX + 1] = {
	[KNAT_A_POOL_NAME] = { .type = NLA_NUL_STRING,
			       .len = KNAT_POOL_NAME_MAX - 1 },
	[KNAT_A_POOL_PREFIX] = NLA_POLICY_NESTED(knat_prefix_policy),
	[KNAT_A_PORT_LO] = NLA_POLICY_MIN(NLA_U16, 1),
	[KNAT_A_PORT_HI] = NLA_POLICY_MIN(NLA_U16, 1),
	[KNAT_A_BLOCK_SIZE] = NLA_POLICY_RANGE(NLA_U16, 64, 4096),
	[KNAT_A_OUT_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[KNAT_A_FROM] = NLA_POLICY_NESTED(knat_prefix_policy),
	[KNAT_A_MASQUERADE] = { .type = NLA_FLAG },
	[KNAT_A_PROTO] = { .type = NLA_U8 },
	[KNAT_A_IN_ADDR] = { .type = NLA_BE32 },
	[KNAT_A_IN_PORT] = { .type = NLA_BE16 },
	[KNAT_A_OUT_ADDR] = { .type = NLA_BE32 },
	[KNAT_A_OUT_PORT] = { .type = NLA_BE16 },
	[KNAT_A_PORT_COUNT] = NLA_POLICY_MIN(NLA_U16, 1),
	[KNAT_A_CFG_TIMEOUT_UDP] = NLA_POLICY_FULL_RANGE(NLA_U32, &timeout_range),
	[KNAT_A_CFG_TIMEOUT_TCP_EST] = NLA_POLICY_FULL_RANGE(NLA_U32, &timeout_range),
	[KNAT_A_CFG_TIMEOUT_TCP_TRANS] = NLA_POLICY_FULL_RANGE(NLA_U32, &timeout_range),
	[KNAT_A_CFG_TIMEOUT_ICMP] = NLA_POLICY_FULL_RANGE(NLA_U32, &timeout_range),
	[KNAT_A_CFG_TIMEOUT_SCTP] = NLA_POLICY_FULL_RANGE(NLA_U32, &timeout_range),
	[KNAT_A_CFG_TIMEOUT_UDPLITE] = NLA_POLICY_FULL_RANGE(NLA_U32, &timeout_range),
	[KNAT_A_CFG_TIMEOUT_DCCP] = NLA_POLICY_FULL_RANGE(NLA_U32, &timeout_range),
	[KNAT_A_CFG_TIMEOUT_OTHER] = NLA_POLICY_FULL_RANGE(NLA_U32, &timeout_range),
	[KNAT_A_CFG_FILTERING] = NLA_POLICY_MAX(NLA_U8, KNAT_FILTER_APDF),
	[KNAT_A_CFG_BLOCK_SIZE] = NLA_POLICY_RANGE(NLA_U16, 64, 4096),
	[KNAT_A_CFG_MAX_BLOCKS] = NLA_POLICY_MIN(NLA_U16, 1),
	[KNAT_A_CFG_COOLING] = NLA_POLICY_FULL_RANGE(NLA_U32, &cooling_range),
	[KNAT_A_CFG_PORT_PARITY] = NLA_POLICY_MAX(NLA_U8, 1),
	[KNAT_A_CFG_ICMP_RATE] = NLA_POLICY_MAX(NLA_U32, 10000),
	[KNAT_A_CFG_ICMP_BURST] = NLA_POLICY_RANGE(NLA_U32, 1, 10000),
	[KNAT_A_CFG_UNREACH_NO_MAPPING] = NLA_POLICY_MAX(NLA_U8, 1),
	[KNAT_A_CFG_MAX_MAPPINGS] = NLA_POLICY_MIN(NLA_U32, 1),
	[KNAT_A_CFG_MAX_ADDRESSES] = NLA_POLICY_MIN(NLA_U32, 1),
	[KNAT_A_CFG_FASTPATH] = NLA_POLICY_MAX(NLA_U8, 1),
};

struct sk_buff *knat_nl_reply_new(struct genl_info *info, u8 cmd, void **hdr)
{
	struct sk_buff *msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);

	if (!msg)
		return NULL;
	*hdr = genlmsg_put_reply(msg, info, &knat_genl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

void *knat_nl_dump_put(struct sk_buff *skb, struct netlink_callback *cb,
		       u8 cmd)
{
	return genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
			   cb->nlh->nlmsg_seq, &knat_genl_family,
			   NLM_F_MULTI, cmd);
}
EXPORT_SYMBOL_IF_KUNIT(knat_nl_dump_put);

/*
 * A message complete: NLM_F_DUMP_INTR on it if cb->seq moved since the
 * last one. Not when its header is put: a message that does not fit is
 * cancelled, and the flag would go with it.
 */
void knat_nl_dump_end(struct sk_buff *skb, struct netlink_callback *cb,
		      void *hdr)
{
	genl_dump_check_consistent(cb, hdr);
	genlmsg_end(skb, hdr);
}
EXPORT_SYMBOL_IF_KUNIT(knat_nl_dump_end);

int knat_nl_list_dump(struct sk_buff *skb, struct netlink_callback *cb,
		      struct list_head *head, u8 cmd,
		      int (*fill)(struct sk_buff *skb, struct list_head *node))
{
	struct knat_net *kn = knat_pernet(sock_net(skb->sk));
	struct list_head *node;
	long idx = 0;
	void *hdr;

	mutex_lock(&kn->lock);
	list_for_each(node, head) {
		if (idx++ < cb->args[0])
			continue;
		hdr = knat_nl_dump_put(skb, cb, cmd);
		if (!hdr || fill(skb, node)) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			idx--;
			break;
		}
		knat_nl_dump_end(skb, cb, hdr);
	}
	mutex_unlock(&kn->lock);
	cb->args[0] = idx;
	return skb->len;
}

void *knat_nl_table_start(struct netlink_callback *cb, struct rhashtable *ht,
			  size_t size)
{
	struct rhashtable_iter *iter = kzalloc(size, GFP_KERNEL_ACCOUNT);

	if (!iter)
		return NULL;
	rhashtable_walk_enter(ht, iter);
	cb->args[0] = (long)iter;
	/*
	 * Non-zero, both: a change (see knat_nl_table_dump()) before the
	 * first message is flagged on it, or on the DONE.
	 */
	cb->seq = 1;
	cb->prev_seq = 1;
	return iter;
}
EXPORT_SYMBOL_IF_KUNIT(knat_nl_table_start);

int knat_nl_table_done(struct netlink_callback *cb)
{
	struct rhashtable_iter *iter = (struct rhashtable_iter *)cb->args[0];

	if (iter) {
		rhashtable_walk_exit(iter);
		kfree(iter);
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(knat_nl_table_done);

/*
 * The walk stopped at an entry (cb->args[1]: it had one) and goes on.
 * That entry deleted meanwhile, the walk resumes by its old position in
 * its bucket: exact if it was the bucket's first, else it skips or
 * repeats some if the entries before it changed too. Flagged then.
 */
static void walk_resumed(struct rhashtable_iter *iter,
			 struct netlink_callback *cb)
	__acquires(RCU)
{
	if (rhashtable_walk_start_check(iter) == -EAGAIN)
		cb->seq++;
	else if (cb->args[1] && !iter->p && iter->skip > 1)
		cb->seq++;
}

/* @next: the entry the walk stands at, or NULL at the table's end. */
static void walk_paused(struct rhashtable_iter *iter,
			struct netlink_callback *cb, void *next)
	__releases(RCU)
{
	cb->args[1] = !IS_ERR_OR_NULL(next);
	rhashtable_walk_stop(iter);
}

/* A message flagged NLM_F_DUMP_INTR went out: the reader knows. */
static bool dump_told(const struct netlink_callback *cb)
{
	return cb->seq != 1 && cb->prev_seq == cb->seq;
}

int knat_nl_table_dump(struct sk_buff *skb, struct netlink_callback *cb,
		       int (*fill)(struct sk_buff *skb,
				   struct netlink_callback *cb, void *obj))
{
	struct rhashtable_iter *iter = (struct rhashtable_iter *)cb->args[0];
	void *obj;
	u32 n = 0;

	/*
	 * A walk disturbed (a resize starts it over from the first bucket;
	 * its entry deleted, see walk_resumed()) may skip or repeat entries.
	 * The reader is told (NLM_F_DUMP_INTR on the next message complete,
	 * or on the DONE) and may dump again: once told, it gets no more.
	 */
	if (dump_told(cb))
		return 0;
	walk_resumed(iter, cb);
	/* Peek, fill, then advance: a full message retries the same entry. */
	obj = rhashtable_walk_peek(iter);
	while (obj) {
		if (IS_ERR(obj))
			cb->seq++;
		else if (fill(skb, cb, obj) || dump_told(cb))
			break;
		obj = rhashtable_walk_next(iter);
		/* At a table's end, on to the resize's new one: from its start. */
		if (IS_ERR(obj)) {
			cb->seq++;
			obj = rhashtable_walk_peek(iter);
		}
		/* A filter may skip a million: do not hold RCU all along. */
		if (obj && ++n % 1024 == 0) {
			walk_paused(iter, cb, obj);
			cond_resched();
			walk_resumed(iter, cb);
			obj = rhashtable_walk_peek(iter);
		}
	}
	walk_paused(iter, cb, obj);
	return skb->len;
}
EXPORT_SYMBOL_IF_KUNIT(knat_nl_table_dump);

static int knat_nl_get_info(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = knat_nl_reply_new(info, KNAT_CMD_GET_INFO, &hdr);
	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, KNAT_A_VERSION, KNAT_VERSION) ||
	    nla_put_u32(msg, KNAT_A_GENL_VERSION, KNAT_GENL_VERSION)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * Limits protect the host from the namespace: its own administrator (root
 * of a user namespace, maybe) may lower them, only the host's may raise
 * them.
 */
static bool limit_raised(struct sk_buff *skb, struct genl_info *info,
			 int attr, u32 now)
{
	const struct nlattr *a = info->attrs[attr];

	if (!a || nla_get_u32(a) <= now || netlink_capable(skb, CAP_NET_ADMIN))
		return false;
	NL_SET_ERR_MSG_ATTR(info->extack, a,
			    "only the initial user namespace's administrator may raise a limit");
	return true;
}

/* The attributes of per-protocol settings and counts, by protocol index. */
static const u16 timeout_attr[KNAT_P_MAX] = {
	[KNAT_P_TCP] = KNAT_A_CFG_TIMEOUT_TCP_EST,
	[KNAT_P_UDP] = KNAT_A_CFG_TIMEOUT_UDP,
	[KNAT_P_ICMP] = KNAT_A_CFG_TIMEOUT_ICMP,
	[KNAT_P_SCTP] = KNAT_A_CFG_TIMEOUT_SCTP,
	[KNAT_P_UDPLITE] = KNAT_A_CFG_TIMEOUT_UDPLITE,
	[KNAT_P_DCCP] = KNAT_A_CFG_TIMEOUT_DCCP,
	[KNAT_P_OTHER] = KNAT_A_CFG_TIMEOUT_OTHER,
};

static const u16 mappings_attr[KNAT_P_MAX] = {
	[KNAT_P_TCP] = KNAT_A_MAPPINGS_TCP,
	[KNAT_P_UDP] = KNAT_A_MAPPINGS_UDP,
	[KNAT_P_ICMP] = KNAT_A_MAPPINGS_ICMP,
	[KNAT_P_SCTP] = KNAT_A_MAPPINGS_SCTP,
	[KNAT_P_UDPLITE] = KNAT_A_MAPPINGS_UDPLITE,
	[KNAT_P_DCCP] = KNAT_A_MAPPINGS_DCCP,
	[KNAT_P_OTHER] = KNAT_A_MAPPINGS_OTHER,
};

static int knat_nl_config_set(struct sk_buff *skb, struct genl_info *info)
{
	struct knat_net *kn = knat_pernet(genl_info_net(info));
	struct knat_config *cfg = &kn->cfg;
	struct nlattr **a = info->attrs;
	int i;

	if (a[KNAT_A_CFG_BLOCK_SIZE] &&
	    !is_power_of_2(nla_get_u16(a[KNAT_A_CFG_BLOCK_SIZE]))) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[KNAT_A_CFG_BLOCK_SIZE],
				    "block size must be a power of two (64-4096)");
		return -EINVAL;
	}
	mutex_lock(&kn->lock);
	if (limit_raised(skb, info, KNAT_A_CFG_MAX_MAPPINGS, cfg->max_mappings) ||
	    limit_raised(skb, info, KNAT_A_CFG_MAX_ADDRESSES, cfg->max_addrs)) {
		mutex_unlock(&kn->lock);
		return -EPERM;
	}
	if (a[KNAT_A_CFG_MAX_MAPPINGS])
		WRITE_ONCE(cfg->max_mappings,
			   nla_get_u32(a[KNAT_A_CFG_MAX_MAPPINGS]));
	if (a[KNAT_A_CFG_MAX_ADDRESSES])
		WRITE_ONCE(cfg->max_addrs,
			   nla_get_u32(a[KNAT_A_CFG_MAX_ADDRESSES]));
	for (i = 0; i < KNAT_P_MAX; i++)
		if (a[timeout_attr[i]])
			WRITE_ONCE(cfg->timeout[i],
				   nla_get_u32(a[timeout_attr[i]]));
	if (a[KNAT_A_CFG_TIMEOUT_TCP_TRANS])
		WRITE_ONCE(cfg->timeout_tcp_trans,
			   nla_get_u32(a[KNAT_A_CFG_TIMEOUT_TCP_TRANS]));
	if (a[KNAT_A_CFG_FILTERING])
		WRITE_ONCE(cfg->filtering, nla_get_u8(a[KNAT_A_CFG_FILTERING]));
	if (a[KNAT_A_CFG_BLOCK_SIZE])
		WRITE_ONCE(cfg->block_size, nla_get_u16(a[KNAT_A_CFG_BLOCK_SIZE]));
	if (a[KNAT_A_CFG_MAX_BLOCKS])
		WRITE_ONCE(cfg->max_blocks, nla_get_u16(a[KNAT_A_CFG_MAX_BLOCKS]));
	if (a[KNAT_A_CFG_COOLING])
		WRITE_ONCE(cfg->cooling, nla_get_u32(a[KNAT_A_CFG_COOLING]));
	if (a[KNAT_A_CFG_ICMP_RATE])
		WRITE_ONCE(cfg->icmp_rate, nla_get_u32(a[KNAT_A_CFG_ICMP_RATE]));
	if (a[KNAT_A_CFG_ICMP_BURST])
		WRITE_ONCE(cfg->icmp_burst, nla_get_u32(a[KNAT_A_CFG_ICMP_BURST]));
	if (a[KNAT_A_CFG_UNREACH_NO_MAPPING])
		WRITE_ONCE(cfg->unreach_no_mapping,
			   nla_get_u8(a[KNAT_A_CFG_UNREACH_NO_MAPPING]));
	if (a[KNAT_A_CFG_PORT_PARITY])
		WRITE_ONCE(cfg->port_parity,
			   nla_get_u8(a[KNAT_A_CFG_PORT_PARITY]));
	if (a[KNAT_A_CFG_FASTPATH])
		WRITE_ONCE(cfg->fastpath, nla_get_u8(a[KNAT_A_CFG_FASTPATH]));
	mutex_unlock(&kn->lock);
	/* Its devices hooked or not when the answer comes. */
	if (a[KNAT_A_CFG_FASTPATH])
		knat_fp_sync_wait(kn);
	return 0;
}

static int knat_nl_config_get(struct sk_buff *skb, struct genl_info *info)
{
	struct knat_net *kn = knat_pernet(genl_info_net(info));
	struct knat_config c;
	struct sk_buff *msg;
	void *hdr;
	int i;

	mutex_lock(&kn->lock);
	c = kn->cfg;
	mutex_unlock(&kn->lock);
	msg = knat_nl_reply_new(info, KNAT_CMD_CONFIG_GET, &hdr);
	if (!msg)
		return -ENOMEM;
	for (i = 0; i < KNAT_P_MAX; i++)
		if (nla_put_u32(msg, timeout_attr[i], c.timeout[i]))
			goto nospace;
	if (nla_put_u32(msg, KNAT_A_CFG_TIMEOUT_TCP_TRANS, c.timeout_tcp_trans) ||
	    nla_put_u8(msg, KNAT_A_CFG_FILTERING, c.filtering) ||
	    nla_put_u16(msg, KNAT_A_CFG_BLOCK_SIZE, c.block_size) ||
	    nla_put_u16(msg, KNAT_A_CFG_MAX_BLOCKS, c.max_blocks) ||
	    nla_put_u32(msg, KNAT_A_CFG_COOLING, c.cooling) ||
	    nla_put_u8(msg, KNAT_A_CFG_PORT_PARITY, c.port_parity) ||
	    nla_put_u32(msg, KNAT_A_CFG_ICMP_RATE, c.icmp_rate) ||
	    nla_put_u32(msg, KNAT_A_CFG_ICMP_BURST, c.icmp_burst) ||
	    nla_put_u8(msg, KNAT_A_CFG_UNREACH_NO_MAPPING, c.unreach_no_mapping) ||
	    nla_put_u32(msg, KNAT_A_CFG_MAX_MAPPINGS, c.max_mappings) ||
	    nla_put_u32(msg, KNAT_A_CFG_MAX_ADDRESSES, c.max_addrs) ||
	    nla_put_u8(msg, KNAT_A_CFG_FASTPATH, c.fastpath))
		goto nospace;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int knat_nl_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	struct knat_net *kn = knat_pernet(genl_info_net(info));
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;
	int i;

	msg = knat_nl_reply_new(info, KNAT_CMD_STATS_GET, &hdr);
	if (!msg)
		return -ENOMEM;
	nest = nla_nest_start(msg, KNAT_A_STATS);
	if (!nest)
		goto nospace;
	for (i = 0; i < __KNAT_STAT_MAX; i++)
		if (nla_put_u64_64bit(msg, i + 1, knat_stats_read(kn, i),
				      KNAT_A_PAD))
			goto nospace;
	nla_nest_end(msg, nest);
	if (nla_put_u32(msg, KNAT_A_MAPPINGS, knat_stats_mappings(kn, -1)))
		goto nospace;
	for (i = 0; i < KNAT_P_MAX; i++)
		if (nla_put_u32(msg, mappings_attr[i], knat_stats_mappings(kn, i)))
			goto nospace;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/* Every op changes or reveals state: all need CAP_NET_ADMIN in the netns. */
static const struct genl_ops knat_nl_ops[] = {
	{
		.cmd = KNAT_CMD_GET_INFO,
		.doit = knat_nl_get_info,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KNAT_CMD_POOL_ADD,
		.doit = knat_nl_pool_add,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KNAT_CMD_POOL_DEL,
		.doit = knat_nl_pool_del,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KNAT_CMD_POOL_GET,
		.dumpit = knat_nl_pool_dump,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KNAT_CMD_MAPPING_GET,
		.start = knat_nl_mapping_start,
		.dumpit = knat_nl_mapping_dump,
		.done = knat_nl_table_done,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KNAT_CMD_MAPPING_FLUSH,
		.doit = knat_nl_mapping_flush,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KNAT_CMD_FORWARD_ADD,
		.doit = knat_nl_forward_add,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KNAT_CMD_FORWARD_DEL,
		.doit = knat_nl_forward_del,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KNAT_CMD_FORWARD_GET,
		.dumpit = knat_nl_forward_dump,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KNAT_CMD_STATIC_ADD,
		.doit = knat_nl_static_add,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KNAT_CMD_STATIC_DEL,
		.doit = knat_nl_static_del,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KNAT_CMD_STATIC_GET,
		.dumpit = knat_nl_static_dump,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KNAT_CMD_CONFIG_SET,
		.doit = knat_nl_config_set,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KNAT_CMD_CONFIG_GET,
		.doit = knat_nl_config_get,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KNAT_CMD_STATS_GET,
		.doit = knat_nl_stats_get,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KNAT_CMD_SUBSCRIBER_GET,
		.start = knat_nl_sub_start,
		.dumpit = knat_nl_sub_dump,
		.done = knat_nl_table_done,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

/* Commands that change nothing. */
static bool knat_nl_cmd_reads(u8 cmd)
{
	return cmd == KNAT_CMD_GET_INFO || cmd == KNAT_CMD_CONFIG_GET ||
	       cmd == KNAT_CMD_STATS_GET;
}

static int knat_nl_pre_doit(const struct genl_ops *ops, struct sk_buff *skb,
			    struct genl_info *info)
{
	struct knat_net *kn = knat_pernet(genl_info_net(info));

	knat_stats_inc(kn, KNAT_STAT_NL_REQUESTS);
	/* And again after it: none learned meanwhile by the old one holds. */
	if (!knat_nl_cmd_reads(ops->cmd))
		knat_fp_invalidate(kn);
	return 0;
}

/* Whatever a command changed, no route the fast path learned holds. */
static void knat_nl_post_doit(const struct genl_ops *ops, struct sk_buff *skb,
			      struct genl_info *info)
{
	if (!knat_nl_cmd_reads(ops->cmd))
		knat_fp_invalidate(knat_pernet(genl_info_net(info)));
}

/* Events name inside hosts: only the namespace's administrator may listen. */
static const struct genl_multicast_group knat_nl_mcgrps[] = {
	[KNAT_MCGRP_EVENTS] = { .name = KNAT_MCGRP_EVENTS_NAME,
				.flags = GENL_MCAST_CAP_NET_ADMIN },
};

struct genl_family knat_genl_family __ro_after_init = {
	.name = KNAT_GENL_NAME,
	.version = KNAT_GENL_VERSION,
	.maxattr = KNAT_A_MAX,
	.policy = knat_nl_policy,
	.netnsok = true,
	/*
	 * Every operation takes its namespace's kn->lock: a long one (a pool
	 * of 65,536 addresses, a flush) must not hold genl_mutex, the whole
	 * machine's generic netlink, meanwhile.
	 */
	.parallel_ops = true,
	.pre_doit = knat_nl_pre_doit,
	.post_doit = knat_nl_post_doit,
	.module = THIS_MODULE,
	.ops = knat_nl_ops,
	.n_ops = ARRAY_SIZE(knat_nl_ops),
	.resv_start_op = KNAT_CMD_MAX + 1,
	.mcgrps = knat_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(knat_nl_mcgrps),
};

int __init knat_genl_init(void)
{
	return genl_register_family(&knat_genl_family);
}

void knat_genl_exit(void)
{
	genl_unregister_family(&knat_genl_family);
}
