// SPDX-License-Identifier: GPL-2.0
/*
 * knat: netlink dump of subscribers, the inside hosts holding port blocks:
 * which outside address each was paired with and how many ports each uses
 * (knat subscriber show, and the busiest ones in knat stats).
 */
#include <linux/rhashtable.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include "alloc.h"
#include "netlink.h"

struct sub_dump {
	struct rhashtable_iter iter;
	char pool[KNAT_POOL_NAME_MAX];	/* "": any */
	__be32 in_addr;			/* 0: any */
};

int knat_nl_sub_start(struct netlink_callback *cb)
{
	struct knat_net *kn = knat_pernet(sock_net(cb->skb->sk));
	struct nlattr **a = genl_dumpit_info(cb)->attrs;
	struct sub_dump *d;

	BUILD_BUG_ON(offsetof(struct sub_dump, iter));
	d = knat_nl_table_start(cb, &kn->subs, sizeof(*d));
	if (!d)
		return -ENOMEM;
	if (a[KNAT_A_POOL_NAME])
		nla_strscpy(d->pool, a[KNAT_A_POOL_NAME], sizeof(d->pool));
	if (a[KNAT_A_IN_ADDR])
		d->in_addr = nla_get_in_addr(a[KNAT_A_IN_ADDR]);
	return 0;
}

static int sub_fill(struct sk_buff *skb, struct netlink_callback *cb,
		    void *obj)
{
	const struct sub_dump *d = (struct sub_dump *)cb->args[0];
	struct knat_sub *sub = obj;
	const struct knat_pool_addr *pa = sub->pa;
	const struct knat_block *b;
	u32 ports = 0;
	u16 nblocks;
	void *hdr;
	bool dead;

	if ((d->in_addr && d->in_addr != sub->key.addr) ||
	    (d->pool[0] && strcmp(d->pool, pa->pool->name)))
		return 0;
	/* The walk holds RCU only: the blocks list is the subscriber's lock's. */
	spin_lock_bh(&sub->lock);
	dead = sub->dead;
	nblocks = sub->nblocks;
	list_for_each_entry(b, &sub->blocks, node)
		ports += b->used - b->reserved;
	ports -= sub->npins;	/* mappings without ports hold none */
	spin_unlock_bh(&sub->lock);
	if (dead)
		return 0;
	hdr = knat_nl_dump_put(skb, cb, KNAT_CMD_SUBSCRIBER_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_in_addr(skb, KNAT_A_IN_ADDR, sub->key.addr) ||
	    nla_put_string(skb, KNAT_A_POOL_NAME, pa->pool->name) ||
	    nla_put_in_addr(skb, KNAT_A_OUT_ADDR, pa->addr) ||
	    nla_put_u32(skb, KNAT_A_BLOCKS_USED, nblocks) ||
	    nla_put_u32(skb, KNAT_A_PORTS_USED, ports)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	knat_nl_dump_end(skb, cb, hdr);
	return 0;
}

int knat_nl_sub_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	return knat_nl_table_dump(skb, cb, sub_fill);
}
