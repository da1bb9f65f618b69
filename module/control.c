// SPDX-License-Identifier: GPL-2.0
/*
 * knat: the per-namespace control path. Pools come and go here, the GC
 * work expires mappings and returns cooled blocks. Everything here holds
 * kn->lock, so GC, netlink requests and teardown never overlap.
 */
#include <linux/inetdevice.h>
#include <net/route.h>
#include <linux/slab.h>
#include <kunit/visibility.h>
#include "control.h"
#include "forward.h"
#include "hooks.h"
#include "stats.h"
#include "table.h"

#define KNAT_GC_INTERVAL	HZ

void knat_config_defaults(struct knat_config *cfg)
{
	cfg->timeout[KNAT_P_UDP] = 300;		/* RFC 4787 REQ-5: >= 120 */
	cfg->timeout[KNAT_P_TCP] = 7440;	/* RFC 5382 REQ-5 */
	cfg->timeout_tcp_trans = 240;
	cfg->timeout[KNAT_P_ICMP] = 60;		/* RFC 5508 REQ-1 */
	cfg->cooling = 120;			/* RFC 6888 REQ-8 */
	cfg->block_size = 256;
	cfg->max_blocks = 16;
	cfg->filtering = KNAT_FILTER_ADF;
	cfg->icmp_rate = 100;
	cfg->icmp_burst = 50;
}
EXPORT_SYMBOL_IF_KUNIT(knat_config_defaults);

struct knat_pool *knat_pool_find(struct knat_net *kn, const char *name)
{
	struct knat_pool *pool;

	list_for_each_entry(pool, &kn->pools, list)
		if (!strcmp(pool->name, name))
			return pool;
	return NULL;
}

static bool prefixes_overlap(const struct knat_prefix *a,
			     const struct knat_prefix *b)
{
	__be32 mask = a->mask & b->mask;

	return (a->addr & mask) == (b->addr & mask);
}

int knat_pool_add(struct knat_net *kn, struct knat_pool_params *p,
		  struct netlink_ext_ack *extack)
{
	struct knat_pool *pool, *other;
	u32 i, j;
	int err;

	lockdep_assert_held(&kn->lock);
	if (knat_pool_find(kn, p->name)) {
		NL_SET_ERR_MSG(extack, "a pool of that name exists");
		return -EEXIST;
	}
	list_for_each_entry(other, &kn->pools, list)
		for (i = 0; i < p->nprefix; i++)
			for (j = 0; j < other->nprefix; j++)
				if (prefixes_overlap(&p->prefix[i], &other->prefix[j])) {
					NL_SET_ERR_MSG(extack,
						       "address already in another pool");
					return -EEXIST;
				}
	p->id = ++kn->pool_seq;
	pool = knat_pool_create(p);
	if (IS_ERR(pool))
		return PTR_ERR(pool);
	for (i = 0; i < pool->naddr; i++)
		pool->addrs[i].local = inet_addr_type(kn->net, pool->addrs[i].addr) ==
				       RTN_LOCAL;
	err = knat_hooks_enable(kn);
	if (err) {
		knat_pool_destroy(pool);
		NL_SET_ERR_MSG(extack, "cannot register netfilter hooks");
		return err;
	}
	list_add_tail_rcu(&pool->list, &kn->pools);
	mod_delayed_work(system_power_efficient_wq, &kn->gc_work,
			 KNAT_GC_INTERVAL);
	return 0;
}

int knat_pool_del(struct knat_net *kn, struct knat_pool *pool)
{
	lockdep_assert_held(&kn->lock);
	/* After this grace period no packet creates a mapping in @pool... */
	WRITE_ONCE(pool->dead, true);
	list_del_rcu(&pool->list);
	synchronize_rcu();
	knat_table_reap(kn, knat_map_of_pool, pool);
	/* ...and after this one none still looks at its mappings' blocks. */
	synchronize_rcu();
	knat_pool_destroy(pool);
	knat_hooks_maybe_disable(kn);
	return 0;
}

void knat_hooks_maybe_disable(struct knat_net *kn)
{
	lockdep_assert_held(&kn->lock);
	if (list_empty(&kn->pools) && list_empty(&kn->forwards) &&
	    list_empty(&kn->statics))
		knat_hooks_disable(kn);
}

void knat_mapping_flush(struct knat_net *kn)
{
	lockdep_assert_held(&kn->lock);
	knat_table_reap(kn, knat_map_dynamic, NULL);
}

int knat_masq_prefix(struct net *net, int ifindex, struct knat_prefix *pfx)
{
	const struct in_ifaddr *ifa;
	struct in_device *in_dev;
	struct net_device *dev;
	int err = -EADDRNOTAVAIL;

	rcu_read_lock();
	dev = dev_get_by_index_rcu(net, ifindex);
	in_dev = dev ? __in_dev_get_rcu(dev) : NULL;
	if (in_dev) {
		in_dev_for_each_ifa_rcu(ifa, in_dev) {
			if (ifa->ifa_flags & IFA_F_SECONDARY)
				continue;
			pfx->addr = ifa->ifa_local;
			pfx->mask = htonl(0xffffffff);
			err = 0;
			break;
		}
	}
	rcu_read_unlock();
	return err;
}

