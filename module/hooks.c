// SPDX-License-Identifier: GPL-2.0
/*
 * knat: the packet path. PREROUTING translates inbound packets back to the
 * inside host (and does hairpinning); POSTROUTING maps and translates
 * outbound ones. Softirq context: no sleeping, no global lock, memory only
 * when a mapping is created.
 */
#include <linux/inetdevice.h>
#include <linux/ip.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <net/ip.h>
#include <net/ip_fib.h>
#include <net/l3mdev.h>
#include <net/route.h>
#include <net/tcp.h>
#include <kunit/visibility.h>
#include "alloc.h"
#include "events.h"
#include "fastpath.h"
#include "forward.h"
#include "hooks.h"
#include "icmp_err.h"
#include "icmp_send.h"
#include "peers.h"
#include "proto.h"
#include "stats.h"
#include "table.h"
#include "twin.h"
#include "xlate.h"

/* The pool that maps sources like @saddr leaving through @out. */
static struct knat_pool *pool_for_outbound(struct knat_net *kn, __be32 saddr,
					   const struct net_device *out)
{
	struct knat_pool *pool;

	list_for_each_entry_rcu(pool, &kn->pools, list) {
		if (pool->out_ifindex && (!out || pool->out_ifindex != out->ifindex))
			continue;
		if ((saddr & pool->from_mask) != pool->from_addr)
			continue;
		if (knat_pool_has_addr(pool, saddr))
			continue;	/* already an outside address */
		return pool;
	}
	return NULL;
}

struct knat_pool *knat_pool_owning(struct knat_net *kn, __be32 addr)
{
	struct knat_pool *pool;

	list_for_each_entry_rcu(pool, &kn->pools, list)
		if (knat_pool_has_addr(pool, addr))
			return pool;
	return NULL;
}

/*
 * Must a packet from @src leaving by @out be translated? It must if it
 * comes from a 1:1 inside address, or a pool's `from` and `out` take it:
 * the rule of out_icmp_error() and of the untranslatable below.
 */
static bool leaves_inside(struct knat_net *kn, __be32 src,
			  const struct net_device *out)
{
	return knat_static_by_in(kn, src) || pool_for_outbound(kn, src, out);
}

/*
 * No mapping for @in: counted, logged, and the inside host told at once
 * (3/13, RFC 5508 REQ-8) rather than left to time out. Not for a race
 * lost to the control path: the next packet will do, and a SYN answered
 * with 3/13 would fail its connect().
 */
static void refuse(struct knat_net *kn, struct sk_buff *skb,
		   const struct net_device *in_dev, const struct knat_pool *pool,
		   const struct knat_key *in, long err)
{
	knat_event_refusal(kn, pool, in, err);
	switch (err) {
	case -EEXIST:	/* the port went to a forward just added */
	case -EBUSY:	/* the table is being resized */
	case -EAGAIN:	/* the subscriber went away, again and again */
	case -ESTALE:	/* the pool went away */
		knat_stats_inc(kn, KNAT_STAT_DROP_CONTENDED);
		return;
	}
	knat_icmp_send(kn, skb, in_dev, ICMP_DEST_UNREACH, ICMP_PKT_FILTERED);
	switch (err) {
	case -EADDRINUSE:
		knat_stats_inc(kn, KNAT_STAT_DROP_ADDR_TAKEN);
		break;
	case -EPROTONOSUPPORT:
		knat_stats_inc(kn, KNAT_STAT_DROP_UNSUPPORTED);
		break;
	case -ENOSPC:
		knat_stats_inc(kn, KNAT_STAT_DROP_POOL_FULL);
		break;
	case -EDQUOT:
		knat_stats_inc(kn, KNAT_STAT_DROP_SUB_LIMIT);
		break;
	case -ENFILE:
		knat_stats_inc(kn, KNAT_STAT_DROP_MAPPING_LIMIT);
		break;
	default:
		knat_stats_inc(kn, KNAT_STAT_DROP_NOMEM);
		break;
	}
}

/*
 * The slot of uplink @ifindex when the namespace has two or more, each
 * with its own mappings of an inside endpoint; else 0.
 */
static u8 uplink_of(const struct knat_net *kn, int ifindex)
{
	/* Pairs with uplink_note()'s release: n slots are written. */
	u32 i, n = smp_load_acquire(&kn->nuplinks);

	if (n < 2 || !ifindex)
		return 0;
	for (i = 0; i < n; i++)
		if (READ_ONCE(kn->uplinks[i]) == ifindex)
			return i + 1;
	return 0;
}

/*
 * Creates the mapping of inside endpoint @in, which had none, in @pool.
 * @sub: its host's subscriber there, if the caller looked it up, or NULL.
 */
VISIBLE_IF_KUNIT struct knat_map *
knat_map_new(struct knat_net *kn, struct knat_pool *pool,
	     struct knat_sub *sub, const struct knat_key *in)
{
	struct knat_map *m, *existing;
	struct knat_block *b;
	int err;

	/*
	 * Pairs with the grace periods in knat_pool_del() and
	 * knat_pool_replace(); acquire: a replaced pool's successor is then
	 * in the list.
	 */
	if (smp_load_acquire(&pool->dead))
		return ERR_PTR(-ESTALE);
	if (knat_proto_of(in->proto)->unmapped)
		return ERR_PTR(-EPROTONOSUPPORT);
	if (READ_ONCE(pool->noaddr))
		return ERR_PTR(-ENOSPC);
	if (knat_mappings_full(kn, 1))
		return ERR_PTR(-ENFILE);
	m = knat_map_alloc();
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->in = *in;
	m->in.uplink = uplink_of(kn, pool->out_ifindex);
	b = knat_port_alloc(kn, pool, sub, in, READ_ONCE(kn->cfg.port_parity),
			    &m->out);
	if (IS_ERR(b)) {
		knat_map_free(m);
		return ERR_CAST(b);
	}
	m->block = b;
	knat_map_refresh(kn, m);
	err = knat_map_insert(kn, m, &existing);
	if (!err) {
		knat_stats_inc(kn, KNAT_STAT_MAP_CREATED);
		return m;
	}
	/*
	 * Lost a race: to another CPU for @in, or to a forward just added.
	 * Without ports, the outside key is another inside host's: refused.
	 */
	knat_port_release(kn, b, in->proto, m->out.port);
	knat_map_discard(m);
	if (!existing && err == -EEXIST && knat_key_addr_only(in))
		err = -EADDRINUSE;
	return existing ?: ERR_PTR(err);
}
EXPORT_SYMBOL_IF_KUNIT(knat_map_new);

