// SPDX-License-Identifier: GPL-2.0
/* knat: the "knat" generic netlink family (control path only). */
#include <net/genetlink.h>
#include <linux/knat.h>
#include "knat.h"
#include "stats.h"

static struct genl_family knat_genl_family;

static int knat_nl_get_info(struct sk_buff *skb, struct genl_info *info)
{
	struct knat_net *kn = knat_pernet(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;

	knat_stats_inc(kn, KNAT_STAT_NL_REQUESTS);
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &knat_genl_family, 0,
				KNAT_CMD_GET_INFO);
	if (!hdr)
		goto nospace;
	if (nla_put_string(msg, KNAT_A_VERSION, KNAT_VERSION) ||
	    nla_put_u32(msg, KNAT_A_GENL_VERSION, KNAT_GENL_VERSION))
		goto nospace;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static const struct nla_policy knat_nl_policy[KNAT_A_MAX + 1] = {
	[KNAT_A_VERSION] = { .type = NLA_REJECT },
	[KNAT_A_GENL_VERSION] = { .type = NLA_REJECT },
};

static const struct genl_small_ops knat_nl_ops[] = {
	{
		.cmd = KNAT_CMD_GET_INFO,
		.doit = knat_nl_get_info,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family knat_genl_family __ro_after_init = {
	.name = KNAT_GENL_NAME,
	.version = KNAT_GENL_VERSION,
	.maxattr = KNAT_A_MAX,
	.policy = knat_nl_policy,
	.netnsok = true,
	.module = THIS_MODULE,
	.small_ops = knat_nl_ops,
	.n_small_ops = ARRAY_SIZE(knat_nl_ops),
	.resv_start_op = KNAT_CMD_MAX + 1,
};

int __init knat_genl_init(void)
{
	return genl_register_family(&knat_genl_family);
}

void knat_genl_exit(void)
{
	genl_unregister_family(&knat_genl_family);
}
