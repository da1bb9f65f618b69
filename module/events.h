/* SPDX-License-Identifier: GPL-2.0 */
/* knat: multicast events (compliance log, refusals). */
#ifndef _KNAT_EVENTS_H
#define _KNAT_EVENTS_H

#include "knat.h"

struct knat_block;
struct knat_pool;

/* Block handed out (@alloc) or returned; @sub_addr is the subscriber. */
void knat_event_block(struct knat_net *kn, const struct knat_block *b,
		      __be32 sub_addr, bool alloc);
/* A mapping refused for @in: @err is -ENOSPC (pool full) or -EDQUOT. */
void knat_event_refusal(struct knat_net *kn, const struct knat_pool *pool,
			const struct knat_key *in, long err);

#endif /* _KNAT_EVENTS_H */
