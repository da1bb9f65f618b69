// SPDX-License-Identifier: GPL-2.0
/* A module that panics on load: the run must fail, not hang CI. */
#include <linux/module.h>
#include <linux/panic.h>

static int __init harness_panic_init(void)
{
	panic("knat harness: deliberate panic\n");
	return 0;
}

module_init(harness_panic_init);
MODULE_LICENSE("GPL");
