// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for daemon/move/promoter.c without a kernel: a fake machine
 * (free memory per node, distances, a clock), a fake move_pages(2) that
 * records what it was asked and puts the pages where asked, the real
 * hotness table and policy groups. The central test: for every reason the
 * promoter can have, `tieringctl why` (td_promoter_explain) gives the same
 * answer as the tick, and the tick moved the page only when it said promote.
 */
#include <errno.h>
#include <numaif.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "move/promoter.h"
#include "tmptree.h"

#define SEC 1000000000ULL
#define TICK (SEC / 10)
#define MAX_PAGES 64
#define THR td_threshold_of(2)	/* one access is THR; ping-pong needs two */

struct machine {
	uint64_t free_bytes[TD_MAX_NODES];
	int dist[4][4];
	uint64_t now;
	int free_err;
	/* move_pages: what it was asked */
	unsigned calls, pages_moved, queries;
	uint64_t moved_addr[MAX_PAGES];
	int moved_to[MAX_PAGES];
	int status_override;	/* 0: success; else this negative errno per page */
	uint64_t move_cost;	/* ns the clock advances per move call */
	/* placement: the nodes process 10's pages may go to, others any */
	uint64_t allowed_10;
	int allowed_err;
	/* same_process: process 10 is now started at start_10 (0: gone) */
	uint64_t start_10;
	unsigned same_asks;
	/* policy hooks */
	int group_of_memcg[8];	/* memcg id -> group, -1 none */
	unsigned group_asks;
	bool demoted[8];
};

static long fake_move_pages(void *ctx, pid_t pid, unsigned long count, void **pages,
			    const int *nodes, int *status, int flags)
{
	struct machine *m = ctx;

	if (!nodes) {
		m->queries++;
		for (unsigned long i = 0; i < count; i++)
			status[i] = 1;
		return 0;
	}
	m->calls++;
	m->now += m->move_cost;
	assert_int_equal(flags, MPOL_MF_MOVE);
	for (unsigned long i = 0; i < count; i++) {
		status[i] = m->status_override ? m->status_override : nodes[i];
		if (!m->status_override && m->pages_moved < MAX_PAGES) {
			m->moved_addr[m->pages_moved] = (uint64_t)(uintptr_t)pages[i];
			m->moved_to[m->pages_moved++] = nodes[i];
		}
	}
	return 0;
}

static int fake_free(void *ctx, uint64_t mask, uint64_t ret[TD_MAX_NODES])
{
	struct machine *m = ctx;

	for (int n = 0; n < TD_MAX_NODES; n++)
		ret[n] = td_node_in(mask, n) ? m->free_bytes[n] : 0;
	return m->free_err;
}

static int fake_distance(void *ctx, int a, int b)
{
	struct machine *m = ctx;

	return a >= 0 && a < 4 && b >= 0 && b < 4 ? m->dist[a][b] : -1;
}

static uint64_t fake_now(void *ctx)
{
	return ((struct machine *)ctx)->now;
}

static int fake_allowed(void *ctx, uint32_t tgid, uint64_t addr, uint64_t now, uint64_t *ret)
{
	struct machine *m = ctx;

	*ret = tgid == 10 ? m->allowed_10 : UINT64_MAX;
	return m->allowed_err;
}

static int fake_same_process(void *ctx, uint32_t tgid, uint64_t start_time)
{
	struct machine *m = ctx;

	m->same_asks++;
	if (tgid != 10)
		return 1;
	return m->start_10 ? m->start_10 == start_time : -ESRCH;
}

static int hook_group_of(void *ctx, uint64_t memcg)
{
	struct machine *m = ctx;

	m->group_asks++;
	return memcg < 8 ? m->group_of_memcg[memcg] : -1;
}

static bool hook_demoted(void *ctx, uint64_t memcg, uint64_t now)
{
	struct machine *m = ctx;

	return memcg < 8 && m->demoted[memcg];
}

/* Nodes 0 and 1 fast (CPUs), 2 and 3 slow: 2 near 0, 3 near 1. */
struct world {
	struct machine m;
	struct td_move_ops mops;
	struct td_node_ops nops;
	struct td_hotness *h;
	struct td_promoter *p;
	struct td_policy_group pg[2];
	struct td_promoter_config c;
};

static void world_init(struct world *w, uint64_t rate_mbps)
{
	static const int dist[4][4] = {
		{ 10, 20, 17, 28 }, { 20, 10, 28, 17 }, { 17, 28, 10, 28 }, { 28, 17, 28, 10 },
	};
	struct td_hotness_params hp = { .capacity = 1024, .half_life_ns = SEC };

	memset(w, 0, sizeof(*w));
	memcpy(w->m.dist, dist, sizeof(dist));
	w->m.now = 100 * SEC;
	w->m.free_bytes[0] = w->m.free_bytes[1] = 1ULL << 30;
	for (int i = 0; i < 8; i++)
		w->m.group_of_memcg[i] = -1;
	w->m.group_of_memcg[1] = 0;
	w->m.group_of_memcg[2] = 1;
	w->mops = (struct td_move_ops){ .move_pages = fake_move_pages, .ctx = &w->m };
	w->nops = (struct td_node_ops){
		.free_bytes = fake_free, .distance = fake_distance, .now_ns = fake_now,
		.allowed_nodes = fake_allowed, .same_process = fake_same_process, .ctx = &w->m,
	};
	w->m.allowed_10 = UINT64_MAX;
	for (int g = 0; g < 2; g++)
		w->pg[g] = (struct td_policy_group){
			.mode = TD_MODE_PROMOTE, .hot_threshold = THR, .threshold = THR, .weight = 100,
			.fast_cap_bytes = TD_POLICY_NO_LIMIT, .budget_bytes = TD_POLICY_NO_LIMIT,
		};
	for (int g = 0; g < 2; g++)
		td_threshold_init(&w->pg[g].thr, THR);
	w->c = (struct td_promoter_config){
		.fast_mask = 0x3, .slow_mask = 0xc, .batch_pages = 16,
		.rate_limit_mbps = rate_mbps, .watermark_bytes = 1 << 20, .max_candidates = 256,
		.retry_backoff_ns = TICK, .recently_demoted = hook_demoted,
		.group_of = hook_group_of, .hook_ctx = &w->m,
	};
	assert_int_equal(td_hotness_new(&hp, &w->h), 0);
	assert_int_equal(td_promoter_new(&w->c, &w->mops, &w->nops, w->h, &w->p), 0);
}

