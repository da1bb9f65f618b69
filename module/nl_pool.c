// SPDX-License-Identifier: GPL-2.0
/* knat: netlink ops for pools (knat pool / knat masquerade). */
#include <linux/inetdevice.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include <net/ip.h>
#include "control.h"
#include "netlink.h"

#define KNAT_POOL_ADDRS_MAX	65536

static int parse_prefix(const struct nlattr *attr, struct knat_prefix *pfx,
			struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KNAT_A_PREFIX_MAX + 1];
	u8 len = 32;
	int err;

	err = nla_parse_nested(tb, KNAT_A_PREFIX_MAX, attr,
			       knat_nl_prefix_policy, extack);
	if (err)
		return err;
	if (!tb[KNAT_A_PREFIX_ADDR]) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "prefix without an address");
		return -EINVAL;
	}
	if (tb[KNAT_A_PREFIX_LEN])
		len = nla_get_u8(tb[KNAT_A_PREFIX_LEN]);
	pfx->mask = len ? inet_make_mask(len) : 0;
	pfx->addr = nla_get_in_addr(tb[KNAT_A_PREFIX_ADDR]) & pfx->mask;
	return 0;
}

static int expand_prefixes(struct knat_net *kn, struct knat_pool_params *p,
			   struct netlink_ext_ack *extack)
{
	u64 total = 0;
	u32 i, j, n;

	for (i = 0; i < p->nprefix; i++)
		total += 1ULL << (32 - inet_mask_len(p->prefix[i].mask));
	if (total > KNAT_POOL_ADDRS_MAX) {
		NL_SET_ERR_MSG(extack, "a pool holds at most 65536 addresses");
		return -E2BIG;
	}
	/* Before any work of that size (knat_pool_add() checks it all). */
	if (knat_addrs_full(kn, total, extack))
		return -ENOSPC;
	p->addrs = kvcalloc(total, sizeof(__be32), GFP_KERNEL_ACCOUNT);
	if (!p->addrs)
		return -ENOMEM;
	for (i = 0; i < p->nprefix; i++) {
		n = 1U << (32 - inet_mask_len(p->prefix[i].mask));
		for (j = 0; j < n; j++)
			p->addrs[p->naddr++] =
				htonl(ntohl(p->prefix[i].addr) + j);
	}
	return 0;
}

/*
 * A pool address that is also the router's shares its ports with the
 * router's sockets: keep such pools clear of the ephemeral port range.
 */
static int check_local_ports(struct net *net, struct knat_pool_params *p,
			     bool ports_given, struct genl_info *info)
{
	int lo, hi, below, above;
	u32 i;

	for (i = 0; i < p->naddr; i++)
		if (inet_addr_type(net, p->addrs[i]) == RTN_LOCAL)
			break;
	if (i == p->naddr)
		return 0;
	inet_get_local_port_range(net, &lo, &hi);
	if (!ports_given) {
		/* The larger room: 1024 up to the range, or above it. */
		below = max(lo - 1024, 0);
		above = 65535 - hi;
		if (max(below, above) < p->block_size) {
			NL_SET_ERR_MSG(info->extack,
				       "no room for a block beside net.ipv4.ip_local_port_range of a router address in the pool");
			return -ENOSPC;
		}
		if (below >= above) {
			p->port_lo = 1024;
			p->port_hi = lo - 1;
		} else {
			p->port_lo = hi + 1;
			p->port_hi = 65535;
		}
		return 0;
	}
	if (p->port_hi >= lo && p->port_lo <= hi) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[KNAT_A_PORT_LO],
				    "ports overlap net.ipv4.ip_local_port_range of a router address in the pool");
		return -EADDRINUSE;
	}
	return 0;
}

static int pool_params(struct genl_info *info, struct knat_net *kn,
		       struct knat_pool_params *p, char *name)
{
	struct net *net = genl_info_net(info);
	struct nlattr **a = info->attrs;
	const struct nlattr *attr;
	bool ports_given = a[KNAT_A_PORT_LO] || a[KNAT_A_PORT_HI];
	int rem, err;
	u32 i;

