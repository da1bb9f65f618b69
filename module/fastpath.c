// SPDX-License-Identifier: GPL-2.0
/*
 * knat: the fast path. A packet of an established mapping is translated
 * at the ingress of the interface it came in by and sent at once, by the
 * route the normal path found for the same flow: the IPv4 receive,
 * routing, forward and output paths are skipped.
 *
 * It makes knat's own decisions as the normal path makes them (filtering,
 * TCP state, timers, counters), and no one else's: it runs only where no
 * other netfilter hook, no IPsec policy and no conntrack would see the
 * packet on that path. Whatever the normal path might treat otherwise
 * than the packet that taught the route (another peer, interface, TOS or
 * mark; TTL 1, options, fragments, over the MTU; TCP SYN, FIN, RST; a
 * route, neighbour or configuration change since) takes the normal path.
 */
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/inetdevice.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <net/dst.h>
#include <net/inet_ecn.h>
#include <net/ip.h>
#include <net/l3mdev.h>
#include <net/neighbour.h>
#include <net/route.h>
#include <net/tcp.h>
#include <net/xfrm.h>
#include "alloc.h"
#include "fastpath.h"
#include "forward.h"
#include "hooks.h"
#include "peers.h"
#include "proto.h"
#include "stats.h"
#include "table.h"
#include "xlate.h"

/* A route is learned again for another peer at most this often. */
#define KNAT_FP_RELEARN	HZ

/* As route.c's: routes changed since @rt was made (ipv4_dst_check()). */
static bool route_expired(const struct rtable *rt)
{
	return rt->rt_genid != rt_genid_ipv4(dev_net(rt->dst.dev));
}

/* Is @r's route still the one routing would give (flowtable's dst_check)? */
static bool route_valid(const struct knat_net *kn,
			const struct knat_fp_route *r)
{
	return r->gen == (u32)atomic_read(&kn->fp_gen) &&
	       READ_ONCE(r->dst->obsolete) == DST_OBSOLETE_FORCE_CHK &&
	       !route_expired((const struct rtable *)r->dst);
}

/* The reverse-path filter of @dev: a change of it flushes no route. */
static int rp_filter_of(const struct net_device *dev)
{
	struct in_device *idev = __in_dev_get_rcu(dev);

	return idev ? IN_DEV_RPFILTER(idev) : -1;
}

static bool route_for(const struct knat_fp_route *r, __be32 addr, __be16 port,
		      const struct sk_buff *skb, const struct net_device *in)
{
	return r->peer_addr == addr && r->peer_port == port &&
	       r->iif == in->ifindex &&
	       r->tos == (ip_hdr(skb)->tos & IPTOS_RT_MASK) &&
	       r->mark == skb->mark && r->rp_filter == rp_filter_of(in);
}

/* Over the route's MTU: the normal path fragments or answers 3/4. */
static bool exceeds_mtu(const struct sk_buff *skb, const struct dst_entry *dst)
{
	unsigned int mtu = ip_dst_mtu_maybe_forward(dst, true);

	if (skb->len <= mtu)
		return false;
	return !skb_is_gso(skb) || !skb_gso_validate_network_len(skb, mtu);
}

/* What ip_rcv, ip_forward and ip_output count of a forwarded packet. */
static void count_forwarded(struct net *net, const struct sk_buff *skb)
{
	__IP_UPD_PO_STATS(net, IPSTATS_MIB_IN, skb->len);
	__IP_ADD_STATS(net, IPSTATS_MIB_NOECTPKTS +
		       (ip_hdr(skb)->tos & INET_ECN_MASK),
		       max_t(unsigned short, 1, skb_shinfo(skb)->gso_segs));
	__IP_INC_STATS(net, IPSTATS_MIB_OUTFORWDATAGRAMS);
	__IP_ADD_STATS(net, IPSTATS_MIB_OUTOCTETS, skb->len);
	__IP_UPD_PO_STATS(net, IPSTATS_MIB_OUT, skb->len);
}

