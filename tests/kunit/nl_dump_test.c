// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: a table dump that is disturbed says so. knat_nl_table_dump()
 * walks a table of its own here, every entry in one bucket, into message
 * buffers with room for three messages and a header, as netlink_dump()
 * calls it: until it returns 0, then the check NLMSG_DONE gets. Every
 * entry present all along must be listed, or some message (or the DONE)
 * must carry NLM_F_DUMP_INTR.
 */
#include <kunit/test.h>
#include <linux/rhashtable.h>
#include <net/genetlink.h>
#include <linux/knat.h>
#include "netlink.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define N_OBJ 8
#define MSG_LEN (NLMSG_HDRLEN + GENL_HDRLEN + nla_total_size(sizeof(u32)))
/* Three messages, then a header that fits without its attribute. */
#define ROOM (3 * MSG_LEN + NLMSG_HDRLEN + GENL_HDRLEN + 4)

struct tobj {
	u32 key;
	struct rhash_head node;
};

/* Every key in one bucket: the walk's position in it is what matters. */
static u32 one_bucket(const void *data, u32 len, u32 seed)
{
	return 0;
}

static const struct rhashtable_params tparams = {
	.key_len = sizeof(u32),
	.key_offset = offsetof(struct tobj, key),
	.head_offset = offsetof(struct tobj, node),
	.hashfn = one_bucket,
	.min_size = 16,
};

static struct dump_ctx {
	struct tobj *obj;
	unsigned int seen[N_OBJ];
	struct tobj *refused;	/* the entry whose message did not fit */
	int attempts;
	int bump_at;		/* at this attempt, a change noted (cb->seq) */
} ctx;

static int fill(struct sk_buff *skb, struct netlink_callback *cb, void *obj)
{
	struct tobj *o = obj;
	void *hdr;

	/* As rhashtable_walk_next()'s -EAGAIN, just before this message. */
	if (++ctx.attempts == ctx.bump_at)
		cb->seq++;
	hdr = knat_nl_dump_put(skb, cb, KNAT_CMD_MAPPING_GET);
	if (!hdr)
		goto full;
	if (nla_put_u32(skb, KNAT_A_EXPIRES_MS, o->key)) {
		genlmsg_cancel(skb, hdr);
		goto full;
	}
	knat_nl_dump_end(skb, cb, hdr);
	ctx.seen[o->key]++;
	return 0;
full:
	ctx.refused = o;
	return -EMSGSIZE;
}

static bool skb_flagged(const struct sk_buff *skb)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)skb->data;
	int rem = skb->len;
	bool intr = false;

	for (; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem))
		intr |= !!(nlh->nlmsg_flags & NLM_F_DUMP_INTR);
	return intr;
}

struct dump_run {
	struct rhashtable ht;
	struct netlink_callback cb;
	struct nlmsghdr req;
	bool intr;
	int calls;
};

static void run_init(struct kunit *test, struct dump_run *r)
{
	int i;

	memset(&ctx, 0, sizeof(ctx));
	ctx.obj = kunit_kcalloc(test, N_OBJ, sizeof(*ctx.obj), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx.obj);
	KUNIT_ASSERT_EQ(test, rhashtable_init(&r->ht, &tparams), 0);
	for (i = 0; i < N_OBJ; i++) {
		ctx.obj[i].key = i;
		KUNIT_ASSERT_EQ(test, rhashtable_insert_fast(&r->ht, &ctx.obj[i].node,
							     tparams), 0);
	}
	r->cb.skb = alloc_skb(NLMSG_GOODSIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r->cb.skb);
	r->req.nlmsg_seq = 1;
	r->cb.nlh = &r->req;
	KUNIT_ASSERT_NOT_NULL(test, knat_nl_table_start(&r->cb, &r->ht,
							sizeof(struct rhashtable_iter)));
}

/* One call of the dump into a buffer of ROOM bytes: its length. */
static int run_call(struct kunit *test, struct dump_run *r)
{
	struct sk_buff *skb = alloc_skb(ROOM + 256, GFP_KERNEL);
	int len;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, skb_tailroom(skb) - ROOM);
	len = knat_nl_table_dump(skb, &r->cb, fill);
	r->intr |= skb_flagged(skb);
	r->calls++;
	kfree_skb(skb);
	return len;
}

