/* SPDX-License-Identifier: GPL-2.0 */
/* knat: what the netlink op files share. */
#ifndef _KNAT_NETLINK_H
#define _KNAT_NETLINK_H

#include <net/genetlink.h>

extern const struct nla_policy *knat_nl_prefix_policy;
extern struct genl_family knat_genl_family;

enum knat_nl_mcgrp {
	KNAT_MCGRP_EVENTS,
};

struct sk_buff *knat_nl_reply_new(struct genl_info *info, u8 cmd, void **hdr);
void *knat_nl_dump_put(struct sk_buff *skb, struct netlink_callback *cb,
		       u8 cmd);
void knat_nl_dump_end(struct sk_buff *skb, struct netlink_callback *cb,
		      void *hdr);

/*
 * Dumps the list @head (under kn->lock), one message of type @cmd per
 * entry filled by @fill; resumes at cb->args[0] across calls.
 */
int knat_nl_list_dump(struct sk_buff *skb, struct netlink_callback *cb,
		      struct list_head *head, u8 cmd,
		      int (*fill)(struct sk_buff *skb, struct list_head *node));

struct rhashtable;
/*
 * Dumps of an rhashtable, resumable: start allocates the dump's state of
 * @size bytes, which begins with a struct rhashtable_iter (the filters
 * follow), enters the walk and keeps it in cb->args[0]; done undoes that.
 * In dump, @fill puts one object's message, or nothing when a filter skips
 * it, and returns non-zero when the message buffer is full.
 */
void *knat_nl_table_start(struct netlink_callback *cb, struct rhashtable *ht,
			  size_t size);
int knat_nl_table_done(struct netlink_callback *cb);
int knat_nl_table_dump(struct sk_buff *skb, struct netlink_callback *cb,
		       int (*fill)(struct sk_buff *skb,
				   struct netlink_callback *cb, void *obj));

int knat_nl_pool_add(struct sk_buff *skb, struct genl_info *info);
int knat_nl_pool_del(struct sk_buff *skb, struct genl_info *info);
int knat_nl_pool_dump(struct sk_buff *skb, struct netlink_callback *cb);

int knat_nl_mapping_start(struct netlink_callback *cb);
int knat_nl_mapping_dump(struct sk_buff *skb, struct netlink_callback *cb);
int knat_nl_mapping_flush(struct sk_buff *skb, struct genl_info *info);

int knat_nl_sub_start(struct netlink_callback *cb);
int knat_nl_sub_dump(struct sk_buff *skb, struct netlink_callback *cb);

int knat_nl_forward_add(struct sk_buff *skb, struct genl_info *info);
int knat_nl_forward_del(struct sk_buff *skb, struct genl_info *info);
int knat_nl_forward_dump(struct sk_buff *skb, struct netlink_callback *cb);
int knat_nl_static_add(struct sk_buff *skb, struct genl_info *info);
int knat_nl_static_del(struct sk_buff *skb, struct genl_info *info);
int knat_nl_static_dump(struct sk_buff *skb, struct netlink_callback *cb);

#endif /* _KNAT_NETLINK_H */
