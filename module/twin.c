// SPDX-License-Identifier: GPL-2.0
/*
 * knat: the connections of a twin server, one behind both a port forward
 * and a 1:1 entry. Its replies from the forwarded port could leave by
 * either; only the connection can tell which, so here (and only here)
 * knat keeps per-connection state: each peer that came in through the
 * forward, by inside endpoint and peer endpoint. A reply whose connection
 * is not here came in by the 1:1 address, and leaves by it.
 *
 * Entries are made by inbound packets (GFP_ATOMIC, at most max-mappings
 * of them), refreshed by traffic both ways, expired by the GC like
 * mappings: a TCP connection gets the transitory timeout until the server
 * has answered and after a FIN or RST, the established one in between.
 */
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <net/tcp.h>
#include <kunit/visibility.h>
#include "table.h"
#include "twin.h"

struct knat_twin_key {
	__be32 in_addr, peer_addr;
	__be16 in_port, peer_port;
	u8 proto;
	u8 pad[3];
};

struct knat_twin {
	struct rhash_head node;
	struct knat_twin_key key;
	u32 expires;			/* jiffies, low 32 bits */
	u8 answered;			/* the server replied */
	u8 closed;			/* TCP: a FIN or a RST went by */
	struct rcu_head rcu;
};

static const struct rhashtable_params twin_params = {
	.head_offset = offsetof(struct knat_twin, node),
	.key_offset = offsetof(struct knat_twin, key),
	.key_len = sizeof(struct knat_twin_key),
	.automatic_shrinking = true,
};

static struct knat_twin_key twin_key(const struct knat_key *in,
				     const struct knat_key *peer)
{
	return (struct knat_twin_key){
		.in_addr = in->addr, .in_port = in->port,
		.peer_addr = peer->addr, .peer_port = peer->port,
		.proto = in->proto,
	};
}

static void twin_refresh(struct knat_net *kn, struct knat_twin *t, u8 tcp_flags)
{
	u32 timeout, expires;

	if (t->key.proto == IPPROTO_TCP) {
		if ((tcp_flags & (TCPHDR_FIN | TCPHDR_RST)) && !READ_ONCE(t->closed))
			WRITE_ONCE(t->closed, 1);
		timeout = READ_ONCE(t->answered) && !READ_ONCE(t->closed) ?
			  READ_ONCE(kn->cfg.timeout[KNAT_P_TCP]) :
			  READ_ONCE(kn->cfg.timeout_tcp_trans);
	} else {
		timeout = READ_ONCE(kn->cfg.timeout[KNAT_P_UDP]);
	}
	expires = (u32)jiffies + timeout * HZ;
	/* Skip the store (and the cache line bounce) within a second. */
	if (abs((s32)(expires - READ_ONCE(t->expires))) >= HZ)
		WRITE_ONCE(t->expires, expires);
}

int knat_twins_init(struct knat_net *kn)
{
	return rhashtable_init(&kn->twins, &twin_params);
}
EXPORT_SYMBOL_IF_KUNIT(knat_twins_init);

static void twin_free(void *ptr, void *arg)
{
	kfree(ptr);
}

/* At namespace exit: no packet path, no grace period owed. */
void knat_twins_exit(struct knat_net *kn)
{
	rhashtable_free_and_destroy(&kn->twins, twin_free, NULL);
}
EXPORT_SYMBOL_IF_KUNIT(knat_twins_exit);

int knat_twin_note(struct knat_net *kn, const struct knat_key *in,
		   const struct knat_key *peer, u8 tcp_flags)
{
	struct knat_twin_key key = twin_key(in, peer);
	struct knat_twin *t, *old;

	t = rhashtable_lookup(&kn->twins, &key, twin_params);
	if (t) {
		twin_refresh(kn, t, tcp_flags);
		return 0;
	}
	/* A connection's state each: no more of them than of mappings. */
	if (atomic_read(&kn->twins.nelems) >= READ_ONCE(kn->cfg.max_mappings))
		return -ENFILE;
	t = kzalloc(sizeof(*t), GFP_ATOMIC);
	if (!t)
		return -ENOMEM;
	t->key = key;
	twin_refresh(kn, t, tcp_flags);
	old = rhashtable_lookup_get_insert_fast(&kn->twins, &t->node,
						twin_params);
	if (old) {
		kfree(t);	/* never visible */
		if (IS_ERR(old))
			return PTR_ERR(old);
		twin_refresh(kn, old, tcp_flags);
	}
	knat_gc_kick(kn);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(knat_twin_note);

bool knat_twin_answer(struct knat_net *kn, const struct knat_key *in,
		      const struct knat_key *peer, u8 tcp_flags)
{
	struct knat_twin_key key = twin_key(in, peer);
	struct knat_twin *t;

	t = rhashtable_lookup(&kn->twins, &key, twin_params);
	if (!t)
		return false;
	if (!READ_ONCE(t->answered))
		WRITE_ONCE(t->answered, 1);
	twin_refresh(kn, t, tcp_flags);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(knat_twin_answer);

/*
 * GC, under kn->lock: expired entries go. RCU is held for 1024 entries
 * at most; an entry a pause skips goes on the next run.
 */
void knat_twins_expire(struct knat_net *kn)
{
	struct rhashtable_iter iter;
	struct knat_twin *t;
	unsigned int n = 0;

	rhashtable_walk_enter(&kn->twins, &iter);
	rhashtable_walk_start(&iter);
	while ((t = rhashtable_walk_next(&iter))) {
		if (IS_ERR(t))
			continue;	/* -EAGAIN: resized, go on */
		if (time_after32((u32)jiffies, READ_ONCE(t->expires)) &&
		    !rhashtable_remove_fast(&kn->twins, &t->node, twin_params))
			kfree_rcu(t, rcu);
		if (++n % 1024 == 0) {
			rhashtable_walk_stop(&iter);
			cond_resched();
			rhashtable_walk_start(&iter);
		}
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}
EXPORT_SYMBOL_IF_KUNIT(knat_twins_expire);

