// SPDX-License-Identifier: GPL-2.0
/*
 * knat: outside ports. A pool's addresses are cut into blocks of ports;
 * a subscriber (inside host) takes blocks of one address only (paired
 * pooling), one at a time, up to its limit; ports in a block are picked at
 * random. Port picking takes the subscriber's lock, block hand-out this
 * CPU's magazine lock and, once per KNAT_MAG_BATCH blocks, the address's:
 * no lock is shared by all CPUs on the common path. Every step is
 * bounded: a free block is popped from a pre-shuffled stack, a free port
 * is found in at most block_size / BITS_PER_LONG words.
 */
#include <linux/bitmap.h>
#include <linux/jhash.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <net/inet_hashtables.h>
#include <net/protocol.h>
#include <net/tcp.h>
#include <net/udp.h>
#include <kunit/visibility.h>
#include "alloc.h"
#include "proto.h"
#include "forward.h"
#include "events.h"
#include "stats.h"
#include "table.h"

/* Two words: as table.c's keys, hashed and compared as words. */
static u32 sub_key_hash(const void *data, u32 len, u32 seed)
{
	const struct knat_sub_key *k = data;

	BUILD_BUG_ON(sizeof(*k) != 2 * sizeof(u32));
	return jhash_2words((__force u32)k->addr, k->pool_id, seed);
}

static int sub_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct knat_sub_key *a = &((const struct knat_sub *)obj)->key;
	const struct knat_sub_key *b = arg->key;

	return a->addr != b->addr || a->pool_id != b->pool_id;
}

static const struct rhashtable_params subs_params = {
	.head_offset = offsetof(struct knat_sub, node),
	.key_offset = offsetof(struct knat_sub, key),
	.key_len = sizeof(struct knat_sub_key),
	.hashfn = sub_key_hash,
	.obj_cmpfn = sub_cmp,
	.automatic_shrinking = true,
};

int knat_subs_init(struct knat_net *kn)
{
	return rhashtable_init(&kn->subs, &subs_params);
}
EXPORT_SYMBOL_IF_KUNIT(knat_subs_init);

void knat_subs_exit(struct knat_net *kn)
{
	/* Subscribers leave with their last block: none may remain. */
	WARN_ON(atomic_read(&kn->subs.nelems));
	rhashtable_destroy(&kn->subs);
}
EXPORT_SYMBOL_IF_KUNIT(knat_subs_exit);

/*
 * @pa's free blocks (stack and magazines) changed by @delta: the pool's
 * count and @pa's bit follow. Under pa->lock, which every change that
 * makes @pa's count non-zero holds: a bit is never cleared under a change
 * that sets it.
 */
static void pa_free_moved(struct knat_pool_addr *pa, int delta)
{
	struct knat_pool *pool = pa->pool;
	u32 i = pa - pool->addrs;

	lockdep_assert_held(&pa->lock);
	if (delta)
		atomic_add(delta, &pool->nfree);
	if (knat_pa_nfree(pa))
		set_bit(i, pool->has_free);
	else
		clear_bit(i, pool->has_free);
}

