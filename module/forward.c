// SPDX-License-Identifier: GPL-2.0
/*
 * knat: port forwards and 1:1 NAT. A forward is a set of permanent
 * mappings in the same table as the dynamic ones, so the packet path
 * finds it with the lookup it does anyway; no block holds its ports, so
 * it never expires, is never filtered and survives a flush. 1:1 entries
 * are few: an RCU list, consulted only when the table has no mapping.
 */
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include "control.h"
#include "forward.h"
#include "stats.h"
#include "table.h"
#include "twin.h"

/*
 * After a removal: the filter from what remains. Word by word, so a
 * packet never sees a remaining address's bit clear.
 */
static void outside_rebuild(struct knat_net *kn)
{
	DECLARE_BITMAP(bits, KNAT_OUTSIDE_ADDRS) = {};
	const struct knat_forward *f;
	const struct knat_static *s;
	unsigned int i;

	list_for_each_entry(f, &kn->forwards, list)
		__set_bit(knat_outside_bit(f->out.addr), bits);
	list_for_each_entry(s, &kn->statics, list)
		__set_bit(knat_outside_bit(s->out), bits);
	for (i = 0; i < BITS_TO_LONGS(KNAT_OUTSIDE_ADDRS); i++)
		WRITE_ONCE(kn->outside_addrs[i], bits[i]);
}

/* Before an addition: the packet path may meet the address at once. */
static void outside_add(struct knat_net *kn, __be32 addr)
{
	set_bit(knat_outside_bit(addr), kn->outside_addrs);
}

/*
 * The addresses forwards lead from (outside) and to (inside), each with
 * its count of forwards: the packet path asks "some forward's?" in one
 * lookup, however many forwards there are (root of a user namespace may
 * make max-mappings of them, and a hostile packet picks the address).
 */
enum { FWD_OUT, FWD_IN };

struct knat_fwd_addr {
	struct rhash_head node;
	u64 key;			/* the address; the side in bit 32 */
	u32 count;			/* under kn->lock */
	struct rcu_head rcu;
};

static const struct rhashtable_params fwd_addr_params = {
	.head_offset = offsetof(struct knat_fwd_addr, node),
	.key_offset = offsetof(struct knat_fwd_addr, key),
	.key_len = sizeof(u64),
	.automatic_shrinking = true,
};

static u64 fwd_addr_key(__be32 addr, int side)
{
	return (__force u32)addr | (u64)side << 32;
}

static struct knat_fwd_addr *fwd_addr_find(struct knat_net *kn, __be32 addr,
					   int side)
{
	u64 key = fwd_addr_key(addr, side);

	return rhashtable_lookup(&kn->fwd_addrs, &key, fwd_addr_params);
}

/* One forward more at @addr. Under kn->lock. */
static int fwd_addr_get(struct knat_net *kn, __be32 addr, int side)
{
	struct knat_fwd_addr *a;
	int err;

	rcu_read_lock();
	a = fwd_addr_find(kn, addr, side);
	rcu_read_unlock();
	if (a) {
		a->count++;
		return 0;
	}
	a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	if (!a)
		return -ENOMEM;
	a->key = fwd_addr_key(addr, side);
	a->count = 1;
	err = rhashtable_insert_fast(&kn->fwd_addrs, &a->node, fwd_addr_params);
	if (err)
		kfree(a);
	return err;
}

/* One forward less at @addr. Under kn->lock. */
static void fwd_addr_put(struct knat_net *kn, __be32 addr, int side)
{
	struct knat_fwd_addr *a;

	rcu_read_lock();
	a = fwd_addr_find(kn, addr, side);
	rcu_read_unlock();
	if (WARN_ON_ONCE(!a) || --a->count)
		return;
	rhashtable_remove_fast(&kn->fwd_addrs, &a->node, fwd_addr_params);
	kfree_rcu(a, rcu);
}

static int fwd_addrs_get(struct knat_net *kn, const struct knat_forward *f)
{
	int err = fwd_addr_get(kn, f->out.addr, FWD_OUT);

	if (err)
		return err;
	err = fwd_addr_get(kn, f->in.addr, FWD_IN);
	if (err)
		fwd_addr_put(kn, f->out.addr, FWD_OUT);
	return err;
}

static void fwd_addrs_put(struct knat_net *kn, const struct knat_forward *f)
{
	fwd_addr_put(kn, f->in.addr, FWD_IN);
	fwd_addr_put(kn, f->out.addr, FWD_OUT);
}

int knat_forwards_init(struct knat_net *kn)
{
	return rhashtable_init(&kn->fwd_addrs, &fwd_addr_params);
}

