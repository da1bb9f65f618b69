// SPDX-License-Identifier: GPL-2.0
/*
 * knat: the per-namespace control path. Pools come and go here, the GC
 * work expires mappings and returns cooled blocks. Everything here holds
 * kn->lock, so GC, netlink requests and teardown never overlap.
 */
#include <linux/slab.h>
#include <kunit/visibility.h>
#include "control.h"
#include "fastpath.h"
#include "forward.h"
#include "hooks.h"
#include "stats.h"
#include "table.h"
#include "twin.h"

#define KNAT_GC_INTERVAL	HZ

void knat_config_defaults(struct knat_config *cfg)
{
	cfg->timeout[KNAT_P_UDP] = 300;		/* RFC 4787 REQ-5: >= 120 */
	cfg->timeout[KNAT_P_TCP] = 7440;	/* RFC 5382 REQ-5 */
	cfg->timeout_tcp_trans = 240;
	cfg->timeout[KNAT_P_ICMP] = 60;		/* RFC 5508 REQ-1 */
	/* No state is tracked for these: their idle timers are UDP's. */
	cfg->timeout[KNAT_P_SCTP] = 300;	/* heartbeats: 30 s */
	cfg->timeout[KNAT_P_UDPLITE] = 300;
	cfg->timeout[KNAT_P_DCCP] = 300;
	cfg->timeout[KNAT_P_OTHER] = 300;	/* GRE keepalives, IKE's DPD */
	cfg->cooling = 120;			/* RFC 6888 REQ-8 */
	cfg->block_size = 256;
	cfg->max_blocks = 16;
	cfg->filtering = KNAT_FILTER_ADF;
	cfg->icmp_rate = 100;
	cfg->icmp_burst = 50;
	cfg->max_mappings = KNAT_MAX_MAPPINGS_DEFAULT;
	cfg->max_addrs = KNAT_MAX_ADDRS_DEFAULT;
	cfg->fastpath = 1;
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

/* Refuses (and counts) @n more outside addresses past max-addresses. */
bool knat_addrs_full(struct knat_net *kn, u32 n, struct netlink_ext_ack *extack)
{
	const struct knat_static *s;
	const struct knat_pool *pool;
	u64 used = n;

	lockdep_assert_held(&kn->lock);
	list_for_each_entry(pool, &kn->pools, list)
		used += pool->naddr;
	list_for_each_entry(s, &kn->statics, list)
		used++;
	if (used <= READ_ONCE(kn->cfg.max_addrs))
		return false;
	knat_stats_inc(kn, KNAT_STAT_LIMIT_REFUSED);
	NL_SET_ERR_MSG(extack,
		       "more pool addresses and 1:1 entries than the namespace's max-addresses");
	return true;
}

/* Would @p's addresses clash with a pool other than @except, or a 1:1 entry? */
static int pool_clashes(struct knat_net *kn, const struct knat_pool_params *p,
			const struct knat_pool *except,
			struct netlink_ext_ack *extack)
{
	const struct knat_pool *other;
	const struct knat_static *s;
	u32 i, j;

	list_for_each_entry(other, &kn->pools, list)
		for (i = 0; other != except && i < p->nprefix; i++)
			for (j = 0; j < other->nprefix; j++)
				if (knat_prefixes_overlap(&p->prefix[i], &other->prefix[j])) {
					NL_SET_ERR_MSG(extack,
						       "address already in another pool");
					return -EEXIST;
				}
	/* knat_static_add() checks the other order. */
	list_for_each_entry(s, &kn->statics, list)
		for (i = 0; i < p->nprefix; i++)
			if ((s->out & p->prefix[i].mask) == p->prefix[i].addr) {
				NL_SET_ERR_MSG(extack,
					       "a 1:1 entry uses an address of the pool");
				return -EEXIST;
			}
	return 0;
}

/*
 * @ifindex is a pool's out: it gets a slot if it has none and one is
 * free. With two slots taken, mappings are per uplink (hooks.c); beyond
 * KNAT_UPLINKS, an uplink shares slot 0 (drop_other_uplink).
 */
static void uplink_note(struct knat_net *kn, int ifindex)
{
	u32 i, n = kn->nuplinks;

	if (!ifindex)
		return;
	for (i = 0; i < n; i++)
		if (kn->uplinks[i] == ifindex)
			return;
	if (n == KNAT_UPLINKS)
		return;
	WRITE_ONCE(kn->uplinks[n], ifindex);
	/* The slot before its count: pairs with uplink_of()'s acquire. */
	smp_store_release(&kn->nuplinks, n + 1);
}

int knat_pool_add(struct knat_net *kn, struct knat_pool_params *p,
		  struct netlink_ext_ack *extack)
{
	struct knat_pool *pool;
	int err;

	lockdep_assert_held(&kn->lock);
	if (knat_pool_find(kn, p->name)) {
		NL_SET_ERR_MSG(extack, "a pool of that name exists");
		return -EEXIST;
	}
	err = pool_clashes(kn, p, NULL, extack);
	if (err)
		return err;
	if (knat_addrs_full(kn, p->naddr, extack))
		return -ENOSPC;
	p->id = ++kn->pool_seq;
	pool = knat_pool_create(p);
	if (IS_ERR(pool))
		return PTR_ERR(pool);
	knat_pool_mark_local(kn, pool);
	err = knat_hooks_enable(kn);
	if (err) {
		knat_pool_destroy(pool);
		NL_SET_ERR_MSG(extack, "cannot register netfilter hooks");
		return err;
	}
	uplink_note(kn, pool->out_ifindex);
	list_add_tail_rcu(&pool->list, &kn->pools);
	mod_delayed_work(system_power_efficient_wq, &kn->gc_work,
			 KNAT_GC_INTERVAL);
	return 0;
}

/*
 * @old's addresses become @p's (a masquerade interface's new address):
 * the new pool takes the old one's place in the list at once, so that a
 * new flow never finds no pool (it would leave untranslated) and the
 * hooks stay. On failure @old stays, to be marked unusable by the caller.
 */
int knat_pool_replace(struct knat_net *kn, struct knat_pool *old,
		      struct knat_pool_params *p)
{
	struct knat_pool *pool;
	int err;

	lockdep_assert_held(&kn->lock);
	err = pool_clashes(kn, p, old, NULL);
	if (err)
		return err;
	p->id = ++kn->pool_seq;
	pool = knat_pool_create(p);
	if (IS_ERR(pool))
		return PTR_ERR(pool);
	knat_pool_mark_local(kn, pool);
	list_replace_rcu(&old->list, &pool->list);
	knat_fp_invalidate(kn);
	/* Who finds @old dead finds @pool in the list (map_new()). */
	smp_store_release(&old->dead, true);
	/* As knat_pool_del(), without unregistering anything. */
	synchronize_rcu();
	knat_table_reap(kn, knat_map_of_pool, old);
	synchronize_rcu();
	knat_pool_destroy(old);
	return 0;
}

int knat_pool_del(struct knat_net *kn, struct knat_pool *pool)
{
	lockdep_assert_held(&kn->lock);
	/* After this grace period no packet creates a mapping in @pool... */
	list_del_rcu(&pool->list);
	/* Who finds it dead looks again, without it (knat_map_new()). */
	smp_store_release(&pool->dead, true);
	synchronize_rcu();
	knat_table_reap(kn, knat_map_of_pool, pool);
	/* ...and after this one none still looks at its mappings' blocks. */
	synchronize_rcu();
	knat_pool_destroy(pool);
	knat_hooks_maybe_disable(kn);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(knat_pool_del);

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
EXPORT_SYMBOL_IF_KUNIT(knat_mapping_flush);

void knat_gc_kick(struct knat_net *kn)
{
	if (!delayed_work_pending(&kn->gc_work) && !READ_ONCE(kn->exiting))
		queue_delayed_work(system_power_efficient_wq, &kn->gc_work,
				   KNAT_GC_INTERVAL);
}

static void knat_gc(struct work_struct *work)
{
	struct knat_net *kn = container_of(to_delayed_work(work),
					   struct knat_net, gc_work);
	struct knat_pool *pool;

	mutex_lock(&kn->lock);
	knat_table_expire(kn);
	knat_twins_expire(kn);
	list_for_each_entry(pool, &kn->pools, list)
		knat_pool_recool(kn, pool);
	if (!list_empty(&kn->pools) || atomic_read(&kn->twins.nelems))
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
	knat_addr_work_init(kn);
	knat_fp_init(kn);
	knat_config_defaults(&kn->cfg);
	ratelimit_state_init(&kn->event_rs, HZ, 10);
	spin_lock_init(&kn->icmp_bucket.lock);
	ratelimit_set_flags(&kn->event_rs, RATELIMIT_MSG_ON_RELEASE);
	err = knat_table_init(kn);
	if (err)
		return err;
	err = knat_subs_init(kn);
	if (err)
		goto err_table;
	err = knat_twins_init(kn);
	if (err)
		goto err_subs;
	err = knat_forwards_init(kn);
	if (err)
		goto err_twins;
	return 0;

err_twins:
	knat_twins_exit(kn);
err_subs:
	knat_subs_exit(kn);
err_table:
	knat_table_exit(kn);
	return err;
}

void knat_control_exit(struct knat_net *kn)
{
	struct knat_pool *pool, *tmp;

	/* knat_net_pre_exit() stopped the notifier; a grace period passed. */
	cancel_work_sync(&kn->addr_work);
	mutex_lock(&kn->lock);
	knat_forwards_exit(kn);
	list_for_each_entry_safe(pool, tmp, &kn->pools, list)
		knat_pool_del(kn, pool);
	mutex_unlock(&kn->lock);
	knat_fp_exit(kn);
	cancel_delayed_work_sync(&kn->gc_work);
	/* 1:1 entries are freed by RCU callbacks. */
	rcu_barrier();
	knat_table_exit(kn);
	knat_subs_exit(kn);
	knat_twins_exit(kn);
	knat_forwards_destroy(kn);
}
