// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Unit tests for lib/policy.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NL TD_POLICY_NO_LIMIT
#define P UINT64_C(4096)
#define MIB (UINT64_C(1) << 20)
#define THP (2 * MIB)

static struct td_policy_group group(enum td_mode mode, uint32_t thr, uint32_t weight)
{
	return (struct td_policy_group){
		.mode = mode, .hot_threshold = thr, .threshold = thr, .weight = weight,
		.fast_cap_bytes = NL, .budget_bytes = NL,
	};
}

/* ------------------------------------------------------------ fair share */

struct share_case {
	const char *name;
	size_t n;
	uint64_t d[4];
	uint32_t w[4];
	uint64_t limit;
	uint64_t want[4];
};

static const struct share_case share_cases[] = {
	{ "3:1 both hungry", 2, { 1000, 1000 }, { 3, 1 }, 400, { 300, 100 } },
	{ "under the limit: all", 2, { 10, 20 }, { 3, 1 }, 400, { 10, 20 } },
	{ "small claimant leaves its rest", 2, { 50, 1000 }, { 3, 1 }, 400, { 50, 350 } },
	{ "one claimant", 1, { 1000 }, { 7 }, 64, { 64 } },
	{ "zero limit", 2, { 5, 5 }, { 1, 1 }, 0, { 0, 0 } },
	{ "no demand", 3, { 0, 0, 0 }, { 1, 2, 3 }, 100, { 0, 0, 0 } },
	{ "remainder to largest fraction", 3, { 100, 100, 100 }, { 1, 1, 1 }, 10, { 4, 3, 3 } },
	{ "cascade", 3, { 10, 30, 1000 }, { 1, 1, 1 }, 100, { 10, 30, 60 } },
	{ "weights 1:2:5 hungry", 3, { 1000, 1000, 1000 }, { 1, 2, 5 }, 800, { 100, 200, 500 } },
	{ "idle claimant gets nothing", 3, { 0, 500, 500 }, { 100, 1, 1 }, 100, { 0, 50, 50 } },
	{ "huge limit", 2, { UINT64_MAX / 4, 3 }, { 10000, 1 }, UINT64_MAX, { UINT64_MAX / 4, 3 } },
};

static void test_fair_share(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(share_cases); i++) {
		const struct share_case *t = &share_cases[i];
		uint64_t got[4] = { 0 }, sum = 0, dsum = 0;

		td_policy_fair_share(t->d, t->w, t->n, t->limit, got);
		for (size_t j = 0; j < t->n; j++) {
			if (got[j] != t->want[j])
				fail_msg("%s: share[%zu] = %llu, want %llu", t->name, j,
					 (unsigned long long)got[j], (unsigned long long)t->want[j]);
			assert_true(got[j] <= t->d[j]);
			sum += got[j];
			dsum += t->d[j];
		}
		assert_int_equal(sum, dsum < t->limit ? dsum : t->limit);
	}
}

/* Over many ticks with a budget that does not divide evenly, 3:1 holds. */
static void test_fair_share_ratio_over_ticks(void **state)
{
	uint64_t d[2] = { 1 << 20, 1 << 20 }, tot[2] = { 0 }, s[2];
	uint32_t w[2] = { 3, 1 };

	for (int tick = 0; tick < 1000; tick++) {
		td_policy_fair_share(d, w, 2, 97, s);
		tot[0] += s[0];
		tot[1] += s[1];
	}
	assert_int_equal(tot[0] + tot[1], 97000);
	assert_true(tot[0] * 100 / tot[1] >= 290 && tot[0] * 100 / tot[1] <= 310);
}

/* ------------------------------------------------------------ select */

