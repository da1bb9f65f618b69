// SPDX-License-Identifier: GPL-2.0
/*
 * knat: following the router's own addresses. Masquerade pools move with
 * their interface's primary address; every pool knows which of its
 * addresses are also the router's (their ports are shared with its
 * sockets).
 *
 * The inetaddr notifier runs under RTNL, for every namespace of the
 * machine. It only queues the namespace's address work: the work itself
 * (a pool rebuilt, its mappings reaped, grace periods) is of the size of
 * the namespace's tables and waits for kn->lock, which a long operation
 * of that namespace may hold. Nothing under RTNL ever waits for it.
 */
#include <linux/inetdevice.h>
#include <linux/workqueue.h>
#include <net/route.h>
#include "control.h"
#include "table.h"

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

void knat_pool_mark_local(struct knat_net *kn, struct knat_pool *pool)
{
	u32 i;

	lockdep_assert_held(&kn->lock);
	for (i = 0; i < pool->naddr; i++) {
		WRITE_ONCE(pool->addrs[i].local,
			   inet_addr_type(kn->net, pool->addrs[i].addr) ==
			   RTN_LOCAL);
		if (!(i % 1024))
			cond_resched();
	}
}

/*
 * No usable address: keep the pool for when one comes back, but map
 * nothing with the address that went away (the hooks drop and count such
 * flows, pool full, rather than let them out untranslated). As in
 * knat_pool_del(), no packet maps after the grace period.
 */
static void masq_unusable(struct knat_net *kn, struct knat_pool *pool)
{
	if (pool->noaddr)
		return;
	WRITE_ONCE(pool->noaddr, true);
	synchronize_rcu();
	knat_table_reap(kn, knat_map_of_pool, pool);
}

/* Rebuilds @pool on the interface's new address; its mappings are stale. */
static void masq_follow(struct knat_net *kn, struct knat_pool *pool)
{
	struct knat_pool_params p = {
		.out_ifindex = pool->out_ifindex,
		.masquerade = true, .port_lo = pool->port_lo,
		.port_hi = pool->port_hi, .block_size = pool->block_size,
		.from_addr = pool->from_addr, .from_mask = pool->from_mask,
		.nprefix = 1, .naddr = 1,
	};
	int err;

	if (knat_masq_prefix(kn->net, pool->out_ifindex, &p.prefix[0])) {
		masq_unusable(kn, pool);
		return;
	}
	if (p.prefix[0].addr == pool->prefix[0].addr) {
		WRITE_ONCE(pool->noaddr, false);
		return;
	}
	p.name = pool->name;
	p.addrs = &p.prefix[0].addr;
	err = knat_pool_replace(kn, pool, &p);
	if (err) {
		/* The new address clashes, or no memory: map nothing. */
		pr_warn_ratelimited("knat: masquerade pool %s cannot follow its interface to %pI4 (error %d)\n",
				    pool->name, &p.prefix[0].addr, err);
		masq_unusable(kn, pool);
	}
}

/* Any address of the namespace came or went: bring every pool up to date. */
static void knat_addr_work(struct work_struct *work)
{
	struct knat_net *kn = container_of(work, struct knat_net, addr_work);
	struct knat_pool *pool, *tmp;

	mutex_lock(&kn->lock);
	/* A rebuilt pool takes the old one's place; tmp is past both. */
	list_for_each_entry_safe(pool, tmp, &kn->pools, list) {
		if (pool->masquerade)
			masq_follow(kn, pool);
		else
			knat_pool_mark_local(kn, pool);
	}
	mutex_unlock(&kn->lock);
}

void knat_addr_work_init(struct knat_net *kn)
{
	INIT_WORK(&kn->addr_work, knat_addr_work);
}

/* Under RTNL: queues, never waits. */
static int knat_inetaddr_event(struct notifier_block *nb, unsigned long event,
			       void *ptr)
{
	const struct in_ifaddr *ifa = ptr;
	struct knat_net *kn = knat_pernet(dev_net(ifa->ifa_dev->dev));

	if (event != NETDEV_UP && event != NETDEV_DOWN)
		return NOTIFY_DONE;
	/* Pairs with the grace period after knat_net_pre_exit(). */
	rcu_read_lock();
	if (!READ_ONCE(kn->exiting))
		queue_work(system_power_efficient_wq, &kn->addr_work);
	rcu_read_unlock();
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