/*
 * The mapping of inside endpoint @in in @pool: of @pool's uplink, else
 * of none (slot 0) if it is @pool's or a forward's.
 */
static struct knat_map *map_find(struct knat_net *kn,
				 const struct knat_pool *pool,
				 const struct knat_key *in)
{
	struct knat_key k = *in;
	struct knat_map *m;

	k.uplink = uplink_of(kn, pool->out_ifindex);
	if (k.uplink) {
		m = knat_map_lookup_in(kn, &k);
		if (m)
			return m;
		k.uplink = 0;
	}
	m = knat_map_lookup_in(kn, &k);
	if (m && m->block && m->block->pa->pool != pool)
		return NULL;
	return m;
}

/* Finds or creates the mapping of inside endpoint @in in @pool. */
static struct knat_map *map_get(struct knat_net *kn, struct knat_pool *pool,
				const struct knat_key *in)
{
	return map_find(kn, pool, in) ?: knat_map_new(kn, pool, NULL, in);
}

/* lookup_in_via() with two or more uplinks: that of @uplink first. */
static noinline struct knat_map *lookup_in_uplink(struct knat_net *kn,
						  const struct knat_key *in,
						  u8 uplink)
{
	struct knat_key k = *in;

	k.uplink = uplink;
	return knat_map_lookup_in(kn, &k) ?: knat_map_lookup_in(kn, in);
}

/*
 * The mapping of inside endpoint @in (of slot 0, as parsed) for a packet
 * leaving by @out: that uplink's, else one of no uplink's (a forward's,
 * a pool's without out, one made while there was one uplink), which may
 * be another's. With one uplink, the lookup alone.
 */
static __always_inline struct knat_map *lookup_in_via(struct knat_net *kn,
						      const struct knat_key *in,
						      const struct net_device *out)
{
	u8 uplink = out ? uplink_of(kn, out->ifindex) : 0;

	return uplink ? lookup_in_uplink(kn, in, uplink) :
			__knat_map_lookup_in(kn, in);
}

static bool map_usable_out(const struct knat_map *m,
			   const struct net_device *out)
{
	const struct knat_pool *pool;

	if (!m->block)
		return true;
	pool = m->block->pa->pool;
	return !pool->out_ifindex || (out && pool->out_ifindex == out->ifindex);
}

/* As __fib_validate_source(): the mark only with src_valid_mark. */
static bool src_valid_mark(const struct net_device *dev)
{
	struct in_device *idev = __in_dev_get_rcu(dev);

	return idev && IN_DEV_SRC_VMARK(idev);
}

/*
 * Does the route back to @saddr leave through @in? A strict reverse-path
 * check, the flow built as __fib_validate_source() builds it (VRF
 * included); any path of a multipath route will do. Under RCU.
 */
static bool route_back_via(struct net *net, __be32 saddr,
			   const struct sk_buff *skb,
			   const struct net_device *in)
{
	struct flowi4 fl4 = {
		.daddr = saddr,
		.saddr = ip_hdr(skb)->daddr,
		.flowi4_iif = LOOPBACK_IFINDEX,
		.flowi4_l3mdev = l3mdev_master_ifindex_rcu(in),
		.flowi4_mark = src_valid_mark(in) ? skb->mark : 0,
		.flowi4_tos = ip_hdr(skb)->tos & IPTOS_RT_MASK,
		.flowi4_uid = sock_net_uid(net, NULL),
	};
	struct fib_result res;

	if (fib_lookup(net, &fl4, &res, FIB_LOOKUP_NOREF) ||
	    res.type != RTN_UNICAST)
		return false;
	return fib_info_nh_uses_dev(res.fi, in);
}

/*
 * Is this packet from an inside host of @pool (hairpinning)? Its source
 * alone says nothing: anyone outside can forge one in the inside prefix,
 * and a packet taken for an inside one makes a subscriber and a mapping.
 * It must also have come in where the route back to it leaves.
 */
static bool from_inside(const struct knat_pool *pool, __be32 saddr,
			const struct sk_buff *skb,
			const struct nf_hook_state *state)
{
	const struct net_device *in = state->in;

	if ((saddr & pool->from_mask) != pool->from_addr ||
	    knat_pool_has_addr(pool, saddr) || !in)
		return false;
	if (pool->out_ifindex ? in->ifindex == pool->out_ifindex :
				!pool->from_mask)
		return false;
	return route_back_via(state->net, saddr, skb, in);
}

/*
 * A forwarded packet with an inside source: did it come from where its
 * source lives, and not in through the pool's own outside? Otherwise it
 * is forged: a new mapping would be a subscriber and a block for nothing
 * (and its source an inside address on the way out), an existing one
 * would tell the forger its outside port and let it in as a peer.
 * IPCB's iif is the port it came in by, a VRF's too (skb_iif is then the
 * VRF device's). @pool: NULL for a forward.
 */
static bool source_plausible(const struct knat_pool *pool,
			     const struct sk_buff *skb,
			     const struct nf_hook_state *state)
{
	int iif = IPCB(skb)->iif;
	const struct net_device *in;

	if (pool && pool->out_ifindex && iif == pool->out_ifindex)
		return false;
	in = dev_get_by_index_rcu(state->net, iif);
	return in && route_back_via(state->net, ip_hdr(skb)->saddr, skb, in);
}