static int pool_addr_init(struct knat_pool *pool, struct knat_pool_addr *pa,
			  __be32 addr)
{
	unsigned int words = BITS_TO_LONGS(pool->block_size);
	unsigned long *bits;
	u32 i, j;
	int p;

	pa->pool = pool;
	pa->addr = addr;
	spin_lock_init(&pa->lock);
	INIT_LIST_HEAD(&pa->cooling);
	pa->blocks = kvcalloc(pool->blocks_per_addr, sizeof(*pa->blocks),
			      GFP_KERNEL_ACCOUNT);
	pa->free = kvcalloc(pool->blocks_per_addr, sizeof(u32), GFP_KERNEL_ACCOUNT);
	bits = kvcalloc(array3_size(pool->blocks_per_addr, KNAT_P_PORTED, words),
			sizeof(long), GFP_KERNEL_ACCOUNT);
	if (!pa->blocks || !pa->free || !bits) {
		kvfree(bits);
		return -ENOMEM;
	}
	for (i = 0; i < pool->blocks_per_addr; i++) {
		struct knat_block *b = &pa->blocks[i];

		b->pa = pa;
		b->first_port = pool->port_lo + i * pool->block_size;
		INIT_LIST_HEAD(&b->node);
		for (p = 0; p < KNAT_P_PORTED; p++)
			b->bits[p] = bits + (i * KNAT_P_PORTED + p) * words;
		/* Fisher-Yates: blocks are handed out in a random order. */
		j = get_random_u32_below(i + 1);
		pa->free[i] = pa->free[j];
		pa->free[j] = i;
	}
	pa->nfree = pool->blocks_per_addr;
	spin_lock_bh(&pa->lock);
	pa_free_moved(pa, pa->nfree);
	spin_unlock_bh(&pa->lock);
	if (pool->naddr <= KNAT_MAG_ADDRS_MAX) {
		int cpu;

		pa->mags = alloc_percpu_gfp(struct knat_mag, GFP_KERNEL_ACCOUNT);
		if (!pa->mags)
			return -ENOMEM;
		for_each_possible_cpu(cpu)
			spin_lock_init(&per_cpu_ptr(pa->mags, cpu)->lock);
	}
	return 0;
}

static void pool_addr_free(struct knat_pool_addr *pa)
{
	if (pa->blocks)
		kvfree(pa->blocks[0].bits[0]);
	kvfree(pa->blocks);
	kvfree(pa->free);
	free_percpu(pa->mags);
}

struct knat_pool *knat_pool_create(const struct knat_pool_params *p)
{
	struct knat_pool *pool;
	u32 i;

	pool = kzalloc(sizeof(*pool), GFP_KERNEL_ACCOUNT);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	strscpy(pool->name, p->name, sizeof(pool->name));
	pool->id = p->id;
	pool->nprefix = p->nprefix;
	memcpy(pool->prefix, p->prefix, sizeof(pool->prefix));
	pool->port_lo = p->port_lo;
	pool->port_hi = p->port_hi;
	pool->block_size = p->block_size;
	pool->blocks_per_addr = (p->port_hi - p->port_lo + 1) / p->block_size;
	pool->from_addr = p->from_addr;
	pool->from_mask = p->from_mask;
	pool->out_ifindex = p->out_ifindex;
	pool->masquerade = p->masquerade;
	pool->naddr = p->naddr;
	pool->addrs = kvcalloc(p->naddr, sizeof(*pool->addrs), GFP_KERNEL_ACCOUNT);
	pool->has_free = kvcalloc(BITS_TO_LONGS(p->naddr), sizeof(long),
				  GFP_KERNEL_ACCOUNT);
	if (!pool->addrs || !pool->has_free)
		goto nomem;
	for (i = 0; i < p->naddr; i++)
		if (pool_addr_init(pool, &pool->addrs[i], p->addrs[i]))
			goto nomem;
	return pool;

nomem:
	knat_pool_destroy(pool);
	return ERR_PTR(-ENOMEM);
}
EXPORT_SYMBOL_IF_KUNIT(knat_pool_create);

/* The caller has removed every mapping of @pool and waited for readers. */
void knat_pool_destroy(struct knat_pool *pool)
{
	u32 i;

	for (i = 0; pool->addrs && i < pool->naddr; i++)
		pool_addr_free(&pool->addrs[i]);
	kvfree(pool->addrs);
	kvfree(pool->has_free);
	kfree(pool);
}
EXPORT_SYMBOL_IF_KUNIT(knat_pool_destroy);

/*
 * No free block anywhere: the address of a cooled one, if one is. Walks
 * the addresses at most once each time the pool's earliest cooling block
 * comes due (then notes the next such time), so that a full pool refuses
 * in O(1).
 */
static struct knat_pool_addr *pa_choose_cooled(struct knat_pool *pool, u32 start)
{
	unsigned long now = jiffies, next = now + KNAT_COOLING_MAX * HZ;
	unsigned long ready = READ_ONCE(pool->cool_ready);
	struct knat_block *b;
	u32 i;

