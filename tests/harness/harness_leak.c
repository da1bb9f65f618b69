// SPDX-License-Identifier: GPL-2.0
/* A module that leaks on load: kmemleak's verdict must turn the run red. */
#include <linux/module.h>
#include <linux/slab.h>

static int __init harness_leak_init(void)
{
	void *p = kmalloc(512, GFP_KERNEL);

	/* Allocated and forgotten: no reference to it is kept anywhere. */
	pr_info("knat harness: deliberate leak of 512 bytes (%s)\n",
		p ? "allocated" : "allocation failed");
	return 0;
}

static void __exit harness_leak_exit(void)
{
}

module_init(harness_leak_init);
module_exit(harness_leak_exit);
MODULE_LICENSE("GPL");