/*
 * What a subscriber notes of @skb's coming in (knat_sub_note()), taken
 * before source_plausible() decides: a route changed meanwhile voids
 * it. 0, nothing to note, where more than the interface and the routes
 * choose the route back: policy rules (a mark, a source address or a
 * TOS may pick the table), or a TOS, which routes may match.
 */
static u64 source_note(const struct sk_buff *skb,
		       const struct nf_hook_state *state)
{
	u64 note;

	/* Where a u64 is two loads, one note's halves could meet another's. */
	if (!IS_ENABLED(CONFIG_64BIT) || (ip_hdr(skb)->tos & IPTOS_RT_MASK) ||
	    fib4_has_custom_rules(state->net))
		return 0;
	note = knat_sub_note(IPCB(skb)->iif, rt_genid_ipv4(state->net));
	/* The generation before the routes the check will read. */
	smp_rmb();
	return note;
}

/*
 * source_plausible() for the first packet of a new mapping in @pool:
 * one that comes in as the host's subscriber noted its last plausible
 * packet did (map_note()) needs no route lookup. @note: source_note().
 * *@sub: the subscriber, if it was looked up and found (else NULL), for
 * the port allocation not to look it up again.
 */
static bool new_source_plausible(struct knat_net *kn,
				 const struct knat_pool *pool,
				 const struct sk_buff *skb,
				 const struct nf_hook_state *state, u64 note,
				 struct knat_sub **sub)
{
	*sub = NULL;
	/* No note (policy rules, a TOS): no subscriber worth looking up. */
	if (note && IPCB(skb)->iif != pool->out_ifindex) {
		*sub = knat_sub_find(kn, pool, ip_hdr(skb)->saddr);
		if (knat_sub_noted(*sub, note))
			return true;
	}
	return source_plausible(pool, skb, state);
}

/*
 * The subscriber of @m's inside host, or NULL. @m's block is another's,
 * or no one's, only if @m is going (with cooling 0, at once): then there
 * is none, for no other host's note may say where this one's packets
 * come from, nor be overwritten by them.
 */
static struct knat_sub *map_host_sub(const struct knat_map *m)
{
	struct knat_sub *sub = m->block ? READ_ONCE(m->block->owner) : NULL;

	return sub && sub->key.addr == m->in.addr ? sub : NULL;
}

/* @m's inside host sent as @note says, plausibly: its subscriber notes it. */
static void map_note(const struct knat_map *m, u64 note)
{
	struct knat_sub *sub = map_host_sub(m);

	/* No note (0) leaves the last one: it still holds for TOS 0. */
	if (sub && note)
		WRITE_ONCE(sub->in_note, note);
}

/*
 * Is an outbound packet of @m from where @m's inside host lives? Its
 * subscriber remembers the interface its last plausible packet came in
 * by: the reverse path is looked up again only when that or a route
 * changes. A forward's replies change no state and tell no secret: they
 * pass.
 */
static bool map_source_plausible(const struct knat_map *m,
				 const struct sk_buff *skb,
				 const struct nf_hook_state *state)
{
	u64 note;

	if (!m->block)
		return true;
	note = source_note(skb, state);
	if (likely(knat_sub_noted(map_host_sub(m), note)))
		return true;
	if (!source_plausible(m->block->pa->pool, skb, state))
		return false;
	map_note(m, note);
	return true;
}

/*
 * @m, a mapping of an inside endpoint sending to @peer: is it the one to
 * translate by? Not a twin server's forward, unless @peer's connection
 * came in through it (twin.c); else the 1:1 entry answers.
 */
static bool map_answers(struct knat_net *kn, const struct knat_map *m,
			const struct knat_key *peer, u8 tcp_flags)
{
	return !(knat_map_flags(m) & BIT(KNAT_MAP_TWIN)) ||
	       knat_twin_answer(kn, &m->in, peer, tcp_flags);
}

/* As map_answers(), for an ICMP error quoting @peer's packet to @m. */
static bool quote_answers(struct knat_net *kn, const struct knat_map *m,
			  const struct knat_key *peer)
{
	return !(knat_map_flags(m) & BIT(KNAT_MAP_TWIN)) ||
	       knat_twin_known(kn, &m->in, peer);
}

/* Does @ifindex lead out of some pool (an uplink, where no inside host is)? */
bool knat_is_uplink(struct knat_net *kn, int ifindex)
{
	const struct knat_pool *pool;

	list_for_each_entry_rcu(pool, &kn->pools, list)
		if (pool->out_ifindex == ifindex)
			return true;
	return false;
}

static bool is_uplink(struct knat_net *kn, const struct net_device *dev)
{
	return knat_is_uplink(kn, dev->ifindex);
}

static bool pool_takes(const struct knat_pool *pool, __be32 saddr)
{
	return (saddr & pool->from_mask) == pool->from_addr &&
	       !knat_pool_has_addr(pool, saddr);
}

/*
 * The pool to map @saddr in for a hairpin to @daddr: the one owning
 * @daddr (a forward on a pool's or a masquerade address: that uplink's),
 * else the first that takes @saddr.
 */
struct knat_pool *knat_pool_taking(struct knat_net *kn, __be32 saddr,
				   __be32 daddr)
{
	/* No destination (0): the walk below finds the pool by its from. */
	struct knat_pool *pool = daddr ? knat_pool_owning(kn, daddr) : NULL;

	if (pool && pool_takes(pool, saddr))
		return pool;
	list_for_each_entry_rcu(pool, &kn->pools, list)
		if (pool_takes(pool, saddr))
			return pool;
	return NULL;
}