	if (!atomic_read(&pool->ncooling) || time_before(now, ready))
		return NULL;
	for (i = 0; i < pool->naddr; i++) {
		struct knat_pool_addr *pa = &pool->addrs[(start + i) % pool->naddr];
		unsigned long t;

		/* Unlocked: a block stays in pa->blocks; at worst stale. */
		b = list_first_entry_or_null(&pa->cooling, struct knat_block, node);
		if (!b)
			continue;
		t = READ_ONCE(b->cool_until);
		if (!time_before(now, t))
			return pa;
		if (time_before(t, next))
			next = t;
	}
	/* Unless a block began cooling meanwhile and noted an earlier time. */
	cmpxchg(&pool->cool_ready, ready, next);
	return NULL;
}

/*
 * Paired pooling: a new subscriber settles on one address for good, the
 * first with a free block from where its address hashes to. A word of
 * has_free covers 64 addresses.
 */
static struct knat_pool_addr *pa_choose(struct knat_pool *pool, __be32 addr)
{
	u32 start = jhash_1word((__force u32)addr, pool->id) % pool->naddr;
	u32 i = start, tries;

	if (!atomic_read(&pool->nfree))
		return pa_choose_cooled(pool, start);
	/* A bit may be stale by a block another CPU just took: look on. */
	for (tries = 0; tries < 4; tries++) {
		i = find_next_bit(pool->has_free, pool->naddr, i);
		if (i >= pool->naddr)
			i = find_first_bit(pool->has_free, pool->naddr);
		if (i >= pool->naddr)
			break;
		if (knat_pa_nfree(&pool->addrs[i]))
			return &pool->addrs[i];
		i = (i + 1) % pool->naddr;
	}
	return pa_choose_cooled(pool, start);
}

static void pa_count_sub(struct knat_pool_addr *pa, int delta)
{
	spin_lock_bh(&pa->lock);
	pa->nsubs += delta;
	spin_unlock_bh(&pa->lock);
}

struct knat_sub *knat_sub_find(struct knat_net *kn,
			       const struct knat_pool *pool, __be32 addr)
{
	struct knat_sub_key key = { .addr = addr, .pool_id = pool->id };

	return rhashtable_lookup(&kn->subs, &key, subs_params);
}
EXPORT_SYMBOL_IF_KUNIT(knat_sub_find);

static struct knat_sub *sub_get(struct knat_net *kn, struct knat_pool *pool,
				__be32 addr)
{
	struct knat_sub_key key = { .addr = addr, .pool_id = pool->id };
	struct knat_pool_addr *pa;
	struct knat_sub *sub, *old;

	sub = knat_sub_find(kn, pool, addr);
	if (sub)
		return sub;
	pa = pa_choose(pool, addr);
	if (!pa)
		return ERR_PTR(-ENOSPC);
	sub = kzalloc(sizeof(*sub), GFP_ATOMIC);
	if (!sub)
		return ERR_PTR(-ENOMEM);
	sub->key = key;
	sub->pa = pa;
	spin_lock_init(&sub->lock);
	INIT_LIST_HEAD(&sub->blocks);
	/* Counted before it is found: another CPU may put it at once. */
	pa_count_sub(pa, 1);
	old = rhashtable_lookup_get_insert_fast(&kn->subs, &sub->node,
						subs_params);
	if (old) {
		pa_count_sub(pa, -1);
		kfree(sub);
		return old;
	}
	return sub;
}

/*
 * A block leaving the cooling list has no mapping left: only reservations,
 * which are forgotten so that the next owner sees today's forwards and
 * services. Under pa->lock, with no owner.
 */
static void block_forget_reservations(struct knat_block *b)
{
	unsigned int words = BITS_TO_LONGS(b->pa->pool->block_size);
	int p;

	if (!b->reserved)
		return;
	for (p = 0; p < KNAT_P_PORTED; p++)
		memset(b->bits[p], 0, words * sizeof(long));
	b->used = 0;
	b->reserved = 0;
}