static void world_fini(struct world *w)
{
	td_promoter_free(w->p);
	td_hotness_free(w->h);
}

static void touch(struct world *w, uint32_t tgid, uint64_t addr, uint64_t memcg, int node,
		  int times)
{
	struct td_hotness_access a = { .addr = addr, .memcg_id = memcg, .tgid = tgid, .node = node };

	for (int i = 0; i < times; i++)
		assert_true(td_hotness_record(w->h, &a, w->m.now) >= 0);
}

/* A folio of @order (a THP is 9): one entry for the whole folio. */
static void touch_folio(struct world *w, uint32_t tgid, uint64_t addr, int order, int times)
{
	struct td_hotness_access a = {
		.addr = addr, .memcg_id = 1, .tgid = tgid, .node = 2, .order = order,
	};

	for (int i = 0; i < times; i++)
		assert_true(td_hotness_record(w->h, &a, w->m.now) >= 0);
}

static enum td_reason why(struct world *w, uint32_t tgid, uint64_t addr)
{
	struct td_hotness_info i;
	struct td_decision d;
	int g;

	assert_int_equal(td_hotness_get(w->h, tgid, addr, w->m.now, &i), 0);
	return td_promoter_explain(w->p, &i, w->pg, 2, &d, &g);
}

static int tick(struct world *w, bool paused)
{
	return td_promoter_tick(w->p, w->m.now, TICK, paused, w->pg, 2);
}

/* ------------------------------------------------------------ why == tick */

struct agree_case {
	const char *name;
	enum td_reason want;
	bool looked_at;		/* the tick saw the page (and counted its reason) */
	uint64_t rate_mbps;	/* the daemon's RateLimitMBps */
	void (*setup)(struct world *w);
};

#define ADDR 0x7f0000001000ULL

static void s_hot(struct world *w) { touch(w, 10, ADDR, 1, 2, 3); }
static void s_threshold(struct world *w)
{
	w->pg[0].hot_threshold = 4 * THR;
	w->pg[1].hot_threshold = THR;	/* a group that may promote: the tick looks */
	touch(w, 10, ADDR, 1, 2, 3);
}
static void s_pingpong(struct world *w) { w->m.demoted[1] = true; touch(w, 10, ADDR, 1, 2, 1); }
static void s_backoff(struct world *w)
{
	touch(w, 10, ADDR, 1, 2, 3);
	td_hotness_note_move_failed(w->h, 10, ADDR, TD_HOTNESS_DIR_PROMOTE, w->m.now);
}
static void s_mode(struct world *w) { w->pg[0].mode = TD_MODE_OBSERVE; touch(w, 10, ADDR, 1, 2, 3); }
static void s_group_paused(struct world *w) { w->pg[0].paused = true; touch(w, 10, ADDR, 1, 2, 3); }
static void s_no_group(struct world *w) { touch(w, 10, ADDR, 5, 2, 3); }
static void s_cap(struct world *w)
{
	w->pg[0].fast_cap_bytes = 100 * TD_PAGE_SIZE;
	w->pg[0].fast_bytes = 100 * TD_PAGE_SIZE;
	touch(w, 10, ADDR, 1, 2, 3);
}
static void s_group_rate(struct world *w)
{
	td_ratelimit_init(&w->pg[0].rate, 1);	/* 1 MB/s: 100 KB a tick */
	td_ratelimit_spend(&w->pg[0].rate, UINT64_MAX);
	for (int i = 0; i < 40; i++)	/* 40 pages: 160 KiB, more than a tick's */
		touch(w, 10, ADDR + (uint64_t)i * TD_PAGE_SIZE, 1, 2, 3 + (i == 39 ? 0 : 1));
}
static void s_rate(struct world *w)
{
	for (int i = 0; i < 40; i++)	/* the coldest of 40 is left over */
		touch(w, 10, ADDR + (uint64_t)i * TD_PAGE_SIZE, 1, 2, 3 + (i == 39 ? 0 : 1));
}
static void s_room(struct world *w)
{
	w->m.free_bytes[0] = w->m.free_bytes[1] = 0;
	touch(w, 10, ADDR, 1, 2, 3);
}
static void s_not_slow(struct world *w) { touch(w, 10, ADDR, 1, 5, 3); }
static void s_on_fast(struct world *w) { touch(w, 10, ADDR, 1, 0, 3); }
static void s_unknown(struct world *w) { touch(w, 10, ADDR, 1, TD_HOTNESS_NODE_UNKNOWN, 3); }

