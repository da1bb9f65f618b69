// SPDX-License-Identifier: GPL-2.0
/*
 * knat: the mapping table. Two rhashtables over the same objects, one by
 * inside key, one by outside key: lookups are lock-free under RCU, inserts
 * take only the bucket lock, the table grows and shrinks by itself, and
 * each table hashes with its own random seed.
 */
#include <linux/random.h>
#include <linux/slab.h>
#include <net/tcp.h>
#include <kunit/visibility.h>
#include "proto.h"
#include "table.h"
#include "alloc.h"
#include "fastpath.h"
#include "peers.h"
#include "stats.h"

static struct kmem_cache *knat_map_cache __read_mostly;

static const struct rhashtable_params map_in_params = KNAT_MAP_PARAMS(in);
static const struct rhashtable_params map_out_params = KNAT_MAP_PARAMS(out);

int knat_cache_init(void)
{
	/* The memory target: 128 bytes a mapping, tables included. */
	BUILD_BUG_ON(sizeof(struct knat_map) > 88);
	knat_peers_init();
	knat_map_cache = KMEM_CACHE(knat_map, 0);
	return knat_map_cache ? 0 : -ENOMEM;
}

void knat_cache_exit(void)
{
	kmem_cache_destroy(knat_map_cache);
}

struct knat_map *knat_map_alloc_gfp(gfp_t gfp)
{
	return kmem_cache_zalloc(knat_map_cache, gfp);
}

struct knat_map *knat_map_alloc(void)
{
	return knat_map_alloc_gfp(GFP_ATOMIC);
}
EXPORT_SYMBOL_IF_KUNIT(knat_map_alloc);

void knat_map_free(struct knat_map *m)
{
	knat_peers_free(m);
	knat_fp_free(m);
	kmem_cache_free(knat_map_cache, m);
}
EXPORT_SYMBOL_IF_KUNIT(knat_map_free);

static void knat_map_free_rcu(struct rcu_head *head)
{
	knat_map_free(container_of(head, struct knat_map, rcu));
}

void knat_map_discard(struct knat_map *m)
{
	call_rcu(&m->rcu, knat_map_free_rcu);
}
EXPORT_SYMBOL_IF_KUNIT(knat_map_discard);

