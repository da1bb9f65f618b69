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
 * of them), refreshed by traffic both ways and expired by the GC: 30 s
 * until confirmed (the peer spoke after the server's answer), then the
 * protocol's timeout, TCP's transitory one once closed.
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
	u32 state;			/* BIT(TWIN_*) */
	struct rcu_head rcu;
};

/*
 * Confirmed only once the peer spoke again after the server's answer (as
 * conntrack's "assured"; for TCP an ACK, neither SYN nor RST): until then
 * an entry lives KNAT_TWIN_UNCONFIRMED seconds at most, not a timeout.
 */
enum {
	TWIN_ANSWERED,		/* the server replied */
	TWIN_CONFIRMED,		/* and the peer went on */
	TWIN_FIN_IN,
	TWIN_FIN_OUT,
	TWIN_RST,
};

#define KNAT_TWIN_UNCONFIRMED	30	/* seconds */

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

/*
 * A packet of @t's connection went by, from the peer (@inbound) or the
 * server. TCP: a FIN or a RST makes it transitory, a later segment other
 * than a RST undoes the RST (RFC 7857 section 2.2), and only a closed
 * entry starts over on the peer's SYN: the outside, unfiltered, cannot
 * demote a live one. Lockless; a lost race redoes the update.
 */
static u32 twin_next(u32 st, u8 proto, u8 tcp_flags, bool inbound)
{
	const u32 closed = BIT(TWIN_RST) | BIT(TWIN_FIN_IN) | BIT(TWIN_FIN_OUT);
	bool confirms = inbound;

	if (proto == IPPROTO_TCP) {
		if (inbound && (st & closed) &&
		    (tcp_flags & (TCPHDR_SYN | TCPHDR_ACK)) == TCPHDR_SYN)
			st = 0;
		if (tcp_flags & TCPHDR_RST)
			st |= BIT(TWIN_RST);
		else
			st &= ~BIT(TWIN_RST);
		if (tcp_flags & TCPHDR_FIN)
			st |= BIT(inbound ? TWIN_FIN_IN : TWIN_FIN_OUT);
		confirms = inbound && (tcp_flags & TCPHDR_ACK) &&
			   !(tcp_flags & (TCPHDR_SYN | TCPHDR_RST));
	}
	if (!inbound)
		st |= BIT(TWIN_ANSWERED);
	else if (confirms && (st & BIT(TWIN_ANSWERED)))
		st |= BIT(TWIN_CONFIRMED);
	return st;
}

static void twin_track(struct knat_twin *t, u8 tcp_flags, bool inbound)
{
	u32 old = READ_ONCE(t->state), st;

	do {
		st = twin_next(old, t->key.proto, tcp_flags, inbound);
		if (st == old)
			return;
	} while (!try_cmpxchg(&t->state, &old, st));
}

/* Unconfirmed: 30 s, or the protocol's shorter transitory timeout. */
static u32 twin_timeout(const struct knat_net *kn, u32 st, u8 proto)
{
	u32 trans = proto == IPPROTO_TCP ? READ_ONCE(kn->cfg.timeout_tcp_trans) :
					   READ_ONCE(kn->cfg.timeout[KNAT_P_UDP]);

	if (!(st & BIT(TWIN_CONFIRMED)))
		return min_t(u32, KNAT_TWIN_UNCONFIRMED, trans);
	if (proto != IPPROTO_TCP)
		return trans;
	if (st & (BIT(TWIN_RST) | BIT(TWIN_FIN_IN) | BIT(TWIN_FIN_OUT)))
		return trans;
	return READ_ONCE(kn->cfg.timeout[KNAT_P_TCP]);
}

static void twin_refresh(struct knat_net *kn, struct knat_twin *t,
			 u8 tcp_flags, bool inbound)
{
	u32 expires;

	twin_track(t, tcp_flags, inbound);
	expires = (u32)jiffies +
		  twin_timeout(kn, READ_ONCE(t->state), t->key.proto) * HZ;
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
		twin_refresh(kn, t, tcp_flags, true);
		return 0;
	}
	/* A connection begins with a SYN: anything else makes no state. */
	if (in->proto == IPPROTO_TCP &&
	    (tcp_flags & (TCPHDR_SYN | TCPHDR_ACK | TCPHDR_RST)) != TCPHDR_SYN)
		return 0;
	/* A connection's state each: no more of them than of mappings. */
	if (atomic_read(&kn->twins.nelems) >= READ_ONCE(kn->cfg.max_mappings))
		return -ENFILE;
	t = kzalloc(sizeof(*t), GFP_ATOMIC);
	if (!t)
		return -ENOMEM;
	t->key = key;
	twin_refresh(kn, t, tcp_flags, true);
	old = rhashtable_lookup_get_insert_fast(&kn->twins, &t->node,
						twin_params);
	if (old) {
		kfree(t);	/* never visible */
		if (IS_ERR(old))
			return PTR_ERR(old);
		twin_refresh(kn, old, tcp_flags, true);
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
	twin_refresh(kn, t, tcp_flags, false);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(knat_twin_answer);

bool knat_twin_known(struct knat_net *kn, const struct knat_key *in,
		     const struct knat_key *peer)
{
	struct knat_twin_key key = twin_key(in, peer);

	return rhashtable_lookup(&kn->twins, &key, twin_params);
}
EXPORT_SYMBOL_IF_KUNIT(knat_twin_known);

/*
 * Under kn->lock: the entries of @in's address (with @in->proto, of @n
 * ports from @in's), or with no @in the expired ones. RCU is held for
 * 1024 entries at most; an entry a pause skips goes on the next run.
 */
static bool twin_of(const struct knat_twin *t, const struct knat_key *in,
		    u16 n)
{
	u16 first = ntohs(in->port), port = ntohs(t->key.in_port);

	return t->key.in_addr == in->addr &&
	       (!in->proto || (t->key.proto == in->proto &&
			       port >= first && port - first < n));
}

static void twins_reap(struct knat_net *kn, const struct knat_key *in,
		       u16 ports)
{
	struct rhashtable_iter iter;
	struct knat_twin *t;
	unsigned int n = 0;
	bool doomed;

	rhashtable_walk_enter(&kn->twins, &iter);
	rhashtable_walk_start(&iter);
	while ((t = rhashtable_walk_next(&iter))) {
		if (IS_ERR(t))
			continue;	/* -EAGAIN: resized, go on */
		doomed = in ? twin_of(t, in, ports) :
			 time_after32((u32)jiffies, READ_ONCE(t->expires));
		if (doomed &&
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

/* GC: the expired entries go. */
void knat_twins_expire(struct knat_net *kn)
{
	twins_reap(kn, NULL, 0);
}
EXPORT_SYMBOL_IF_KUNIT(knat_twins_expire);

/*
 * A forward of @n ports from @in went, or (@in->proto 0) the 1:1 entry of
 * @in's address: their connections are no twin's any more.
 */
void knat_twins_forget(struct knat_net *kn, const struct knat_key *in, u16 n)
{
	twins_reap(kn, in, n);
}
EXPORT_SYMBOL_IF_KUNIT(knat_twins_forget);
