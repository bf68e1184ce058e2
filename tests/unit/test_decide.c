// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for lib/decide.c: every reason, its order, its names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "decide.h"
#include "units.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NL TD_POLICY_NO_LIMIT
#define SEC 1000000000ULL
#define THR td_threshold_of(2)
#define P TD_PAGE_SIZE

/* Node 0 fast, node 1 slow, node 2 neither. */
static struct td_decide_env env0(void)
{
	return (struct td_decide_env){
		.now_ns = 100 * SEC, .fast_mask = 1, .slow_mask = 2,
		.retry_backoff_ns = SEC / 10, .budget_bytes = NL, .budget_full = NL, .room_bytes = 1000 * P,
	};
}

static struct td_policy_group group0(void)
{
	return (struct td_policy_group){
		.mode = TD_MODE_PROMOTE, .hot_threshold = THR, .threshold = THR, .weight = 100,
		.fast_cap_bytes = NL, .budget_bytes = NL,
	};
}

static struct td_hotness_info page0(void)
{
	return (struct td_hotness_info){ .addr = 0x1000, .tgid = 7, .hotness = 3 * THR, .node = 1 };
}

/* One case: a change to the defaults above, and the reason it must give. */
struct decide_case {
	const char *name;
	void (*change)(struct td_decide_env *, struct td_hotness_info *, struct td_policy_group *,
		       bool *no_group, bool *recently_demoted);
	enum td_reason want;
};

#define CHANGE(fn, body) \
	static void fn(struct td_decide_env *e, struct td_hotness_info *i, \
		       struct td_policy_group *g, bool *no_group, bool *rd) \
	{ \
		(void)e; (void)i; (void)g; (void)no_group; (void)rd; \
		body; \
	}

CHANGE(c_none, )
CHANGE(c_promoted, { i->node = 0; i->last_move_dir = TD_HOTNESS_DIR_PROMOTE; })
CHANGE(c_on_fast, { i->node = 0; })
CHANGE(c_on_fast_failed, { i->node = 0; i->last_move_dir = TD_HOTNESS_DIR_PROMOTE; i->move_retries = 1; })
CHANGE(c_unknown, { i->node = TD_HOTNESS_NODE_UNKNOWN; })
CHANGE(c_not_slow, { i->node = 2; })
CHANGE(c_no_group, { *no_group = true; })
CHANGE(c_observe, { g->mode = TD_MODE_OBSERVE; })
CHANGE(c_off, { g->mode = TD_MODE_OFF; })
CHANGE(c_paused, { e->paused = true; })
CHANGE(c_group_paused, { g->paused = true; })
CHANGE(c_threshold, { i->hotness = THR - 1; })
CHANGE(c_at_threshold, { i->hotness = THR; })
CHANGE(c_pingpong, { *rd = true; i->hotness = 2 * THR - 1; })
CHANGE(c_pingpong_clearly_hot, { *rd = true; i->hotness = 2 * THR; })
CHANGE(c_shared, { e->now_ns += TD_DECIDE_SHARED_HOLD_NS; i->last_move_dir = TD_HOTNESS_DIR_SHARED;
		  i->move_retries = 1; i->last_move_ns = e->now_ns - TD_DECIDE_SHARED_HOLD_NS + 1; })
CHANGE(c_shared_over, { e->now_ns += TD_DECIDE_SHARED_HOLD_NS; i->last_move_dir = TD_HOTNESS_DIR_SHARED;
		       i->move_retries = 1; i->last_move_ns = e->now_ns - TD_DECIDE_SHARED_HOLD_NS; })
CHANGE(c_shared_below, { i->last_move_dir = TD_HOTNESS_DIR_SHARED; i->hotness = g->threshold - 1;
			i->last_move_ns = e->now_ns; })
CHANGE(c_backoff, { i->move_retries = 2; i->last_move_ns = e->now_ns - SEC / 10; })
CHANGE(c_backoff_over, { i->move_retries = 2; i->last_move_ns = e->now_ns - SEC / 10 * 4; })
CHANGE(c_backoff_cap, { i->move_retries = 15; i->last_move_ns = e->now_ns - SEC / 10 * 1024; })
CHANGE(c_cap, { g->fast_cap_bytes = 10 * P; g->fast_bytes = 10 * P; })
CHANGE(c_under_cap, { g->fast_cap_bytes = 10 * P; g->fast_bytes = 9 * P; })
CHANGE(c_group_rate, { g->budget_bytes = 0 * P; })
CHANGE(c_rate, { e->budget_bytes = 0 * P; })
CHANGE(c_room, { e->room_bytes = 0 * P; })
/* order: the first check that fails wins */
CHANGE(c_mode_before_paused, { g->mode = TD_MODE_OFF; e->paused = true; })
CHANGE(c_paused_before_threshold, { e->paused = true; i->hotness = 0; })
CHANGE(c_threshold_before_backoff, { i->hotness = 0; i->move_retries = 3; i->last_move_ns = e->now_ns; })
CHANGE(c_backoff_before_cap, { i->move_retries = 1; i->last_move_ns = e->now_ns; g->fast_cap_bytes = 0 * P; })
CHANGE(c_cap_before_rate, { g->fast_cap_bytes = 0 * P; g->budget_bytes = 0 * P; e->budget_bytes = 0 * P; })
CHANGE(c_group_rate_before_rate, { g->budget_bytes = 0 * P; e->budget_bytes = 0 * P; e->room_bytes = 0 * P; })
CHANGE(c_rate_before_room, { e->budget_bytes = 0 * P; e->room_bytes = 0 * P; })
CHANGE(c_node_before_group, { i->node = 0; *no_group = true; })