/* the last page of s_group_rate/s_rate is the coldest: the one held */
#define LAST (ADDR + 39 * TD_PAGE_SIZE)

static const struct agree_case agree_cases[] = {
	{ "promote", TD_REASON_PROMOTE, true, 0, s_hot },
	{ "threshold", TD_REASON_THRESHOLD, true, 0, s_threshold },
	{ "ping-pong", TD_REASON_PINGPONG, true, 0, s_pingpong },
	{ "back-off", TD_REASON_BACKOFF, true, 0, s_backoff },
	{ "mode", TD_REASON_MODE, true, 0, s_mode },
	{ "group paused", TD_REASON_GROUP_PAUSED, true, 0, s_group_paused },
	{ "no group", TD_REASON_NO_GROUP, true, 0, s_no_group },
	{ "cap", TD_REASON_CAP, true, 0, s_cap },
	{ "group rate", TD_REASON_GROUP_RATE, true, 0, s_group_rate },
	{ "rate", TD_REASON_RATE, true, 1, s_rate },
	{ "room", TD_REASON_ROOM, true, 0, s_room },
	{ "not a slow node", TD_REASON_NOT_SLOW, true, 0, s_not_slow },
	{ "on a fast node", TD_REASON_ON_FAST, true, 0, s_on_fast },
	{ "node unknown", TD_REASON_NODE_UNKNOWN, true, 0, s_unknown },
};

static bool was_moved(const struct world *w, uint64_t addr)
{
	for (unsigned i = 0; i < w->m.pages_moved; i++)
		if (w->m.moved_addr[i] == addr)
			return true;
	return false;
}

static void test_why_agrees_with_tick(void **state)
{
	for (size_t k = 0; k < sizeof(agree_cases) / sizeof(agree_cases[0]); k++) {
		const struct agree_case *c = &agree_cases[k];
		bool multi = c->setup == s_rate || c->setup == s_group_rate;
		uint64_t addr = multi ? LAST : ADDR;
		struct world w;
		enum td_reason got;

		world_init(&w, c->rate_mbps);
		c->setup(&w);
		assert_true(tick(&w, false) >= 0);
		got = why(&w, 10, addr);
		if (c->want == TD_REASON_PROMOTE) {
			/* moved, and now why says so */
			if (!was_moved(&w, addr) || got != TD_REASON_PROMOTED)
				fail_msg("%s: moved %d, why %s", c->name, was_moved(&w, addr),
					 td_reason_name(got));
		} else if (was_moved(&w, addr) || got != c->want) {
			fail_msg("%s: moved %d, why %s, want %s", c->name, was_moved(&w, addr),
				 td_reason_name(got), td_reason_name(c->want));
		}
		if (c->looked_at && td_promoter_counters(w.p)->decided[c->want] == 0)
			fail_msg("%s: the tick did not count reason %s", c->name,
				 td_reason_name(c->want));
		if (multi && w.m.pages_moved == 0)
			fail_msg("%s: the limit should leave room for some pages", c->name);
		world_fini(&w);
	}
}

static void test_paused(void **state)
{
	struct world w;

	world_init(&w, 0);
	s_hot(&w);
	assert_int_equal(tick(&w, /* paused= */ true), 0);
	assert_int_equal(w.m.calls, 0);
	assert_int_equal(why(&w, 10, ADDR), TD_REASON_PAUSED);
	/* resumed: the next tick moves it */
	assert_int_equal(tick(&w, false), 1);
	assert_int_equal(why(&w, 10, ADDR), TD_REASON_PROMOTED);
	world_fini(&w);
}

/* ------------------------------------------------------------ placement */

static void touch_from(struct world *w, uint32_t tgid, uint64_t addr, int node, int cpu_node,
		       int times)
{
	struct td_hotness_access a = {
		.addr = addr, .memcg_id = 1, .tgid = tgid, .node = (int16_t)node,
		.cpu_node = (int8_t)cpu_node,
	};

	for (int i = 0; i < times; i++)
		assert_true(td_hotness_record(w->h, &a, w->m.now) >= 0);
}

static int moved_to(const struct world *w, uint64_t addr)
{
	for (unsigned i = 0; i < w->m.pages_moved; i++)
		if (w->m.moved_addr[i] == addr)
			return w->m.moved_to[i];
	return -1;
}

static int target_of(struct world *w, uint32_t tgid, uint64_t addr, enum td_target_kind *kind)
{
	struct td_hotness_info i;

	assert_int_equal(td_hotness_get(w->h, tgid, addr, w->m.now, &i), 0);
	return td_promoter_target(w->p, &i, kind);
}

/* The accessing CPU's node, not the fast node nearest the page: issue 12's
 * three pinned workloads (CPU1/node3, CPU0/node2, CPU1/node2), and a page
 * whose accesses tell no node, which goes to the fast node nearest it. */
