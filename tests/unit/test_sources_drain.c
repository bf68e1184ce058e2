// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for daemon/source/drain.c, the time budget of one ring-buffer
 * drain (sources.c stops libbpf's consume when td_drain_event() says so),
 * with a fake clock that advances a fixed step at every read and counts
 * the reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "source/drain.h"

struct fake_clock {
	uint64_t now, step;
	unsigned reads;
};

static uint64_t fake_now(void *ud)
{
	struct fake_clock *c = ud;
	uint64_t t = c->now;

	c->now += c->step;
	c->reads++;
	return t;
}

/* Offers up to n events; returns how many were handled before the stop. */
static uint64_t drain(struct td_drain *d, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (td_drain_event(d))
			return i + 1;
	return n;
}

static void test_budget(void **state)
{
	const uint64_t E = TD_DRAIN_CLOCK_EVERY;
	static const struct {
		const char *what;
		uint64_t start, step, budget, offered;
		uint64_t handled;
		bool capped;
		unsigned reads;	/* td_drain_start's included */
	} cases[] = {
		{ "deadline at the 4th check", 100, 3, 10, 100000, 4 * TD_DRAIN_CLOCK_EVERY, true, 5 },
		{ "deadline exactly at the 1st check", 0, 10, 10, 100000, TD_DRAIN_CLOCK_EVERY, true, 2 },
		{ "no budget: one batch of checks, not less", 0, 0, 0, 100000, TD_DRAIN_CLOCK_EVERY, true, 2 },
		{ "a clock that stands still", 7, 0, 10, 100000, 100000, false,
		  1 + 100000 / TD_DRAIN_CLOCK_EVERY },
		{ "ring empty before the first check", 0, 1000, 10, TD_DRAIN_CLOCK_EVERY - 1,
		  TD_DRAIN_CLOCK_EVERY - 1, false, 1 },
		{ "a budget that wraps: no deadline", UINT64_MAX - 5, 1, 10, 4 * TD_DRAIN_CLOCK_EVERY,
		  4 * TD_DRAIN_CLOCK_EVERY, false, 5 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake_clock c = { .now = cases[i].start, .step = cases[i].step };
		struct td_drain d;
		uint64_t handled;

		td_drain_start(&d, cases[i].budget, fake_now, &c);
		handled = drain(&d, cases[i].offered);
		if (handled != cases[i].handled || d.capped != cases[i].capped ||
		    c.reads != cases[i].reads || d.events != handled)
			fail_msg("%s: handled %llu capped %d reads %u events %llu", cases[i].what,
				 (unsigned long long)handled, d.capped, c.reads,
				 (unsigned long long)d.events);
		assert_true(handled % E == 0 || !d.capped);
	}
}

/* A new drain starts from zero: the count and the stop of the last one
 * do not carry over. */
static void test_restart(void **state)
{
	struct fake_clock c = { .step = 10 };
	struct td_drain d;

	(void)state;
	td_drain_start(&d, 10, fake_now, &c);
	assert_int_equal(drain(&d, 1000), TD_DRAIN_CLOCK_EVERY);
	assert_true(d.capped);
	c.step = 0;
	td_drain_start(&d, 10, fake_now, &c);
	assert_false(d.capped);
	assert_int_equal(d.events, 0);
	assert_int_equal(drain(&d, 1000), 1000);
	assert_false(d.capped);
}

/* The budgets the daemon uses are what drain.h says they are for. */
static void test_constants(void **state)
{
	(void)state;
	assert_true(TD_DRAIN_TURN_NS < TD_DRAIN_STOP_NS);
	assert_true(TD_DRAIN_TURN_NS <= 10 * 1000 * 1000ULL);	/* the tick waits <= 10 ms */
	assert_true(TD_DRAIN_CLOCK_EVERY > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_constants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
