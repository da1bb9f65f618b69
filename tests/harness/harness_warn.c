// SPDX-License-Identifier: GPL-2.0
/* A module that WARNs on load: the splat check must turn the run red. */
#include <linux/module.h>

static int __init harness_warn_init(void)
{
	WARN(1, "knat harness: deliberate warning\n");
	return 0;
}

static void __exit harness_warn_exit(void)
{
}

module_init(harness_warn_init);
module_exit(harness_warn_exit);
MODULE_LICENSE("GPL");
