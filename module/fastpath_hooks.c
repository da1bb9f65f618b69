// SPDX-License-Identifier: GPL-2.0
/*
 * knat: may the fast path skip the netfilter hooks of the normal path?
 * Only knat's own, defragmentation's (PREROUTING) and a security
 * module's (SELinux, AppArmor: they label what has a socket; the
 * flowtable skips them too). Any other (conntrack, a firewall chain,
 * nftables NAT, a module's) must see every packet: then every packet
 * takes the normal path.
 *
 * Hooks are told by their function, by name, as kallsyms gives it (the
 * priority would not do: anyone may register a chain at any priority).
 * A function is judged once, out of the way of the packets after it.
 */
#include <linux/hash.h>
#include <linux/kallsyms.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <net/xfrm.h>
#include "fastpath.h"

/* What the fast path may skip, and on which hook. */
static const struct {
	const char *name;
	bool prerouting_only;
} skippable[] = {
	{ "ipv4_conntrack_defrag", true },	/* nf_defrag_ipv4 */
	{ "selinux_ip_forward", false },
	{ "selinux_ip_postroute", false },
	{ "apparmor_ip_postroute", false },
};

/*
 * Functions judged: index + 1 into skippable[], or -1 (not skippable),
 * open addressing from the function's hash, a probe or two a hook.
 * Slots are emptied all at once when a module goes (its text may be
 * reused by another's); when all are taken, a function is judged again
 * each time.
 */
#define KNAT_FP_FNS_BITS	5
#define KNAT_FP_FNS		BIT(KNAT_FP_FNS_BITS)
static struct {
	void *fn;
	int verdict;
} judged[KNAT_FP_FNS];
static DEFINE_SPINLOCK(judged_lock);
/* Bumped as judged[] is emptied: what was remembered of the hooks goes. */
static atomic_t judged_epoch;

static int judge(void *fn, unsigned int h)
{
	/* Before the name is read: a module going meanwhile voids it. */
	int epoch = atomic_read_acquire(&judged_epoch);
	char *sym = kmalloc(KSYM_SYMBOL_LEN, GFP_ATOMIC);
	int i, verdict = -1;
	size_t n;

	if (!sym)
		return -1;
	sprint_symbol_no_offset(sym, (unsigned long)fn);
	for (i = 0; i < ARRAY_SIZE(skippable); i++) {
		n = strlen(skippable[i].name);
		/* "name" in the kernel, "name [module]" in a module. */
		if (!strncmp(sym, skippable[i].name, n) &&
		    (!sym[n] || sym[n] == ' ')) {
			verdict = i + 1;
			break;
		}
	}
	kfree(sym);
	spin_lock_bh(&judged_lock);
	for (i = 0; i < KNAT_FP_FNS && atomic_read(&judged_epoch) == epoch;
	     i++, h = (h + 1) % KNAT_FP_FNS) {
		if (judged[h].fn == fn)
			break;	/* another CPU's judgement came first */
		if (!judged[h].fn) {
			judged[h].verdict = verdict;
			/* The verdict first: pairs with the acquire below. */
			smp_store_release(&judged[h].fn, fn);
			break;
		}
	}
	spin_unlock_bh(&judged_lock);
	return verdict;
}

static int verdict_of(void *fn)
{
	unsigned int h = hash_ptr(fn, KNAT_FP_FNS_BITS), i;
	void *f;

	for (i = 0; i < KNAT_FP_FNS; i++, h = (h + 1) % KNAT_FP_FNS) {
		/* Pairs with judge()'s release: the verdict is written. */
		f = smp_load_acquire(&judged[h].fn);
		if (!f)
			break;
		if (f == fn)
			return judged[h].verdict;
	}
	return judge(fn, hash_ptr(fn, KNAT_FP_FNS_BITS));
}

static bool hooks_skippable(const struct knat_net *kn,
			    const struct nf_hook_entries *e, bool prerouting)
{
	struct nf_hook_ops **ops;
	unsigned int i;
	int v;

	if (!e)
		return true;
	ops = nf_hook_entries_get_hook_ops(e);
	for (i = 0; i < e->num_hook_entries; i++) {
		if (e->hooks[i].priv == kn)
			continue;
		if (ops[i]->hook_ops_type != NF_HOOK_OP_UNDEFINED)
			return false;	/* an nftables chain */
		v = verdict_of(e->hooks[i].hook);
		if (v < 0 || (skippable[v - 1].prerouting_only && !prerouting))
			return false;
	}
	return true;
}

/* A module goes: whatever was judged of its text is forgotten. */
static int knat_fp_module_event(struct notifier_block *nb, unsigned long state,
				void *data)
{
	int i;

	if (state != MODULE_STATE_GOING)
		return NOTIFY_DONE;
	spin_lock_bh(&judged_lock);
	for (i = 0; i < KNAT_FP_FNS; i++)
		WRITE_ONCE(judged[i].fn, NULL);
	/* After the slots: who reads the new epoch finds them empty. */
	atomic_inc_return_release(&judged_epoch);
	spin_unlock_bh(&judged_lock);
	return NOTIFY_DONE;
}