int knat_table_init(struct knat_net *kn)
{
	int err;

	err = rhashtable_init(&kn->map_in, &map_in_params);
	if (err)
		return err;
	err = rhashtable_init(&kn->map_out, &map_out_params);
	if (err)
		rhashtable_destroy(&kn->map_in);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(knat_table_init);

void knat_table_exit(struct knat_net *kn)
{
	if (kn->expire_walking)
		rhashtable_walk_exit(&kn->expire_iter);
	kn->expire_walking = false;
	knat_table_reap(kn, NULL, NULL);
	rhashtable_destroy(&kn->map_in);
	rhashtable_destroy(&kn->map_out);
}
EXPORT_SYMBOL_IF_KUNIT(knat_table_exit);

struct knat_map *knat_map_lookup_in(struct knat_net *kn,
				    const struct knat_key *key)
{
	return __knat_map_lookup_in(kn, key);
}
EXPORT_SYMBOL_IF_KUNIT(knat_map_lookup_in);

struct knat_map *knat_map_lookup_out(struct knat_net *kn,
				     const struct knat_key *key)
{
	return __knat_map_lookup_out(kn, key);
}
EXPORT_SYMBOL_IF_KUNIT(knat_map_lookup_out);

/*
 * Deleters (GC, flush, pool and forward removal) and dumps find mappings
 * through map_out only. Linking into map_in first means none of them can
 * meet a mapping in one table alone: a mapping is in both or in neither.
 * One that fails the second insert was visible to map_in's lookups (the
 * packet path), so it goes through knat_map_discard().
 */
int knat_map_insert(struct knat_net *kn, struct knat_map *m,
		    struct knat_map **existing)
{
	struct knat_map *old;
	int err;

	*existing = NULL;
	old = rhashtable_lookup_get_insert_fast(&kn->map_in, &m->in_node,
						map_in_params);
	if (IS_ERR(old))
		return PTR_ERR(old);
	if (old) {
		*existing = old;
		return -EEXIST;
	}
	err = rhashtable_lookup_insert_fast(&kn->map_out, &m->out_node,
					    map_out_params);
	if (err) {
		rhashtable_remove_fast(&kn->map_in, &m->in_node, map_in_params);
		return err;
	}
	this_cpu_inc(kn->stats->maps[knat_proto_idx(m->in.proto)]);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(knat_map_insert);

void knat_map_delete(struct knat_net *kn, struct knat_map *m)
{
	/* GC, flush and pool removal may race: one of them unlinks. */
	if (atomic_fetch_or(BIT(KNAT_MAP_DEAD), &m->flags) & BIT(KNAT_MAP_DEAD))
		return;
	/* In both tables (see knat_map_insert()), or it was never found. */
	WARN_ON_ONCE(rhashtable_remove_fast(&kn->map_in, &m->in_node,
					    map_in_params));
	rhashtable_remove_fast(&kn->map_out, &m->out_node, map_out_params);
	this_cpu_dec(kn->stats->maps[knat_proto_idx(m->in.proto)]);
	if (m->block)
		knat_port_release(kn, m->block, m->out.proto, m->out.port);
	call_rcu(&m->rcu, knat_map_free_rcu);
}
EXPORT_SYMBOL_IF_KUNIT(knat_map_delete);

/*
 * RFC 5382 and RFC 7857 section 2.2. A RST only makes the mapping
 * transitory: it may be forged (filtering checks only the peer's
 * address), and the inside host sending on shows the session lives on
 * (the outside, which may forge, cannot make it established again). A fresh
 * SYN from inside reopens a closed mapping as a new session: the old
 * peer's SYN no longer counts.
 */
void knat_map_track_tcp(struct knat_map *m, u8 flags, bool outbound)
{
	const unsigned int closed = BIT(KNAT_MAP_RST) | BIT(KNAT_MAP_FIN_OUT) |
				    BIT(KNAT_MAP_FIN_IN);
	unsigned int f = knat_map_flags(m);

	if (outbound && (flags & (TCPHDR_SYN | TCPHDR_ACK)) == TCPHDR_SYN &&
	    (f & closed))
		atomic_andnot(closed | BIT(KNAT_MAP_SYN_IN), &m->flags);
	else if (outbound && !(flags & TCPHDR_RST) && (f & BIT(KNAT_MAP_RST)))
		atomic_andnot(BIT(KNAT_MAP_RST), &m->flags);
	if (flags & TCPHDR_SYN)
		knat_map_set_flag(m, outbound ? KNAT_MAP_SYN_OUT :
						KNAT_MAP_SYN_IN);
	if (flags & TCPHDR_FIN)
		knat_map_set_flag(m, outbound ? KNAT_MAP_FIN_OUT :
						KNAT_MAP_FIN_IN);
	if (flags & TCPHDR_RST)
		knat_map_set_flag(m, KNAT_MAP_RST);
}
EXPORT_SYMBOL_IF_KUNIT(knat_map_track_tcp);

bool knat_map_expired(const struct knat_map *m, const void *arg)
{
	return m->block && time_after32((u32)jiffies, READ_ONCE(m->expires));
}
EXPORT_SYMBOL_IF_KUNIT(knat_map_expired);

bool knat_map_dynamic(const struct knat_map *m, const void *arg)
{
	return m->block;
}

bool knat_map_of_pool(const struct knat_map *m, const void *pool)
{
	return m->block && m->block->pa->pool == pool;
}
EXPORT_SYMBOL_IF_KUNIT(knat_map_of_pool);

/*
 * Walks the outside table from where @iter stands, without holding any
 * lock across entries, for at most @budget entries; true when it reached
 * the end. The walker copes with concurrent resizes (-EAGAIN) and we
 * resched between batches, so a million mappings never stall a CPU. An
 * entry is deleted only once the walk has moved past it: a pause resumes
 * from the entry the walk stands on, and were that one gone, it would
 * skip the next.
 */
static bool reap_walk(struct knat_net *kn, struct rhashtable_iter *iter,
		      bool (*doomed)(const struct knat_map *m, const void *arg),
		      const void *arg, unsigned int budget)
{
	struct knat_map *m, *doomed_m = NULL;
	unsigned int n = 0;

	do {
		m = rhashtable_walk_next(iter);
		if (doomed_m) {
			knat_map_delete(kn, doomed_m);
			doomed_m = NULL;
		}
		if (IS_ERR_OR_NULL(m))
			continue;	/* -EAGAIN: table resized, keep going */
		if (!doomed || doomed(m, arg)) {
			if (doomed == knat_map_expired)
				knat_stats_inc(kn, KNAT_STAT_MAP_EXPIRED);
			doomed_m = m;
		}
		if (++n % 1024 == 0) {
			rhashtable_walk_stop(iter);
			cond_resched();
			rhashtable_walk_start(iter);
		}
	} while (m && n < budget);
	/* Out of budget: the next walk may skip one entry, to the next round. */
	if (doomed_m)
		knat_map_delete(kn, doomed_m);
	return !m;
}

void knat_table_reap(struct knat_net *kn,
		     bool (*doomed)(const struct knat_map *m, const void *arg),
		     const void *arg)
{
	struct rhashtable_iter iter;

	rhashtable_walk_enter(&kn->map_out, &iter);
	rhashtable_walk_start(&iter);
	reap_walk(kn, &iter, doomed, arg, UINT_MAX);
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}
EXPORT_SYMBOL_IF_KUNIT(knat_table_reap);

/*
 * Expiry, a slice at a time: each call goes on from where the last one
 * stopped, through a quarter of the table (at least KNAT_EXPIRE_MIN), so a
 * large table costs the GC a steady trickle, not a full sweep a second,
 * and a mapping outlives its timeout by a few GC periods at most.
 */
#define KNAT_EXPIRE_MIN	4096

void knat_table_expire(struct knat_net *kn)
{
	unsigned int budget = max_t(unsigned int, KNAT_EXPIRE_MIN,
				    atomic_read(&kn->map_out.nelems) / 4);

	if (!kn->expire_walking) {
		rhashtable_walk_enter(&kn->map_out, &kn->expire_iter);
		kn->expire_walking = true;
	}
	rhashtable_walk_start(&kn->expire_iter);
	if (reap_walk(kn, &kn->expire_iter, knat_map_expired, NULL, budget)) {
		rhashtable_walk_stop(&kn->expire_iter);
		rhashtable_walk_exit(&kn->expire_iter);
		kn->expire_walking = false;
		return;
	}
	rhashtable_walk_stop(&kn->expire_iter);
}
EXPORT_SYMBOL_IF_KUNIT(knat_table_expire);