/* A free block index from the shuffled stack or the cooled; under pa->lock. */
static int pa_pop_free(struct knat_pool_addr *pa)
{
	struct knat_block *b;

	lockdep_assert_held(&pa->lock);
	if (pa->nfree)
		return pa->free[--pa->nfree];
	b = list_first_entry_or_null(&pa->cooling, struct knat_block, node);
	if (!b || time_before(jiffies, b->cool_until))
		return -1;
	list_del_init(&b->node);
	pa->ncooling--;
	atomic_dec(&pa->pool->ncooling);
	block_forget_reservations(b);
	return b - pa->blocks;
}

/* Refills this CPU's magazine with up to KNAT_MAG_BATCH blocks. */
static void mag_refill(struct knat_pool_addr *pa, struct knat_mag *mag)
{
	int idx, cooled = 0;
	bool stacked;

	spin_lock(&pa->lock);
	while (mag->n < KNAT_MAG_BATCH) {
		stacked = pa->nfree;
		idx = pa_pop_free(pa);
		if (idx < 0)
			break;
		mag->idx[mag->n++] = idx;
		atomic_inc(&pa->nmag);
		cooled += !stacked;	/* a cooled block is free from now on */
	}
	pa_free_moved(pa, cooled);
	spin_unlock(&pa->lock);
}

/* A block left a magazine of @pa for a subscriber; under the mag's lock. */
static void mag_taken(struct knat_pool_addr *pa)
{
	atomic_dec(&pa->nmag);
	atomic_dec(&pa->pool->nfree);
	if (!knat_pa_nfree(pa)) {
		spin_lock(&pa->lock);
		pa_free_moved(pa, 0);
		spin_unlock(&pa->lock);
	}
}

static int mag_pop(struct knat_pool_addr *pa, struct knat_mag *mag)
{
	int idx = -1;

	spin_lock(&mag->lock);
	if (mag->n) {
		idx = mag->idx[--mag->n];
		mag_taken(pa);
	}
	spin_unlock(&mag->lock);
	return idx;
}

/*
 * A free block for @sub. BH is off (the caller holds sub->lock), so this
 * CPU's magazine stays ours. The pool is full only when the address, the
 * cooled blocks and every CPU's magazine are empty: the last steal keeps
 * exhaustion a global judgement.
 */
static struct knat_block *pa_take_block(struct knat_net *kn,
					struct knat_pool_addr *pa,
					struct knat_sub *sub)
{
	struct knat_block *b;
	int idx = -1, cpu;

	if (pa->mags) {
		struct knat_mag *mag = this_cpu_ptr(pa->mags);

		spin_lock(&mag->lock);
		if (!mag->n)
			mag_refill(pa, mag);
		if (mag->n) {
			idx = mag->idx[--mag->n];
			mag_taken(pa);
		}
		spin_unlock(&mag->lock);
		if (idx < 0 && atomic_read(&pa->nmag))
			for_each_possible_cpu(cpu) {
				idx = mag_pop(pa, per_cpu_ptr(pa->mags, cpu));
				if (idx >= 0)
					break;
			}
	} else {
		bool stacked;

		spin_lock(&pa->lock);
		stacked = pa->nfree;
		idx = pa_pop_free(pa);
		if (idx >= 0 && stacked)
			pa_free_moved(pa, -1);
		spin_unlock(&pa->lock);
	}
	if (idx < 0)
		return NULL;
	b = &pa->blocks[idx];
	WRITE_ONCE(b->owner, sub);
	knat_stats_inc(kn, KNAT_STAT_BLOCK_ALLOC);
	knat_event_block(kn, b, sub->key.addr, true);
	return b;
}

/*
 * A random free port of @b for protocol @pidx, or -1. With @want_odd >= 0
 * only ports of that parity qualify (RFC 4787 REQ-4).
 */
