// SPDX-License-Identifier: GPL-2.0
/*
 * knat: ICMP errors knat sends itself. The kernel's icmp_send() cannot
 * serve: in PREROUTING the packet has no route yet, and its quote must be
 * the packet as the sender sent it, from before knat translated it.
 * Everything goes through one token bucket per namespace, so a flood of
 * expiring packets never makes the router an amplifier.
 */
#include <linux/icmp.h>
#include <linux/inetdevice.h>
#include <linux/ip.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/route.h>
#include <kunit/visibility.h>
#include "icmp_send.h"
#include "stats.h"
#include "xlate.h"

/* RFC 1812 4.3.2.3: an error holds as much as fits in 576 bytes. */
#define KNAT_ICMP_MAX	576

bool knat_icmp_bucket_take(struct knat_icmp_bucket *b, u32 rate, u32 burst,
			   u64 now)
{
	u64 cost, cap;
	bool ok;

	if (!rate)
		return false;
	cost = NSEC_PER_SEC / rate;
	cap = cost * burst;
	spin_lock_bh(&b->lock);
	/*
	 * @now was read before the lock: another CPU may have been here
	 * since with a later time (nor is the fast clock monotonic across a
	 * timekeeping update). Time never runs backwards in the bucket: an
	 * earlier @now adds no credit and leaves last alone. The first call
	 * finds last == 0: a full bucket.
	 */
	if (now > b->last) {
		b->credit = min(cap, b->credit + (now - b->last));
		b->last = now;
	}
	ok = b->credit >= cost;
	if (ok)
		b->credit -= cost;
	spin_unlock_bh(&b->lock);
	return ok;
}
EXPORT_SYMBOL_IF_KUNIT(knat_icmp_bucket_take);

/* RFC 1812 4.3.2.7: when not to send an error. */
static bool may_answer(struct sk_buff *in)
{
	const struct iphdr *iph = ip_hdr(in);
	struct icmphdr _ih;
	const struct icmphdr *ih;

	if (ipv4_is_zeronet(iph->saddr) || ipv4_is_multicast(iph->saddr) ||
	    ipv4_is_lbcast(iph->saddr) || ipv4_is_loopback(iph->saddr) ||
	    ipv4_is_multicast(iph->daddr) || ipv4_is_lbcast(iph->daddr))
		return false;
	if (iph->frag_off & htons(IP_OFFSET))
		return false;
	if (iph->protocol != IPPROTO_ICMP)
		return true;
	/* Never an error about an error (or about what might be one). */
	ih = skb_header_pointer(in, skb_network_offset(in) + iph->ihl * 4,
				sizeof(_ih), &_ih);
	return ih && knat_icmp_is_query(ih->type);
}

void knat_icmp_send(struct knat_net *kn, struct sk_buff *in,
		    const struct net_device *dev, u8 type, u8 code)
{
	const struct iphdr *iph = ip_hdr(in);
	unsigned int quote, hh;
	struct icmphdr *ih;
	struct iphdr *niph;
	struct sk_buff *skb;
	struct flowi4 fl4;
	struct rtable *rt;

	if (!may_answer(in))
		return;
	if (!knat_icmp_bucket_take(&kn->icmp_bucket, READ_ONCE(kn->cfg.icmp_rate),
				   READ_ONCE(kn->cfg.icmp_burst),
				   ktime_get_mono_fast_ns())) {
		knat_stats_inc(kn, KNAT_STAT_ICMP_SUPPRESSED);
		return;
	}
	memset(&fl4, 0, sizeof(fl4));
	fl4.daddr = iph->saddr;
	/* From the address the sender knows this hop by. */
	if (dev)
		fl4.saddr = inet_select_addr(dev, iph->saddr, RT_SCOPE_UNIVERSE);
	fl4.flowi4_proto = IPPROTO_ICMP;
	fl4.flowi4_tos = RT_TOS(iph->tos);
	rt = ip_route_output_key(kn->net, &fl4);
	if (IS_ERR(rt))
		return;

	quote = min_t(unsigned int, ntohs(iph->tot_len),
		      KNAT_ICMP_MAX - sizeof(*niph) - sizeof(*ih));
	quote = min_t(unsigned int, quote, in->len - skb_network_offset(in));
	hh = LL_RESERVED_SPACE(rt->dst.dev);
	skb = alloc_skb(hh + sizeof(*niph) + sizeof(*ih) + quote +
			rt->dst.dev->needed_tailroom, GFP_ATOMIC);
	if (!skb) {
		ip_rt_put(rt);
		return;
	}
	skb_reserve(skb, hh);
	skb_reset_network_header(skb);
	niph = skb_put(skb, sizeof(*niph));
	skb_set_transport_header(skb, sizeof(*niph));
	ih = skb_put(skb, sizeof(*ih));
	if (skb_copy_bits(in, skb_network_offset(in), skb_put(skb, quote),
			  quote)) {
		kfree_skb(skb);
		ip_rt_put(rt);
		return;
	}
	memset(ih, 0, sizeof(*ih));
	ih->type = type;
	ih->code = code;
	ih->checksum = csum_fold(csum_partial(ih, sizeof(*ih) + quote, 0));

	niph->version = 4;
	niph->ihl = sizeof(*niph) / 4;
	niph->tos = (iph->tos & IPTOS_TOS_MASK) | IPTOS_PREC_INTERNETCONTROL;
	niph->frag_off = 0;
	niph->ttl = ip4_dst_hoplimit(&rt->dst);
	niph->protocol = IPPROTO_ICMP;
	niph->saddr = fl4.saddr;
	niph->daddr = fl4.daddr;
	skb->protocol = htons(ETH_P_IP);
	skb->ip_summed = CHECKSUM_NONE;
	skb_dst_set(skb, &rt->dst);
	ip_select_ident(kn->net, skb, NULL);
	knat_stats_inc(kn, KNAT_STAT_ICMP_SENT);
	/* tot_len and the header checksum are set on the way out. */
	ip_local_out(kn->net, NULL, skb);
}
