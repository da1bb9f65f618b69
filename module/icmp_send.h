/* SPDX-License-Identifier: GPL-2.0 */
/* knat: the ICMP errors knat emits itself, rate-limited. */
#ifndef _KNAT_ICMP_SEND_H
#define _KNAT_ICMP_SEND_H

#include <linux/skbuff.h>
#include "knat.h"

/*
 * Takes one message's worth of credit from @b at time @now (ns): at most
 * @rate a second, in bursts of at most @burst. False: over the limit.
 * A @now before the latest one seen (read on another CPU) adds nothing.
 */
bool knat_icmp_bucket_take(struct knat_icmp_bucket *b, u32 rate, u32 burst,
			   u64 now);

/*
 * Sends ICMP @type/@code about @in (skb->data at its IPv4 header, as the
 * sender sent it) back to its sender, quoting as much as fits in 576
 * bytes, from the address of @dev (the receiving interface) when it has
 * one. Not about ICMP errors, nor to addresses that cannot be a sender.
 */
void knat_icmp_send(struct knat_net *kn, struct sk_buff *in,
		    const struct net_device *dev, u8 type, u8 code);

#endif /* _KNAT_ICMP_SEND_H */