static int block_take_port(struct knat_block *b, int pidx, int want_odd)
{
	unsigned int bsize = b->pa->pool->block_size;
	unsigned int words = bsize / BITS_PER_LONG;
	unsigned long *map = b->bits[pidx];
	unsigned long mask = ~0UL;
	/*
	 * One draw for both the bit to start at in a word (its low bits)
	 * and the word to start at (its high bits, scaled), of no more
	 * bytes than that takes: one for blocks of up to 256 ports (the
	 * default), two beyond. Most of a draw's cost is its share of a
	 * ChaCha20 refill of the batch, which is by the byte.
	 */
	unsigned int lbits = ilog2(BITS_PER_LONG), i, bit;
	unsigned int rbits = lbits + ilog2(words) <= 8 ? 8 : 16;
	u32 r = rbits == 8 ? get_random_u8() : get_random_u16();
	unsigned int rot = r % BITS_PER_LONG;
	unsigned int w0 = ((r >> lbits) * words) >> (rbits - lbits);

	if (want_odd >= 0) {
		/* Bit i is port first_port + i; first_port may be odd. */
		mask = 0x5555555555555555UL;
		if ((b->first_port & 1) != want_odd)
			mask <<= 1;
	}
	for (i = 0; i < words; i++) {
		unsigned int w = (w0 + i) % words;
		unsigned long v = ~map[w] & mask;

		if (!v)
			continue;
		/* Start at a random bit of the word, wrapping around. */
		if (rot)
			v = (v >> rot) | (v << (BITS_PER_LONG - rot));
		bit = (__ffs(v) + rot) % BITS_PER_LONG + w * BITS_PER_LONG;
		__set_bit(bit, map);
		b->used++;
		return bit;
	}
	return -1;
}

/*
 * On a pool address that is also the router's, a port where one of the
 * router's own services listens must not be handed out: replies to it
 * would be translated away from the service. Nor may a forward's port.
 */
static bool port_owned_elsewhere(struct knat_net *kn, struct knat_pool_addr *pa,
				 const struct knat_key *k)
{
	/* Only a forward's permanent mapping can hold a port the bitmap lacks. */
	if (knat_outside_maybe(kn, k->addr) && knat_map_lookup_out(kn, k))
		return true;
	if (!READ_ONCE(pa->local))
		return false;
	switch (k->proto) {
	case IPPROTO_TCP:
		return inet_lookup_listener(kn->net, &tcp_hashinfo, NULL, 0, 0, 0,
					    k->addr, k->port, 0, 0);
	case IPPROTO_UDP:
		return __udp4_lib_lookup(kn->net, 0, 0, k->addr, k->port, 0, 0,
					 &udp_table, NULL);
	}
	return false;
}

/*
 * A usable port of @b, or -1. A port someone else owns stays set in the
 * bitmap as reserved: it is never offered again while the block lives.
 * Reservations are bounded per call to keep softirq time short.
 */
static int block_pick(struct knat_net *kn, struct knat_block *b, u8 proto,
		      int want_odd, int *budget)
{
	int pidx = knat_proto_idx(proto);
	struct knat_key k = { .addr = b->pa->addr, .proto = proto };
	int bit;

	while ((bit = block_take_port(b, pidx, want_odd)) >= 0) {
		k.port = htons(b->first_port + bit);
		if (!port_owned_elsewhere(kn, b->pa, &k))
			return bit;
		b->reserved++;
		if (--*budget <= 0)
			return -1;
	}
	return -1;
}

/* Called with sub->lock held; the block rests before anyone reuses it. */
static void block_cool(struct knat_net *kn, struct knat_block *b)
{
	struct knat_pool_addr *pa = b->pa;

	knat_event_block(kn, b, b->owner->key.addr, false);
	spin_lock_bh(&pa->lock);
	WRITE_ONCE(b->owner, NULL);
	/* At most KNAT_COOLING_MAX seconds: no overflow. */
	b->cool_until = jiffies + (unsigned long)READ_ONCE(kn->cfg.cooling) * HZ;
	list_add_tail(&b->node, &pa->cooling);
	pa->ncooling++;
	/* Racy minimum: blocks cool in order, a later one is due no sooner. */
	if (atomic_inc_return(&pa->pool->ncooling) == 1 ||
	    time_before(b->cool_until, READ_ONCE(pa->pool->cool_ready)))
		WRITE_ONCE(pa->pool->cool_ready, b->cool_until);
	spin_unlock_bh(&pa->lock);
	knat_stats_inc(kn, KNAT_STAT_BLOCK_FREE);
}