/*
 * Hairpinning (RFC 4787 REQ-9, RFC 5382 REQ-8, RFC 5508 REQ-7): a packet
 * from an inside host to an outside endpoint of this router goes back in
 * with the sender's outside view for its source, so that the receiver's
 * replies come back through here too. The view of a 1:1 host is its
 * address; of another, its mapping (@hm, made if need be) in @pool, or
 * if none is given in the first pool that takes it. 0: not an inside
 * host's packet; 1: *@view set; else refused (counted, the host told).
 */
static int hairpin_view(struct knat_net *kn, struct sk_buff *skb,
			const struct knat_pkt *p,
			const struct nf_hook_state *state,
			struct knat_pool *pool, struct knat_key *view,
			struct knat_map **hm)
{
	const struct knat_static *s;

	*hm = NULL;
	if (!state->in || is_uplink(kn, state->in))
		return 0;
	s = knat_static_by_in(kn, p->src.addr);
	if (s) {
		struct knat_map *f = NULL;

		if (!route_back_via(state->net, p->src.addr, skb, state->in))
			return 0;
		/* A twin server's reply to whom its forward let in. */
		if (p->src.proto != IPPROTO_ICMP)
			f = knat_map_lookup_in(kn, &p->src);
		if (f && !f->block && (knat_map_flags(f) & BIT(KNAT_MAP_TWIN)) &&
		    knat_twin_answer(kn, &f->in, &p->dst, p->tcp_flags)) {
			*hm = f;
			*view = f->out;
			return 1;
		}
		*view = p->src;
		view->addr = s->out;
		return 1;
	}
	if (!pool || !pool_takes(pool, p->src.addr))
		pool = knat_pool_taking(kn, p->src.addr, p->dst.addr);
	if (!pool || !from_inside(pool, p->src.addr, skb, state))
		return 0;
	*hm = map_get(kn, pool, &p->src);
	if (IS_ERR(*hm)) {
		refuse(kn, skb, state->in, pool, &p->src, PTR_ERR(*hm));
		return PTR_ERR(*hm);
	}
	*view = (*hm)->out;
	return 1;
}

/*
 * A hairpinned packet (or error), its destination translated, is routed
 * while its source is still the inside host's: the view it gets next may
 * be the router's own address, as under masquerade, which the kernel
 * would take for a martian source, and a hairpin is no case for a
 * redirect. Should that route fail, the kernel routes it as it leaves
 * here, and judges.
 */
static void hairpin_route(struct sk_buff *skb,
			  const struct nf_hook_state *state)
{
	const struct iphdr *iph = ip_hdr(skb);

	skb_dst_drop(skb);
	if (!ip_route_input_noref(skb, iph->daddr, iph->saddr, iph->tos,
				  state->in))
		IPCB(skb)->flags &= ~IPSKB_DOREDIRECT;
}

/* ... and then given the sender's outside view. */
static unsigned int hairpin_finish(struct knat_net *kn, struct sk_buff *skb,
				   const struct knat_pkt *p,
				   const struct nf_hook_state *state,
				   const struct knat_key *view)
{
	hairpin_route(skb, state);
	if (knat_xlate(skb, p, KNAT_SRC, view)) {
		knat_stats_inc(kn, KNAT_STAT_DROP_NOMEM);
		return NF_DROP;
	}
	knat_stats_inc(kn, KNAT_STAT_HAIRPIN);
	knat_stats_xlated(kn, false, p->dst.proto, skb->len);
	knat_stats_xlated(kn, true, p->dst.proto, skb->len);
	return NF_ACCEPT;
}

/* The sender's mapping of a hairpinned packet: an outbound packet's. */
static void hairpin_note(struct knat_net *kn, struct knat_map *hm,
			 const struct knat_pkt *p)
{
	if (!hm || !hm->block)
		return;	/* a 1:1 host, or a forward's server */
	knat_map_note_peer(kn, hm, p->dst.addr, p->dst.port);
	if (p->src.proto == IPPROTO_TCP)
		knat_map_track_tcp(hm, p->tcp_flags, true);
	knat_map_refresh(kn, hm);
}

/*
 * A packet knat translates before the kernel forwards it has its TTL
 * checked here: the kernel's own time exceeded would quote it translated
 * (an inside address, to the outside). knat quotes it as it came.
 */
static bool ttl_expires_here(struct knat_net *kn, struct sk_buff *skb,
			     const struct nf_hook_state *state, __be32 to)
{
	if (ip_hdr(skb)->ttl > 1)
		return false;
	/* A forward to the router itself is delivered, not forwarded. */
	if (inet_addr_type(state->net, to) == RTN_LOCAL)
		return false;
	knat_icmp_send(kn, skb, state->in, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL);
	knat_stats_inc(kn, KNAT_STAT_DROP_TTL_EXPIRED);
	return true;
}

static const u8 icmp_verdict_stat[] = {
	[KNAT_ICMP_NOT_ERROR] = KNAT_STAT_DROP_ICMP_UNTRANSLATABLE,
	[KNAT_ICMP_TRUNCATED] = KNAT_STAT_DROP_ICMP_TRUNCATED,
	[KNAT_ICMP_BAD_CHECKSUM] = KNAT_STAT_DROP_ICMP_CHECKSUM,
	[KNAT_ICMP_UNTRANSLATABLE] = KNAT_STAT_DROP_ICMP_UNTRANSLATABLE,
};

static bool addr_is_local(struct net *net, __be32 addr)
{
	return inet_addr_type(net, addr) == RTN_LOCAL;
}

/*
 * An ICMP error arriving for an outside address knat owns: it quotes a
 * packet knat translated on the way out, so the quoted source is that
 * mapping's outside endpoint. Back to the inside host it goes, quote
 * included. From an inside host about a hairpinned packet, the quoted
 * destination (and the error's source) take the outside view too.
 */