static void test_target_accessing_node(void **state)
{
	const uint64_t a = ADDR, b = ADDR + TD_PAGE_SIZE, c = ADDR + 2 * TD_PAGE_SIZE;
	const uint64_t u = ADDR + 3 * TD_PAGE_SIZE;
	enum td_target_kind k;
	struct world w;

	world_init(&w, 0);
	touch_from(&w, 10, a, 3, 1, 3);
	touch_from(&w, 10, b, 2, 0, 3);
	touch_from(&w, 10, c, 2, 1, 3);		/* the measured defect: it went to node 0 */
	touch_from(&w, 10, u, 3, TD_HOTNESS_NODE_UNKNOWN, 3);
	assert_int_equal(tick(&w, false), 4);
	assert_int_equal(moved_to(&w, a), 1);
	assert_int_equal(moved_to(&w, b), 0);
	assert_int_equal(moved_to(&w, c), 1);
	assert_int_equal(moved_to(&w, u), 1);
	assert_int_equal(target_of(&w, 10, c, &k), 1);
	assert_int_equal(k, TD_TARGET_LOCAL);
	assert_int_equal(target_of(&w, 10, u, &k), 1);
	assert_int_equal(k, TD_TARGET_NEAREST);
	assert_int_equal(td_promoter_counters(w.p)->targets[TD_TARGET_LOCAL], 3);
	assert_int_equal(td_promoter_counters(w.p)->targets[TD_TARGET_NEAREST], 1);
	world_fini(&w);
}

/* A page used from both sockets 3:1 goes to the majority's node. */
static void test_target_shared_majority(void **state)
{
	struct world w;

	world_init(&w, 0);
	for (int r = 0; r < 4; r++) {
		touch_from(&w, 10, ADDR, 2, 1, 1);
		touch_from(&w, 10, ADDR, 2, 0, 3);
		touch_from(&w, 10, ADDR + TD_PAGE_SIZE, 2, 0, 1);
		touch_from(&w, 10, ADDR + TD_PAGE_SIZE, 2, 1, 3);
	}
	assert_int_equal(tick(&w, false), 2);
	assert_int_equal(moved_to(&w, ADDR), 0);
	assert_int_equal(moved_to(&w, ADDR + TD_PAGE_SIZE), 1);
	world_fini(&w);
}

/* Used from both nodes with no clear majority: it waits (target shared,
 * not the node of whichever CPU faulted first); once the vote is
 * TD_PROMOTER_SHARED_VOTES ahead it goes to the majority's node. */
static void test_target_shared_unclear(void **state)
{
	enum td_target_kind k;
	struct world w;

	world_init(&w, 0);
	touch_from(&w, 10, ADDR, 2, 1, 1);
	touch_from(&w, 10, ADDR, 2, 0, 1);
	touch_from(&w, 10, ADDR, 2, 0, 1);	/* node 0 by 1: not clear */
	touch_from(&w, 10, ADDR + TD_PAGE_SIZE, 3, 1, 3);	/* one node only: goes */
	assert_int_equal(tick(&w, false), 1);
	assert_int_equal(moved_to(&w, ADDR + TD_PAGE_SIZE), 1);
	assert_int_equal(moved_to(&w, ADDR), -1);
	assert_int_equal(why(&w, 10, ADDR), TD_REASON_THRESHOLD);
	assert_int_equal(target_of(&w, 10, ADDR, &k), -1);
	assert_int_equal(k, TD_TARGET_UNCLEAR);
	assert_int_equal(td_promoter_counters(w.p)->targets[TD_TARGET_UNCLEAR], 1);
	touch_from(&w, 10, ADDR, 2, 0, TD_PROMOTER_SHARED_VOTES - 1);
	w.m.now += TICK;
	assert_int_equal(tick(&w, false), 1);
	assert_int_equal(moved_to(&w, ADDR), 0);
	world_fini(&w);
}

/* One access: with two fast nodes allowed it waits for a second (target
 * unclear); with one fast node allowed there is nothing to choose, it goes. */
static void test_target_one_access(void **state)
{
	enum td_target_kind k;
	struct world w;

	world_init(&w, 0);
	touch_from(&w, 10, ADDR, 2, 1, 1);
	assert_int_equal(tick(&w, false), 0);
	assert_int_equal(target_of(&w, 10, ADDR, &k), -1);
	assert_int_equal(k, TD_TARGET_UNCLEAR);
	touch_from(&w, 10, ADDR, 2, 1, 1);
	w.m.now += TICK;
	assert_int_equal(tick(&w, false), 1);
	assert_int_equal(moved_to(&w, ADDR), 1);
	world_fini(&w);

	world_init(&w, 0);
	w.m.allowed_10 = 1ULL << 0 | 0xc;
	touch_from(&w, 10, ADDR, 2, 1, 1);
	assert_int_equal(tick(&w, false), 1);
	assert_int_equal(moved_to(&w, ADDR), 0);
	world_fini(&w);
}

/* The accessing node full: the nearest allowed fast node with room; none
 * with room: the folio waits, counted for the node it wants. */
static void test_target_room(void **state)
{
	enum td_target_kind k;
	struct world w;

	world_init(&w, 0);
	w.m.free_bytes[0] = 0;
	touch_from(&w, 10, ADDR, 2, 0, 3);
	assert_int_equal(tick(&w, false), 1);
	assert_int_equal(moved_to(&w, ADDR), 1);
	assert_int_equal(td_promoter_counters(w.p)->targets[TD_TARGET_NEAREST], 1);
	world_fini(&w);

	world_init(&w, 0);
	w.m.free_bytes[0] = w.m.free_bytes[1] = 0;
	touch_from(&w, 10, ADDR, 2, 1, 3);
	assert_int_equal(tick(&w, false), 0);
	assert_int_equal(w.m.calls, 0);
	assert_int_equal(why(&w, 10, ADDR), TD_REASON_ROOM);
	assert_int_equal(target_of(&w, 10, ADDR, &k), -1);
	assert_int_equal(k, TD_TARGET_WAIT);
	assert_int_equal(td_promoter_counters(w.p)->targets[TD_TARGET_WAIT], 1);
	/* one page: under TD_PROMOTER_SHORTFALL_MIN, no shortfall added */
	assert_int_equal(td_promoter_counters(w.p)->waiting_node_bytes[1], TD_PAGE_SIZE);
	assert_int_equal(td_promoter_counters(w.p)->waiting_node_bytes[0], 0);
	world_fini(&w);
}