static void test_select_mode_and_threshold(void **state)
{
	struct td_policy_group g[3] = {
		group(TD_MODE_PROMOTE, 10, 100), group(TD_MODE_OFF, 0, 100),
		group(TD_MODE_OBSERVE, 0, 100),
	};
	struct td_policy_cand c[] = {
		{ 0, 50, P }, { 1, 50, P }, { 2, 50, P }, { 0, 9, P }, { -1, 99, P }, { 0, 10, P },
	};
	uint8_t take[ARRAY_SIZE(c)];
	struct td_policy_result res;

	assert_int_equal(td_policy_select(g, 3, c, ARRAY_SIZE(c), NL, NL, take, &res), 2);
	assert_memory_equal(take, ((uint8_t[]){ 1, 0, 0, 0, 0, 1 }), sizeof(take));
	assert_int_equal(res.demand, 2 * P);
	assert_int_equal(g[0].selected, 2 * P);
	assert_int_equal(g[1].demand + g[2].demand, 0);
}

static void test_select_paused(void **state)
{
	struct td_policy_group g[2] = { group(TD_MODE_PROMOTE, 0, 1), group(TD_MODE_PROMOTE, 0, 1) };
	struct td_policy_cand c[] = { { 0, 5, P }, { 1, 5, P } };
	uint8_t take[2];
	struct td_policy_result res;

	g[0].paused = true;
	assert_int_equal(td_policy_select(g, 2, c, 2, NL, NL, take, &res), 1);
	assert_int_equal(take[0], 0);
	assert_int_equal(take[1], 1);
}

static void test_select_rate_budget(void **state)
{
	struct td_policy_group g[1] = { group(TD_MODE_PROMOTE, 0, 1) };
	struct td_policy_cand c[10];
	uint8_t take[10];
	struct td_policy_result res;

	for (int i = 0; i < 10; i++)
		c[i] = (struct td_policy_cand){ 0, 100 - i, P };
	g[0].budget_bytes = 4 * P;
	assert_int_equal(td_policy_select(g, 1, c, 10, NL, NL, take, &res), 4);
	/* the hottest four */
	assert_memory_equal(take, ((uint8_t[]){ 1, 1, 1, 1, 0, 0, 0, 0, 0, 0 }), 10);
	assert_int_equal(g[0].held_rate, 6);
	assert_int_equal(g[0].held_cap, 0);
}

static void test_select_fast_cap(void **state)
{
	struct td_policy_group g[2] = { group(TD_MODE_PROMOTE, 0, 1), group(TD_MODE_PROMOTE, 0, 1) };
	struct td_policy_cand c[8];
	uint8_t take[8];
	struct td_policy_result res;

	for (int i = 0; i < 8; i++)
		c[i] = (struct td_policy_cand){ i % 2, 100 - i, P };
	g[0].fast_cap_bytes = 100 * P;
	g[0].fast_bytes = 98 * P;	/* room for 2 */
	g[1].fast_cap_bytes = 10 * P;
	g[1].fast_bytes = 12 * P;	/* over its cap already: none */
	assert_int_equal(td_policy_select(g, 2, c, 8, NL, NL, take, &res), 2);
	assert_int_equal(g[0].selected, 2 * P);
	assert_int_equal(g[0].held_cap, 2);
	assert_int_equal(g[1].selected, 0);
	assert_int_equal(g[1].held_cap, 4);
}

static void test_select_weights_share_limit(void **state)
{
	struct td_policy_group g[2] = { group(TD_MODE_PROMOTE, 0, 300), group(TD_MODE_PROMOTE, 0, 100) };
	struct td_policy_cand c[2000];
	uint8_t take[2000];
	struct td_policy_result res;

	/* interleaved and B hotter: weight decides, not hotness across groups */
	for (int i = 0; i < 2000; i++)
		c[i] = (struct td_policy_cand){ i < 1000 ? 1 : 0, 5000 - i, P };
	assert_int_equal(td_policy_select(g, 2, c, 2000, 400 * P, NL, take, &res), 400);
	assert_int_equal(g[0].selected, 300 * P);
	assert_int_equal(g[1].selected, 100 * P);
	assert_int_equal(res.demand, 2000 * P);
	assert_int_equal(res.limit, 400 * P);
	/* within a group, the hottest: B's first 100, A's first 300 */
	for (int i = 0; i < 2000; i++)
		assert_int_equal(take[i], (i < 100) || (i >= 1000 && i < 1300));
}