static struct notifier_block knat_fp_module_nb = {
	.notifier_call = knat_fp_module_event,
};

int knat_fp_hooks_init(void)
{
	return register_module_notifier(&knat_fp_module_nb);
}

void knat_fp_hooks_exit(void)
{
	unregister_module_notifier(&knat_fp_module_nb);
}

/*
 * The hooks of the normal path, in order (PREROUTING, FORWARD,
 * POSTROUTING), and their verdict. A verdict is a function of the hooks'
 * functions and private data alone (an nftables chain's function is
 * never skippable), so the same sequence of them, in whatever array,
 * has the same verdict: a few compares a packet, not a judgement. A
 * hook with more entries than this is judged every time.
 */
#define KNAT_FP_SEEN_MAX	8
static const u8 seen_hooks[] = {
	NF_INET_PRE_ROUTING, NF_INET_FORWARD, NF_INET_POST_ROUTING,
};

struct knat_fp_seen {
	struct rcu_head rcu;
	int epoch;			/* judged_epoch's, when judged */
	bool alone;
	u8 n[ARRAY_SIZE(seen_hooks)];
	struct nf_hook_entry e[ARRAY_SIZE(seen_hooks)][KNAT_FP_SEEN_MAX];
};

static bool seen_matches(const struct knat_fp_seen *seen,
			 struct nf_hook_entries *const e[])
{
	unsigned int i, j, n;

	/* A module went: its functions' text may be another's now. */
	if (seen->epoch != atomic_read_acquire(&judged_epoch))
		return false;
	for (i = 0; i < ARRAY_SIZE(seen_hooks); i++) {
		n = e[i] ? e[i]->num_hook_entries : 0;
		if (n != seen->n[i])
			return false;
		/* An entry unregistered meanwhile becomes accept_all in place. */
		for (j = 0; j < n; j++)
			if (READ_ONCE(e[i]->hooks[j].hook) != seen->e[i][j].hook ||
			    READ_ONCE(e[i]->hooks[j].priv) != seen->e[i][j].priv)
				return false;
	}
	return true;
}

/* Judges @e's hooks, and remembers the verdict if they are few enough. */
static bool judge_path(struct knat_net *kn, struct nf_hook_entries *const e[])
{
	int epoch = atomic_read_acquire(&judged_epoch);
	struct knat_fp_seen *seen, *old;
	bool alone = true, few = true;
	unsigned int i, j, n;

	for (i = 0; i < ARRAY_SIZE(seen_hooks); i++) {
		alone = alone && hooks_skippable(kn, e[i],
						 seen_hooks[i] == NF_INET_PRE_ROUTING);
		few = few && (!e[i] || e[i]->num_hook_entries <= KNAT_FP_SEEN_MAX);
	}
	seen = few ? kzalloc(sizeof(*seen), GFP_ATOMIC | __GFP_NOWARN) : NULL;
	if (!seen)
		return alone;
	/* The epoch before the judgement: a module going meanwhile voids it. */
	seen->epoch = epoch;
	seen->alone = alone;
	for (i = 0; i < ARRAY_SIZE(seen_hooks); i++) {
		n = e[i] ? e[i]->num_hook_entries : 0;
		seen->n[i] = n;
		for (j = 0; j < n; j++) {
			seen->e[i][j].hook = READ_ONCE(e[i]->hooks[j].hook);
			seen->e[i][j].priv = READ_ONCE(e[i]->hooks[j].priv);
		}
	}
	old = unrcu_pointer(xchg(&kn->fp_seen, RCU_INITIALIZER(seen)));
	if (old)
		kfree_rcu(old, rcu);
	return alone;
}

void knat_fp_seen_free(struct knat_net *kn)
{
	struct knat_fp_seen *seen = unrcu_pointer(xchg(&kn->fp_seen, NULL));

	if (seen)
		kfree_rcu(seen, rcu);
}

bool knat_fp_path_alone(struct knat_net *kn, const struct net *net)
{
	struct nf_hook_entries __rcu *const *h = net->nf.hooks_ipv4;
	struct nf_hook_entries *e[ARRAY_SIZE(seen_hooks)];
	const struct knat_fp_seen *seen;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(seen_hooks); i++)
		e[i] = rcu_dereference(h[seen_hooks[i]]);
	seen = rcu_dereference(kn->fp_seen);
	if (seen && seen_matches(seen, e) ? !seen->alone : !judge_path(kn, e))
		return false;
#ifdef CONFIG_XFRM
	/* Policies, or a default one that blocks. */
	if (READ_ONCE(net->xfrm.policy_count[XFRM_POLICY_FWD]) ||
	    READ_ONCE(net->xfrm.policy_count[XFRM_POLICY_OUT]) ||
	    READ_ONCE(net->xfrm.policy_default[XFRM_POLICY_FWD]) == XFRM_USERPOLICY_BLOCK ||
	    READ_ONCE(net->xfrm.policy_default[XFRM_POLICY_OUT]) == XFRM_USERPOLICY_BLOCK)
		return false;
#endif
	return true;
}