static unsigned int in_icmp_error(struct knat_net *kn, struct sk_buff *skb,
				  const struct knat_pkt *p,
				  const struct nf_hook_state *state)
{
	enum knat_icmp_verdict v;
	struct knat_map *m, *hm;
	struct knat_static *s = NULL, *hs;
	struct knat_pool *pool;
	struct knat_icmp_err e;
	struct knat_key to, peer;
	bool hairpin = false;

	if (!knat_pool_owning(kn, p->dst.addr) && !knat_outside_owned(kn, p->dst.addr))
		return NF_ACCEPT;
	v = knat_icmp_err_parse(skb, p, &e);
	if (v != KNAT_ICMP_OK) {
		/* The router's own address: its own stack judges. */
		if (addr_is_local(state->net, p->dst.addr))
			return NF_ACCEPT;
		if (v == KNAT_ICMP_NOT_ERROR)
			knat_stats_inc(kn, KNAT_STAT_DROP_NO_MAPPING);
		else
			knat_stats_inc(kn, icmp_verdict_stat[v]);
		return NF_DROP;
	}
	m = knat_map_lookup_out(kn, &e.isrc);
	if (m) {
		to = m->in;
	} else {
		s = knat_static_by_out(kn, e.isrc.addr);
		if (!s) {
			if (addr_is_local(state->net, p->dst.addr))
				return NF_ACCEPT;
			knat_stats_inc(kn, KNAT_STAT_DROP_ICMP_NO_MAPPING);
			return NF_DROP;
		}
		to = e.isrc;
		to.addr = s->in;
	}
	/* An error about our packet goes to where our packet came from. */
	if (e.isrc.addr != p->dst.addr) {
		knat_stats_inc(kn, KNAT_STAT_DROP_ICMP_NO_MAPPING);
		return NF_DROP;
	}
	peer = e.idst;
	/* As hairpin_view(): the quoted destination's outside view, if... */
	hs = knat_static_by_in(kn, e.idst.addr);
	pool = m && m->block ? m->block->pa->pool : NULL;
	if (!pool || !pool_takes(pool, e.idst.addr))
		pool = knat_pool_taking(kn, e.idst.addr, e.isrc.addr);
	hm = pool ? map_find(kn, pool, &e.idst) :
		    knat_map_lookup_in(kn, &e.idst);
	if (hm && hs && (hm->block || !quote_answers(kn, hm, &e.isrc)))
		hm = NULL;
	/* ...an inside host (any: a pool's, a 1:1 one, a forward's) erred. */
	if ((hm || hs) && state->in && !is_uplink(kn, state->in) &&
	    route_back_via(state->net, p->src.addr, skb, state->in)) {
		if (hm) {
			peer = hm->out;
			hairpin = true;
		} else if (hs) {
			peer.addr = hs->out;
			/* A query's identifier: the querier's, as in @to. */
			if (e.idst.proto == IPPROTO_ICMP)
				peer.port = to.port;
			hairpin = true;
		}
	}
	/* Only errors about a peer the inside host talked to get in. */
	if (m && m->block && !knat_map_peer_allowed(kn, m, peer.addr, peer.port)) {
		knat_stats_inc(kn, KNAT_STAT_DROP_FILTERED);
		return NF_DROP;
	}
	if (knat_icmp_err_xlate(skb, &e, KNAT_SRC, &to, to.addr)) {
		knat_stats_inc(kn, KNAT_STAT_DROP_NOMEM);
		return NF_DROP;
	}
	skb_dst_drop(skb);
	if (hairpin) {
		hairpin_route(skb, state);
		if (knat_icmp_err_xlate(skb, &e, KNAT_DST, &peer, peer.addr)) {
			knat_stats_inc(kn, KNAT_STAT_DROP_NOMEM);
			return NF_DROP;
		}
	}
	knat_stats_inc(kn, KNAT_STAT_ICMP_ERR_IN);
	knat_stats_xlated(kn, false, IPPROTO_ICMP, skb->len);
	return NF_ACCEPT;
}

/*
 * An ICMP error leaving: from an inside host (or router) about a packet
 * that came in through a forward, 1:1 or mapping, or from this router's
 * own stack about a packet knat had already translated inbound. The quoted
 * destination is then an inside endpoint: it gets its outside view back,
 * and so does the error's source unless it is the router's own.
 * @forwarded: the error crosses the router (else the router made it).
 */
static unsigned int out_icmp_error(struct knat_net *kn, struct sk_buff *skb,
				   const struct knat_pkt *p,
				   const struct nf_hook_state *state,
				   bool forwarded)
{
	enum knat_icmp_verdict v;
	struct knat_static *s;
	struct knat_icmp_err e;
	struct knat_map *m;
	struct knat_key to;
	bool leaks;

	/* Left untranslated, would it show an inside address outside? */
	leaks = forwarded && leaves_inside(kn, p->src.addr, state->out);
	v = knat_icmp_err_parse(skb, p, &e);
	if (v != KNAT_ICMP_OK) {
		if (!leaks)
			return NF_ACCEPT;
		knat_stats_inc(kn, icmp_verdict_stat[v]);
		return NF_DROP;
	}
	m = lookup_in_via(kn, &e.idst, state->out);
	if (m && !quote_answers(kn, m, &e.isrc) &&
	    knat_static_by_in(kn, e.idst.addr))
		m = NULL;	/* by the 1:1 entry */
	if (m && map_usable_out(m, state->out)) {
		to = m->out;
	} else {
		s = knat_static_by_in(kn, e.idst.addr);
		if (!s) {
			if (!leaks)
				return NF_ACCEPT;
			knat_stats_inc(kn, KNAT_STAT_DROP_ICMP_NO_MAPPING);
			return NF_DROP;
		}
		to = e.idst;
		to.addr = s->out;
	}
	if (knat_icmp_err_xlate(skb, &e, KNAT_DST, &to,
				forwarded && !addr_is_local(state->net, p->src.addr) ?
				to.addr : 0)) {
		knat_stats_inc(kn, KNAT_STAT_DROP_NOMEM);
		return NF_DROP;
	}
	knat_stats_inc(kn, KNAT_STAT_ICMP_ERR_OUT);
	knat_stats_xlated(kn, true, IPPROTO_ICMP, skb->len);
	return NF_ACCEPT;
}