static void fwd_addr_free(void *ptr, void *arg)
{
	kfree(ptr);
}

/* After knat_forwards_exit(): none is left, unless a count went wrong. */
void knat_forwards_destroy(struct knat_net *kn)
{
	WARN_ON_ONCE(atomic_read(&kn->fwd_addrs.nelems));
	rhashtable_free_and_destroy(&kn->fwd_addrs, fwd_addr_free, NULL);
}

bool knat_outside_owned(struct knat_net *kn, __be32 addr)
{
	if (!knat_outside_maybe(kn, addr))
		return false;
	return fwd_addr_find(kn, addr, FWD_OUT) || knat_static_by_out(kn, addr);
}

bool knat_forward_to(struct knat_net *kn, __be32 addr)
{
	return fwd_addr_find(kn, addr, FWD_IN);
}

/* Deletes the permanent mappings of @f's first @n ports. */
static void forward_unmap(struct knat_net *kn, const struct knat_forward *f,
			  u16 n)
{
	struct knat_key out = f->out;
	struct knat_map *m;
	u16 i;

	for (i = 0; i < n; i++) {
		out.port = htons(ntohs(f->out.port) + i);
		rcu_read_lock();
		m = knat_map_lookup_out(kn, &out);
		if (m && !m->block)
			knat_map_delete(kn, m);
		rcu_read_unlock();
		if (i % 1024 == 1023)
			cond_resched();
	}
}

static struct knat_forward *forward_find(struct knat_net *kn,
					 const struct knat_key *out)
{
	struct knat_forward *f;

	list_for_each_entry(f, &kn->forwards, list)
		if (f->out.addr == out->addr && f->out.proto == out->proto &&
		    ntohs(out->port) >= ntohs(f->out.port) &&
		    ntohs(out->port) < ntohs(f->out.port) + f->count)
			return f;
	return NULL;
}

int knat_forward_add(struct knat_net *kn, const struct knat_forward *req,
		     struct netlink_ext_ack *extack)
{
	struct knat_map *m, *existing;
	struct knat_forward *f;
	bool twin;
	u16 i;
	int err;

	lockdep_assert_held(&kn->lock);
	if (knat_mappings_full(kn, req->count)) {
		knat_stats_inc(kn, KNAT_STAT_LIMIT_REFUSED);
		NL_SET_ERR_MSG(extack, "more mappings than the namespace's max-mappings");
		return -ENOSPC;
	}
	f = kmemdup(req, sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	err = knat_hooks_enable(kn);
	if (err)
		goto err_free;
	/* Before the mappings: the packet path may meet them at once. */
	err = fwd_addrs_get(kn, f);
	if (err)
		goto err_hooks;
	outside_add(kn, f->out.addr);
	twin = knat_static_by_in(kn, f->in.addr);
	for (i = 0; i < f->count; i++) {
		m = knat_map_alloc_gfp(GFP_KERNEL_ACCOUNT);
		if (!m) {
			err = -ENOMEM;
			goto err_unmap;
		}
		m->in = f->in;
		m->in.port = htons(ntohs(f->in.port) + i);
		m->out = f->out;
		m->out.port = htons(ntohs(f->out.port) + i);
		if (twin)
			atomic_set(&m->flags, BIT(KNAT_MAP_TWIN));
		err = knat_map_insert(kn, m, &existing);
		if (err) {
			knat_map_discard(m);
			if (existing)
				NL_SET_ERR_MSG(extack, "the inside endpoint is already mapped");
			else
				NL_SET_ERR_MSG(extack, "the outside port is already in use");
			goto err_unmap;
		}
		if (i % 1024 == 1023)
			cond_resched();
	}
	list_add_tail_rcu(&f->list, &kn->forwards);
	return 0;

err_unmap:
	forward_unmap(kn, f, i);
	outside_rebuild(kn);
	/* After the mappings: no packet finds one of a host not counted. */
	fwd_addrs_put(kn, f);
err_hooks:
	knat_hooks_maybe_disable(kn);
err_free:
	kfree(f);
	return err;
}

int knat_forward_del(struct knat_net *kn, const struct knat_key *out,
		     struct netlink_ext_ack *extack)
{
	struct knat_forward *f = forward_find(kn, out);

	lockdep_assert_held(&kn->lock);
	if (!f || f->out.port != out->port) {
		NL_SET_ERR_MSG(extack, "no forward starts at that outside port");
		return -ENOENT;
	}
	forward_unmap(kn, f, f->count);
	list_del_rcu(&f->list);
	fwd_addrs_put(kn, f);
	if (knat_static_by_in(kn, f->in.addr))
		knat_twins_forget(kn, &f->in, f->count);
	kfree_rcu(f, rcu);
	outside_rebuild(kn);
	knat_hooks_maybe_disable(kn);
	return 0;
}

struct knat_static *knat_static_by_out(struct knat_net *kn, __be32 addr)
{
	struct knat_static *s;

