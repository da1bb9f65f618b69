// SPDX-License-Identifier: GPL-2.0
/* knat: netlink ops for port forwards and 1:1 NAT. */
#include <net/genetlink.h>
#include <net/sock.h>
#include "forward.h"
#include "netlink.h"

int knat_nl_forward_add(struct sk_buff *skb, struct genl_info *info)
{
	struct knat_net *kn = knat_pernet(genl_info_net(info));
	struct nlattr **a = info->attrs;
	struct knat_forward f = { .count = 1 };
	int err;

	if (GENL_REQ_ATTR_CHECK(info, KNAT_A_PROTO) ||
	    GENL_REQ_ATTR_CHECK(info, KNAT_A_OUT_ADDR) ||
	    GENL_REQ_ATTR_CHECK(info, KNAT_A_OUT_PORT) ||
	    GENL_REQ_ATTR_CHECK(info, KNAT_A_IN_ADDR) ||
	    GENL_REQ_ATTR_CHECK(info, KNAT_A_IN_PORT))
		return -EINVAL;
	f.out.proto = nla_get_u8(a[KNAT_A_PROTO]);
	if (f.out.proto != IPPROTO_TCP && f.out.proto != IPPROTO_UDP) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[KNAT_A_PROTO],
				    "a forward is for tcp or udp");
		return -EINVAL;
	}
	f.in.proto = f.out.proto;
	f.out.addr = nla_get_in_addr(a[KNAT_A_OUT_ADDR]);
	f.out.port = nla_get_be16(a[KNAT_A_OUT_PORT]);
	f.in.addr = nla_get_in_addr(a[KNAT_A_IN_ADDR]);
	f.in.port = nla_get_be16(a[KNAT_A_IN_PORT]);
	if (a[KNAT_A_PORT_COUNT])
		f.count = nla_get_u16(a[KNAT_A_PORT_COUNT]);
	if (!f.out.port || !f.in.port ||
	    ntohs(f.out.port) + f.count - 1 > 65535 ||
	    ntohs(f.in.port) + f.count - 1 > 65535) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[KNAT_A_PORT_COUNT],
				    "ports must lie in 1-65535");
		return -EINVAL;
	}
	mutex_lock(&kn->lock);
	err = knat_forward_add(kn, &f, info->extack);
	mutex_unlock(&kn->lock);
	return err;
}

int knat_nl_forward_del(struct sk_buff *skb, struct genl_info *info)
{
	struct knat_net *kn = knat_pernet(genl_info_net(info));
	struct knat_key out = {};
	int err;

	if (GENL_REQ_ATTR_CHECK(info, KNAT_A_PROTO) ||
	    GENL_REQ_ATTR_CHECK(info, KNAT_A_OUT_ADDR) ||
	    GENL_REQ_ATTR_CHECK(info, KNAT_A_OUT_PORT))
		return -EINVAL;
	out.proto = nla_get_u8(info->attrs[KNAT_A_PROTO]);
	out.addr = nla_get_in_addr(info->attrs[KNAT_A_OUT_ADDR]);
	out.port = nla_get_be16(info->attrs[KNAT_A_OUT_PORT]);
	mutex_lock(&kn->lock);
	err = knat_forward_del(kn, &out, info->extack);
	mutex_unlock(&kn->lock);
	return err;
}

static int forward_fill(struct sk_buff *skb, struct list_head *node)
{
	const struct knat_forward *f = list_entry(node, struct knat_forward, list);

	return nla_put_u8(skb, KNAT_A_PROTO, f->out.proto) ||
	       nla_put_in_addr(skb, KNAT_A_OUT_ADDR, f->out.addr) ||
	       nla_put_be16(skb, KNAT_A_OUT_PORT, f->out.port) ||
	       nla_put_in_addr(skb, KNAT_A_IN_ADDR, f->in.addr) ||
	       nla_put_be16(skb, KNAT_A_IN_PORT, f->in.port) ||
	       nla_put_u16(skb, KNAT_A_PORT_COUNT, f->count);
}

int knat_nl_forward_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct knat_net *kn = knat_pernet(sock_net(skb->sk));

	return knat_nl_list_dump(skb, cb, &kn->forwards, KNAT_CMD_FORWARD_GET,
				 forward_fill);
}

int knat_nl_static_add(struct sk_buff *skb, struct genl_info *info)
{
	struct knat_net *kn = knat_pernet(genl_info_net(info));
	int err;

	if (GENL_REQ_ATTR_CHECK(info, KNAT_A_OUT_ADDR) ||
	    GENL_REQ_ATTR_CHECK(info, KNAT_A_IN_ADDR))
		return -EINVAL;
	mutex_lock(&kn->lock);
	err = knat_static_add(kn, nla_get_in_addr(info->attrs[KNAT_A_OUT_ADDR]),
			      nla_get_in_addr(info->attrs[KNAT_A_IN_ADDR]),
			      info->extack);
	mutex_unlock(&kn->lock);
	return err;
}

int knat_nl_static_del(struct sk_buff *skb, struct genl_info *info)
{
	struct knat_net *kn = knat_pernet(genl_info_net(info));
	int err;

	if (GENL_REQ_ATTR_CHECK(info, KNAT_A_OUT_ADDR))
		return -EINVAL;
	mutex_lock(&kn->lock);
	err = knat_static_del(kn, nla_get_in_addr(info->attrs[KNAT_A_OUT_ADDR]),
			      info->extack);
	mutex_unlock(&kn->lock);
	return err;
}

static int static_fill(struct sk_buff *skb, struct list_head *node)
{
	const struct knat_static *st = list_entry(node, struct knat_static, list);

	return nla_put_in_addr(skb, KNAT_A_OUT_ADDR, st->out) ||
	       nla_put_in_addr(skb, KNAT_A_IN_ADDR, st->in);
}

int knat_nl_static_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct knat_net *kn = knat_pernet(sock_net(skb->sk));

	return knat_nl_list_dump(skb, cb, &kn->statics, KNAT_CMD_STATIC_GET,
				 static_fill);
}