/*
 * A fragment reassembly left alone (untracked outside traffic: one
 * forged as an inside host's, or knat's after a change meanwhile): a
 * later one has no transport header, so neither a mapping nor a checksum
 * to rewrite; it would be damaged, not translated. Without ports, a
 * fragment is translated like any packet.
 */
static bool frag_unmappable(const struct knat_pkt *p)
{
	return p->fragment && p->kp->ports;
}

static unsigned int drop_fragment(struct knat_net *kn)
{
	knat_stats_inc(kn, KNAT_STAT_DROP_FRAGMENT);
	return NF_DROP;
}

/* A forged inside source (source_plausible()): no state, no translation. */
static unsigned int drop_spoofed(struct knat_net *kn)
{
	knat_stats_inc(kn, KNAT_STAT_DROP_SPOOFED);
	return NF_DROP;
}

/* 1:1 NAT: the address changes, ports and identifiers do not. */
static unsigned int xlate_static(struct knat_net *kn, struct sk_buff *skb,
				 const struct knat_pkt *p, enum knat_side side,
				 __be32 addr)
{
	struct knat_key to = side == KNAT_SRC ? p->src : p->dst;

	to.addr = addr;
	if (knat_xlate(skb, p, side, &to)) {
		knat_stats_inc(kn, KNAT_STAT_DROP_NOMEM);
		return NF_DROP;
	}
	if (side == KNAT_DST)
		skb_dst_drop(skb);
	knat_stats_inc(kn, side == KNAT_SRC ? KNAT_STAT_OUT_XLATED :
					      KNAT_STAT_IN_XLATED);
	knat_stats_xlated(kn, side == KNAT_SRC, to.proto, skb->len);
	return NF_ACCEPT;
}

/*
 * To a 1:1 address: on to its inside host, from the sender's outside view
 * if an inside host sent it (hairpinning).
 */
static unsigned int in_static(struct knat_net *kn, struct sk_buff *skb,
			      const struct knat_pkt *p,
			      const struct nf_hook_state *state,
			      const struct knat_static *s)
{
	struct knat_key to = p->dst, view;
	struct knat_map *hm;
	int hp;

	if (frag_unmappable(p))
		return drop_fragment(kn);
	if (ttl_expires_here(kn, skb, state, s->in))
		return NF_DROP;
	hp = hairpin_view(kn, skb, p, state, NULL, &view, &hm);
	if (hp < 0)
		return NF_DROP;
	if (!hp)
		return xlate_static(kn, skb, p, KNAT_DST, s->in);
	hairpin_note(kn, hm, p);
	/* A query's identifier is the sender's view's, written last. */
	to.addr = s->in;
	if (knat_xlate(skb, p, KNAT_DST, &to)) {
		knat_stats_inc(kn, KNAT_STAT_DROP_NOMEM);
		return NF_DROP;
	}
	return hairpin_finish(kn, skb, p, state, &view);
}

/*
 * A packet to an outside address of ours (@pooled: a pool's), perhaps of
 * a mapping, a forward, a 1:1 entry or an error quoting one. Apart from
 * knat_prerouting(): the packets that leave pay for no frame this size.
 */
static noinline unsigned int prerouting_to_outside(struct knat_net *kn,
						   struct sk_buff *skb,
						   const struct nf_hook_state *state,
						   bool pooled)
{
	struct knat_map *m, *hm;
	struct knat_key peer;
	struct knat_pool *pool;
	/* The parse writes every field: no zeroing first (INIT_STACK_ALL_ZERO). */
	struct knat_pkt p __uninitialized;
	int err, hp;

	err = knat_pkt_parse(skb, &p);
	if (err == -EPROTONOSUPPORT && p.src.proto == IPPROTO_ICMP)
		return in_icmp_error(kn, skb, &p, state);
	if (err)
		return NF_ACCEPT;
	m = __knat_map_lookup_out(kn, &p.dst);
	if (!m) {
		struct knat_static *s = knat_static_by_out(kn, p.dst.addr);

		if (s)
			return in_static(kn, skb, &p, state, s);
		if (!pooled)
			return NF_ACCEPT;
		/* The router's own address: its own sockets may want this. */
		if (addr_is_local(state->net, p.dst.addr))
			return NF_ACCEPT;
		if (READ_ONCE(kn->cfg.unreach_no_mapping))
			knat_icmp_send(kn, skb, state->in, ICMP_DEST_UNREACH,
				       ICMP_PKT_FILTERED);
		knat_stats_inc(kn, KNAT_STAT_DROP_NO_MAPPING);
		return NF_DROP;
	}
	if (frag_unmappable(&p))
		return drop_fragment(kn);
	pool = m->block ? m->block->pa->pool : NULL;
	hp = hairpin_view(kn, skb, &p, state, pool, &peer, &hm);
	if (hp < 0)
		return NF_DROP;
	if (!hp)
		peer = p.src;
	else if (!hm && p.src.proto == IPPROTO_ICMP)
		/* A 1:1 host's query reply keeps the querier's identifier. */
		peer.port = m->in.port;
	hairpin_note(kn, hm, &p);
	if (m->block && !knat_map_peer_allowed(kn, m, peer.addr, peer.port)) {
		knat_stats_inc(kn, KNAT_STAT_DROP_FILTERED);
		return NF_DROP;
	}
	if (ttl_expires_here(kn, skb, state, m->in.addr))
		return NF_DROP;
	if (knat_map_flags(m) & BIT(KNAT_MAP_TWIN)) {
		err = knat_twin_note(kn, &m->in, &peer, p.tcp_flags);
		if (err) {
			knat_stats_inc(kn, err == -ENFILE ?
				       KNAT_STAT_DROP_TWIN_LIMIT :
				       KNAT_STAT_DROP_NOMEM);
			return NF_DROP;
		}
	}
	if (p.dst.proto == IPPROTO_TCP) {
		knat_map_track_tcp(m, p.tcp_flags, false);
		knat_map_refresh(kn, m);
	}
	if (knat_xlate(skb, &p, KNAT_DST, &m->in)) {
		knat_stats_inc(kn, KNAT_STAT_DROP_NOMEM);
		return NF_DROP;
	}
	if (hp)
		return hairpin_finish(kn, skb, &p, state, &peer);
	/* The route was for the old destination, if one was attached. */
	skb_dst_drop(skb);
	knat_stats_inc(kn, KNAT_STAT_IN_XLATED);
	knat_stats_xlated(kn, false, p.dst.proto, skb->len);
	return NF_ACCEPT;
}