/* Enough waiting for a full node (TD_PROMOTER_SHORTFALL_MIN): the room it
 * wants is those bytes plus what it is short of its watermark. */
static void test_target_room_shortfall(void **state)
{
	struct world w;

	world_init(&w, 0);
	w.m.free_bytes[0] = 0;
	w.m.free_bytes[1] = 1 << 19;	/* half the 1 MiB watermark */
	for (int i = 0; i < 256; i++)
		touch_from(&w, 10, ADDR + (uint64_t)i * TD_PAGE_SIZE, 3, 1, 3);
	assert_int_equal(tick(&w, false), 0);
	assert_int_equal(td_promoter_counters(w.p)->waiting_node_bytes[1],
			 256 * TD_PAGE_SIZE + (1 << 19));
	assert_int_equal(td_promoter_counters(w.p)->waiting_node_bytes[0], 0);
	world_fini(&w);
}

/* The accessing node not allowed for the task (cpuset, policy): the nearest
 * allowed one, even with room on the accessing node. */
static void test_target_not_allowed_local(void **state)
{
	enum td_target_kind k;
	struct world w;

	world_init(&w, 0);
	w.m.allowed_10 = 1ULL << 0 | 1ULL << 2 | 1ULL << 3;
	touch_from(&w, 10, ADDR, 3, 1, 3);
	assert_int_equal(tick(&w, false), 1);
	assert_int_equal(moved_to(&w, ADDR), 0);
	assert_int_equal(target_of(&w, 10, ADDR, &k), 0);
	assert_int_equal(k, TD_TARGET_NEAREST);
	world_fini(&w);
}

static void test_room_bounds_the_tick(void **state)
{
	struct world w;

	world_init(&w, 0);
	/* room for 2 pages above the 1 MiB watermark on node 0, none on node 1 */
	w.m.free_bytes[0] = (1 << 20) + 2 * TD_PAGE_SIZE;
	w.m.free_bytes[1] = 0;
	for (int i = 0; i < 5; i++)
		touch(&w, 10, ADDR + (uint64_t)i * TD_PAGE_SIZE, 1, 2, 5 + i);
	assert_int_equal(tick(&w, false), 2);
	/* the two hottest went; the others are held by the room and wait */
	assert_true(was_moved(&w, ADDR + 4 * TD_PAGE_SIZE));
	assert_true(was_moved(&w, ADDR + 3 * TD_PAGE_SIZE));
	assert_int_equal(why(&w, 10, ADDR), TD_REASON_ROOM);
	assert_int_equal(td_promoter_counters(w.p)->waiting_bytes, 3 * TD_PAGE_SIZE);
	assert_int_equal(td_promoter_counters(w.p)->decided[TD_REASON_ROOM], 3);
	world_fini(&w);
}

static void test_full_node_backs_off(void **state)
{
	struct world w;

	world_init(&w, 0);
	touch(&w, 10, ADDR, 1, 2, 3);
	w.m.status_override = -ENOMEM;
	assert_int_equal(tick(&w, false), 0);
	assert_int_equal(td_promoter_counters(w.p)->errors[TD_ERR_ENOMEM], 1);
	w.m.status_override = 0;
	/* two ticks with no room: reclaim catches up */
	w.m.now += SEC / 2;	/* past the back-off, still hot */
	assert_int_equal(tick(&w, false), 0);
	assert_int_equal(why(&w, 10, ADDR), TD_REASON_ROOM);
	assert_int_equal(tick(&w, false), 0);
	assert_int_equal(tick(&w, false), 1);
	world_fini(&w);
}

static void test_free_error_means_no_room(void **state)
{
	struct world w;

	world_init(&w, 0);
	touch(&w, 10, ADDR, 1, 2, 3);
	w.m.free_err = -EIO;
	assert_int_equal(tick(&w, false), 0);
	assert_int_equal(w.m.calls, 0);
	assert_int_equal(td_promoter_counters(w.p)->ticks_no_room, 1);
	world_fini(&w);
}

static void test_dry_run(void **state)
{
	struct world w;

	world_init(&w, 0);
	td_promoter_free(w.p);
	w.c.dry_run = true;
	assert_int_equal(td_promoter_new(&w.c, &w.mops, &w.nops, w.h, &w.p), 0);
	touch(&w, 10, ADDR, 1, 2, 3);
	assert_int_equal(tick(&w, false), 0);
	assert_int_equal(w.m.calls, 0);
	assert_int_equal(td_promoter_counters(w.p)->dry_run_pages, 1);
	world_fini(&w);
}

static void test_resolves_sampled_nodes(void **state)
{
	struct world w;

	world_init(&w, 0);
	td_promoter_free(w.p);
	w.c.resolve_nodes = true;
	assert_int_equal(td_promoter_new(&w.c, &w.mops, &w.nops, w.h, &w.p), 0);
	s_unknown(&w);
	/* the query says node 1 (fast): nothing to move, and why knows it */
	assert_int_equal(tick(&w, false), 0);
	assert_int_equal(w.m.queries, 1);
	assert_int_equal(why(&w, 10, ADDR), TD_REASON_ON_FAST);
	world_fini(&w);
}