static void test_select_errors(void **state)
{
	struct td_policy_group g[1] = { group(TD_MODE_PROMOTE, 0, 0) };
	struct td_policy_cand c[1] = { { 0, 1, P } };
	struct td_policy_cand bad[1] = { { 5, 1, P } };
	uint8_t take[1];
	struct td_policy_result res;

	assert_int_equal(td_policy_select(g, 1, c, 1, NL, NL, take, &res), -EINVAL);
	g[0].weight = 1;
	assert_int_equal(td_policy_select(g, 1, bad, 1, NL, NL, take, &res), -EINVAL);
	assert_int_equal(td_policy_select(g, 1, c, 0, NL, NL, take, &res), 0);
	assert_int_equal(td_policy_select(NULL, 0, NULL, 0, NL, NL, NULL, &res), 0);
}

/* ------------------------------------------------------------ refill, caps */

static void test_refill_and_spend(void **state)
{
	struct td_policy_group g[2] = { group(TD_MODE_PROMOTE, 0, 1), group(TD_MODE_PROMOTE, 0, 1) };

	td_ratelimit_init(&g[0].rate, 4);	/* 4 MiB/s = 1024 pages/s */
	td_ratelimit_init(&g[1].rate, 0);
	td_policy_refill(g, 2, 100000000ULL);
	assert_int_equal(g[0].budget_bytes, 409 << 10);	/* 4 MiB / 10, in whole KiB */
	assert_true(g[1].budget_bytes == NL);
	td_policy_spend(&g[0], 100 * P);
	td_policy_refill(g, 2, 0);
	assert_int_equal(g[0].budget_bytes, (409 << 10) - 100 * P);
	td_policy_spend(&g[0], 1000 * P);	/* never below zero */
	td_policy_refill(g, 2, 0);
	assert_int_equal(g[0].budget_bytes, 0);
}

static void test_fast_cap_bytes(void **state)
{
	struct td_cgroup_policy p = { 0 };

	assert_true(td_policy_fast_cap_bytes(&p, 1 << 30) == NL);
	p.max_fast_bytes = 64 << 20;
	assert_int_equal(td_policy_fast_cap_bytes(&p, UINT64_MAX), 64 << 20);
	p.max_fast_bytes = 0;
	p.max_fast_percent = 25;
	assert_int_equal(td_policy_fast_cap_bytes(&p, 1 << 30), 256 << 20);
	assert_true(td_policy_fast_cap_bytes(&p, UINT64_MAX) == NL);
	p.max_fast_percent = 100;
	assert_int_equal(td_policy_fast_cap_bytes(&p, P * 3), 3 * P);
}

/* ------------------------------------------------------------ folios */

/* Mixed sizes: the budget is bytes; the hottest go first, and a THP that
 * does not fit what is left stops its group (colder base pages wait too). */
static void test_select_folio_budget(void **state)
{
	struct td_policy_group g[1] = { group(TD_MODE_PROMOTE, 0, 1) };
	struct td_policy_cand c[] = {
		{ 0, 90, THP }, { 0, 80, P }, { 0, 70, THP }, { 0, 60, P },
	};
	uint8_t take[4];
	struct td_policy_result res;

	g[0].budget_bytes = 3 * MIB;	/* the first THP and the page; not the second THP */
	assert_int_equal(td_policy_select(g, 1, c, 4, NL, NL, take, &res), 2);
	assert_memory_equal(take, ((uint8_t[]){ 1, 1, 0, 0 }), 4);
	assert_int_equal(g[0].selected, THP + P);
	assert_int_equal(g[0].held_rate, 2);
	/* a global rate likewise, in bytes, in order */
	g[0].budget_bytes = NL;
	assert_int_equal(td_policy_select(g, 1, c, 4, THP + 2 * P, 4 * THP, take, &res), 2);
	assert_memory_equal(take, ((uint8_t[]){ 1, 1, 0, 0 }), 4);
	assert_int_equal(res.selected, THP + P);
	/* the room (no bucket to fill by waiting): a colder page that fits
	 * goes past the THP that does not */
	assert_int_equal(td_policy_select(g, 1, c, 4, THP + 2 * P, NL, take, &res), 3);
	assert_memory_equal(take, ((uint8_t[]){ 1, 1, 0, 1 }), 4);
	assert_true(res.selected <= THP + 2 * P);
}