static const struct decide_case cases[] = {
	{ "hot on a slow node", c_none, TD_REASON_PROMOTE },
	{ "promoted by us", c_promoted, TD_REASON_PROMOTED },
	{ "on a fast node", c_on_fast, TD_REASON_ON_FAST },
	{ "on fast after a failed try", c_on_fast_failed, TD_REASON_ON_FAST },
	{ "node unknown", c_unknown, TD_REASON_NODE_UNKNOWN },
	{ "node neither fast nor slow", c_not_slow, TD_REASON_NOT_SLOW },
	{ "no group", c_no_group, TD_REASON_NO_GROUP },
	{ "Mode=observe", c_observe, TD_REASON_MODE },
	{ "Mode=off", c_off, TD_REASON_MODE },
	{ "paused", c_paused, TD_REASON_PAUSED },
	{ "group paused", c_group_paused, TD_REASON_GROUP_PAUSED },
	{ "below threshold", c_threshold, TD_REASON_THRESHOLD },
	{ "at threshold", c_at_threshold, TD_REASON_PROMOTE },
	{ "ping-pong", c_pingpong, TD_REASON_PINGPONG },
	{ "ping-pong, clearly hot", c_pingpong_clearly_hot, TD_REASON_PROMOTE },
	{ "shared: held", c_shared, TD_REASON_SHARED },
	{ "shared: the hold is over", c_shared_over, TD_REASON_PROMOTE },
	{ "shared: threshold first", c_shared_below, TD_REASON_THRESHOLD },
	{ "back-off", c_backoff, TD_REASON_BACKOFF },
	{ "back-off over", c_backoff_over, TD_REASON_PROMOTE },
	{ "back-off capped at 2^10", c_backoff_cap, TD_REASON_PROMOTE },
	{ "MaxFastMemory", c_cap, TD_REASON_CAP },
	{ "under MaxFastMemory", c_under_cap, TD_REASON_PROMOTE },
	{ "group rate", c_group_rate, TD_REASON_GROUP_RATE },
	{ "global rate", c_rate, TD_REASON_RATE },
	{ "room", c_room, TD_REASON_ROOM },
	{ "mode before paused", c_mode_before_paused, TD_REASON_MODE },
	{ "paused before threshold", c_paused_before_threshold, TD_REASON_PAUSED },
	{ "threshold before back-off", c_threshold_before_backoff, TD_REASON_THRESHOLD },
	{ "back-off before cap", c_backoff_before_cap, TD_REASON_BACKOFF },
	{ "cap before rate", c_cap_before_rate, TD_REASON_CAP },
	{ "group rate before rate", c_group_rate_before_rate, TD_REASON_GROUP_RATE },
	{ "rate before room", c_rate_before_room, TD_REASON_RATE },
	{ "node before group", c_node_before_group, TD_REASON_ON_FAST },
};

static void test_cases(void **state)
{
	unsigned seen = 0;

	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		struct td_decide_env e = env0();
		struct td_hotness_info i = page0();
		struct td_policy_group g = group0();
		struct td_decision d;
		bool no_group = false, rd = false;
		enum td_reason r;

		cases[k].change(&e, &i, &g, &no_group, &rd);
		r = td_decide(&e, &i, no_group ? NULL : &g, rd, &d);
		if (r != cases[k].want)
			fail_msg("%s: got %s, want %s", cases[k].name, td_reason_name(r),
				 td_reason_name(cases[k].want));
		assert_int_equal(d.reason, r);
		seen |= 1u << r;
	}
	/* every reason td_decide() gives has a case (not_allowed is the
	 * promoter's: test_promoter) */
	assert_int_equal(seen, ((1u << TD_REASON__MAX) - 1) & ~(1u << TD_REASON_NOT_ALLOWED));
}

static void test_backoff_until(void **state)
{
	struct td_decide_env e = env0();
	struct td_hotness_info i = page0();
	struct td_policy_group g = group0();
	struct td_decision d;

	i.move_retries = 3;
	i.last_move_ns = e.now_ns;
	assert_int_equal(td_decide(&e, &i, &g, false, &d), TD_REASON_BACKOFF);
	assert_int_equal(d.backoff_until_ns, e.now_ns + (SEC / 10 << 3));
	assert_int_equal(d.threshold, THR);
	i.move_retries = 0;
	assert_int_equal(td_decide_backoff_until(&i, SEC), 0);
}