static void run_to_end(struct kunit *test, struct dump_run *r)
{
	while (r->calls < 4 * N_OBJ && run_call(test, r) > 0)
		;
	/* netlink_dump_done(): NLMSG_DONE's own check. */
	if (r->cb.prev_seq && r->cb.seq != r->cb.prev_seq)
		r->intr = true;
	knat_nl_table_done(&r->cb);
	kfree_skb(r->cb.skb);
	rhashtable_destroy(&r->ht);
}

/* Undisturbed: each entry once, nothing flagged. */
static void nl_dump_whole(struct kunit *test)
{
	struct dump_run *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	run_init(test, r);
	run_to_end(test, r);
	for (i = 0; i < N_OBJ; i++)
		KUNIT_EXPECT_EQ_MSG(test, ctx.seen[i], 1U, "entry %d", i);
	KUNIT_EXPECT_FALSE(test, r->intr);
	KUNIT_EXPECT_GE(test, r->calls, 3);
}

/*
 * Between two calls the entry the walk was to go on from is deleted, and
 * one before it: resumed by its old position, the walk skips one that
 * was there all along. That must be flagged.
 */
static void nl_dump_cursor_deleted(struct kunit *test)
{
	struct dump_run *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct tobj *first = NULL;
	bool missed = false;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	run_init(test, r);
	KUNIT_ASSERT_GT(test, run_call(test, r), 0);
	KUNIT_ASSERT_NOT_NULL(test, ctx.refused);
	for (i = 0; i < N_OBJ; i++)
		if (ctx.seen[i] && !first)
			first = &ctx.obj[i];
	KUNIT_ASSERT_NOT_NULL(test, first);
	rhashtable_remove_fast(&r->ht, &ctx.refused->node, tparams);
	rhashtable_remove_fast(&r->ht, &first->node, tparams);
	run_to_end(test, r);
	for (i = 0; i < N_OBJ; i++)
		if (&ctx.obj[i] != ctx.refused && &ctx.obj[i] != first &&
		    ctx.seen[i] != 1)
			missed = true;
	KUNIT_EXPECT_TRUE_MSG(test, !missed || r->intr,
			      "an entry skipped or repeated, and not flagged");
	KUNIT_EXPECT_TRUE(test, r->intr);
}

/*
 * An entry before the cursor deleted, the cursor kept: the walk finds
 * its place again. Nothing skipped, nothing flagged.
 */
static void nl_dump_predecessor_deleted(struct kunit *test)
{
	struct dump_run *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct tobj *first = NULL;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	run_init(test, r);
	KUNIT_ASSERT_GT(test, run_call(test, r), 0);
	for (i = 0; i < N_OBJ; i++)
		if (ctx.seen[i] && !first)
			first = &ctx.obj[i];
	KUNIT_ASSERT_NOT_NULL(test, first);
	rhashtable_remove_fast(&r->ht, &first->node, tparams);
	run_to_end(test, r);
	for (i = 0; i < N_OBJ; i++)
		KUNIT_EXPECT_EQ_MSG(test, ctx.seen[i], 1U, "entry %d", i);
	KUNIT_EXPECT_FALSE(test, r->intr);
}

/*
 * A change noted before the first message: that message, or the DONE,
 * says so, or the dump lists everything.
 */
static void nl_dump_change_before_first(struct kunit *test)
{
	struct dump_run *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	bool missed = false;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	run_init(test, r);
	ctx.bump_at = 1;
	run_to_end(test, r);
	for (i = 0; i < N_OBJ; i++)
		missed |= ctx.seen[i] != 1;
	KUNIT_EXPECT_TRUE_MSG(test, !missed || r->intr,
			      "entries missing, and not flagged");
}

/*
 * A change is noted just before a message that does not fit: the flag
 * must not go with the cancelled message.
 */
static void nl_dump_flag_survives_cancel(struct kunit *test)
{
	struct dump_run *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, r);
	run_init(test, r);
	ctx.bump_at = 4;	/* three fit the first buffer */
	run_to_end(test, r);
	KUNIT_EXPECT_TRUE(test, r->intr);
}

static struct kunit_case nl_dump_cases[] = {
	KUNIT_CASE(nl_dump_whole),
	KUNIT_CASE(nl_dump_cursor_deleted),
	KUNIT_CASE(nl_dump_predecessor_deleted),
	KUNIT_CASE(nl_dump_change_before_first),
	KUNIT_CASE(nl_dump_flag_survives_cancel),
	{}
};

static struct kunit_suite nl_dump_suite = {
	.name = "knat_nl_dump",
	.test_cases = nl_dump_cases,
};

kunit_test_suite(nl_dump_suite);

MODULE_LICENSE("GPL");
