/* SPDX-License-Identifier: GPL-2.0 */
/* knat: connections of a server behind both a forward and a 1:1 entry. */
#ifndef _KNAT_TWIN_H
#define _KNAT_TWIN_H

#include "knat.h"

int knat_twins_init(struct knat_net *kn);
void knat_twins_exit(struct knat_net *kn);
/* Peer @peer came in through a forward to @in: note its connection. */
int knat_twin_note(struct knat_net *kn, const struct knat_key *in,
		   const struct knat_key *peer, u8 tcp_flags);
/* Is @in's packet to @peer a reply on a forward's connection? */
bool knat_twin_answer(struct knat_net *kn, const struct knat_key *in,
		      const struct knat_key *peer, u8 tcp_flags);
/* The same, for an ICMP error about the connection: no state changes. */
bool knat_twin_known(struct knat_net *kn, const struct knat_key *in,
		     const struct knat_key *peer);
void knat_twins_expire(struct knat_net *kn);
void knat_twins_forget(struct knat_net *kn, const struct knat_key *in, u16 n);

#endif /* _KNAT_TWIN_H */
