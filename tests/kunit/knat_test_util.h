/* SPDX-License-Identifier: GPL-2.0 */
/* KUnit helpers: a private knat namespace state, outside any netns. */
#ifndef _KNAT_TEST_UTIL_H
#define _KNAT_TEST_UTIL_H

#include <kunit/test.h>
#include "alloc.h"
#include "control.h"
#include "stats.h"
#include "table.h"

static inline struct knat_net *knat_test_net(struct kunit *test)
{
	struct knat_net *kn = kunit_kzalloc(test, sizeof(*kn), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, kn);
	kn->net = &init_net;
	knat_config_defaults(&kn->cfg);
	KUNIT_ASSERT_EQ(test, knat_stats_init(kn), 0);
	KUNIT_ASSERT_EQ(test, knat_table_init(kn), 0);
	KUNIT_ASSERT_EQ(test, knat_subs_init(kn), 0);
	return kn;
}

static inline void knat_test_net_free(struct knat_net *kn)
{
	knat_table_exit(kn);
	knat_subs_exit(kn);
	knat_stats_exit(kn);
}

/* One /32 or more, ports [lo, lo + nblocks * bsize). */
static inline struct knat_pool *knat_test_pool(struct kunit *test, u32 naddr,
					       u16 lo, u16 bsize, u32 nblocks)
{
	struct knat_pool_params p = {
		.name = "test", .id = 1, .naddr = naddr, .nprefix = 1,
		.port_lo = lo, .port_hi = lo + bsize * nblocks - 1,
		.block_size = bsize, .from_mask = htonl(0xff000000),
		.from_addr = htonl(0x0a000000),
	};
	struct knat_pool *pool;
	u32 i;

	p.addrs = kunit_kcalloc(test, naddr, sizeof(__be32), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p.addrs);
	for (i = 0; i < naddr; i++)
		p.addrs[i] = htonl(0xcb007100 + i);
	p.prefix[0].addr = htonl(0xcb007100);
	p.prefix[0].mask = htonl(0xffffff00);
	pool = knat_pool_create(&p);
	KUNIT_ASSERT_FALSE(test, IS_ERR(pool));
	return pool;
}

static inline struct knat_key knat_test_key(u8 proto, u32 addr, u16 port)
{
	struct knat_key k = { .addr = htonl(addr), .port = htons(port),
			      .proto = proto };
	return k;
}

/* knat_port_alloc() as the packet path calls it: BH off, under RCU. */
static inline struct knat_block *knat_test_alloc(struct knat_net *kn,
						 struct knat_pool *pool,
						 const struct knat_key *in,
						 bool parity, struct knat_key *out)
{
	struct knat_block *b;

	local_bh_disable();
	rcu_read_lock();
	b = knat_port_alloc(kn, pool, NULL, in, parity, out);
	rcu_read_unlock();
	local_bh_enable();
	return b;
}

#endif /* _KNAT_TEST_UTIL_H */