/*
 * @sub goes: dead, and out of the table before its lock is dropped, so
 * that whoever waited on the lock and finds it dead finds a fresh one
 * next time. Under sub->lock; sub_put() follows once it is dropped.
 */
static void sub_unpublish(struct knat_net *kn, struct knat_sub *sub)
{
	sub->dead = true;
	rhashtable_remove_fast(&kn->subs, &sub->node, subs_params);
}

/*
 * @b holds no mapping of @sub any more: it cools. Under sub->lock.
 * Returns true when that was the subscriber's last block: the caller
 * must then call sub_put() once the lock is dropped.
 */
static bool sub_drop_block(struct knat_net *kn, struct knat_sub *sub,
			   struct knat_block *b)
{
	list_del_init(&b->node);
	block_cool(kn, b);
	if (--sub->nblocks)
		return false;
	sub_unpublish(kn, sub);
	return true;
}

static void sub_put(struct knat_net *kn, struct knat_sub *sub)
{
	pa_count_sub(sub->pa, -1);
	kfree_rcu(sub, rcu);
}

/*
 * May @sub have one more mapping without ports, to in->raddr? Not if
 * another inside host holds its outside key (@sub's address, the
 * remote): refused before any block is taken for it, which would only
 * cool. At most as many as a protocol has ports. Under sub->lock and RCU.
 * -EPROTONOSUPPORT: the router's own protocol on the router's address.
 */
static int sub_may_pin(struct knat_net *kn, const struct knat_pool *pool,
		       const struct knat_sub *sub, const struct knat_key *in)
{
	struct knat_key k = { .addr = sub->pa->addr, .proto = in->proto,
			      .raddr = in->raddr };
	struct knat_map *m;

	/*
	 * On an address of the router's own (masquerade), a protocol its
	 * stack handles (its GRE tunnels, its IPsec SAs) stays the
	 * router's: a mapping would take the remote's packets from it.
	 */
	if (READ_ONCE(sub->pa->local) &&
	    rcu_access_pointer(inet_protos[in->proto]))
		return -EPROTONOSUPPORT;
	m = knat_map_lookup_out(kn, &k);
	if (m && m->in.addr != in->addr)
		return -EADDRINUSE;
	if (sub->npins >= pool->block_size * READ_ONCE(kn->cfg.max_blocks))
		return -EDQUOT;
	return 0;
}

struct knat_block *knat_port_alloc(struct knat_net *kn, struct knat_pool *pool,
				   struct knat_sub *found,
				   const struct knat_key *in, bool parity,
				   struct knat_key *out)
{
	int want_odd = parity ? ntohs(in->port) & 1 : -1;
	bool ports = knat_proto_of(in->proto)->ports;
	int tries = 0, bit = -1, budget = 64;
	struct knat_block *b;
	struct knat_sub *sub;
	bool gone = false;
	long err;