	p->masquerade = nla_get_flag(a[KNAT_A_MASQUERADE]);
	if (a[KNAT_A_OUT_IFINDEX]) {
		bool found;

		p->out_ifindex = nla_get_u32(a[KNAT_A_OUT_IFINDEX]);
		rcu_read_lock();
		found = dev_get_by_index_rcu(net, p->out_ifindex);
		rcu_read_unlock();
		if (!found) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[KNAT_A_OUT_IFINDEX],
					    "no such interface");
			return -ENODEV;
		}
	}
	if (a[KNAT_A_FROM]) {
		struct knat_prefix from;

		err = parse_prefix(a[KNAT_A_FROM], &from, info->extack);
		if (err)
			return err;
		p->from_addr = from.addr;
		p->from_mask = from.mask;
	}
	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(attr) != KNAT_A_POOL_PREFIX)
			continue;
		if (p->masquerade) {
			NL_SET_ERR_MSG_ATTR(info->extack, attr,
					    "a masquerade pool takes its address from the interface");
			return -EINVAL;
		}
		if (p->nprefix == KNAT_POOL_PREFIXES) {
			NL_SET_ERR_MSG_ATTR(info->extack, attr,
					    "at most 8 prefixes per pool");
			return -E2BIG;
		}
		err = parse_prefix(attr, &p->prefix[p->nprefix], info->extack);
		if (err)
			return err;
		/* Else one address would be two entries of the pool. */
		for (i = 0; i < p->nprefix; i++)
			if (knat_prefixes_overlap(&p->prefix[i],
						  &p->prefix[p->nprefix])) {
				NL_SET_ERR_MSG_ATTR(info->extack, attr,
						    "prefixes of the pool overlap");
				return -EINVAL;
			}
		p->nprefix++;
	}
	if (p->masquerade) {
		if (!p->out_ifindex) {
			NL_SET_ERR_MSG(info->extack, "masquerade needs an out interface");
			return -EINVAL;
		}
		if (knat_masq_prefix(net, p->out_ifindex, &p->prefix[0])) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[KNAT_A_OUT_IFINDEX],
					    "the interface has no IPv4 address");
			return -EADDRNOTAVAIL;
		}
		p->nprefix = 1;
	} else if (!p->nprefix) {
		NL_SET_ERR_MSG(info->extack, "a pool needs at least one address");
		return -EINVAL;
	} else if (!p->out_ifindex && !p->from_mask) {
		NL_SET_ERR_MSG(info->extack,
			       "say which traffic to translate: an out interface or a from prefix");
		return -EINVAL;
	}

	p->port_lo = a[KNAT_A_PORT_LO] ? nla_get_u16(a[KNAT_A_PORT_LO]) : 1024;
	p->port_hi = a[KNAT_A_PORT_HI] ? nla_get_u16(a[KNAT_A_PORT_HI]) : 65535;
	p->block_size = a[KNAT_A_BLOCK_SIZE] ? nla_get_u16(a[KNAT_A_BLOCK_SIZE]) :
			READ_ONCE(kn->cfg.block_size);
	if (!is_power_of_2(p->block_size)) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[KNAT_A_BLOCK_SIZE],
				    "block size must be a power of two (64-4096)");
		return -EINVAL;
	}
	if (a[KNAT_A_POOL_NAME])
		nla_strscpy(name, a[KNAT_A_POOL_NAME], KNAT_POOL_NAME_MAX);
	else
		snprintf(name, KNAT_POOL_NAME_MAX, "pool%u", kn->pool_seq + 1);
	p->name = name;

	err = expand_prefixes(kn, p, info->extack);
	if (err)
		return err;
	err = check_local_ports(net, p, ports_given, info);
	if (err)
		return err;
	if (p->port_lo > p->port_hi ||
	    p->port_hi - p->port_lo + 1 < p->block_size) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[KNAT_A_PORT_LO],
				    "the port range must hold at least one block");
		return -EINVAL;
	}
	return 0;
}

