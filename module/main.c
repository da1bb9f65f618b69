// SPDX-License-Identifier: GPL-2.0
/*
 * knat: NAT without conntrack. Module init/exit and the per network
 * namespace state.
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include <linux/knat.h>
#include <kunit/visibility.h>
#include "control.h"
#include "fastpath.h"
#include "knat.h"
#include "proto.h"
#include "stats.h"
#include "table.h"

unsigned int knat_net_id __read_mostly;
EXPORT_SYMBOL_IF_KUNIT(knat_net_id);

static int __net_init knat_net_init(struct net *net)
{
	struct knat_net *kn = knat_pernet(net);
	int err;

	kn->net = net;
	err = knat_stats_init(kn);
	if (err)
		return err;
	err = knat_control_init(kn);
	if (err)
		knat_stats_exit(kn);
	return err;
}

/* The grace period after pre_exit ends every notifier that may queue work. */
static void __net_exit knat_net_pre_exit(struct net *net)
{
	WRITE_ONCE(knat_pernet(net)->exiting, true);
}

static void __net_exit knat_net_exit(struct net *net)
{
	struct knat_net *kn = knat_pernet(net);

	knat_control_exit(kn);
	knat_stats_exit(kn);
}

static struct pernet_operations knat_net_ops = {
	.init = knat_net_init,
	.pre_exit = knat_net_pre_exit,
	.exit = knat_net_exit,
	.id = &knat_net_id,
	.size = sizeof(struct knat_net),
};

static int __init knat_init(void)
{
	int err;

	knat_protos_init();
	err = knat_cache_init();
	if (err)
		return err;
	err = register_pernet_subsys(&knat_net_ops);
	if (err)
		goto err_cache;
	err = knat_masq_notifier_init();
	if (err)
		goto err_pernet;
	err = knat_fp_notifier_init();
	if (err)
		goto err_notifier;
	err = knat_genl_init();
	if (err)
		goto err_fp;
	pr_info("knat " KNAT_VERSION " loaded\n");
	return 0;

err_fp:
	knat_fp_notifier_exit();
err_notifier:
	knat_masq_notifier_exit();
err_pernet:
	unregister_pernet_subsys(&knat_net_ops);
err_cache:
	knat_cache_exit();
	return err;
}

static void __exit knat_exit(void)
{
	knat_genl_exit();
	knat_masq_notifier_exit();
	/* Unhooks every device, before the namespaces' state goes. */
	knat_fp_notifier_exit();
	unregister_pernet_subsys(&knat_net_ops);
	/* Mappings are freed by RCU callbacks: let them run first. */
	rcu_barrier();
	knat_cache_exit();
}

module_init(knat_init);
module_exit(knat_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("NAT without conntrack: port blocks, ICMP that works");
MODULE_VERSION(KNAT_VERSION);
MODULE_ALIAS_GENL_FAMILY(KNAT_GENL_NAME);