/* Rebuilds @pool on the interface's new address; its mappings are stale. */
static void masq_follow(struct knat_net *kn, struct knat_pool *pool)
{
	struct knat_pool_params p = {
		.name = pool->name, .out_ifindex = pool->out_ifindex,
		.masquerade = true, .port_lo = pool->port_lo,
		.port_hi = pool->port_hi, .block_size = pool->block_size,
		.from_addr = pool->from_addr, .from_mask = pool->from_mask,
		.nprefix = 1, .naddr = 1,
	};
	char name[KNAT_POOL_NAME_MAX];

	if (knat_masq_prefix(kn->net, pool->out_ifindex, &p.prefix[0])) {
		/* No address now: keep the pool for when one comes back. */
		knat_table_reap(kn, knat_map_of_pool, pool);
		return;
	}
	if (p.prefix[0].addr == pool->prefix[0].addr)
		return;
	strscpy(name, pool->name, sizeof(name));
	p.name = name;
	p.addrs = &p.prefix[0].addr;
	knat_pool_del(kn, pool);
	if (knat_pool_add(kn, &p, NULL))
		pr_warn_ratelimited("knat: masquerade pool %s lost: no memory\n",
				    name);
}

/* Under RTNL; takes kn->lock after it (nothing takes them the other way). */
static int knat_inetaddr_event(struct notifier_block *nb, unsigned long event,
			       void *ptr)
{
	const struct in_ifaddr *ifa = ptr;
	struct net_device *dev = ifa->ifa_dev->dev;
	struct knat_net *kn = knat_pernet(dev_net(dev));
	struct knat_pool *pool, *tmp;

	u32 i;

	if (event != NETDEV_UP && event != NETDEV_DOWN)
		return NOTIFY_DONE;
	mutex_lock(&kn->lock);
	list_for_each_entry_safe(pool, tmp, &kn->pools, list) {
		if (pool->masquerade && pool->out_ifindex == dev->ifindex) {
			masq_follow(kn, pool);
			continue;
		}
		/* The router's sockets now share (or no longer share) ports. */
		for (i = 0; i < pool->naddr; i++)
			if (pool->addrs[i].addr == ifa->ifa_local)
				WRITE_ONCE(pool->addrs[i].local, event == NETDEV_UP);
	}
	mutex_unlock(&kn->lock);
	return NOTIFY_DONE;
}

static struct notifier_block knat_inetaddr_nb = {
	.notifier_call = knat_inetaddr_event,
};

int knat_masq_notifier_init(void)
{
	return register_inetaddr_notifier(&knat_inetaddr_nb);
}

void knat_masq_notifier_exit(void)
{
	unregister_inetaddr_notifier(&knat_inetaddr_nb);
}

static void knat_gc(struct work_struct *work)
{
	struct knat_net *kn = container_of(to_delayed_work(work),
					   struct knat_net, gc_work);
	struct knat_pool *pool;

	mutex_lock(&kn->lock);
	knat_table_expire(kn);
	list_for_each_entry(pool, &kn->pools, list)
		knat_pool_recool(kn, pool);
	if (!list_empty(&kn->pools))
		queue_delayed_work(system_power_efficient_wq, &kn->gc_work,
				   KNAT_GC_INTERVAL);
	mutex_unlock(&kn->lock);
}

int knat_control_init(struct knat_net *kn)
{
	int err;

	mutex_init(&kn->lock);
	INIT_LIST_HEAD(&kn->pools);
	INIT_LIST_HEAD(&kn->forwards);
	INIT_LIST_HEAD(&kn->statics);
	INIT_DELAYED_WORK(&kn->gc_work, knat_gc);
	knat_config_defaults(&kn->cfg);
	ratelimit_state_init(&kn->event_rs, HZ, 10);
	spin_lock_init(&kn->icmp_bucket.lock);
	ratelimit_set_flags(&kn->event_rs, RATELIMIT_MSG_ON_RELEASE);
	err = knat_table_init(kn);
	if (err)
		return err;
	err = knat_subs_init(kn);
	if (err)
		knat_table_exit(kn);
	return err;
}

void knat_control_exit(struct knat_net *kn)
{
	struct knat_pool *pool, *tmp;

	mutex_lock(&kn->lock);
	knat_forwards_exit(kn);
	list_for_each_entry_safe(pool, tmp, &kn->pools, list)
		knat_pool_del(kn, pool);
	mutex_unlock(&kn->lock);
	cancel_delayed_work_sync(&kn->gc_work);
	/* 1:1 entries are freed by RCU callbacks. */
	rcu_barrier();
	knat_table_exit(kn);
	knat_subs_exit(kn);
}