int knat_nl_pool_add(struct sk_buff *skb, struct genl_info *info)
{
	struct knat_net *kn = knat_pernet(genl_info_net(info));
	struct knat_pool_params p = {};
	char name[KNAT_POOL_NAME_MAX];
	int err;

	mutex_lock(&kn->lock);
	err = pool_params(info, kn, &p, name);
	if (!err)
		err = knat_pool_add(kn, &p, info->extack);
	mutex_unlock(&kn->lock);
	kvfree(p.addrs);
	return err;
}

int knat_nl_pool_del(struct sk_buff *skb, struct genl_info *info)
{
	struct knat_net *kn = knat_pernet(genl_info_net(info));
	struct knat_pool *pool;
	int err = -ENOENT;

	if (GENL_REQ_ATTR_CHECK(info, KNAT_A_POOL_NAME))
		return -EINVAL;
	mutex_lock(&kn->lock);
	pool = knat_pool_find(kn, nla_data(info->attrs[KNAT_A_POOL_NAME]));
	if (pool)
		err = knat_pool_del(kn, pool);
	else
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[KNAT_A_POOL_NAME],
				    "no such pool");
	mutex_unlock(&kn->lock);
	return err;
}

static int put_prefix(struct sk_buff *skb, int type, __be32 addr, __be32 mask)
{
	struct nlattr *nest = nla_nest_start(skb, type);

	if (!nest || nla_put_in_addr(skb, KNAT_A_PREFIX_ADDR, addr) ||
	    nla_put_u8(skb, KNAT_A_PREFIX_LEN, inet_mask_len(mask)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int pool_fill(struct sk_buff *skb, struct list_head *node)
{
	const struct knat_pool *pool = list_entry(node, struct knat_pool, list);
	u32 i, nfree = 0, ncool = 0, nsubs = 0;

	for (i = 0; i < pool->naddr; i++) {
		nfree += knat_pa_nfree(&pool->addrs[i]);
		ncool += READ_ONCE(pool->addrs[i].ncooling);
		nsubs += READ_ONCE(pool->addrs[i].nsubs);
	}
	if (nla_put_string(skb, KNAT_A_POOL_NAME, pool->name) ||
	    nla_put_u16(skb, KNAT_A_PORT_LO, pool->port_lo) ||
	    nla_put_u16(skb, KNAT_A_PORT_HI, pool->port_hi) ||
	    nla_put_u16(skb, KNAT_A_BLOCK_SIZE, pool->block_size) ||
	    (pool->out_ifindex &&
	     nla_put_u32(skb, KNAT_A_OUT_IFINDEX, pool->out_ifindex)) ||
	    (pool->from_mask &&
	     put_prefix(skb, KNAT_A_FROM, pool->from_addr, pool->from_mask)) ||
	    (pool->masquerade && nla_put_flag(skb, KNAT_A_MASQUERADE)) ||
	    nla_put_u32(skb, KNAT_A_BLOCKS_TOTAL,
			pool->naddr * pool->blocks_per_addr) ||
	    nla_put_u32(skb, KNAT_A_BLOCKS_USED,
			pool->naddr * pool->blocks_per_addr - nfree - ncool) ||
	    nla_put_u32(skb, KNAT_A_BLOCKS_COOLING, ncool) ||
	    nla_put_u32(skb, KNAT_A_SUBSCRIBERS, nsubs))
		return -EMSGSIZE;
	/* A masquerade pool whose interface has no address has none either. */
	for (i = 0; i < (pool->noaddr ? 0 : pool->nprefix); i++)
		if (put_prefix(skb, KNAT_A_POOL_PREFIX, pool->prefix[i].addr,
			       pool->prefix[i].mask))
			return -EMSGSIZE;
	return 0;
}

int knat_nl_pool_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct knat_net *kn = knat_pernet(sock_net(skb->sk));

	return knat_nl_list_dump(skb, cb, &kn->pools, KNAT_CMD_POOL_GET,
				 pool_fill);
}