/*
 * Outside traffic passing through: in by an uplink (where no inside host
 * is; the port, under a VRF too), to no address of ours, from no inside
 * host (of a pool that leaves by another way, of a 1:1 entry, of a
 * forward), and no ICMP (an error's quote may name an inside endpoint,
 * whoever sent it). knat translates none of it. Only for fragments: the
 * pools and the 1:1 entries are walked.
 */
static bool outside_transit(struct knat_net *kn, const struct sk_buff *skb,
			    const struct net_device *in)
{
	const struct iphdr *iph = ip_hdr(skb);
	const struct knat_pool *pool;
	bool uplink = false;
	int iif;

	if (!in || iph->protocol == IPPROTO_ICMP)
		return false;
	iif = IPCB(skb)->iif ?: in->ifindex;
	/* One walk: is @iif an uplink, and does another's pool take the source? */
	list_for_each_entry_rcu(pool, &kn->pools, list) {
		if (pool->out_ifindex == iif)
			uplink = true;
		else if (pool_takes(pool, iph->saddr))
			return false;
	}
	return uplink && !knat_pool_owning(kn, iph->daddr) &&
	       !knat_outside_maybe(kn, iph->daddr) &&
	       !knat_static_by_in(kn, iph->saddr) &&
	       !knat_forward_to(kn, iph->saddr);
}

/*
 * Fragments are gathered here, as nf_defrag_ipv4's hook would gather
 * them at -400 (by the same key: conntrack's, zone 0), for the ports
 * only a first fragment carries: a hook of its own cost every packet a
 * call. All but untracked outside traffic passing through, which
 * nf_defrag_ipv4 would leave alone too (a router that sees only some
 * pieces of a datagram): any other, untracked or not, could be knat's,
 * and a later fragment has no ports to map it by, while its source
 * could leave untranslated. True: the skb is the reassembly's now
 * (queued, or dropped).
 */
static bool gathered_fragment(struct knat_net *kn, struct sk_buff *skb,
			      const struct nf_hook_state *state)
{
	int err;

#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	if (skb->_nfct == IP_CT_UNTRACKED &&
	    outside_transit(kn, skb, state->in))
		return false;
#endif
	local_bh_disable();
	err = ip_defrag(state->net, skb, IP_DEFRAG_CONNTRACK_IN);
	local_bh_enable();
	if (err)
		return true;
	/* Sent on as fragments again, as the host's were (ip_forward()). */
	skb->ignore_df = 1;
	return false;
}

/*
 * Most packets here leave: no mapping, forward, 1:1 entry or error of
 * ours is for their destination, and they are not even parsed. A test
 * with no call before it: the hook saves no register for them.
 */
static __always_inline unsigned int prerouting_to(struct knat_net *kn,
						  struct sk_buff *skb,
						  const struct nf_hook_state *state)
{
	__be32 daddr = ip_hdr(skb)->daddr;
	bool pooled = knat_pool_owning(kn, daddr);

	if (!pooled && !knat_outside_maybe(kn, daddr))
		return NF_ACCEPT;
	return prerouting_to_outside(kn, skb, state, pooled);
}

/* A fragment: gathered first, then as any packet. */
static noinline unsigned int prerouting_fragment(struct knat_net *kn,
						 struct sk_buff *skb,
						 const struct nf_hook_state *state)
{
	if (gathered_fragment(kn, skb, state))
		return NF_STOLEN;
	return prerouting_to(kn, skb, state);
}

static unsigned int knat_prerouting(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	if (unlikely(ip_is_fragment(ip_hdr(skb))))
		return prerouting_fragment(priv, skb, state);
	return prerouting_to(priv, skb, state);
}

/*
 * A forwarded packet knat cannot translate (a protocol it does not know,
 * a transport header cut short, a mapping of another uplink's pool): as
 * it is, it would show an inside address outside. Dropped and counted
 * under @stat if it is an inside host's, else not knat's to judge.
 */
static unsigned int out_untranslatable(struct knat_net *kn,
				       const struct knat_pkt *p,
				       const struct nf_hook_state *state,
				       enum knat_stat stat)
{
	if (!leaves_inside(kn, p->src.addr, state->out))
		return NF_ACCEPT;
	knat_stats_inc(kn, stat);
	return NF_DROP;
}

