// SPDX-License-Identifier: GPL-2.0-only
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ratelimit.h"

#define MS 1000000ULL
#define MB (1ULL << 20)

static void test_unlimited(void **state)
{
	struct td_ratelimit r;

	td_ratelimit_init(&r, 0);
	assert_true(td_ratelimit_refill(&r, 1000 * MS) == UINT64_MAX);
	td_ratelimit_spend(&r, 123);
	assert_true(td_ratelimit_refill(&r, 0) == UINT64_MAX);
}

static void test_refill_and_spend(void **state)
{
	struct td_ratelimit r;

	td_ratelimit_init(&r, 100);
	assert_int_equal(td_ratelimit_refill(&r, 0), 0);		/* starts empty */
	assert_int_equal(td_ratelimit_refill(&r, 100 * MS), 10 * MB);	/* 0.1 s of 100 MB/s */
	td_ratelimit_spend(&r, 4 * MB);
	assert_int_equal(td_ratelimit_refill(&r, 0), 6 * MB);
	assert_int_equal(td_ratelimit_refill(&r, 500 * MS), 56 * MB);
	td_ratelimit_spend(&r, 100 * MB);				/* overspend: floor 0 */
	assert_int_equal(td_ratelimit_refill(&r, 0), 0);
}

/* Unused budget never exceeds one second's worth, however long the gap. */
static void test_cap(void **state)
{
	struct td_ratelimit r;

	td_ratelimit_init(&r, 20);
	assert_int_equal(td_ratelimit_refill(&r, 3600000 * MS), 20 * MB);
	assert_int_equal(td_ratelimit_refill(&r, 1000 * MS), 20 * MB);
	td_ratelimit_init(&r, 1 << 20);					/* the config maximum */
	assert_int_equal(td_ratelimit_refill(&r, UINT64_MAX), (1ULL << 20) * MB);
}

/* Over many ticks the average rate is the limit. */
static void test_average(void **state)
{
	struct td_ratelimit r;
	uint64_t spent = 0;

	td_ratelimit_init(&r, 10);
	for (int i = 0; i < 100; i++) {		/* 10 s in 100 ms ticks, spend greedily */
		uint64_t b = td_ratelimit_refill(&r, 100 * MS);

		td_ratelimit_spend(&r, b);
		spent += b;
	}
	assert_int_equal(spent, 100 * MB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unlimited),
		cmocka_unit_test(test_refill_and_spend),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_average),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