/* As ip_forward() and ip_finish_output2() do, from a valid route. */
static void forward(struct net *net, struct sk_buff *skb, struct rtable *rt)
{
	struct iphdr *iph = ip_hdr(skb);
	struct neighbour *neigh;
	bool is_v6gw = false;

	ip_decrease_ttl(iph);
	if (READ_ONCE(net->ipv4.sysctl_ip_fwd_update_priority))
		skb->priority = rt_tos2priority(iph->tos);
	count_forwarded(net, skb);
	memset(IPCB(skb), 0, sizeof(struct inet_skb_parm));
	IPCB(skb)->iif = skb->skb_iif;
	IPCB(skb)->flags = IPSKB_FORWARDED;
	skb->dev = rt->dst.dev;
	/* The route is held until a grace period after it is replaced. */
	skb_dst_set_noref(skb, &rt->dst);
	skb_clear_tstamp(skb);
	neigh = ip_neigh_for_gw(rt, skb, &is_v6gw);
	if (IS_ERR(neigh)) {
		kfree_skb_reason(skb, SKB_DROP_REASON_NEIGH_CREATEFAIL);
		return;
	}
	neigh_output(neigh, skb, is_v6gw);
}

/*
 * What the normal path treats in its own way: a port of a bridge, bond,
 * macvlan or OVS (its rx_handler, after ingress, may take the packet),
 * an LRO packet (ip_forward() drops it), one a switch forwarded already.
 */
static bool unusual_skb(const struct sk_buff *skb)
{
	if (rcu_access_pointer(skb->dev->rx_handler))
		return true;
	if (skb_is_gso(skb) && !skb_shinfo(skb)->gso_type)
		return true;
#ifdef CONFIG_NET_SWITCHDEV
	if (skb->offload_l3_fwd_mark)
		return true;
#endif
	return false;
}

/* A shared skb is not ours to pull: ip_rcv_core() unshares it first. */
static bool header_readable(struct sk_buff *skb, unsigned int len)
{
	return skb_shared(skb) ? skb_headlen(skb) >= len : pskb_may_pull(skb, len);
}

/*
 * With fib_multipath_use_neigh a failed neighbour moves a flow to another
 * next hop, and no route changes: only the normal path would know.
 */
static bool multipath_by_neigh(const struct net *net)
{
#ifdef CONFIG_IP_ROUTE_MULTIPATH
	return READ_ONCE(net->ipv4.sysctl_fib_multipath_use_neigh);
#else
	return false;
#endif
}

/* The packet's mapping and direction, if it may have a route learned. */
static struct knat_map *fp_lookup(struct knat_net *kn, const struct knat_pkt *p,
				  enum knat_fp_dir *dir)
{
	if (knat_pool_owning(kn, p->dst.addr)) {
		*dir = KNAT_FP_IN;
		return __knat_map_lookup_out(kn, &p->dst);
	}
	if (!knat_pool_taking(kn, p->src.addr, 0))
		return NULL;
	*dir = KNAT_FP_OUT;
	return __knat_map_lookup_in(kn, &p->src);
}