static unsigned int knat_postrouting(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	struct knat_net *kn = priv;
	struct knat_pool *pool;
	struct knat_sub *sub;
	struct knat_map *m;
	/* The parse writes every field: no zeroing first (INIT_STACK_ALL_ZERO). */
	struct knat_pkt p __uninitialized;
	bool forwarded = IPCB(skb)->flags & IPSKB_FORWARDED;
	/* Before any decision: a route learned below holds for this one. */
	u32 gen = atomic_read_acquire(&kn->fp_gen);
	bool created = false;
	u64 note;
	int err;

	/*
	 * The router's own traffic is not an inside host's; its errors may
	 * quote one, though.
	 */
	if (!forwarded && ip_hdr(skb)->protocol != IPPROTO_ICMP)
		return NF_ACCEPT;
	err = __knat_pkt_parse(skb, &p);
	if (err == -EPROTONOSUPPORT && p.src.proto == IPPROTO_ICMP)
		return out_icmp_error(kn, skb, &p, state, forwarded);
	if (!forwarded)
		return NF_ACCEPT;
	if (err)
		return out_untranslatable(kn, &p, state,
					  err != -EINVAL ? KNAT_STAT_DROP_UNSUPPORTED :
					  frag_unmappable(&p) ? KNAT_STAT_DROP_FRAGMENT :
					  KNAT_STAT_DROP_MALFORMED);
	m = lookup_in_via(kn, &p.src, state->out);
	if (m && !map_answers(kn, m, &p.dst, p.tcp_flags) &&
	    knat_static_by_in(kn, p.src.addr))
		m = NULL;	/* by the 1:1 entry */
	if (m && !map_usable_out(m, state->out)) {
		/* Another uplink's: this one's is made below, if it has a slot. */
		if (!uplink_of(kn, state->out->ifindex))
			return out_untranslatable(kn, &p, state,
						  KNAT_STAT_DROP_OTHER_UPLINK);
		m = NULL;
	}
	if (!m) {
		struct knat_static *s = knat_static_by_in(kn, p.src.addr);

		pool = s ? NULL : pool_for_outbound(kn, p.src.addr, state->out);
		if (!s && !pool) {
			/* Perhaps an inbound packet knat translated. */
			if (READ_ONCE(kn->cfg.fastpath))
				knat_fp_learn_in(kn, skb, &p, state, gen);
			return NF_ACCEPT;
		}
		/* No ports to read, none to map a fragment by. */
		if (frag_unmappable(&p))
			return drop_fragment(kn);
		if (s)
			return xlate_static(kn, skb, &p, KNAT_SRC, s->out);
		note = source_note(skb, state);
		if (!new_source_plausible(kn, pool, skb, state, note, &sub))
			return drop_spoofed(kn);
		m = knat_map_new(kn, pool, sub, &p.src);
		if (PTR_ERR(m) == -ESTALE) {
			/*
			 * Replaced meanwhile (a masquerade address change), or
			 * deleted: then no pool may take it any more, or
			 * another, whose own outside it must not come from.
			 */
			pool = pool_for_outbound(kn, p.src.addr, state->out);
			if (!pool)
				return NF_ACCEPT;
			if (!source_plausible(pool, skb, state))
				return drop_spoofed(kn);
			m = knat_map_new(kn, pool, NULL, &p.src);
		}
		if (IS_ERR(m)) {
			refuse(kn, skb, dev_get_by_index_rcu(state->net,
							     IPCB(skb)->iif),
			       pool, &p.src, PTR_ERR(m));
			return NF_DROP;
		}
		/* Another CPU's, or a pool's without out met another uplink's. */
		if (!map_usable_out(m, state->out))
			return out_untranslatable(kn, &p, state,
						  KNAT_STAT_DROP_OTHER_UPLINK);
		map_note(m, note);
		created = true;
	} else if (!map_source_plausible(m, skb, state)) {
		return drop_spoofed(kn);
	}
	if (frag_unmappable(&p))
		return drop_fragment(kn);
	knat_map_note_peer(kn, m, p.dst.addr, p.dst.port);
	if (p.src.proto == IPPROTO_TCP)
		knat_map_track_tcp(m, p.tcp_flags, true);
	knat_map_refresh(kn, m);
	if (__knat_xlate(skb, &p, KNAT_SRC, &m->out)) {
		knat_stats_inc(kn, KNAT_STAT_DROP_NOMEM);
		return NF_DROP;
	}
	knat_stats_inc(kn, KNAT_STAT_OUT_XLATED);
	knat_stats_xlated(kn, true, p.src.proto, skb->len);
	/* A flow of one packet (a query, a scan) costs no route memory. */
	if (!created && READ_ONCE(kn->cfg.fastpath))
		knat_fp_learn(kn, m, KNAT_FP_OUT, skb, &p, state, gen);
	return NF_ACCEPT;
}

static const struct nf_hook_ops knat_hook_ops[] = {
	{
		.hook = knat_prerouting,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = KNAT_PRI_PREROUTING,
	},
	{
		.hook = knat_postrouting,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = KNAT_PRI_POSTROUTING,
	},
};

/*
 * Hooks are registered only in namespaces that have something to
 * translate: an unconfigured namespace pays nothing. Under kn->lock.
 */
int knat_hooks_enable(struct knat_net *kn)
{
	int i, err;

	BUILD_BUG_ON(ARRAY_SIZE(kn->hook_ops) != ARRAY_SIZE(knat_hook_ops));
	if (kn->hooks_on)
		return 0;
	memcpy(kn->hook_ops, knat_hook_ops, sizeof(kn->hook_ops));
	for (i = 0; i < ARRAY_SIZE(kn->hook_ops); i++)
		kn->hook_ops[i].priv = kn;
	err = nf_register_net_hooks(kn->net, kn->hook_ops,
				    ARRAY_SIZE(kn->hook_ops));
	if (err)
		return err;
	WRITE_ONCE(kn->hooks_on, true);
	knat_fp_sync(kn);
	return 0;
}

void knat_hooks_disable(struct knat_net *kn)
{
	if (!kn->hooks_on)
		return;
	nf_unregister_net_hooks(kn->net, kn->hook_ops, ARRAY_SIZE(kn->hook_ops));
	WRITE_ONCE(kn->hooks_on, false);
	knat_fp_sync(kn);
}