	list_for_each_entry_rcu(s, &kn->statics, list)
		if (s->out == addr)
			return s;
	return NULL;
}

struct knat_static *knat_static_by_in(struct knat_net *kn, __be32 addr)
{
	struct knat_static *s;

	list_for_each_entry_rcu(s, &kn->statics, list)
		if (s->in == addr)
			return s;
	return NULL;
}

/*
 * The forwards to @in, now that it has (@twin) or no longer has a 1:1
 * entry: their replies must, or need no longer, tell a forward's
 * connection (twin.c) from the 1:1 address's.
 */
static void forwards_mark_twin(struct knat_net *kn, __be32 in, bool twin)
{
	const struct knat_forward *f;
	struct knat_key key;
	struct knat_map *m;
	u16 i;

	list_for_each_entry(f, &kn->forwards, list) {
		if (f->in.addr != in)
			continue;
		key = f->in;
		for (i = 0; i < f->count; i++) {
			key.port = htons(ntohs(f->in.port) + i);
			rcu_read_lock();
			m = knat_map_lookup_in(kn, &key);
			if (m && !m->block) {
				if (twin)
					atomic_or(BIT(KNAT_MAP_TWIN), &m->flags);
				else
					atomic_andnot(BIT(KNAT_MAP_TWIN), &m->flags);
			}
			rcu_read_unlock();
			if (i % 1024 == 1023)
				cond_resched();
		}
	}
}

int knat_static_add(struct knat_net *kn, __be32 out, __be32 in,
		    struct netlink_ext_ack *extack)
{
	struct knat_pool *pool;
	struct knat_static *s;
	int err;

	lockdep_assert_held(&kn->lock);
	if (knat_static_by_out(kn, out) || knat_static_by_in(kn, in)) {
		NL_SET_ERR_MSG(extack, "that address already has a 1:1 entry");
		return -EEXIST;
	}
	list_for_each_entry(pool, &kn->pools, list)
		if (knat_pool_has_addr(pool, out)) {
			NL_SET_ERR_MSG(extack, "the outside address is in a pool");
			return -EEXIST;
		}
	if (knat_addrs_full(kn, 1, extack))
		return -ENOSPC;
	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	s->out = out;
	s->in = in;
	err = knat_hooks_enable(kn);
	if (err) {
		kfree(s);
		return err;
	}
	outside_add(kn, out);
	list_add_tail_rcu(&s->list, &kn->statics);
	forwards_mark_twin(kn, in, true);
	return 0;
}

int knat_static_del(struct knat_net *kn, __be32 out,
		    struct netlink_ext_ack *extack)
{
	struct knat_static *s = knat_static_by_out(kn, out);

	lockdep_assert_held(&kn->lock);
	if (!s) {
		NL_SET_ERR_MSG(extack, "no 1:1 entry for that outside address");
		return -ENOENT;
	}
	/* Flags first: a reply finding neither entry nor 1:1 takes the forward. */
	forwards_mark_twin(kn, s->in, false);
	list_del_rcu(&s->list);
	knat_twins_forget(kn, &(struct knat_key){ .addr = s->in }, 0);
	kfree_rcu(s, rcu);
	outside_rebuild(kn);
	knat_hooks_maybe_disable(kn);
	return 0;
}

/*
 * The namespace goes: every forward and 1:1 entry at once, the filter
 * rebuilt once. Removed one by one, each rebuilt it from those left (and
 * a 1:1 entry's walked the forwards again): quadratic in the forwards,
 * of which root of a user namespace may make max-mappings, in
 * cleanup_net(). Twin state goes with the namespace (knat_twins_exit()).
 */
void knat_forwards_exit(struct knat_net *kn)
{
	struct knat_forward *f, *ftmp;
	struct knat_static *s, *stmp;

	lockdep_assert_held(&kn->lock);
	list_for_each_entry_safe(f, ftmp, &kn->forwards, list) {
		forward_unmap(kn, f, f->count);
		list_del_rcu(&f->list);
		fwd_addrs_put(kn, f);
		kfree_rcu(f, rcu);
		cond_resched();
	}
	list_for_each_entry_safe(s, stmp, &kn->statics, list) {
		list_del_rcu(&s->list);
		kfree_rcu(s, rcu);
	}
	outside_rebuild(kn);
	knat_hooks_maybe_disable(kn);
}