static unsigned int knat_fp_ingress(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	struct knat_net *kn = priv;
	const struct knat_fp_route *r;
	const struct knat_key *peer;
	const struct iphdr *iph;
	enum knat_fp_dir dir;
	struct knat_fp *fp;
	struct knat_map *m;
	/* The parse writes every field: no zeroing first (INIT_STACK_ALL_ZERO). */
	struct knat_pkt p __uninitialized;
	unsigned int f;

	if (skb->protocol != htons(ETH_P_IP) || skb->pkt_type != PACKET_HOST ||
	    skb_vlan_tag_present(skb) || skb_dst(skb) || skb_sk_is_prefetched(skb) ||
	    skb_sec_path(skb) || !READ_ONCE(kn->cfg.fastpath) ||
	    unusual_skb(skb) || !header_readable(skb, sizeof(struct iphdr)))
		return NF_ACCEPT;
	iph = ip_hdr(skb);
	if (iph->ihl != 5 || iph->version != 4 || ip_is_fragment(iph) ||
	    iph->ttl <= 1 || ntohs(iph->tot_len) != skb->len ||
	    (iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_UDP))
		return NF_ACCEPT;
	if (__knat_pkt_parse(skb, &p) ||
	    (p.tcp_flags & (TCPHDR_SYN | TCPHDR_FIN | TCPHDR_RST)) ||
	    READ_ONCE(kn->nuplinks) > 1)
		return NF_ACCEPT;
	/*
	 * The lookup before the checks that cost more: a packet of no
	 * mapping (a flow's first, one knat does not translate) pays for
	 * no more than it.
	 */
	m = fp_lookup(kn, &p, &dir);
	if (!m || !m->block || ip_fast_csum(iph, iph->ihl) ||
	    !knat_fp_path_alone(kn, state->net) ||
	    multipath_by_neigh(state->net) ||
	    (dir == KNAT_FP_OUT && knat_outside_maybe(kn, p.dst.addr)))
		return NF_ACCEPT;
	f = knat_map_flags(m);
	if ((f & BIT(KNAT_MAP_DEAD)) ||
	    (p.src.proto == IPPROTO_TCP && !knat_map_tcp_established(f)))
		return NF_ACCEPT;
	fp = rcu_dereference(m->fp);
	r = fp ? rcu_dereference(fp->route[dir]) : NULL;
	peer = dir == KNAT_FP_OUT ? &p.dst : &p.src;
	if (!r || !route_for(r, peer->addr, peer->port, skb, state->in) ||
	    !route_valid(kn, r) || exceeds_mtu(skb, r->dst))
		return NF_ACCEPT;
	/* Refused here too: the normal path drops and counts it. */
	if (dir == KNAT_FP_IN && !knat_map_peer_allowed(kn, m, peer->addr, peer->port))
		return NF_ACCEPT;
	/*
	 * As ip_rcv_core(): another holder's (pktgen's) is cloned, a local
	 * sender's (over a veth) let go. From here on the skb is ours, and
	 * so is freeing it.
	 */
	if (skb_shared(skb)) {
		struct sk_buff *nskb = skb_clone(skb, GFP_ATOMIC);

		if (!nskb) {
			knat_stats_inc(kn, KNAT_STAT_DROP_NOMEM);
			return NF_DROP;
		}
		consume_skb(skb);
		skb = nskb;
	}
	skb_orphan(skb);
	skb_set_transport_header(skb, sizeof(struct iphdr));
	if (skb_cow(skb, LL_RESERVED_SPACE(r->dst->dev) + r->dst->header_len))
		goto nomem;
	/* What the normal path does to @m for such a packet (hooks.c). */
	if (dir == KNAT_FP_OUT) {
		knat_map_note_peer(kn, m, peer->addr, peer->port);
		if (p.src.proto == IPPROTO_TCP)
			knat_map_track_tcp(m, p.tcp_flags, true);
		knat_map_refresh(kn, m);
	} else if (p.dst.proto == IPPROTO_TCP) {
		knat_map_track_tcp(m, p.tcp_flags, false);
		knat_map_refresh(kn, m);
	}
	if (dir == KNAT_FP_OUT ? __knat_xlate(skb, &p, KNAT_SRC, &m->out) :
				 __knat_xlate(skb, &p, KNAT_DST, &m->in))
		goto nomem;
	skb_forward_csum(skb);
	knat_stats_inc(kn, dir == KNAT_FP_OUT ? KNAT_STAT_OUT_XLATED :
						KNAT_STAT_IN_XLATED);
	knat_stats_xlated(kn, dir == KNAT_FP_OUT, p.src.proto, skb->len);
	knat_stats_inc(kn, KNAT_STAT_FASTPATH);
	forward(state->net, skb, (struct rtable *)r->dst);
	return NF_STOLEN;

nomem:
	knat_stats_inc(kn, KNAT_STAT_DROP_NOMEM);
	kfree_skb(skb);
	return NF_STOLEN;
}

static void route_free(struct knat_fp_route *r)
{
	dst_release(r->dst);
	kfree(r);
}

static void route_free_rcu(struct rcu_head *head)
{
	route_free(container_of(head, struct knat_fp_route, rcu));
}

/* A route the fast path can send by: a plain unicast one, forwarded. */
static bool route_usable(const struct sk_buff *skb, const struct net_device *in)
{
	const struct rtable *rt = skb_rtable(skb);
	const struct dst_entry *dst = &rt->dst;

	return rt->rt_type == RTN_UNICAST &&
	       !(rt->rt_flags & (RTCF_LOCAL | RTCF_BROADCAST | RTCF_MULTICAST |
				 RTCF_DOREDIRECT)) &&
	       !(IPCB(skb)->flags & IPSKB_DOREDIRECT) && !IPCB(skb)->opt.optlen &&
	       !dst_xfrm(dst) && !dst->lwtstate &&
	       READ_ONCE(dst->obsolete) == DST_OBSOLETE_FORCE_CHK &&
	       !rt->rt_uncached_list &&	/* one of its own: a realm's */
	       !route_expired(rt) && !netif_is_l3_master(dst->dev) &&
	       !netif_is_l3_slave(dst->dev) && !netif_is_l3_master(in) &&
	       !netif_is_l3_slave(in) && !(in->flags & IFF_LOOPBACK);
}

