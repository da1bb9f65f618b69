// SPDX-License-Identifier: GPL-2.0
/*
 * knat: netlink ops for mappings. The dump walks the outside table with a
 * cursor kept between calls, so a million mappings stream out in as many
 * messages as it takes; an abandoned dump just releases its cursor.
 */
#include <linux/rhashtable.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include "alloc.h"
#include "control.h"
#include "netlink.h"
#include "table.h"

struct map_dump {
	struct rhashtable_iter iter;
	u8 proto;			/* 0: any */
	__be32 in_addr, out_addr;	/* 0: any */
};

int knat_nl_mapping_start(struct netlink_callback *cb)
{
	struct knat_net *kn = knat_pernet(sock_net(cb->skb->sk));
	struct nlattr **a = genl_dumpit_info(cb)->attrs;
	struct map_dump *d;

	BUILD_BUG_ON(offsetof(struct map_dump, iter));
	d = knat_nl_table_start(cb, &kn->map_out, sizeof(*d));
	if (!d)
		return -ENOMEM;
	if (a[KNAT_A_PROTO])
		d->proto = nla_get_u8(a[KNAT_A_PROTO]);
	if (a[KNAT_A_IN_ADDR])
		d->in_addr = nla_get_in_addr(a[KNAT_A_IN_ADDR]);
	if (a[KNAT_A_OUT_ADDR])
		d->out_addr = nla_get_in_addr(a[KNAT_A_OUT_ADDR]);
	return 0;
}

static int map_fill(struct sk_buff *skb, struct netlink_callback *cb,
		    void *obj)
{
	const struct map_dump *d = (struct map_dump *)cb->args[0];
	const struct knat_map *m = obj;
	long left = (s32)(READ_ONCE(m->expires) - (u32)jiffies);
	void *hdr;

	if ((d->proto && d->proto != m->in.proto) ||
	    (d->in_addr && d->in_addr != m->in.addr) ||
	    (d->out_addr && d->out_addr != m->out.addr))
		return 0;
	hdr = knat_nl_dump_put(skb, cb, KNAT_CMD_MAPPING_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u8(skb, KNAT_A_PROTO, m->in.proto) ||
	    nla_put_in_addr(skb, KNAT_A_IN_ADDR, m->in.addr) ||
	    nla_put_be16(skb, KNAT_A_IN_PORT, m->in.port) ||
	    nla_put_in_addr(skb, KNAT_A_OUT_ADDR, m->out.addr) ||
	    nla_put_be16(skb, KNAT_A_OUT_PORT, m->out.port) ||
	    nla_put_u32(skb, KNAT_A_EXPIRES_MS,
			m->block ? jiffies_to_msecs(max(left, 0L)) : 0) ||
	    (m->in.proto == IPPROTO_TCP &&
	     nla_put_u8(skb, KNAT_A_TCP_STATE,
			knat_map_tcp_established(knat_map_flags(m)) ?
			KNAT_TCP_EST : KNAT_TCP_TRANS)) ||
	    (m->in.raddr && nla_put_in_addr(skb, KNAT_A_REMOTE_ADDR, m->in.raddr)) ||
	    (m->block && nla_put_string(skb, KNAT_A_POOL_NAME,
					m->block->pa->pool->name))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	knat_nl_dump_end(skb, cb, hdr);
	return 0;
}

int knat_nl_mapping_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	return knat_nl_table_dump(skb, cb, map_fill);
}

int knat_nl_mapping_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct knat_net *kn = knat_pernet(genl_info_net(info));

	mutex_lock(&kn->lock);
	knat_mapping_flush(kn);
	mutex_unlock(&kn->lock);
	return 0;
}