	/* The one sub_get() would find: @in's host's, in @pool. */
	if (found && (found->key.addr != in->addr ||
		      found->key.pool_id != pool->id))
		found = NULL;
again:
	/* Found dead, it is looked up again: a fresh one may be there. */
	sub = found ?: sub_get(kn, pool, in->addr);
	found = NULL;
	if (IS_ERR(sub))
		return ERR_CAST(sub);
	/*
	 * With _bh: the packet path may run with BH on (a verdict from
	 * NFQUEUE reinjects in the sender's process), and a softirq on
	 * this CPU then may want this lock, or a magazine's, inside.
	 */
	spin_lock_bh(&sub->lock);
	if (sub->dead) {
		/* Its last block just went: a fresh subscriber will do. */
		spin_unlock_bh(&sub->lock);
		if (++tries > 3)
			return ERR_PTR(-EAGAIN);
		goto again;
	}
	if (!ports) {
		err = sub_may_pin(kn, pool, sub, in);
		if (err)
			goto fail;
		b = list_first_entry_or_null(&sub->blocks, struct knat_block,
					     node);
		if (b)
			goto pin;
	}
	list_for_each_entry(b, &sub->blocks, node) {
		bit = block_pick(kn, b, in->proto, want_odd, &budget);
		if (bit >= 0)
			goto found;
		if (budget <= 0)
			goto refuse;
	}
	err = -EDQUOT;
	while (sub->nblocks < READ_ONCE(kn->cfg.max_blocks)) {
		err = -ENOSPC;
		b = pa_take_block(kn, sub->pa, sub);
		if (!b)
			break;
		list_add(&b->node, &sub->blocks);
		sub->nblocks++;
		if (!ports)
			goto pin;
		bit = block_pick(kn, b, in->proto, want_odd, &budget);
		if (bit >= 0)
			goto found;
		/* All reserved (or budget spent): the block goes back. */
		if (b->used == b->reserved)
			gone = sub_drop_block(kn, sub, b);
		if (gone || budget <= 0)
			break;
		err = -EDQUOT;
	}
fail:
	/*
	 * No block: a new subscriber that lost the last free one to another
	 * CPU after sub_get() saw it, or was refused one without ports. No
	 * release will ever put it: put it now.
	 */
	if (!sub->nblocks) {
		sub_unpublish(kn, sub);
		gone = true;
	}
	spin_unlock_bh(&sub->lock);
	if (gone)
		sub_put(kn, sub);
	return ERR_PTR(err);
refuse:
	spin_unlock_bh(&sub->lock);
	return ERR_PTR(-ENOSPC);
pin:
	/* No port: the mapping holds the block, and its address, in use. */
	b->used++;
	sub->npins++;
found:
	spin_unlock_bh(&sub->lock);
	out->addr = b->pa->addr;
	out->port = ports ? htons(b->first_port + bit) : 0;
	out->proto = in->proto;
	out->uplink = 0;
	out->raddr = in->raddr;
	return b;
}
EXPORT_SYMBOL_IF_KUNIT(knat_port_alloc);

void knat_port_release(struct knat_net *kn, struct knat_block *b,
		       u8 proto, __be16 port)
{
	/* The owner cannot change while this port keeps the block in use. */
	struct knat_sub *sub = READ_ONCE(b->owner);
	bool gone = false;

	spin_lock_bh(&sub->lock);
	if (knat_proto_of(proto)->ports)
		__clear_bit(ntohs(port) - b->first_port,
			    b->bits[knat_proto_idx(proto)]);
	else
		sub->npins--;
	if (--b->used == b->reserved)
		gone = sub_drop_block(kn, sub, b);
	spin_unlock_bh(&sub->lock);
	if (gone)
		sub_put(kn, sub);
}
EXPORT_SYMBOL_IF_KUNIT(knat_port_release);

void knat_pool_recool(struct knat_net *kn, struct knat_pool *pool)
{
	struct knat_block *b, *tmp;
	u32 i, j;
	int n;

	for (i = 0; i < pool->naddr; i++) {
		struct knat_pool_addr *pa = &pool->addrs[i];

		n = 0;
		spin_lock_bh(&pa->lock);
		list_for_each_entry_safe(b, tmp, &pa->cooling, node) {
			if (time_before(jiffies, b->cool_until))
				break;
			list_del_init(&b->node);
			pa->ncooling--;
			atomic_dec(&pool->ncooling);
			n++;
			block_forget_reservations(b);
			/* Back in at a random place: the order stays random. */
			j = get_random_u32_below(pa->nfree + 1);
			pa->free[pa->nfree++] = pa->free[j];
			pa->free[j] = b - pa->blocks;
		}
		if (n)
			pa_free_moved(pa, n);
		spin_unlock_bh(&pa->lock);
	}
}
EXPORT_SYMBOL_IF_KUNIT(knat_pool_recool);