void knat_fp_learn(struct knat_net *kn, struct knat_map *m,
		   enum knat_fp_dir dir, const struct sk_buff *skb,
		   const struct knat_pkt *p, const struct nf_hook_state *state,
		   u32 gen)
{
	const struct knat_key *peer = dir == KNAT_FP_OUT ? &p->dst : &p->src;
	struct knat_fp_route *r, *old;
	const struct net_device *in;
	struct knat_fp *fp, *nfp;
	int iif = IPCB(skb)->iif;

	if (!READ_ONCE(kn->fp_hooked) || !m->block || p->fragment ||
	    (p->src.proto != IPPROTO_TCP && p->src.proto != IPPROTO_UDP) ||
	    READ_ONCE(kn->nuplinks) > 1 || !skb_dst(skb) ||
	    (p->src.proto == IPPROTO_TCP &&
	     !knat_map_tcp_established(knat_map_flags(m))))
		return;
	in = dev_get_by_index_rcu(state->net, iif);
	if (!in || !route_usable(skb, in))
		return;
	fp = rcu_dereference(m->fp);
	old = fp ? rcu_dereference(fp->route[dir]) : NULL;
	if (old && route_valid(kn, old) &&
	    (old->dst == skb_dst(skb) ||
	     time_before(jiffies, old->learned + KNAT_FP_RELEARN)))
		return;
	if (!fp) {
		nfp = kzalloc(sizeof(*nfp), GFP_ATOMIC | __GFP_NOWARN);
		if (!nfp)
			return;
		fp = cmpxchg((struct knat_fp __force **)&m->fp, NULL, nfp);
		if (fp)
			kfree(nfp);	/* another CPU's came first */
		else
			fp = nfp;
	}
	r = kmalloc(sizeof(*r), GFP_ATOMIC | __GFP_NOWARN);
	if (!r)
		return;
	if (!dst_hold_safe(skb_dst(skb))) {
		kfree(r);
		return;
	}
	r->dst = skb_dst(skb);
	r->peer_addr = peer->addr;
	r->peer_port = peer->port;
	r->tos = ip_hdr(skb)->tos & IPTOS_RT_MASK;
	r->iif = iif;
	r->mark = skb->mark;
	r->rp_filter = rp_filter_of(in);
	r->gen = gen;
	r->learned = jiffies;
	old = unrcu_pointer(xchg(&fp->route[dir], RCU_INITIALIZER(r)));
	if (old)
		call_rcu(&old->rcu, route_free_rcu);
}

void knat_fp_learn_in(struct knat_net *kn, const struct sk_buff *skb,
		      const struct knat_pkt *p,
		      const struct nf_hook_state *state, u32 gen)
{
	struct knat_map *m;

	if (!READ_ONCE(kn->fp_hooked) || p->kp->idx > KNAT_P_UDP ||
	    !knat_pool_taking(kn, p->dst.addr, 0))
		return;
	m = knat_map_lookup_in(kn, &p->dst);
	/*
	 * Not hairpinned: its source would be an outside view. Nor perhaps
	 * an inside host's, which hairpins, unless it came in by an uplink
	 * (as hairpin_view() judges).
	 */
	if (!m || knat_pool_owning(kn, p->src.addr) ||
	    knat_outside_maybe(kn, p->src.addr))
		return;
	if (!knat_is_uplink(kn, IPCB(skb)->iif) &&
	    (knat_pool_taking(kn, p->src.addr, 0) ||
	     knat_static_by_in(kn, p->src.addr)))
		return;
	knat_fp_learn(kn, m, KNAT_FP_IN, skb, p, state, gen);
}

void knat_fp_free(struct knat_map *m)
{
	struct knat_fp *fp = rcu_dereference_protected(m->fp, true);
	struct knat_fp_route *r;
	int i;

	if (!fp)
		return;
	for (i = 0; i < KNAT_FP_DIRS; i++) {
		r = rcu_dereference_protected(fp->route[i], true);
		if (r)
			route_free(r);
	}
	kfree(fp);
}

/*
 * The devices of a namespace with the fast path on are hooked at ingress,
 * all but loopback, last of the device's hooks: every other ingress hook
 * sees the packet first. Under RTNL.
 */
struct knat_fp_dev {
	struct list_head list;
	struct nf_hook_ops ops;
	struct rcu_head rcu;
};

/* Set when the module goes: nothing is hooked any more. Under RTNL. */
static bool knat_fp_closed;