static void test_names(void **state)
{
	for (int r = 0; r < TD_REASON__MAX; r++) {
		assert_non_null(td_reason_name(r));
		assert_non_null(td_reason_decision(r));
		for (int s = 0; s < r; s++)
			assert_string_not_equal(td_reason_name(r), td_reason_name(s));
	}
	assert_null(td_reason_name(TD_REASON__MAX));
	assert_null(td_reason_decision(-1));
	assert_true(td_reason_is_limit(TD_REASON_ROOM));
	assert_true(td_reason_is_limit(TD_REASON_CAP));
	assert_false(td_reason_is_limit(TD_REASON_THRESHOLD));
	assert_false(td_reason_is_limit(TD_REASON_PROMOTE));
}

static void test_held(void **state)
{
	struct td_decide_env e = env0();
	struct td_policy_group g = group0();

	g.fast_cap_bytes = 10 * P;
	g.fast_bytes = 6 * P;
	g.selected = 3 * P;
	/* 6 + 3 + 1 pages fit a cap of 10; a 2-page folio does not */
	assert_int_not_equal(td_reason_held(&g, &e, P), TD_REASON_CAP);
	assert_int_equal(td_reason_held(&g, &e, 2 * P), TD_REASON_CAP);
	g.fast_cap_bytes = NL;
	g.budget_bytes = 4 * P;
	assert_int_equal(td_reason_held(&g, &e, 2 * P), TD_REASON_GROUP_RATE);
	g.budget_bytes = NL;
	e.budget_bytes = 5 * P;
	e.room_bytes = 100 * P;
	assert_int_equal(td_reason_held(&g, &e, P), TD_REASON_RATE);
	e.budget_bytes = NL;
	assert_int_equal(td_reason_held(&g, &e, P), TD_REASON_ROOM);
}

#define MIB (UINT64_C(1) << 20)
#define THP_ORDER 9

/* The limits count the folio's bytes: a 2 MiB THP needs 2 MiB of room,
 * of cap and of budget, where a base page needs 4 KiB. */
static void test_limits_in_bytes(void **state)
{
	struct td_decide_env e = env0();
	struct td_policy_group g = group0();
	struct td_hotness_info i = page0();
	struct td_decision d;

	i.order = THP_ORDER;
	e.room_bytes = MIB;
	assert_int_equal(td_decide(&e, &i, &g, false, &d), TD_REASON_ROOM);
	i.order = 0;
	assert_int_equal(td_decide(&e, &i, &g, false, &d), TD_REASON_PROMOTE);
	i.order = THP_ORDER;
	e.room_bytes = 2 * MIB;
	assert_int_equal(td_decide(&e, &i, &g, false, &d), TD_REASON_PROMOTE);
	g.fast_cap_bytes = 4 * MIB;
	g.fast_bytes = 3 * MIB;
	assert_int_equal(td_decide(&e, &i, &g, false, &d), TD_REASON_CAP);
	g.fast_bytes = 2 * MIB;
	assert_int_equal(td_decide(&e, &i, &g, false, &d), TD_REASON_PROMOTE);
	/* a rate whose full bucket (1 MiB at 1 MB/s) is smaller than the
	 * folio: the folio may go when the bucket is full, not before */
	td_ratelimit_init(&g.rate, 1);
	g.budget_bytes = MIB / 2;
	assert_int_equal(td_decide(&e, &i, &g, false, &d), TD_REASON_GROUP_RATE);
	g.budget_bytes = MIB;
	assert_int_equal(td_decide(&e, &i, &g, false, &d), TD_REASON_PROMOTE);
	i.order = 0;
	g.budget_bytes = P - 1;
	assert_int_equal(td_decide(&e, &i, &g, false, &d), TD_REASON_GROUP_RATE);
}

static void test_threshold_units(void **state)
{
	assert_int_equal(td_threshold_of(1), TD_HOTNESS_ONE / 2);
	assert_int_equal(td_threshold_of(UINT32_MAX), UINT32_MAX);
	assert_true(td_hotness_accesses(td_threshold_of(4)) == 2.0);
	assert_int_equal(td_bytes_to_pages(3 * TD_PAGE_SIZE + 1), 3);
	assert_int_equal(td_bytes_to_pages(UINT64_MAX), UINT64_MAX);
	assert_int_equal(td_pages_to_bytes(UINT64_MAX), UINT64_MAX);
	assert_false(td_node_in(~0ULL, TD_MAX_NODES));
	assert_false(td_node_in(~0ULL, -1));
	assert_true(td_node_in(1ULL << 63, 63));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_backoff_until),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_held),
		cmocka_unit_test(test_limits_in_bytes),
		cmocka_unit_test(test_threshold_units),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