static void test_new_errors(void **state)
{
	struct world w;
	struct td_promoter *p;

	world_init(&w, 0);
	w.c.batch_pages = 0;
	assert_int_equal(td_promoter_new(&w.c, &w.mops, &w.nops, w.h, &p), -EINVAL);
	w.c.batch_pages = 1;
	assert_int_equal(td_promoter_new(&w.c, &w.mops, NULL, w.h, &p), -EINVAL);
	td_promoter_free(NULL);
	world_fini(&w);
}

#define MIB (UINT64_C(1) << 20)
#define THP_ADDR 0x7f0000200000ULL

/* A THP is one move of 2 MiB: counted as 512 pages and 2 MiB, and a rate
 * of 8 MB/s (0.8 MiB a tick) lets it go once the bucket holds 2 MiB, on
 * the third tick, not before; never more than the rate plus one folio. */
static void test_thp_bytes_and_rate(void **state)
{
	const struct td_promoter_counters *c;
	struct world w;
	int moved = 0, ticks = 0;

	world_init(&w, 8);
	touch_folio(&w, 10, THP_ADDR, 9, 3);
	for (; ticks < 10 && !moved; ticks++) {
		moved = tick(&w, false);
		w.m.now += TICK;
	}
	assert_int_equal(ticks, 3);
	assert_int_equal(moved, 512);
	c = td_promoter_counters(w.p);
	assert_int_equal(c->bytes_promoted, 2 * MIB);
	assert_int_equal(c->pages_promoted, 512);
	assert_int_equal(c->folios_promoted[9], 1);
	assert_int_equal(w.m.calls, 1);
	assert_int_equal(w.m.moved_addr[0], THP_ADDR);
	world_fini(&w);
}

/* Room in bytes: a THP does not fit 1 MiB of room, a base page does. */
static void test_thp_room(void **state)
{
	struct world w;

	world_init(&w, 0);
	w.m.free_bytes[0] = 2 * MIB;	/* 1 MiB above the 1 MiB watermark */
	w.m.free_bytes[1] = 0;
	touch_folio(&w, 10, THP_ADDR, 9, 3);
	touch(&w, 10, ADDR, 1, 2, 3);
	assert_int_equal(tick(&w, false), 1);
	assert_true(was_moved(&w, ADDR));
	assert_false(was_moved(&w, THP_ADDR));
	assert_int_equal(why(&w, 10, THP_ADDR), TD_REASON_ROOM);
	world_fini(&w);
}

/* Scarce fast memory: pages read on every scan go, pages of a region swept
 * now and then (a fifth as often) wait, with the threshold saying why; with
 * plenty of free fast memory both go (the floor), as the kernel does. */
static void test_adaptive_threshold(void **state)
{
	struct world w;

	for (int plenty = 0; plenty < 2; plenty++) {
		world_init(&w, 0);
		w.m.free_bytes[0] = plenty ? 2ULL << 30 : 512 * MIB;
		w.m.free_bytes[1] = plenty ? 2ULL << 30 : 0;
		for (int i = 0; i < 8; i++)
			touch(&w, 10, ADDR + (uint64_t)i * TD_PAGE_SIZE, 1, 2, 15);
		for (int i = 8; i < 40; i++)
			touch(&w, 10, ADDR + (uint64_t)i * TD_PAGE_SIZE, 1, 2, 3);
		assert_int_equal(tick(&w, false), plenty ? 40 : 8);
		assert_int_equal(why(&w, 10, ADDR + 20 * TD_PAGE_SIZE),
				 plenty ? TD_REASON_PROMOTED : TD_REASON_THRESHOLD);
		if (!plenty) {
			assert_true(w.pg[0].threshold > td_threshold_of(6));
			assert_true(w.pg[0].threshold <= 15 * TD_HOTNESS_ONE / 2 + TD_HOTNESS_ONE);
			assert_int_equal(w.pg[0].thr.why, TD_THRESHOLD_RELATIVE);
			assert_int_equal(td_promoter_counters(w.p)->hot_threshold, w.pg[0].threshold);
		} else {
			assert_int_equal(w.pg[0].threshold, THR);
			assert_int_equal(w.pg[0].thr.why, TD_THRESHOLD_FREE);
		}
		world_fini(&w);
	}
}

/* Placement: a process whose cpuset or NUMA policy allows no fast node is
 * left alone and costs no budget (another's page goes under a one-page
 * rate); one allowed only node 1 goes there, though node 0 is nearer. */