/* A share a group's next folio does not fit leaves bytes: they go to the
 * others' next folios in their order, never past the limit. */
static void test_select_leftover(void **state)
{
	struct td_policy_group g[2] = { group(TD_MODE_PROMOTE, 0, 1), group(TD_MODE_PROMOTE, 0, 1) };
	struct td_policy_cand c[1202];
	uint8_t take[1202];
	struct td_policy_result res;

	c[0] = (struct td_policy_cand){ 0, 5000, THP };
	c[1] = (struct td_policy_cand){ 0, 4999, THP };
	for (int i = 2; i < 1202; i++)
		c[i] = (struct td_policy_cand){ 1, 3000 - i, P };
	/* 6 MiB, equal shares of 3: group 0 takes one THP (its second does
	 * not fit the 1 MiB left), group 1 its 3 MiB, then the 1 MiB left */
	assert_int_equal(td_policy_select(g, 2, c, 1202, 3 * THP, NL, take, &res), 1 + 1024);
	assert_int_equal(take[0] + take[1], 1);
	assert_int_equal(g[0].selected, THP);
	assert_int_equal(g[1].selected, 4 * MIB);
	assert_int_equal(res.selected, 3 * THP);
	for (int i = 2; i < 1202; i++)
		assert_int_equal(take[i], i < 2 + 1024);
}

/* A folio larger than a full rate bucket: it goes alone when the bucket is
 * full (overshoot at most one folio), never beside other pages. */
static void test_select_one_folio_exception(void **state)
{
	struct td_policy_group g[1] = { group(TD_MODE_PROMOTE, 0, 1) };
	struct td_policy_cand c[] = { { 0, 90, THP }, { 0, 80, P } };
	uint8_t take[2];
	struct td_policy_result res;

	td_ratelimit_init(&g[0].rate, 1);		/* a full bucket is 1 MiB */
	g[0].budget_bytes = MIB / 2;
	assert_int_equal(td_policy_select(g, 1, c, 2, NL, NL, take, &res), 0);
	g[0].budget_bytes = MIB;			/* full */
	assert_int_equal(td_policy_select(g, 1, c, 2, NL, NL, take, &res), 1);
	assert_memory_equal(take, ((uint8_t[]){ 1, 0 }), 2);
	/* the same for the global limit, when it is the rate's full bucket */
	g[0].budget_bytes = NL;
	assert_int_equal(td_policy_select(g, 1, c, 2, MIB, MIB, take, &res), 1);
	assert_int_equal(res.selected, THP);
	assert_memory_equal(take, ((uint8_t[]){ 1, 0 }), 2);
	/* but never past the room (no exception: limit_full NL); the page
	 * after it fits */
	assert_int_equal(td_policy_select(g, 1, c, 2, MIB, NL, take, &res), 1);
	assert_memory_equal(take, ((uint8_t[]){ 0, 1 }), 2);
	assert_false(td_policy_fits(THP, MIB, NL, 0));
	assert_true(td_policy_fits(THP, MIB, MIB, 0));
	assert_false(td_policy_fits(THP, MIB, MIB, P));
	assert_true(td_policy_fits(P, NL, NL, UINT64_MAX / 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fair_share),
		cmocka_unit_test(test_fair_share_ratio_over_ticks),
		cmocka_unit_test(test_select_mode_and_threshold),
		cmocka_unit_test(test_select_paused),
		cmocka_unit_test(test_select_rate_budget),
		cmocka_unit_test(test_select_fast_cap),
		cmocka_unit_test(test_select_weights_share_limit),
		cmocka_unit_test(test_select_errors),
		cmocka_unit_test(test_refill_and_spend),
		cmocka_unit_test(test_fast_cap_bytes),
		cmocka_unit_test(test_select_folio_budget),
		cmocka_unit_test(test_select_leftover),
		cmocka_unit_test(test_select_one_folio_exception),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