static void fp_hook(struct knat_net *kn, struct net_device *dev)
{
	struct knat_fp_dev *d;

	ASSERT_RTNL();
	if (dev->flags & IFF_LOOPBACK)
		return;
	d = kzalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);
	if (!d)
		return;	/* its packets take the normal path */
	d->ops.hook = knat_fp_ingress;
	d->ops.pf = NFPROTO_NETDEV;
	d->ops.hooknum = NF_NETDEV_INGRESS;
	d->ops.priority = INT_MAX;
	d->ops.dev = dev;
	d->ops.priv = kn;
	if (nf_register_net_hook(kn->net, &d->ops)) {
		kfree(d);
		return;
	}
	list_add(&d->list, &kn->fp_devs);
}

static void fp_unhook(struct knat_net *kn, struct knat_fp_dev *d)
{
	nf_unregister_net_hook(kn->net, &d->ops);
	list_del(&d->list);
	kfree_rcu(d, rcu);
}

/* Whether any device was hooked. */
static bool fp_unhook_all(struct knat_net *kn)
{
	struct knat_fp_dev *d, *tmp;
	bool any = !list_empty(&kn->fp_devs);

	ASSERT_RTNL();
	list_for_each_entry_safe(d, tmp, &kn->fp_devs, list)
		fp_unhook(kn, d);
	WRITE_ONCE(kn->fp_hooked, false);
	return any;
}

static void knat_fp_work(struct work_struct *work)
{
	struct knat_net *kn = container_of(work, struct knat_net, fp_work);
	struct net_device *dev;
	bool want;

	rtnl_lock();
	want = READ_ONCE(kn->cfg.fastpath) && READ_ONCE(kn->hooks_on) &&
	       !READ_ONCE(kn->exiting) && !knat_fp_closed;
	if (want && !kn->fp_hooked) {
		for_each_netdev(kn->net, dev)
			fp_hook(kn, dev);
		WRITE_ONCE(kn->fp_hooked, true);
	} else if (!want && kn->fp_hooked) {
		fp_unhook_all(kn);
	}
	rtnl_unlock();
}

void knat_fp_sync(struct knat_net *kn)
{
	if (!READ_ONCE(kn->exiting))
		queue_work(system_power_efficient_wq, &kn->fp_work);
}

void knat_fp_sync_wait(struct knat_net *kn)
{
	knat_fp_sync(kn);
	flush_work(&kn->fp_work);
}

void knat_fp_init(struct knat_net *kn)
{
	INIT_LIST_HEAD(&kn->fp_devs);
	INIT_WORK(&kn->fp_work, knat_fp_work);
}

/* After pre_exit: no more work is queued. */
void knat_fp_exit(struct knat_net *kn)
{
	bool any;

	cancel_work_sync(&kn->fp_work);
	rtnl_lock();
	any = fp_unhook_all(kn);
	rtnl_unlock();
	/* Unhooking waits for no packet: none may remember hooks after. */
	if (any)
		synchronize_net();
	knat_fp_seen_free(kn);
}

/* Under RTNL: a device of a hooked namespace comes or goes. */
static int knat_fp_netdev_event(struct notifier_block *nb,
				unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct knat_net *kn = knat_pernet(dev_net(dev));
	struct knat_fp_dev *d;

	switch (event) {
	case NETDEV_CHANGEUPPER:	/* into a bridge, a bond, a VRF */
	case NETDEV_CHANGEADDR:
	case NETDEV_CHANGE:
		knat_fp_invalidate(kn);
		break;
	case NETDEV_REGISTER:
		if (kn->fp_hooked && !knat_fp_closed)
			fp_hook(kn, dev);
		break;
	case NETDEV_UNREGISTER:
		list_for_each_entry(d, &kn->fp_devs, list) {
			if (d->ops.dev == dev) {
				fp_unhook(kn, d);
				break;
			}
		}
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block knat_fp_nb = {
	.notifier_call = knat_fp_netdev_event,
};

int knat_fp_notifier_init(void)
{
	int err = knat_fp_hooks_init();

	if (err)
		return err;
	err = register_netdevice_notifier(&knat_fp_nb);
	if (err)
		knat_fp_hooks_exit();
	return err;
}

/*
 * Before the namespaces' state goes: unregistering replays
 * NETDEV_UNREGISTER for every device, which unhooks them all, and
 * nothing is hooked after that.
 */
void knat_fp_notifier_exit(void)
{
	rtnl_lock();
	knat_fp_closed = true;
	rtnl_unlock();
	unregister_netdevice_notifier(&knat_fp_nb);
	knat_fp_hooks_exit();
}