static void test_placement_rules(void **state)
{
	struct world w;

	world_init(&w, 1);		/* 1 MB/s: one page in 4 ms */
	w.m.allowed_10 = 0xc;		/* the slow nodes only */
	touch(&w, 10, ADDR, 1, 2, 9);
	touch(&w, 11, ADDR, 1, 2, 8);
	assert_int_equal(td_promoter_tick(w.p, w.m.now, 4000000, false, w.pg, 2), 1);
	assert_int_equal(w.m.pages_moved, 1);
	assert_int_equal(why(&w, 10, ADDR), TD_REASON_NOT_ALLOWED);
	assert_int_equal(why(&w, 11, ADDR), TD_REASON_PROMOTED);
	assert_int_equal(td_promoter_counters(w.p)->decided[TD_REASON_NOT_ALLOWED], 1);
	world_fini(&w);

	/* the not-allowed pages set no threshold for the others: a hotter
	 * pinned process beside one that may move, fast memory scarce */
	world_init(&w, 0);
	w.m.free_bytes[0] = w.m.free_bytes[1] = 512 << 20;
	w.m.allowed_10 = 0xc;
	touch(&w, 10, ADDR, 1, 2, 30);
	touch(&w, 11, ADDR, 1, 2, 8);
	assert_int_equal(tick(&w, false), 1);
	assert_int_equal(why(&w, 11, ADDR), TD_REASON_PROMOTED);
	assert_true(w.pg[0].threshold <= 8 * TD_HOTNESS_ONE);
	world_fini(&w);

	/* every candidate of the tick not allowed: why still says so */
	world_init(&w, 0);
	w.m.allowed_10 = 0xc;
	touch(&w, 10, ADDR, 1, 2, 3);
	assert_int_equal(tick(&w, false), 0);
	assert_int_equal(why(&w, 10, ADDR), TD_REASON_NOT_ALLOWED);
	world_fini(&w);

	world_init(&w, 0);
	w.m.allowed_10 = 0x2 | 0xc;	/* node 1 and the slow nodes */
	touch(&w, 10, ADDR, 1, 2, 3);	/* on node 2, nearest to node 0 */
	assert_int_equal(tick(&w, false), 1);
	assert_int_equal(w.m.moved_to[0], 1);
	world_fini(&w);

	/* not ours to read (EACCES: no CAP_SYS_PTRACE): tried, and
	 * move_pages(2), which needs the same access, decides */
	world_init(&w, 0);
	w.m.allowed_err = -EACCES;
	touch(&w, 10, ADDR, 1, 2, 3);
	assert_int_equal(tick(&w, false), 1);
	world_fini(&w);

	/* the rules cannot be read otherwise: not moved this tick, counted */
	world_init(&w, 0);
	w.m.allowed_err = -EIO;
	touch(&w, 10, ADDR, 1, 2, 3);
	assert_int_equal(tick(&w, false), 0);
	assert_int_equal(td_promoter_counters(w.p)->placement_errors, 1);
	/* OverridePlacement=yes: moved anyway */
	w.c.override_placement = true;
	td_promoter_reconfigure(w.p, &w.c);
	assert_int_equal(tick(&w, false), 1);
	world_fini(&w);
}

/* The PID's start time is checked right before each move: a process that
 * is not the one the pages were learnt from gets nothing moved and loses
 * its entries; an unknown start time is not checked. */
static void test_pid_reused_before_move(void **state)
{
	struct world w;
	struct td_hotness_info i;

	world_init(&w, 0);
	assert_int_equal(td_hotness_process_seen(w.h, 10, 5000), 1);
	assert_int_equal(td_hotness_process_seen(w.h, 11, 6000), 1);
	touch(&w, 10, ADDR, 1, 2, 3);
	touch(&w, 11, ADDR, 1, 2, 3);
	w.m.start_10 = 7000;		/* PID 10 is another process now */
	assert_int_equal(tick(&w, false), 1);
	assert_int_equal(w.m.calls, 1);
	assert_int_equal(w.m.pages_moved, 1);
	assert_int_equal(td_promoter_counters(w.p)->moves_pid_reused, 1);
	assert_int_equal(td_hotness_get(w.h, 10, ADDR, w.m.now, &i), -ENOENT);
	assert_int_equal(td_hotness_get(w.h, 11, ADDR, w.m.now, &i), 0);
	world_fini(&w);

	/* the same process: moved; gone: nothing moved, not counted as reuse */
	world_init(&w, 0);
	assert_int_equal(td_hotness_process_seen(w.h, 10, 5000), 1);
	touch(&w, 10, ADDR, 1, 2, 3);
	w.m.start_10 = 5000;
	assert_int_equal(tick(&w, false), 1);
	touch(&w, 10, ADDR + 8 * 4096, 1, 2, 3);
	w.m.start_10 = 0;
	assert_int_equal(tick(&w, false), 0);
	assert_int_equal(w.m.calls, 1);
	assert_int_equal(td_promoter_counters(w.p)->moves_pid_reused, 0);
	assert_int_equal(td_hotness_get(w.h, 10, ADDR + 8 * 4096, w.m.now, &i), -ENOENT);
	world_fini(&w);

	/* learnt without a start time: nothing to compare, not asked */
	world_init(&w, 0);
	touch(&w, 10, ADDR, 1, 2, 3);
	w.m.start_10 = 7000;
	assert_int_equal(tick(&w, false), 1);
	assert_int_equal(w.m.same_asks, 0);
	world_fini(&w);
}

/* The time in the calls and in the move phase (the fake clock moves only
 * inside a call); the group of each memcg asked once per tick, and asked
 * again by explain (the groups in force then). */
