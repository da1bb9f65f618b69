// SPDX-License-Identifier: GPL-2.0
/* A module that cannot be unloaded: the unload check must turn the run red. */
#include <linux/module.h>

static int __init harness_stuck_init(void)
{
	/* A reference nobody drops: rmmod answers "in use". */
	__module_get(THIS_MODULE);
	return 0;
}

static void __exit harness_stuck_exit(void)
{
}

module_init(harness_stuck_init);
module_exit(harness_stuck_exit);
MODULE_LICENSE("GPL");
