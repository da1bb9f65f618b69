// SPDX-License-Identifier: GPL-2.0
/* Deliberately failing KUnit case: `make check-harness` must see it fail. */
#include <kunit/test.h>

static void harness_must_fail(struct kunit *test)
{
	KUNIT_EXPECT_EQ_MSG(test, 1 + 1, 3, "deliberate failure");
}

static struct kunit_case harness_cases[] = {
	KUNIT_CASE(harness_must_fail),
	{}
};

static struct kunit_suite harness_suite = {
	.name = "knat_harness_fail",
	.test_cases = harness_cases,
};

kunit_test_suite(harness_suite);

MODULE_LICENSE("GPL");