static void test_move_time_and_groups(void **state)
{
	struct world w;
	const struct td_promoter_counters *c;

	world_init(&w, 0);
	w.m.move_cost = 3000000;
	for (int i = 0; i < 20; i++) {
		touch(&w, 10, ADDR + (uint64_t)i * TD_PAGE_SIZE, 1, 2, 3);
		touch(&w, 11, ADDR + (uint64_t)i * TD_PAGE_SIZE, 2, 2, 3);
	}
	w.m.group_asks = 0;
	assert_int_equal(tick(&w, false), 40);
	c = td_promoter_counters(w.p);
	/* 16 folios per call: 2 calls for each process */
	assert_int_equal(c->calls, 4);
	assert_int_equal(c->move_ns, 4 * w.m.move_cost);
	assert_int_equal(c->run_ns, c->move_ns);
	assert_int_equal(w.m.group_asks, 2);
	/* a new tick asks again */
	touch(&w, 10, ADDR + 64 * TD_PAGE_SIZE, 1, 2, 3);
	assert_int_equal(tick(&w, false), 1);
	assert_int_equal(w.m.group_asks, 4);
	assert_int_equal(c->move_ns, 5 * w.m.move_cost);
	/* explain: memcg 1 lost its group since the tick */
	touch(&w, 10, ADDR + 65 * TD_PAGE_SIZE, 1, 2, 3);
	w.m.group_of_memcg[1] = -1;
	assert_int_equal(why(&w, 10, ADDR + 65 * TD_PAGE_SIZE), TD_REASON_NO_GROUP);
	world_fini(&w);
}

/* The real check (sysops.c) on this host's /proc: a process confirmed
 * once is confirmed again (through its pidfd), and not once it is gone. */
static void test_sys_same_process(void **state)
{
	const struct td_node_ops *ops = td_node_ops_sys();
	long tck = sysconf(_SC_CLK_TCK);
	unsigned long long ticks = 0;
	char path[64], buf[1024], *p;
	int fds[2], st;
	pid_t child;
	FILE *f;

	assert_int_equal(pipe(fds), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char b;

		close(fds[1]);
		_exit(read(fds[0], &b, 1) < 0);
	}
	close(fds[0]);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)child);
	f = fopen(path, "re");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	p = strrchr(buf, ')');
	for (int i = 0; p && i < 20; i++)
		p = strchr(p + 1, ' ');
	assert_non_null(p);
	assert_int_equal(sscanf(p, " %llu", &ticks), 1);
	ticks *= 1000000000ULL / (unsigned long long)tck;
	assert_int_equal(ops->same_process(ops->ctx, (uint32_t)child, ticks), 1);
	assert_int_equal(ops->same_process(ops->ctx, (uint32_t)child, ticks), 1);
	assert_int_equal(ops->same_process(ops->ctx, (uint32_t)child, ticks + 1000000000ULL), 0);
	assert_int_equal(ops->same_process(ops->ctx, (uint32_t)child, ticks), 1);
	close(fds[1]);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_int_equal(ops->same_process(ops->ctx, (uint32_t)child, ticks), -ESRCH);
}

/* td_proc_same_process() on a fake /proc: field 22 in clock ticks. */
static void test_proc_same_process(void **state)
{
	struct tmptree t;

	(void)state;
	tmptree_new(&t);
	tmptree_mkdir(&t, "42");
	/* a comm with spaces and ')' (the fields follow the last ')') */
	tmptree_write(&t, "42/stat", "42 (a) b ) c) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 "
				     "20 0 1 0 12345 1000000 100 18446744073709551615\n");
	/* 12345 ticks at 100 Hz: started 123.45 s .. 123.46 s after boot */
	assert_int_equal(td_proc_same_process(t.root, 42, 123450000000ULL, 100), 1);
	assert_int_equal(td_proc_same_process(t.root, 42, 123459999999ULL, 100), 1);
	assert_int_equal(td_proc_same_process(t.root, 42, 123460000000ULL, 100), 0);
	assert_int_equal(td_proc_same_process(t.root, 42, 1, 100), 0);
	assert_int_equal(td_proc_same_process(t.root, 43, 123450000000ULL, 100), -ESRCH);
	assert_int_equal(td_proc_same_process(t.root, 42, 123450000000ULL, 0), -EINVAL);
	tmptree_mkdir(&t, "44");
	tmptree_write(&t, "44/stat", "44 (short) S 1 2 3\n");
	assert_int_equal(td_proc_same_process(t.root, 44, 1, 100), -EINVAL);
	tmptree_mkdir(&t, "45");
	tmptree_write(&t, "45/stat", "45 no parenthesis\n");
	assert_int_equal(td_proc_same_process(t.root, 45, 1, 100), -EINVAL);
	tmptree_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_why_agrees_with_tick),
		cmocka_unit_test(test_paused),
		cmocka_unit_test(test_target_accessing_node),
		cmocka_unit_test(test_target_shared_majority),
		cmocka_unit_test(test_target_shared_unclear),
		cmocka_unit_test(test_target_one_access),
		cmocka_unit_test(test_target_room),
		cmocka_unit_test(test_target_room_shortfall),
		cmocka_unit_test(test_target_not_allowed_local),
		cmocka_unit_test(test_room_bounds_the_tick),
		cmocka_unit_test(test_full_node_backs_off),
		cmocka_unit_test(test_free_error_means_no_room),
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_resolves_sampled_nodes),
		cmocka_unit_test(test_new_errors),
		cmocka_unit_test(test_thp_bytes_and_rate),
		cmocka_unit_test(test_thp_room),
		cmocka_unit_test(test_adaptive_threshold),
		cmocka_unit_test(test_placement_rules),
		cmocka_unit_test(test_pid_reused_before_move),
		cmocka_unit_test(test_move_time_and_groups),
		cmocka_unit_test(test_sys_same_process),
		tmptree_test(test_proc_same_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
