// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Unit tests for lib/hotness.c, folio keying (split, collapse, mixed sizes) included. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hotness.h"

#define MS	UINT64_C(1000000)
#define SEC	UINT64_C(1000000000)
#define T0	(1000 * SEC)
#define PAGE	UINT64_C(4096)
#define ADDR(i)	(UINT64_C(0x7f0000000000) + (uint64_t)(i) * PAGE)

static struct td_hotness *mk(uint32_t capacity, uint64_t half_life_ns)
{
	struct td_hotness_params p = { .capacity = capacity, .half_life_ns = half_life_ns };
	struct td_hotness *t = NULL;

	assert_int_equal(td_hotness_new(&p, &t), 0);
	assert_non_null(t);
	return t;
}

static int rec_full(struct td_hotness *t, uint32_t tgid, uint64_t start, uint64_t addr, int node,
		    uint64_t memcg, uint64_t now)
{
	struct td_hotness_access a = {
		.tgid = tgid, .start_time = start, .addr = addr, .node = (int16_t)node,
		.memcg_id = memcg,
	};

	return td_hotness_record(t, &a, now);
}

static int rec(struct td_hotness *t, uint32_t tgid, uint64_t addr, uint64_t now)
{
	return rec_full(t, tgid, 0, addr, TD_HOTNESS_NODE_UNKNOWN, 0, now);
}

static void rec_n(struct td_hotness *t, uint32_t tgid, uint64_t addr, int n, uint64_t now)
{
	for (int i = 0; i < n; i++)
		assert_in_range(rec(t, tgid, addr, now), 0, 1);
}

static struct td_hotness_stats stats(const struct td_hotness *t)
{
	struct td_hotness_stats s;

	td_hotness_get_stats(t, &s);
	return s;
}

static uint32_t hot(const struct td_hotness *t, uint32_t tgid, uint64_t addr, uint64_t now)
{
	struct td_hotness_info info;

	assert_int_equal(td_hotness_get(t, tgid, addr, now, &info), 0);
	return info.hotness;
}

static bool present(const struct td_hotness *t, uint32_t tgid, uint64_t addr)
{
	struct td_hotness_info info;
	int r = td_hotness_get(t, tgid, addr, T0, &info);

	assert_true(r == 0 || r == -ENOENT);
	return r == 0;
}

/* ---- lifecycle ---- */

static void test_new_bad_params(void **state)
{
	static const struct {
		const char *what;
		struct td_hotness_params p;
	} cases[] = {
		{ "capacity 0", { .capacity = 0, .half_life_ns = SEC } },
		{ "capacity too big", { .capacity = TD_HOTNESS_CAPACITY_MAX + 1, .half_life_ns = SEC } },
		{ "half-life 0", { .capacity = 16, .half_life_ns = 0 } },
		{ "half-life too short", { .capacity = 16, .half_life_ns = TD_HOTNESS_HALF_LIFE_MIN_NS - 1 } },
		{ "half-life too long", { .capacity = 16, .half_life_ns = TD_HOTNESS_HALF_LIFE_MAX_NS + 1 } },
		{ "too many processes", { .capacity = 16, .half_life_ns = SEC,
					  .max_processes = TD_HOTNESS_PROCESSES_MAX + 1 } },
		{ "too many memcgs", { .capacity = 16, .half_life_ns = SEC,
				       .max_memcgs = TD_HOTNESS_MEMCGS_MAX + 1 } },
	};
	struct td_hotness_params ok = { .capacity = 16, .half_life_ns = SEC };
	struct td_hotness *t = (struct td_hotness *)&ok;	/* must stay untouched */

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case: %s\n", cases[i].what);
		assert_int_equal(td_hotness_new(&cases[i].p, &t), -EINVAL);
		assert_ptr_equal(t, &ok);
	}
	assert_int_equal(td_hotness_new(NULL, &t), -EINVAL);
	assert_int_equal(td_hotness_new(&ok, NULL), -EINVAL);

	/* The bounds themselves are accepted. */
	ok.half_life_ns = TD_HOTNESS_HALF_LIFE_MIN_NS;
	assert_int_equal(td_hotness_new(&ok, &t), 0);
	td_hotness_free(t);
	ok.half_life_ns = TD_HOTNESS_HALF_LIFE_MAX_NS;
	ok.max_processes = 1;
	ok.max_memcgs = 1;
	assert_int_equal(td_hotness_new(&ok, &t), 0);
	assert_int_equal(stats(t).capacity, 16);
	td_hotness_free(t);
	td_hotness_free(NULL);
}

static void test_bytes_per_entry(void **state)
{
	static const uint32_t caps[] = { 1u << 14, 1u << 16, 1u << 20 };

	(void)state;
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		struct td_hotness *t = mk(caps[i], SEC);
		double per = (double)td_hotness_bytes(t) / caps[i];

		print_message("capacity %u: %.2f bytes per entry\n", caps[i], per);
		assert_true(per <= 37.0);
		assert_true(per >= 35.0);	/* the slot array alone is 28 * 1.25 */
		td_hotness_free(t);
	}
}

/* ---- record / get ---- */

static void test_record_insert_update(void **state)
{
	struct td_hotness *t = mk(64, SEC);
	struct td_hotness_info info;

	(void)state;
	assert_int_equal(rec_full(t, 42, 0, ADDR(3) + 123, 1, 777, T0), 1);
	assert_int_equal(rec_full(t, 42, 0, ADDR(3), TD_HOTNESS_NODE_UNKNOWN, 0, T0), 0);
	assert_int_equal(rec_full(t, 42, 0, ADDR(4), 2, 777, T0), 1);
	assert_int_equal(rec_full(t, 43, 0, ADDR(3), 2, 778, T0), 1);

	assert_int_equal(td_hotness_get(t, 42, ADDR(3) + 5, T0, &info), 0);
	assert_int_equal(info.tgid, 42);
	assert_int_equal(info.addr, ADDR(3));
	assert_int_equal(info.hotness, 2 * TD_HOTNESS_ONE);
	assert_int_equal(info.node, 1);		/* unknown in an event keeps the known node */
	assert_int_equal(info.memcg_id, 777);	/* memcg 0 in an event keeps the known memcg */
	assert_true(info.last_access_ns <= T0 && info.last_access_ns > T0 - 10 * MS);
	assert_int_equal(info.last_move_dir, TD_HOTNESS_DIR_NONE);
	assert_int_equal(info.last_move_ns, 0);
	assert_int_equal(info.move_retries, 0);

	/* A new node and memcg in an event replace the old ones. */
	assert_int_equal(rec_full(t, 42, 0, ADDR(3), 5, 999, T0), 0);
	assert_int_equal(td_hotness_get(t, 42, ADDR(3), T0, &info), 0);
	assert_int_equal(info.node, 5);
	assert_int_equal(info.memcg_id, 999);
	assert_int_equal(stats(t).memcgs, 3);	/* 777 (ADDR(4)), 778, 999 */

	assert_int_equal(stats(t).live, 3);
	assert_int_equal(stats(t).inserts, 3);
	assert_int_equal(stats(t).updates, 2);
	assert_int_equal(stats(t).processes, 2);
	td_hotness_free(t);
}

static void test_record_invalid(void **state)
{
	static const struct {
		const char *what;
		struct td_hotness_access a;
	} cases[] = {
		{ "tgid 0", { .tgid = 0, .addr = ADDR(0) } },
		{ "tgid too big", { .tgid = TD_HOTNESS_TGID_MAX + 1, .addr = ADDR(0) } },
		{ "addr 2^57", { .tgid = 1, .addr = UINT64_C(1) << 57 } },
		{ "kernel addr", { .tgid = 1, .addr = UINT64_C(0xffff888000000000) } },
		{ "node -2", { .tgid = 1, .addr = ADDR(0), .node = -2 } },
		{ "node 64", { .tgid = 1, .addr = ADDR(0), .node = 64 } },
	};
	struct td_hotness *t = mk(16, SEC);
	struct td_hotness_access edge = {
		.tgid = TD_HOTNESS_TGID_MAX, .addr = (UINT64_C(1) << 57) - 1, .node = 63,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case: %s\n", cases[i].what);
		assert_int_equal(td_hotness_record(t, &cases[i].a, T0), -EINVAL);
	}
	assert_int_equal(stats(t).live, 0);
	assert_int_equal(stats(t).processes, 0);
	assert_int_equal(td_hotness_record(t, &edge, T0), 1);
	assert_int_equal(hot(t, edge.tgid, edge.addr, T0), TD_HOTNESS_ONE);
	td_hotness_free(t);
}

static void test_get_missing(void **state)
{
	struct td_hotness *t = mk(16, SEC);
	struct td_hotness_info info;

	(void)state;
	assert_int_equal(td_hotness_get(t, 7, ADDR(0), T0, &info), -ENOENT);
	assert_int_equal(rec(t, 7, ADDR(0), T0), 1);
	assert_int_equal(td_hotness_get(t, 7, ADDR(1), T0, &info), -ENOENT);
	assert_int_equal(td_hotness_get(t, 8, ADDR(0), T0, &info), -ENOENT);
	assert_int_equal(td_hotness_get(t, 0, ADDR(0), T0, &info), -EINVAL);
	assert_int_equal(td_hotness_get(t, 7, UINT64_C(1) << 57, T0, &info), -EINVAL);
	assert_int_equal(td_hotness_get(t, 7, ADDR(0), T0, &info), 0);
	td_hotness_free(t);
}

static void test_remove(void **state)
{
	struct td_hotness *t = mk(16, SEC);

	(void)state;
	assert_int_equal(rec(t, 7, ADDR(0), T0), 1);
	assert_int_equal(rec(t, 7, ADDR(1), T0), 1);
	assert_int_equal(td_hotness_remove(t, 7, ADDR(0)), 0);
	assert_false(present(t, 7, ADDR(0)));
	assert_true(present(t, 7, ADDR(1)));
	assert_int_equal(td_hotness_remove(t, 7, ADDR(0)), -ENOENT);
	assert_int_equal(td_hotness_remove(t, 9, ADDR(0)), -ENOENT);
	assert_int_equal(td_hotness_remove(t, 0, ADDR(0)), -EINVAL);
	assert_int_equal(stats(t).live, 1);
	/* Removed keys come back as inserts. */
	assert_int_equal(rec(t, 7, ADDR(0), T0), 1);
	td_hotness_free(t);
}

/* ---- decay ---- */

static void test_decay_half_life(void **state)
{
	static const uint64_t half_lives[] = {
		TD_HOTNESS_HALF_LIFE_MIN_NS, 1 * MS, 1 * SEC, 3700 * MS, 600 * SEC,
		TD_HOTNESS_HALF_LIFE_MAX_NS,
	};
	static const struct {
		double in_half_lives;
		double factor;
	} points[] = {
		{ 0.0, 1.0 }, { 0.5, 0.70710678 }, { 1.0, 0.5 }, { 2.0, 0.25 }, { 3.25, 0.10511205 },
		{ 10.0, 0.0009765625 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(half_lives) / sizeof(half_lives[0]); i++) {
		uint64_t hl = half_lives[i];
		struct td_hotness *t = mk(16, hl);
		uint64_t start = UINT64_C(1) << 50;	/* far from 0 for the longest half-life */

		rec_n(t, 1, ADDR(0), 1000, start);
		for (size_t k = 0; k < sizeof(points) / sizeof(points[0]); k++) {
			uint64_t now = start + (uint64_t)(points[k].in_half_lives * (double)hl);
			double want = 1000.0 * TD_HOTNESS_ONE * points[k].factor;
			double got = hot(t, 1, ADDR(0), now);

			print_message("half-life %llu ns, %.2f half-lives: got %.0f want %.0f\n",
				      (unsigned long long)hl, points[k].in_half_lives, got, want);
			assert_true(fabs(got - want) <= 0.02 * want + 1);
		}
		/* Far beyond: fully decayed. */
		assert_int_equal(hot(t, 1, ADDR(0), start + 40 * hl), 0);

		/* Recording decays first, then adds one access. */
		assert_int_equal(rec(t, 1, ADDR(0), start + hl), 0);
		double got = hot(t, 1, ADDR(0), start + hl);
		double want = 501.0 * TD_HOTNESS_ONE;
		assert_true(fabs(got - want) <= 0.02 * want);
		td_hotness_free(t);
	}
}

static void test_decay_out_of_order(void **state)
{
	struct td_hotness *t = mk(16, SEC);
	struct td_hotness_info info;

	(void)state;
	assert_int_equal(rec(t, 1, ADDR(0), T0 + SEC), 1);
	/* An older event adds its count without decay and keeps the last access. */
	assert_int_equal(rec(t, 1, ADDR(0), T0), 0);
	assert_int_equal(td_hotness_get(t, 1, ADDR(0), T0 + SEC, &info), 0);
	assert_int_equal(info.hotness, 2 * TD_HOTNESS_ONE);
	assert_true(info.last_access_ns > T0 + SEC - 10 * MS && info.last_access_ns <= T0 + SEC);
	/* Reading before the last access does not decay either. */
	assert_int_equal(hot(t, 1, ADDR(0), T0), 2 * TD_HOTNESS_ONE);
	td_hotness_free(t);
}

static void test_saturation(void **state)
{
	struct td_hotness *t = mk(16, TD_HOTNESS_HALF_LIFE_MAX_NS);

	(void)state;
	/* ~4 M accesses without decay reach the cap and stay there. */
	for (uint32_t i = 0; i < (TD_HOTNESS_MAX >> TD_HOTNESS_SHIFT) + 10; i++)
		rec(t, 1, ADDR(0), T0);
	assert_int_equal(hot(t, 1, ADDR(0), T0), TD_HOTNESS_MAX);
	td_hotness_free(t);
}

/* An entry idle for longer than 32-bit ticks can count stays cold if swept. */
static void test_sweep_clamps_age(void **state)
{
	/* 1 us half-life: 4 ns ticks, 2^32 ticks wrap after ~17 s. */
	struct td_hotness *t = mk(16, TD_HOTNESS_HALF_LIFE_MIN_NS);
	struct td_hotness_info info;
	uint64_t now;

	(void)state;
	rec_n(t, 1, ADDR(0), 5, T0);
	for (now = T0; now < T0 + 20 * SEC; now += 2 * SEC)
		assert_int_equal(td_hotness_sweep(t, now, UINT32_MAX), 0);
	assert_int_equal(td_hotness_get(t, 1, ADDR(0), now, &info), 0);
	assert_int_equal(info.hotness, 0);
	assert_true(info.last_access_ns <= now - 4 * SEC);
	assert_true(info.last_access_ns >= T0);
	td_hotness_free(t);
}

/* ---- eviction ---- */

/*
 * Capacity 4: the sample window of 8 occupied slots covers the whole table,
 * so the coldest of all must go, whichever it is.
 */
static void test_evict_coldest(void **state)
{
	static const struct {
		const char *what;
		int hits[4];		/* accesses at T0 */
		int old_hits[4];	/* accesses 10 half-lives before T0 */
		int victim;
	} cases[] = {
		{ "fewest hits 0", { 1, 5, 6, 7 }, { 0 }, 0 },
		{ "fewest hits 2", { 9, 5, 2, 7 }, { 0 }, 2 },
		{ "fewest hits 3", { 4, 5, 6, 3 }, { 0 }, 3 },
		{ "decayed 1", { 2, 0, 2, 2 }, { 0, 100, 0, 0 }, 1 },
		{ "decayed 3", { 3, 3, 3, 0 }, { 50, 0, 0, 200 }, 3 },
	};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct td_hotness *t = mk(4, SEC);

		print_message("case: %s\n", cases[c].what);
		for (int i = 0; i < 4; i++) {
			rec_n(t, 10, ADDR(i), cases[c].old_hits[i], T0 - 10 * SEC);
			rec_n(t, 10, ADDR(i), cases[c].hits[i], T0);
		}
		assert_int_equal(stats(t).live, 4);
		assert_int_equal(rec(t, 10, ADDR(100), T0), 1);
		assert_int_equal(stats(t).live, 4);
		assert_int_equal(stats(t).evictions, 1);
		for (int i = 0; i < 4; i++)
			assert_int_equal(present(t, 10, ADDR(i)), i != cases[c].victim);
		assert_true(present(t, 10, ADDR(100)));
		td_hotness_free(t);
	}
}

/* A few hot entries among many cold ones: churn must only ever evict cold ones. */
static void test_evict_never_hot(void **state)
{
	/* Long half-life: the hot entries stay hot over the 20 s of churn. */
	struct td_hotness *t = mk(64, 600 * SEC);
	uint64_t now = T0;

	(void)state;
	/* Fewer hot entries than the sample window: every window holds a cold one. */
	for (int i = 0; i < TD_HOTNESS_EVICT_SAMPLE / 2; i++)
		rec_n(t, 1, ADDR(i), 50, now);
	for (int i = 0; i < 20000; i++) {
		now += MS;
		assert_int_equal(rec(t, 2, ADDR(i), now), 1);
	}
	for (int i = 0; i < TD_HOTNESS_EVICT_SAMPLE / 2; i++)
		assert_true(present(t, 1, ADDR(i)));
	assert_int_equal(stats(t).live, 64);
	assert_int_equal(stats(t).evictions, 20000 + TD_HOTNESS_EVICT_SAMPLE / 2 - 64);
	td_hotness_free(t);
}

/* ---- iteration ---- */

static void test_hottest_order_threshold(void **state)
{
	static const struct {
		const char *what;
		uint32_t threshold;
		size_t max;
		int want_n;
		int want_first;	/* hit count of the first result */
	} cases[] = {
		{ "top 5", 0, 5, 5, 20 },
		{ "all", 0, 100, 20, 20 },
		{ "threshold 10.5", 10 * TD_HOTNESS_ONE + TD_HOTNESS_ONE / 2, 100, 10, 20 },
		{ "threshold exact 10", 10 * TD_HOTNESS_ONE, 100, 11, 20 },
		{ "threshold and max", 5 * TD_HOTNESS_ONE, 3, 3, 20 },
		{ "threshold above all", 21 * TD_HOTNESS_ONE, 100, 0, 0 },
		{ "max 1", 0, 1, 1, 20 },
		{ "max 0", 0, 0, 0, 0 },
	};
	struct td_hotness *t = mk(256, TD_HOTNESS_HALF_LIFE_MAX_NS);
	struct td_hotness_info out[100];

	(void)state;
	/* Page i gets i hits; insert in a scrambled order. */
	for (int k = 0; k < 20; k++) {
		int i = (k * 7) % 20 + 1;

		rec_n(t, 3, ADDR(i), i, T0);
	}
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		int n = td_hotness_hottest(t, T0, cases[c].threshold, NULL, NULL, cases[c].max, out);

		print_message("case: %s\n", cases[c].what);
		assert_int_equal(n, cases[c].want_n);
		for (int k = 0; k < n; k++) {
			uint32_t want = (uint32_t)(cases[c].want_first - k) * TD_HOTNESS_ONE;

			assert_int_equal(out[k].hotness, want);
			assert_int_equal(out[k].addr, ADDR(cases[c].want_first - k));
			assert_int_equal(out[k].tgid, 3);
		}
	}
	assert_int_equal(td_hotness_hottest(t, T0, 0, NULL, NULL, 1, NULL), -EINVAL);
	assert_int_equal(td_hotness_hottest(t, T0, 0, NULL, NULL, 0, NULL), 0);
	td_hotness_free(t);
}

static void test_hottest_decays(void **state)
{
	struct td_hotness *t = mk(16, SEC);
	struct td_hotness_info out[4];

	(void)state;
	/* 8 hits long ago decay below 3 recent ones. */
	rec_n(t, 1, ADDR(0), 8, T0 - 3 * SEC);
	rec_n(t, 1, ADDR(1), 3, T0);
	assert_int_equal(td_hotness_hottest(t, T0, 0, NULL, NULL, 4, out), 2);
	assert_int_equal(out[0].addr, ADDR(1));
	assert_int_equal(out[1].addr, ADDR(0));
	assert_true(out[1].hotness < 2 * TD_HOTNESS_ONE);
	/* Threshold applies to the decayed value. */
	assert_int_equal(td_hotness_hottest(t, T0, 2 * TD_HOTNESS_ONE, NULL, NULL, 4, out), 1);
	td_hotness_free(t);
}

struct filter_arg {
	int node;
	uint64_t memcg_id;
	int calls;
};

static bool filter_node_memcg(const struct td_hotness_info *info, void *userdata)
{
	struct filter_arg *f = userdata;

	f->calls++;
	return info->node == f->node && (!f->memcg_id || info->memcg_id == f->memcg_id);
}

static void test_hottest_filter(void **state)
{
	static const struct {
		const char *what;
		int node;
		uint64_t memcg_id;
		uint32_t threshold;
		int want_n;
		int want_calls;
	} cases[] = {
		{ "slow node 1", 1, 0, 0, 15, 30 },
		{ "node 0", 0, 0, 0, 15, 30 },
		{ "node 1 memcg 200", 1, 200, 0, 5, 30 },
		{ "node 2: none", 2, 0, 0, 0, 30 },
		{ "threshold first", 1, 0, 16 * TD_HOTNESS_ONE, 7, 15 },
	};
	struct td_hotness *t = mk(256, TD_HOTNESS_HALF_LIFE_MAX_NS);
	struct td_hotness_info out[64];

	(void)state;
	/* 30 pages, hits 1..30; node i % 2, memcg 100 + i % 3 * 50. */
	for (int i = 1; i <= 30; i++)
		for (int k = 0; k < i; k++)
			rec_full(t, 4, 0, ADDR(i), i % 2, 100 + (uint64_t)(i % 3) * 50, T0);

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct filter_arg f = { .node = cases[c].node, .memcg_id = cases[c].memcg_id };
		int n = td_hotness_hottest(t, T0, cases[c].threshold, filter_node_memcg, &f, 64, out);

		print_message("case: %s\n", cases[c].what);
		assert_int_equal(n, cases[c].want_n);
		assert_int_equal(f.calls, cases[c].want_calls);
		for (int k = 0; k < n; k++) {
			assert_int_equal(out[k].node, cases[c].node);
			if (cases[c].memcg_id)
				assert_int_equal(out[k].memcg_id, cases[c].memcg_id);
			if (k)
				assert_true(out[k - 1].hotness > out[k].hotness);
		}
	}
	td_hotness_free(t);
}

struct foreach_arg {
	int seen;
	int stop_after;
	uint64_t addr_sum;
};

static int count_entries(const struct td_hotness_info *info, void *userdata)
{
	struct foreach_arg *f = userdata;

	f->seen++;
	f->addr_sum += info->addr;
	return f->seen == f->stop_after ? -EINTR : 0;
}

static void test_foreach(void **state)
{
	struct td_hotness *t = mk(64, SEC);
	struct foreach_arg f = { 0 };
	uint64_t sum = 0;

	(void)state;
	assert_int_equal(td_hotness_foreach(t, T0, count_entries, &f), 0);
	assert_int_equal(f.seen, 0);
	for (int i = 0; i < 40; i++) {
		rec(t, 5 + i % 3, ADDR(i), T0);
		sum += ADDR(i);
	}
	assert_int_equal(td_hotness_foreach(t, T0, count_entries, &f), 0);
	assert_int_equal(f.seen, 40);
	assert_int_equal(f.addr_sum, sum);

	f = (struct foreach_arg){ .stop_after = 7 };
	assert_int_equal(td_hotness_foreach(t, T0, count_entries, &f), -EINTR);
	assert_int_equal(f.seen, 7);
	assert_int_equal(td_hotness_foreach(t, T0, NULL, NULL), -EINVAL);
	td_hotness_free(t);
}

/* ---- processes ---- */

static int count_tgid_cb(const struct td_hotness_info *info, void *userdata)
{
	int *counts = userdata;

	counts[info->tgid < 16 ? info->tgid : 0]++;
	return 0;
}

static void test_pid_reuse(void **state)
{
	struct td_hotness *t = mk(64, SEC);
	int counts[16] = { 0 };

	(void)state;
	assert_int_equal(td_hotness_process_seen(t, 9, 1000), 1);
	assert_int_equal(td_hotness_process_seen(t, 9, 1000), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(rec_full(t, 9, 1000, ADDR(i), 0, 0, T0), 1);
	assert_int_equal(rec(t, 8, ADDR(0), T0), 1);
	/* start_time 0 in an event means "unknown", not a new process. */
	assert_int_equal(rec(t, 9, ADDR(0), T0), 0);
	assert_int_equal(stats(t).live, 11);

	/* tgid 9 comes back as another process: its old pages are gone. */
	assert_int_equal(td_hotness_process_seen(t, 9, 2000), 1);
	assert_int_equal(stats(t).pid_reuses, 1);
	assert_int_equal(stats(t).live, 1);
	assert_int_equal(stats(t).stale, 10);
	for (int i = 0; i < 10; i++)
		assert_false(present(t, 9, ADDR(i)));
	assert_true(present(t, 8, ADDR(0)));
	assert_int_equal(rec_full(t, 9, 2000, ADDR(0), 0, 0, T0), 1);
	assert_int_equal(hot(t, 9, ADDR(0), T0), TD_HOTNESS_ONE);
	td_hotness_foreach(t, T0, count_tgid_cb, counts);
	assert_int_equal(counts[9], 1);
	assert_int_equal(counts[8], 1);

	/* Reuse noticed through record() alone. */
	assert_int_equal(rec_full(t, 9, 3000, ADDR(0), 0, 0, T0), 1);
	assert_int_equal(stats(t).pid_reuses, 2);
	assert_int_equal(stats(t).live, 2);

	/* Sweeping reclaims every stale entry and the dead processes. */
	assert_int_equal(td_hotness_sweep(t, T0, UINT32_MAX), 11);
	assert_int_equal(stats(t).stale, 0);
	assert_int_equal(stats(t).stale_dropped, 11);
	assert_int_equal(stats(t).processes, 2);
	assert_int_equal(td_hotness_sweep(t, T0, UINT32_MAX), 0);
	assert_int_equal(stats(t).live, 2);

	assert_int_equal(td_hotness_process_seen(t, 0, 1), -EINVAL);
	assert_int_equal(td_hotness_process_seen(t, 9, 0), -EINVAL);
	assert_int_equal(td_hotness_process_seen(t, TD_HOTNESS_TGID_MAX + 1, 1), -EINVAL);
	td_hotness_free(t);
}

static void test_start_time_adopted(void **state)
{
	struct td_hotness *t = mk(64, SEC);

	(void)state;
	/* First seen through events without a start time: learning it keeps the pages. */
	assert_int_equal(rec(t, 12, ADDR(0), T0), 1);
	assert_int_equal(td_hotness_process_seen(t, 12, 555), 0);
	assert_true(present(t, 12, ADDR(0)));
	assert_int_equal(stats(t).pid_reuses, 0);
	assert_int_equal(td_hotness_process_seen(t, 12, 556), 1);
	assert_false(present(t, 12, ADDR(0)));
	td_hotness_free(t);
}

static void test_process_start(void **state)
{
	struct td_hotness *t = mk(64, SEC);
	uint64_t st = 7;

	(void)state;
	assert_int_equal(td_hotness_process_start(t, 12, &st), -ENOENT);
	assert_int_equal(st, 7);
	assert_int_equal(rec(t, 12, ADDR(0), T0), 1);
	assert_int_equal(td_hotness_process_start(t, 12, &st), 0);
	assert_int_equal(st, 0);	/* seen without a start time */
	assert_int_equal(td_hotness_process_seen(t, 12, 555), 0);
	assert_int_equal(td_hotness_process_start(t, 12, &st), 0);
	assert_int_equal(st, 555);
	assert_int_equal(td_hotness_process_seen(t, 12, 600), 1);
	assert_int_equal(td_hotness_process_start(t, 12, &st), 0);
	assert_int_equal(st, 600);
	assert_int_equal(td_hotness_forget_process(t, 12), 0);
	assert_int_equal(td_hotness_process_start(t, 12, &st), -ENOENT);
	assert_int_equal(td_hotness_process_start(t, 0, &st), -EINVAL);
	assert_int_equal(td_hotness_process_start(t, TD_HOTNESS_TGID_MAX + 1, &st), -EINVAL);
	td_hotness_free(t);
}

static void test_forget_process(void **state)
{
	struct td_hotness *t = mk(64, SEC);
	struct td_hotness_info out[64];

	(void)state;
	for (int i = 0; i < 20; i++) {
		rec_n(t, 1, ADDR(i), 5, T0);
		rec(t, 2, ADDR(i), T0);
	}
	assert_int_equal(td_hotness_forget_process(t, 1), 0);
	assert_int_equal(stats(t).live, 20);
	for (int i = 0; i < 20; i++) {
		assert_false(present(t, 1, ADDR(i)));
		assert_true(present(t, 2, ADDR(i)));
	}
	/* The dropped pages were the hottest; none may come back from iteration. */
	assert_int_equal(td_hotness_hottest(t, T0, 0, NULL, NULL, 64, out), 20);
	for (int i = 0; i < 20; i++)
		assert_int_equal(out[i].tgid, 2);
	assert_int_equal(td_hotness_forget_process(t, 1), -ENOENT);
	assert_int_equal(td_hotness_forget_process(t, 77), -ENOENT);
	assert_int_equal(td_hotness_forget_process(t, 0), -EINVAL);
	/* Same tgid again starts from scratch. */
	assert_int_equal(rec(t, 1, ADDR(0), T0), 1);
	assert_int_equal(hot(t, 1, ADDR(0), T0), TD_HOTNESS_ONE);
	td_hotness_free(t);
}

/* Stale entries are evicted before any live one, without counting as evictions. */
static void test_stale_evicted_first(void **state)
{
	struct td_hotness *t = mk(4, SEC);

	(void)state;
	for (int i = 0; i < 4; i++)
		rec_n(t, 1, ADDR(i), 10, T0);
	assert_int_equal(td_hotness_forget_process(t, 1), 0);
	rec(t, 2, ADDR(100), T0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(rec(t, 2, ADDR(i), T0), 1);
	assert_int_equal(stats(t).evictions, 1);	/* only the 5th of process 2 */
	assert_int_equal(stats(t).stale_dropped, 4);
	assert_int_equal(stats(t).stale, 0);
	assert_int_equal(stats(t).live, 4);
	assert_int_equal(stats(t).processes, 1);
	td_hotness_free(t);
}

static void test_process_table_full(void **state)
{
	struct td_hotness_params p = { .capacity = 64, .half_life_ns = SEC, .max_processes = 2 };
	struct td_hotness *t;

	(void)state;
	assert_int_equal(td_hotness_new(&p, &t), 0);
	assert_int_equal(rec(t, 1, ADDR(0), T0), 1);
	assert_int_equal(rec(t, 2, ADDR(0), T0), 1);
	assert_int_equal(rec(t, 3, ADDR(0), T0), -ENOSPC);
	assert_int_equal(td_hotness_process_seen(t, 3, 1), -ENOSPC);
	/* A forgotten process holds its slot until its entries are reclaimed. */
	assert_int_equal(td_hotness_forget_process(t, 1), 0);
	assert_int_equal(rec(t, 3, ADDR(0), T0), -ENOSPC);
	assert_int_equal(td_hotness_sweep(t, T0, UINT32_MAX), 1);
	assert_int_equal(rec(t, 3, ADDR(0), T0), 1);
	/* A process without entries is freed at once. */
	assert_int_equal(td_hotness_remove(t, 2, ADDR(0)), 0);
	assert_int_equal(td_hotness_forget_process(t, 2), 0);
	assert_int_equal(td_hotness_process_seen(t, 4, 1), 1);
	assert_int_equal(stats(t).processes, 2);
	td_hotness_free(t);
}

static void test_memcg_table_full(void **state)
{
	struct td_hotness_params p = { .capacity = 64, .half_life_ns = SEC, .max_memcgs = 1 };
	struct td_hotness_info info;
	struct td_hotness *t;

	(void)state;
	assert_int_equal(td_hotness_new(&p, &t), 0);
	assert_int_equal(rec_full(t, 1, 0, ADDR(0), 0, 500, T0), 1);
	assert_int_equal(rec_full(t, 1, 0, ADDR(1), 0, 500, T0), 1);
	/* No room for a second memcg: the entry is kept with memcg unknown. */
	assert_int_equal(rec_full(t, 1, 0, ADDR(2), 0, 600, T0), 1);
	assert_int_equal(td_hotness_get(t, 1, ADDR(2), T0, &info), 0);
	assert_int_equal(info.memcg_id, 0);
	assert_int_equal(stats(t).memcg_overflows, 1);
	/* Once nothing references memcg 500, its slot is free again. */
	assert_int_equal(td_hotness_remove(t, 1, ADDR(0)), 0);
	assert_int_equal(stats(t).memcgs, 1);
	assert_int_equal(td_hotness_remove(t, 1, ADDR(1)), 0);
	assert_int_equal(stats(t).memcgs, 0);
	assert_int_equal(rec_full(t, 1, 0, ADDR(2), 0, 600, T0), 0);
	assert_int_equal(td_hotness_get(t, 1, ADDR(2), T0, &info), 0);
	assert_int_equal(info.memcg_id, 600);
	td_hotness_free(t);
}

/* ---- promoter state ---- */

static void test_set_node(void **state)
{
	static const struct {
		int node;
		int ret;
		int want;
	} cases[] = {
		{ 3, 0, 3 }, { 0, 0, 0 }, { 63, 0, 63 }, { TD_HOTNESS_NODE_UNKNOWN, 0, -1 },
		{ 64, -EINVAL, -1 }, { -2, -EINVAL, -1 },
	};
	struct td_hotness *t = mk(16, SEC);
	struct td_hotness_info info;

	(void)state;
	rec_full(t, 1, 0, ADDR(0), 2, 0, T0);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		assert_int_equal(td_hotness_set_node(t, 1, ADDR(0), cases[c].node), cases[c].ret);
		assert_int_equal(td_hotness_get(t, 1, ADDR(0), T0, &info), 0);
		assert_int_equal(info.node, cases[c].want);
	}
	assert_int_equal(td_hotness_set_node(t, 1, ADDR(1), 1), -ENOENT);
	assert_int_equal(td_hotness_set_node(t, 0, ADDR(0), 1), -EINVAL);
	td_hotness_free(t);
}

/* A late event's node (a hint fault raised before our move, read after it)
 * does not undo the move; one raised after the move sets it. */
static void test_note_node_after_move(void **state)
{
	struct td_hotness *t = mk(16, SEC);
	struct td_hotness_info info;

	(void)state;
	rec_full(t, 1, 0, ADDR(0), 2, 0, T0);
	assert_int_equal(td_hotness_note_node(t, 1, ADDR(0), 3, T0), 0);	/* never moved */
	assert_int_equal(td_hotness_get(t, 1, ADDR(0), T0, &info), 0);
	assert_int_equal(info.node, 3);
	assert_int_equal(td_hotness_note_move(t, 1, ADDR(0), TD_HOTNESS_DIR_PROMOTE, 0, T0 + 2 * SEC), 0);
	assert_int_equal(td_hotness_note_node(t, 1, ADDR(0), 2, T0 + SEC), 0);	/* raised before */
	assert_int_equal(td_hotness_note_node(t, 1, ADDR(0), 2, T0 + 2 * SEC), 0);	/* same tick */
	assert_int_equal(td_hotness_get(t, 1, ADDR(0), T0 + 3 * SEC, &info), 0);
	assert_int_equal(info.node, 0);
	assert_int_equal(td_hotness_note_node(t, 1, ADDR(0), 2, T0 + 4 * SEC), 0);	/* after */
	assert_int_equal(td_hotness_get(t, 1, ADDR(0), T0 + 4 * SEC, &info), 0);
	assert_int_equal(info.node, 2);
	assert_int_equal(td_hotness_note_node(t, 1, ADDR(1), 2, T0), -ENOENT);
	assert_int_equal(td_hotness_note_node(t, 1, ADDR(0), 64, T0), -EINVAL);
	td_hotness_free(t);
}

static void test_move_state(void **state)
{
	struct td_hotness *t = mk(16, SEC);
	struct td_hotness_info info;

	(void)state;
	rec_full(t, 1, 0, ADDR(0), 2, 0, T0);
	assert_int_equal(td_hotness_note_move(t, 1, ADDR(0), TD_HOTNESS_DIR_PROMOTE, 0, T0 + SEC), 0);
	assert_int_equal(td_hotness_get(t, 1, ADDR(0), T0 + 2 * SEC, &info), 0);
	assert_int_equal(info.node, 0);
	assert_int_equal(info.last_move_dir, TD_HOTNESS_DIR_PROMOTE);
	assert_int_equal(info.move_retries, 0);
	assert_true(info.last_move_ns <= T0 + SEC && info.last_move_ns > T0 + SEC - 10 * MS);
	/* Two half-lives later, unaffected by moves (within tick rounding). */
	assert_in_range(info.hotness, TD_HOTNESS_ONE / 4 - 4, TD_HOTNESS_ONE / 4 + 4);

	for (int i = 1; i <= TD_HOTNESS_RETRIES_MAX + 3; i++) {
		int want = i < TD_HOTNESS_RETRIES_MAX ? i : TD_HOTNESS_RETRIES_MAX;

		assert_int_equal(td_hotness_note_move_failed(t, 1, ADDR(0), TD_HOTNESS_DIR_DEMOTE,
							     T0 + 3 * SEC), want);
	}
	assert_int_equal(td_hotness_get(t, 1, ADDR(0), T0 + 3 * SEC, &info), 0);
	assert_int_equal(info.last_move_dir, TD_HOTNESS_DIR_DEMOTE);
	assert_int_equal(info.move_retries, TD_HOTNESS_RETRIES_MAX);
	assert_int_equal(info.node, 0);		/* a failed move does not move */
	assert_true(info.last_move_ns > T0 + 2 * SEC);

	assert_int_equal(td_hotness_note_move(t, 1, ADDR(0), TD_HOTNESS_DIR_DEMOTE, 3, T0 + 4 * SEC), 0);
	assert_int_equal(td_hotness_get(t, 1, ADDR(0), T0 + 4 * SEC, &info), 0);
	assert_int_equal(info.move_retries, 0);
	assert_int_equal(info.node, 3);

	assert_int_equal(td_hotness_note_move(t, 1, ADDR(0), TD_HOTNESS_DIR_NONE, 0, T0), -EINVAL);
	assert_int_equal(td_hotness_note_move(t, 1, ADDR(0), 7, 0, T0), -EINVAL);
	assert_int_equal(td_hotness_note_move(t, 1, ADDR(0), TD_HOTNESS_DIR_PROMOTE, 64, T0), -EINVAL);
	assert_int_equal(td_hotness_note_move(t, 1, ADDR(1), TD_HOTNESS_DIR_PROMOTE, 0, T0), -ENOENT);
	assert_int_equal(td_hotness_note_move_failed(t, 1, ADDR(0), TD_HOTNESS_DIR_NONE, T0), -EINVAL);
	assert_int_equal(td_hotness_note_move_failed(t, 2, ADDR(0), TD_HOTNESS_DIR_DEMOTE, T0), -ENOENT);
	assert_int_equal(td_hotness_note_move_failed(t, 0, ADDR(0), TD_HOTNESS_DIR_DEMOTE, T0), -EINVAL);
	td_hotness_free(t);
}

/* An event raised before a move landed must not undo the move's node. */
static void test_stale_event_keeps_moved_node(void **state)
{
	struct td_hotness *t = mk(16, SEC);
	struct td_hotness_info info;

	(void)state;
	assert_int_equal(rec_full(t, 1, 0, ADDR(0), 1, 0, T0), 1);
	assert_int_equal(td_hotness_note_move(t, 1, ADDR(0), TD_HOTNESS_DIR_PROMOTE, 0, T0 + SEC), 0);
	/* in flight: stamped just before the move, consumed after it */
	assert_int_equal(rec_full(t, 1, 0, ADDR(0), 1, 0, T0 + SEC - MS), 0);
	assert_int_equal(td_hotness_get(t, 1, ADDR(0), T0 + SEC, &info), 0);
	assert_int_equal(info.node, 0);
	/* a later event on the slow node is news (e.g. demoted since): taken */
	assert_int_equal(rec_full(t, 1, 0, ADDR(0), 1, 0, T0 + 2 * SEC), 0);
	assert_int_equal(td_hotness_get(t, 1, ADDR(0), T0 + 2 * SEC, &info), 0);
	assert_int_equal(info.node, 1);
	td_hotness_free(t);
}

/* ---- model check ---- */

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Random inserts, removals and process exits against a plain array model, in
 * a small table so probe clusters wrap around the end of the array and
 * backward-shift deletion is exercised. Capacity is never exceeded, so the
 * model needs no eviction.
 */
static void test_model(void **state)
{
	enum { CAP = 50, NPROC = 4, NPAGE = 40 };
	static bool model[NPROC + 1][NPAGE];
	struct td_hotness_params p = { .capacity = CAP, .half_life_ns = SEC, .max_processes = 8 };
	struct td_hotness *t;
	uint64_t seed = 0x9e3779b97f4a7c15;
	int live = 0;

	(void)state;
	memset(model, 0, sizeof(model));
	assert_int_equal(td_hotness_new(&p, &t), 0);
	for (int step = 0; step < 200000; step++) {
		uint64_t r = rng_next(&seed);
		uint32_t tgid = 1 + (uint32_t)(r % NPROC);
		int page = (int)((r >> 8) % NPAGE);
		int op = (int)((r >> 20) % 100);

		if (op < 55 && (live < CAP || model[tgid][page])) {
			assert_int_equal(rec(t, tgid, ADDR(page), T0), model[tgid][page] ? 0 : 1);
			live += !model[tgid][page];
			model[tgid][page] = true;
		} else if (op < 97) {
			assert_int_equal(td_hotness_remove(t, tgid, ADDR(page)),
					 model[tgid][page] ? 0 : -ENOENT);
			live -= model[tgid][page];
			model[tgid][page] = false;
		} else if (op < 99) {
			int r2 = td_hotness_forget_process(t, tgid);

			assert_true(r2 == 0 || r2 == -ENOENT);
			/* Reclaim at once: stale entries count against capacity. */
			td_hotness_sweep(t, T0, UINT32_MAX);
			assert_int_equal(stats(t).stale, 0);
			for (int i = 0; i < NPAGE; i++) {
				live -= model[tgid][i];
				model[tgid][i] = false;
			}
		} else {
			td_hotness_sweep(t, T0, (uint32_t)(r >> 40) % 16);
		}
		assert_int_equal(stats(t).live, live);
		if (step % 1000 == 0)
			for (uint32_t g = 1; g <= NPROC; g++)
				for (int i = 0; i < NPAGE; i++)
					assert_int_equal(present(t, g, ADDR(i)), model[g][i]);
	}
	assert_int_equal(stats(t).evictions, 0);
	td_hotness_free(t);
}

struct reach_arg {
	const struct td_hotness *t;
	int seen;
	int unreachable;
};

static int check_reachable(const struct td_hotness_info *info, void *userdata)
{
	struct reach_arg *r = userdata;
	struct td_hotness_info again;

	r->seen++;
	if (td_hotness_get(r->t, info->tgid, info->addr, T0, &again) || again.hotness != info->hotness)
		r->unreachable++;
	return 0;
}

/*
 * Churn through full tables of several sizes (so probe windows wrap around
 * the array end): every entry the table holds must stay reachable by lookup,
 * the key just recorded must be present and the table must stay full.
 */
static void test_evict_consistency(void **state)
{
	static const uint32_t caps[] = { 1, 2, 3, 4, 7, 16, 33, 100 };
	uint64_t seed = 0x853c49e6748fea9b;

	(void)state;
	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		struct td_hotness *t = mk(caps[c], SEC);
		uint64_t now = T0;

		for (int step = 0; step < 20000; step++) {
			uint64_t r = rng_next(&seed);
			uint32_t tgid = 1 + (uint32_t)(r % 3);
			uint64_t addr = ADDR((r >> 8) % (3 * caps[c] + 5));
			struct reach_arg ra = { .t = t };

			now += (r >> 40) % (100 * MS);
			if ((r >> 32) % 8 == 0) {
				int rr = td_hotness_remove(t, tgid, addr);

				assert_true(rr == 0 || rr == -ENOENT);
			} else {
				assert_in_range(rec(t, tgid, addr, now), 0, 1);
				assert_true(present(t, tgid, addr));
			}
			td_hotness_foreach(t, T0, check_reachable, &ra);
			assert_int_equal(ra.unreachable, 0);
			assert_int_equal(ra.seen, stats(t).live);
			assert_true(stats(t).live <= caps[c]);
		}
		assert_true(stats(t).evictions > 0);
		td_hotness_free(t);
	}
}

struct collect_arg {
	struct td_hotness_info *out;
	int n;
};

static int collect(const struct td_hotness_info *info, void *userdata)
{
	struct collect_arg *c = userdata;

	c->out[c->n++] = *info;
	return 0;
}

static int info_cmp(const void *a, const void *b)
{
	const struct td_hotness_info *x = a, *y = b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Tables @a and @b hold the same live entries (@ia, @ib: room for all of them). */
static void assert_same_entries(const struct td_hotness *a, const struct td_hotness *b, uint64_t now,
				struct td_hotness_info *ia, struct td_hotness_info *ib)
{
	struct collect_arg ca = { .out = ia }, cb = { .out = ib };

	td_hotness_foreach(a, now, collect, &ca);
	td_hotness_foreach(b, now, collect, &cb);
	assert_int_equal(ca.n, cb.n);
	qsort(ia, (size_t)ca.n, sizeof(ia[0]), info_cmp);
	qsort(ib, (size_t)cb.n, sizeof(ib[0]), info_cmp);
	for (int i = 0; i < ca.n; i++) {
		assert_int_equal(ia[i].tgid, ib[i].tgid);
		assert_int_equal(ia[i].addr, ib[i].addr);
		assert_int_equal(ia[i].order, ib[i].order);
		assert_int_equal(ia[i].hotness, ib[i].hotness);
		assert_int_equal(ia[i].node, ib[i].node);
		assert_int_equal(ia[i].memcg_id, ib[i].memcg_id);
		assert_int_equal(ia[i].last_access_ns, ib[i].last_access_ns);
		assert_int_equal(ia[i].last_move_dir, ib[i].last_move_dir);
	}
}

/*
 * td_hotness_record_batch() must leave exactly the state td_hotness_record()
 * one by one leaves, including processes registered and reused mid-batch,
 * evictions and rejected accesses.
 */
static void test_record_batch(void **state)
{
	enum { CAP = 48, MAXN = 64 };
	static struct td_hotness_info ia[CAP], ib[CAP];
	struct td_hotness_access batch[MAXN];
	struct td_hotness_params p = { .capacity = CAP, .half_life_ns = SEC, .max_processes = 4 };
	struct td_hotness *a, *b;
	uint64_t seed = 0xda942042e4dd58b5, now = T0, start[8] = { 0 };

	(void)state;
	assert_int_equal(td_hotness_new(&p, &a), 0);
	assert_int_equal(td_hotness_new(&p, &b), 0);
	assert_int_equal(td_hotness_record_batch(a, batch, 0, now), 0);
	for (int round = 0; round < 3000; round++) {
		size_t n = 1 + rng_next(&seed) % MAXN;
		int rejected = 0;

		for (size_t i = 0; i < n; i++) {
			uint64_t r = rng_next(&seed);
			uint32_t tgid = 1 + (uint32_t)(r % 6);	/* 6 tgids, 4 process slots */

			if ((r >> 8) % 50 == 0)
				start[tgid]++;	/* PID reuse */
			batch[i] = (struct td_hotness_access){
				.tgid = (r >> 16) % 100 == 0 ? 0 : tgid,
				.start_time = (r >> 24) % 2 ? start[tgid] : 0,
				.addr = ADDR((r >> 32) % 80),
				.node = (int16_t)((r >> 40) % 70 - 1),	/* some invalid */
				.memcg_id = (r >> 48) % 5,
			};
		}
		now += (rng_next(&seed) % 300) * MS;
		for (size_t i = 0; i < n; i++)
			rejected += td_hotness_record(b, &batch[i], now) < 0;
		assert_int_equal(td_hotness_record_batch(a, batch, n, now), rejected);

		if (round % 100 == 99) {
			/* Free process slots now and then, as the daemon's sweep would. */
			uint32_t g = 1 + (uint32_t)(rng_next(&seed) % 6);

			assert_int_equal(td_hotness_forget_process(a, g), td_hotness_forget_process(b, g));
			td_hotness_sweep(a, now, UINT32_MAX);
			td_hotness_sweep(b, now, UINT32_MAX);
		}
		assert_same_entries(a, b, now, ia, ib);
	}
	assert_true(stats(a).evictions > 0);
	assert_true(stats(a).pid_reuses > 0);
	assert_int_equal(stats(a).inserts, stats(b).inserts);
	assert_int_equal(stats(a).updates, stats(b).updates);
	assert_int_equal(stats(a).evictions, stats(b).evictions);
	td_hotness_free(a);
	td_hotness_free(b);
}

/* Process and memcg side tables: churn in tables small enough to collide. */
static void test_side_table_model(void **state)
{
	enum { NTGID = 40, NPAGE = 8, NMEMCG = 30 };
	struct td_hotness_params p = {
		.capacity = 64, .half_life_ns = SEC, .max_processes = 9, .max_memcgs = NPAGE,
	};
	bool known[NTGID + 1] = { false };
	uint64_t memcg[NPAGE] = { 0 };	/* 0: page absent */
	struct td_hotness *t;
	uint64_t seed = 0x243f6a8885a308d3;
	int nknown = 0;

	(void)state;
	assert_int_equal(td_hotness_new(&p, &t), 0);
	/* tgid 1000 owns the pages and one of the 9 process slots. */
	assert_int_equal(td_hotness_process_seen(t, 1000, 1), 1);
	for (int step = 0; step < 100000; step++) {
		uint64_t r = rng_next(&seed);
		uint32_t tgid = 1 + (uint32_t)(r % NTGID);
		int page = (int)((r >> 8) % NPAGE);
		struct td_hotness_info info;
		bool used[NMEMCG + 1] = { false };
		int distinct = 0;

		switch ((r >> 16) % 4) {
		case 0:
			if (!known[tgid] && nknown == 8) {
				assert_int_equal(td_hotness_process_seen(t, tgid, 1), -ENOSPC);
				break;
			}
			assert_int_equal(td_hotness_process_seen(t, tgid, 1), known[tgid] ? 0 : 1);
			nknown += !known[tgid];
			known[tgid] = true;
			break;
		case 1:
			assert_int_equal(td_hotness_forget_process(t, tgid), known[tgid] ? 0 : -ENOENT);
			nknown -= known[tgid];
			known[tgid] = false;
			break;
		case 2:
			memcg[page] = 1 + (r >> 24) % NMEMCG;
			assert_in_range(rec_full(t, 1000, 1, ADDR(page), 0, memcg[page], T0), 0, 1);
			break;
		default:
			assert_int_equal(td_hotness_remove(t, 1000, ADDR(page)), memcg[page] ? 0 : -ENOENT);
			memcg[page] = 0;
			break;
		}
		for (int i = 0; i < NPAGE; i++) {
			if (!memcg[i]) {
				assert_false(present(t, 1000, ADDR(i)));
				continue;
			}
			assert_int_equal(td_hotness_get(t, 1000, ADDR(i), T0, &info), 0);
			assert_int_equal(info.memcg_id, memcg[i]);
			distinct += !used[memcg[i]];
			used[memcg[i]] = true;
		}
		assert_int_equal(stats(t).memcgs, distinct);
		assert_int_equal(stats(t).memcg_overflows, 0);
		assert_int_equal(stats(t).processes, nknown + 1);	/* + tgid 1000 */
	}
	td_hotness_free(t);
}

struct proc_seen {
	uint32_t tgid[8], entries[8];
	unsigned n;
	uint32_t forget;	/* forget this tgid when visited */
	struct td_hotness *t;
};

static int on_process(uint32_t tgid, uint32_t entries, void *ud)
{
	struct proc_seen *ps = ud;

	assert_true(ps->n < 8);
	ps->tgid[ps->n] = tgid;
	ps->entries[ps->n++] = entries;
	if (tgid == ps->forget)
		assert_int_equal(td_hotness_forget_process(ps->t, tgid), 0);
	return 0;
}

static int stop_at_first(uint32_t tgid, uint32_t entries, void *ud)
{
	return 7;
}

/* The processes a table knows, with or without entries; forgetting while
 * visiting frees the slots a new process needs. */
static void test_foreach_process(void **state)
{
	struct td_hotness_params p = { .capacity = 64, .half_life_ns = SEC, .max_processes = 3 };
	struct proc_seen ps = { .forget = 2 };
	struct td_hotness *t;

	(void)state;
	assert_int_equal(td_hotness_new(&p, &t), 0);
	ps.t = t;
	assert_int_equal(rec(t, 1, ADDR(0), T0), 1);
	assert_int_equal(rec(t, 1, ADDR(1), T0), 1);
	assert_int_equal(rec(t, 2, ADDR(0), T0), 1);
	assert_int_equal(td_hotness_process_seen(t, 3, 1), 1);	/* no entries */
	assert_int_equal(rec(t, 4, ADDR(0), T0), -ENOSPC);
	assert_int_equal(td_hotness_foreach_process(t, on_process, &ps), 0);
	assert_int_equal(ps.n, 3);
	for (unsigned i = 0; i < ps.n; i++)
		assert_int_equal(ps.entries[i], ps.tgid[i] == 1 ? 2 : ps.tgid[i] == 2 ? 1 : 0);
	/* 2 was forgotten in the visit: its entry is stale, swept, its slot free */
	assert_int_equal(td_hotness_sweep(t, T0, UINT32_MAX), 1);
	assert_int_equal(rec(t, 4, ADDR(0), T0), 1);
	ps.n = 0;
	ps.forget = 0;
	assert_int_equal(td_hotness_foreach_process(t, on_process, &ps), 0);
	assert_int_equal(ps.n, 3);
	for (unsigned i = 0; i < ps.n; i++)
		assert_int_not_equal(ps.tgid[i], 2);
	assert_int_equal(td_hotness_foreach_process(t, stop_at_first, NULL), 7);
	assert_int_equal(td_hotness_foreach_process(t, NULL, NULL), -EINVAL);
	td_hotness_free(t);
}

/* ---- folios ---- */

#define FOLIO(o)	(PAGE << (o))
#define BASE	UINT64_C(0x7f0000000000)	/* 2 MiB aligned (and more) */
#define REGION(i)	(BASE + (uint64_t)(i) * FOLIO(9))
#define ONE	TD_HOTNESS_ONE

_Static_assert(sizeof(struct td_hotness_access) == 32, "access keeps its size");
_Static_assert(sizeof(struct td_hotness_info) == 48, "info keeps its size");

static struct td_hotness_access acc(uint32_t tgid, uint64_t addr, unsigned int order)
{
	return (struct td_hotness_access){
		.tgid = tgid, .addr = addr, .order = (uint8_t)order,
		.node = TD_HOTNESS_NODE_UNKNOWN,
	};
}

static int rec_o(struct td_hotness *t, uint32_t tgid, uint64_t addr, unsigned int order,
		 uint64_t now)
{
	struct td_hotness_access a = acc(tgid, addr, order);

	return td_hotness_record(t, &a, now);
}

static struct td_hotness_info get_info(const struct td_hotness *t, uint32_t tgid, uint64_t addr,
				       uint64_t now)
{
	struct td_hotness_info info;

	assert_int_equal(td_hotness_get(t, tgid, addr, now, &info), 0);
	return info;
}

/* 4 KiB, 64 KiB (order 4) and 2 MiB (order 9) folios in one table and one batch. */
static void test_mixed_sizes_one_batch(void **state)
{
	struct td_hotness_access b[12];
	struct td_hotness *t = mk(64, SEC), *u = mk(64, SEC);
	struct td_hotness_info i0, i4, i9;
	struct td_hotness_stats s;
	int n = 0;

	(void)state;
	/* Five accesses to one 2 MiB page, at scattered 4 KiB offsets. */
	for (int k = 0; k < 5; k++)
		b[n++] = acc(7, REGION(1) + (uint64_t)(k * 97 + 3) * PAGE + 123, 9);
	/* Three to one 64 KiB folio, from head and tail pages. */
	for (int k = 0; k < 3; k++)
		b[n++] = acc(7, REGION(2) + FOLIO(4) * 5 + (uint64_t)k * 5 * PAGE, 4);
	/* Two base pages beside it, one of them twice. */
	b[n++] = acc(7, REGION(2) + 3 * PAGE, 0);
	b[n++] = acc(7, REGION(2) + 4 * PAGE + 8, 0);
	b[n++] = acc(7, REGION(2) + 4 * PAGE, 0);
	/* Another process, same address as the 2 MiB page: its own entry. */
	b[n++] = acc(8, REGION(1) + 5 * PAGE, 9);

	assert_int_equal(td_hotness_record_batch(t, b, (size_t)n, T0), 0);
	for (int k = 0; k < n; k++)
		assert_in_range(td_hotness_record(u, &b[k], T0), 0, 1);

	i9 = get_info(t, 7, REGION(1) + 511 * PAGE, T0);
	assert_int_equal(i9.addr, REGION(1));
	assert_int_equal(i9.order, 9);
	assert_int_equal(i9.hotness, 5 * ONE);
	i4 = get_info(t, 7, REGION(2) + FOLIO(4) * 5 + 15 * PAGE + 4095, T0);
	assert_int_equal(i4.addr, REGION(2) + FOLIO(4) * 5);
	assert_int_equal(i4.order, 4);
	assert_int_equal(i4.hotness, 3 * ONE);
	i0 = get_info(t, 7, REGION(2) + 4 * PAGE + 100, T0);
	assert_int_equal(i0.addr, REGION(2) + 4 * PAGE);
	assert_int_equal(i0.order, 0);
	assert_int_equal(i0.hotness, 2 * ONE);
	assert_int_equal(get_info(t, 8, REGION(1), T0).hotness, ONE);
	/* Beside the 64 KiB folio and past the 2 MiB one: nothing. */
	assert_int_equal(td_hotness_get(t, 7, REGION(2) + FOLIO(4) * 6, T0, &i0), -ENOENT);
	assert_int_equal(td_hotness_get(t, 7, REGION(2) + 5 * PAGE, T0, &i0), -ENOENT);

	s = stats(t);
	assert_int_equal(s.live, 5);
	assert_int_equal(s.live_by_order[0], 2);
	assert_int_equal(s.live_by_order[4], 1);
	assert_int_equal(s.live_by_order[9], 2);
	assert_int_equal(s.live_bytes, 2 * FOLIO(0) + FOLIO(4) + 2 * FOLIO(9));
	assert_int_equal(s.inserts, 5);
	assert_int_equal(s.updates, (uint64_t)n - 5);
	assert_int_equal(s.splits + s.collapses, 0);
	s = stats(u);
	assert_int_equal(s.live_bytes, 2 * FOLIO(0) + FOLIO(4) + 2 * FOLIO(9));
	assert_int_equal(get_info(u, 7, REGION(1) + 77 * PAGE, T0).hotness, 5 * ONE);

	/* Orders above the largest (other than "unknown") are refused. */
	assert_int_equal(rec_o(t, 7, REGION(3), TD_HOTNESS_ORDER_MAX + 1, T0), -EINVAL);
	assert_int_equal(rec_o(t, 7, REGION(3), TD_HOTNESS_ORDER_UNKNOWN - 1, T0), -EINVAL);
	assert_int_equal(rec_o(t, 7, REGION(512) + 5 * FOLIO(9), TD_HOTNESS_ORDER_MAX, T0), 1);
	assert_int_equal(get_info(t, 7, REGION(512) + FOLIO(TD_HOTNESS_ORDER_MAX) - 1, T0).addr,
			 REGION(512));
	td_hotness_free(t);
	td_hotness_free(u);
}

/* ---- folios: unknown orders ---- */

struct order_resolver {
	int calls;
	uint64_t lo, hi;	/* [lo, hi) is mapped by folios of @order */
	int order;
	uint32_t last_tgid;
	uint64_t last_addr;
};

static int resolve(void *ctx, uint32_t tgid, uint64_t addr)
{
	struct order_resolver *r = ctx;

	r->calls++;
	r->last_tgid = tgid;
	r->last_addr = addr;
	return addr >= r->lo && addr < r->hi ? r->order : -ENOENT;
}

/* An access of unknown order goes to the entry covering it, of any order. */
static void test_unknown_goes_to_covering_entry(void **state)
{
	struct td_hotness *t = mk(64, SEC);
	struct td_hotness_stats s;

	(void)state;
	assert_int_equal(rec_o(t, 3, REGION(4) + 9 * PAGE, 9, T0), 1);
	assert_int_equal(rec_o(t, 3, REGION(5) + FOLIO(4), 4, T0), 1);
	for (int k = 0; k < 6; k++) {
		assert_int_equal(rec_o(t, 3, REGION(4) + (uint64_t)(k * 83) * PAGE + 5,
				     TD_HOTNESS_ORDER_UNKNOWN, T0), 0);
		assert_int_equal(rec_o(t, 3, REGION(5) + FOLIO(4) + (uint64_t)k * PAGE,
				     TD_HOTNESS_ORDER_UNKNOWN, T0), 0);
	}
	assert_int_equal(get_info(t, 3, REGION(4), T0).hotness, 7 * ONE);
	assert_int_equal(get_info(t, 3, REGION(5) + FOLIO(4), T0).hotness, 7 * ONE);
	/* Not covered, no resolver: a base page. */
	assert_int_equal(rec_o(t, 3, REGION(5) + 3 * PAGE + 1, TD_HOTNESS_ORDER_UNKNOWN, T0), 1);
	assert_int_equal(get_info(t, 3, REGION(5) + 3 * PAGE, T0).order, 0);
	/* Of another process: not covered by process 3's entries. */
	assert_int_equal(rec_o(t, 4, REGION(4) + PAGE, TD_HOTNESS_ORDER_UNKNOWN, T0), 1);
	assert_int_equal(get_info(t, 4, REGION(4) + PAGE, T0).order, 0);
	s = stats(t);
	assert_int_equal(s.live, 4);
	assert_int_equal(s.live_bytes, FOLIO(9) + FOLIO(4) + 2 * FOLIO(0));
	td_hotness_free(t);
}

/* The resolver is asked once per new entry, never for an access to a known folio. */
static void test_resolver_only_on_miss(void **state)
{
	struct order_resolver r = { .lo = REGION(10), .hi = REGION(12), .order = 9 };
	struct td_hotness_access b[40];
	struct td_hotness *t = mk(64, SEC);
	struct td_hotness_stats s;

	(void)state;
	td_hotness_set_order_resolver(t, resolve, &r);
	for (int k = 0; k < 20; k++)
		assert_int_equal(rec_o(t, 5, REGION(10) + (uint64_t)(k * 25 + 1) * PAGE + 7,
				     TD_HOTNESS_ORDER_UNKNOWN, T0), k == 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.last_tgid, 5);
	assert_int_equal(r.last_addr, REGION(10) + PAGE + 7);
	assert_int_equal(get_info(t, 5, REGION(10) + 300 * PAGE, T0).hotness, 20 * ONE);
	assert_int_equal(get_info(t, 5, REGION(10), T0).order, 9);

	/* Known orders never ask, hit or miss. */
	assert_int_equal(rec_o(t, 5, REGION(11), 9, T0), 1);
	assert_int_equal(rec_o(t, 5, REGION(20), 0, T0), 1);
	assert_int_equal(rec_o(t, 5, REGION(20), 0, T0), 0);
	assert_int_equal(r.calls, 1);
	/* Unknown hits at a folio's head page and on a base page: no calls either. */
	assert_int_equal(rec_o(t, 5, REGION(10) + 3, TD_HOTNESS_ORDER_UNKNOWN, T0), 0);
	assert_int_equal(rec_o(t, 5, REGION(20) + 5, TD_HOTNESS_ORDER_UNKNOWN, T0), 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(get_info(t, 5, REGION(10), T0).hotness, 21 * ONE);

	/* In one batch: two new folios, each asked about once. */
	for (int k = 0; k < 40; k++)
		b[k] = acc(5, (k % 2 ? REGION(11) + FOLIO(9) / 2 : REGION(30)) + (uint64_t)k * PAGE,
			   TD_HOTNESS_ORDER_UNKNOWN);
	assert_int_equal(td_hotness_record_batch(t, b, 40, T0), 0);
	/* REGION(11) was known (order 9), REGION(30) + k pages are not in the resolver's range. */
	assert_int_equal(r.calls, 1 + 20);
	assert_int_equal(get_info(t, 5, REGION(11), T0).hotness, 21 * ONE);
	assert_int_equal(stats(t).live_by_order[0], 1 + 20);

	/* An error or an order out of range counts as a base page. */
	r.lo = REGION(40);
	r.hi = REGION(41);
	r.order = TD_HOTNESS_ORDER_MAX + 1;
	assert_int_equal(rec_o(t, 5, REGION(40) + PAGE, TD_HOTNESS_ORDER_UNKNOWN, T0), 1);
	assert_int_equal(get_info(t, 5, REGION(40) + PAGE, T0).order, 0);
	assert_int_equal(r.calls, 22);

	/* Cleared: no more calls. */
	td_hotness_set_order_resolver(t, NULL, NULL);
	assert_int_equal(rec_o(t, 5, REGION(50), TD_HOTNESS_ORDER_UNKNOWN, T0), 1);
	assert_int_equal(r.calls, 22);
	s = stats(t);
	assert_int_equal(s.live, 3 + 20 + 2);
	td_hotness_free(t);
}

/* ---- folios: split and collapse ---- */

/* A smaller folio inside a large entry: the kernel split it. */
static void test_split(void **state)
{
	struct td_hotness *t = mk(64, SEC);
	struct td_hotness_info info;
	struct td_hotness_stats s;

	(void)state;
	for (int k = 0; k < 5; k++)
		assert_int_equal(rec_o(t, 2, REGION(1) + (uint64_t)k * PAGE, 9, T0), k == 0);
	assert_int_equal(rec_o(t, 2, REGION(1) + 300 * PAGE + 9, 0, T0 + MS), 1);
	s = stats(t);
	assert_int_equal(s.splits, 1);
	assert_int_equal(s.live, 1);
	assert_int_equal(s.live_by_order[9], 0);
	assert_int_equal(s.live_bytes, FOLIO(0));
	/* No double counting: the new entry holds only this access. */
	info = get_info(t, 2, REGION(1) + 300 * PAGE, T0 + MS);
	assert_int_equal(info.order, 0);
	assert_int_equal(info.hotness, ONE);
	assert_int_equal(td_hotness_get(t, 2, REGION(1), T0, &info), -ENOENT);
	/* Further base pages of the old folio are plain inserts. */
	assert_int_equal(rec_o(t, 2, REGION(1), 0, T0 + MS), 1);
	assert_int_equal(stats(t).splits, 1);

	/* 2 MiB split into 64 KiB folios (mTHP), another process untouched. */
	assert_int_equal(rec_o(t, 2, REGION(2), 9, T0), 1);
	assert_int_equal(rec_o(t, 9, REGION(2), 9, T0), 1);
	assert_int_equal(rec_o(t, 2, REGION(2) + 7 * FOLIO(4) + PAGE, 4, T0), 1);
	assert_int_equal(get_info(t, 2, REGION(2) + 7 * FOLIO(4), T0).order, 4);
	assert_int_equal(get_info(t, 9, REGION(2) + 7 * FOLIO(4), T0).order, 9);
	s = stats(t);
	assert_int_equal(s.splits, 2);
	assert_int_equal(s.live_bytes, 2 * FOLIO(0) + FOLIO(4) + FOLIO(9));
	/* Unknown order inside the split range goes to what covers it now. */
	assert_int_equal(rec_o(t, 2, REGION(2) + 7 * FOLIO(4) + 3 * PAGE, TD_HOTNESS_ORDER_UNKNOWN, T0), 0);
	assert_int_equal(rec_o(t, 2, REGION(2) + 8 * FOLIO(4), TD_HOTNESS_ORDER_UNKNOWN, T0), 1);
	assert_int_equal(get_info(t, 2, REGION(2) + 8 * FOLIO(4), T0).order, 0);
	td_hotness_free(t);
}

/* A new large entry absorbs the small ones inside it (khugepaged). */
static void test_collapse(void **state)
{
	static const int pages[] = { 0, 17, 200, 511 }, counts[] = { 2, 3, 1, 4 };
	struct td_hotness *t = mk(64, SEC);
	struct td_hotness_access a;
	struct td_hotness_info info;
	struct td_hotness_stats s;

	(void)state;
	for (int k = 0; k < 4; k++)
		for (int c = 0; c < counts[k]; c++)
			rec_o(t, 4, REGION(3) + (uint64_t)pages[k] * PAGE, 0, T0 + (uint64_t)k * MS);
	/* A 64 KiB folio inside, two accesses; outside ones that must stay. */
	rec_o(t, 4, REGION(3) + 20 * FOLIO(4), 4, T0);
	rec_o(t, 4, REGION(3) + 20 * FOLIO(4), 4, T0);
	rec_o(t, 4, REGION(4), 0, T0);
	rec_o(t, 4, REGION(3) - PAGE, 0, T0);
	rec_o(t, 6, REGION(3) + 17 * PAGE, 0, T0);	/* another process */
	assert_int_equal(stats(t).live, 8);

	a = acc(4, REGION(3) + 44 * PAGE, 9);
	a.node = 1;
	a.memcg_id = 77;
	assert_int_equal(td_hotness_record(t, &a, T0 + 3 * MS), 1);
	s = stats(t);
	assert_int_equal(s.collapses, 5);
	assert_int_equal(s.live, 4);
	assert_int_equal(s.live_by_order[0], 3);
	assert_int_equal(s.live_by_order[4], 0);
	assert_int_equal(s.live_by_order[9], 1);
	assert_int_equal(s.live_bytes, FOLIO(9) + 3 * FOLIO(0));
	info = get_info(t, 4, REGION(3) + 100 * PAGE, T0 + 3 * MS);
	assert_int_equal(info.addr, REGION(3));
	assert_int_equal(info.order, 9);
	/* 2 + 3 + 1 + 4 + 2 accesses merged plus this one; 3 ms of a 1 s half-life. */
	assert_in_range(info.hotness, 13 * ONE - 13 * ONE / 100, 13 * ONE);
	assert_int_equal(info.node, 1);
	assert_int_equal(info.memcg_id, 77);
	/* The latest last access, read back rounded down to a tick (~4 ms). */
	assert_in_range(info.last_access_ns, T0 + 3 * MS - 5 * MS, T0 + 3 * MS);
	assert_true(info.last_access_ns > get_info(t, 4, REGION(4), T0).last_access_ns ||
		    T0 + 3 * MS - T0 < 5 * MS);
	assert_int_equal(get_info(t, 6, REGION(3) + 17 * PAGE, T0).order, 0);
	assert_int_equal(get_info(t, 4, REGION(3) - 1, T0).order, 0);
	/* Absorbed entries are gone, not counted twice. */
	assert_int_equal(rec_o(t, 4, REGION(3) + 17 * PAGE, 9, T0 + 3 * MS), 0);
	assert_int_equal(get_info(t, 4, REGION(3), T0 + 3 * MS).hotness, info.hotness + ONE);

	/* Node and memcg unknown in the access: from the latest absorbed entry. */
	a = acc(4, REGION(6) + PAGE, 0);
	a.node = 0;
	a.memcg_id = 55;
	td_hotness_record(t, &a, T0 + 5 * MS);
	a.addr = REGION(6) + 2 * PAGE;
	a.node = 1;
	a.memcg_id = 66;
	td_hotness_record(t, &a, T0 + 20 * MS);
	assert_int_equal(rec_o(t, 4, REGION(6), 4, T0 + 20 * MS), 1);
	info = get_info(t, 4, REGION(6) + 15 * PAGE, T0 + 20 * MS);
	assert_int_equal(info.order, 4);
	assert_int_equal(info.node, 1);
	assert_int_equal(info.memcg_id, 66);
	assert_int_equal(stats(t).collapses, 7);
	assert_int_equal(stats(t).live_bytes, FOLIO(9) + 3 * FOLIO(0) + FOLIO(4));
	td_hotness_free(t);
}

/* Collapse saturates instead of wrapping. */
static void test_collapse_saturates(void **state)
{
	struct td_hotness *t = mk(16, SEC);
	struct td_hotness_access a = acc(1, REGION(1), 0);

	(void)state;
	/* Two entries of 2^21 + 10 accesses each: their sum passes TD_HOTNESS_MAX. */
	for (int k = 0; k < 2; k++) {
		a.addr = REGION(1) + (uint64_t)k * PAGE;
		for (int c = 0; c < (1 << 21) + 10; c++)
			td_hotness_record(t, &a, T0);
	}
	assert_int_equal(rec_o(t, 1, REGION(1), 9, T0), 1);
	assert_int_equal(get_info(t, 1, REGION(1) + 5 * PAGE, T0).hotness, TD_HOTNESS_MAX);
	td_hotness_free(t);
}

/* ---- folios: lookups by an interior address ---- */

static void test_interior_address_ops(void **state)
{
	struct td_hotness *t = mk(64, SEC);
	struct td_hotness_info info;
	uint64_t in9 = REGION(7) + 333 * PAGE + 17, in4 = REGION(8) + 3 * FOLIO(4) + 9 * PAGE;

	(void)state;
	assert_int_equal(rec_o(t, 1, REGION(7), 9, T0), 1);
	assert_int_equal(rec_o(t, 1, REGION(8) + 3 * FOLIO(4), 4, T0), 1);
	assert_int_equal(rec_o(t, 1, REGION(8), 0, T0), 1);

	assert_int_equal(td_hotness_set_node(t, 1, in9, 1), 0);
	assert_int_equal(get_info(t, 1, REGION(7), T0).node, 1);
	assert_int_equal(td_hotness_note_move_failed(t, 1, in4, TD_HOTNESS_DIR_PROMOTE, T0), 1);
	assert_int_equal(td_hotness_note_move_failed(t, 1, in4 + 6 * PAGE, TD_HOTNESS_DIR_PROMOTE, T0), 2);
	info = get_info(t, 1, REGION(8) + 3 * FOLIO(4), T0);
	assert_int_equal(info.move_retries, 2);
	assert_int_equal(info.order, 4);
	assert_int_equal(td_hotness_note_move(t, 1, in4, TD_HOTNESS_DIR_PROMOTE, 0, T0 + MS), 0);
	info = get_info(t, 1, in4, T0 + MS);
	assert_int_equal(info.move_retries, 0);
	assert_int_equal(info.node, 0);
	assert_int_equal(info.order, 4);
	assert_int_equal(info.last_move_dir, TD_HOTNESS_DIR_PROMOTE);
	for (int k = 0; k < TD_HOTNESS_RETRIES_MAX + 2; k++)
		td_hotness_note_move_failed(t, 1, in9, TD_HOTNESS_DIR_DEMOTE, T0);
	info = get_info(t, 1, in9, T0);
	assert_int_equal(info.move_retries, TD_HOTNESS_RETRIES_MAX);
	assert_int_equal(info.order, 9);	/* the packed state keeps the order */
	assert_int_equal(info.node, 1);

	/* Just outside the folios: not theirs. */
	assert_int_equal(td_hotness_set_node(t, 1, REGION(7) - 1, 0), -ENOENT);
	assert_int_equal(td_hotness_remove(t, 1, REGION(8) + 4 * FOLIO(4)), -ENOENT);
	assert_int_equal(td_hotness_remove(t, 2, in9), -ENOENT);

	assert_int_equal(td_hotness_remove(t, 1, in9), 0);
	assert_int_equal(td_hotness_get(t, 1, REGION(7), T0, &info), -ENOENT);
	assert_int_equal(td_hotness_remove(t, 1, in4), 0);
	assert_int_equal(td_hotness_remove(t, 1, in4), -ENOENT);
	assert_int_equal(stats(t).live_bytes, FOLIO(0));
	assert_int_equal(stats(t).live_by_order[9] + stats(t).live_by_order[4], 0);
	td_hotness_free(t);
}

/* ---- folios: batch equivalence and counters after churn ---- */

/*
 * A random access in a small address space (8 regions of 2 MiB), of orders
 * 0, 2, 4, 9 and unknown, so splits and collapses happen all the time.
 */
static struct td_hotness_access rand_access(uint64_t *seed, uint32_t nproc)
{
	static const uint8_t orders[] = { 0, 0, 0, 2, 4, 4, 9, TD_HOTNESS_ORDER_UNKNOWN };
	uint64_t r = rng_next(seed);
	uint8_t o = orders[r % 8];
	/* Offsets cluster in the first 64 pages of a region, so folios meet. */
	uint64_t page = (r >> 8) % 4 ? (r >> 16) % 64 : (r >> 16) % 512;

	return (struct td_hotness_access){
		.tgid = 1 + (uint32_t)((r >> 32) % nproc),
		.addr = REGION((r >> 40) % 8) + page * PAGE + (r >> 50) % PAGE,
		.order = o,
		.node = (int16_t)((r >> 44) % 3 - 1),
		.memcg_id = (r >> 56) % 3,
	};
}

/* Unknown orders resolve to order 4 in even regions, fail in odd ones. */
static int resolve_by_region(void *ctx, uint32_t tgid, uint64_t addr)
{
	(void)tgid;
	++*(int *)ctx;
	return ((addr - BASE) / FOLIO(9)) % 2 ? -ENOENT : 4;
}

static void test_batch_equals_one_by_one_mixed(void **state)
{
	enum { CAP = 96, MAXN = 64 };
	static struct td_hotness_info ia[CAP], ib[CAP];
	struct td_hotness_access batch[MAXN];
	struct td_hotness *a = mk(CAP, SEC), *b = mk(CAP, SEC);
	uint64_t seed = 0x2545f4914f6cdd1d, now = T0;
	struct td_hotness_stats sa, sb;
	int calls_a = 0, calls_b = 0;

	(void)state;
	td_hotness_set_order_resolver(a, resolve_by_region, &calls_a);
	td_hotness_set_order_resolver(b, resolve_by_region, &calls_b);
	for (int round = 0; round < 3000; round++) {
		size_t n = 1 + rng_next(&seed) % MAXN;
		int rejected = 0;

		for (size_t i = 0; i < n; i++)
			batch[i] = rand_access(&seed, 3);
		now += (rng_next(&seed) % 200) * MS;
		for (size_t i = 0; i < n; i++)
			rejected += td_hotness_record(b, &batch[i], now) < 0;
		assert_int_equal(td_hotness_record_batch(a, batch, n, now), rejected);
		if (round % 50 == 49) {
			assert_int_equal(td_hotness_forget_process(a, 2), td_hotness_forget_process(b, 2));
			td_hotness_sweep(a, now, UINT32_MAX);
			td_hotness_sweep(b, now, UINT32_MAX);
		}
		assert_same_entries(a, b, now, ia, ib);
	}
	sa = stats(a);
	sb = stats(b);
	assert_int_equal(calls_a, calls_b);
	assert_true(calls_a > 0);
	assert_true(sa.splits > 100 && sa.collapses > 100 && sa.evictions > 0);
	assert_int_equal(sa.splits, sb.splits);
	assert_int_equal(sa.collapses, sb.collapses);
	assert_int_equal(sa.inserts, sb.inserts);
	assert_int_equal(sa.updates, sb.updates);
	assert_int_equal(sa.live_bytes, sb.live_bytes);
	td_hotness_free(a);
	td_hotness_free(b);
}

struct scan_arg {
	uint64_t by_order[TD_HOTNESS_ORDER_MAX + 1];
	uint64_t bytes;
	uint64_t n;
	struct td_hotness_info *out;
};

static int scan(const struct td_hotness_info *info, void *userdata)
{
	struct scan_arg *s = userdata;

	assert_true(info->order <= TD_HOTNESS_ORDER_MAX);
	assert_int_equal(info->addr % FOLIO(info->order), 0);
	s->by_order[info->order]++;
	s->bytes += FOLIO(info->order);
	s->out[s->n++] = *info;
	return 0;
}

/*
 * Churn: mixed records, removals by interior addresses, process exits, PID
 * reuse, sweeps. After every step the per-order counters equal a full scan,
 * and no two live entries of a process overlap.
 */
static void test_counters_exact_after_churn(void **state)
{
	enum { CAP = 80 };
	static struct td_hotness_info all[CAP];
	struct td_hotness_params p = { .capacity = CAP, .half_life_ns = SEC, .max_processes = 8 };
	struct td_hotness *t;
	uint64_t seed = 0x9e3779b97f4a7c15, now = T0, start[5] = { 1, 1, 1, 1, 1 };
	int calls = 0;

	(void)state;
	assert_int_equal(td_hotness_new(&p, &t), 0);
	td_hotness_set_order_resolver(t, resolve_by_region, &calls);
	for (int step = 0; step < 40000; step++) {
		struct td_hotness_access a = rand_access(&seed, 4);
		struct scan_arg sc = { .out = all };
		struct td_hotness_stats s;
		uint64_t r = rng_next(&seed), live = 0;

		now += (r % 20) * MS;
		if ((r >> 8) % 100 < 70) {
			int rr;

			a.start_time = (r >> 16) % 2 ? start[a.tgid] : 0;
			rr = td_hotness_record(t, &a, now);
			/* Dead processes hold their slots until swept. */
			if (rr == -ENOSPC) {
				td_hotness_sweep(t, now, UINT32_MAX);
				rr = td_hotness_record(t, &a, now);
			}
			assert_in_range(rr, 0, 1);
		} else if ((r >> 8) % 100 < 94) {
			int rr = td_hotness_remove(t, a.tgid, a.addr);

			assert_true(rr == 0 || rr == -ENOENT);
		} else if ((r >> 8) % 100 < 97) {
			td_hotness_forget_process(t, a.tgid);
		} else if ((r >> 8) % 100 < 99) {
			start[a.tgid]++;	/* PID reuse, seen at the next record */
		} else {
			td_hotness_sweep(t, now, (uint32_t)(r >> 32) % 64);
		}
		td_hotness_foreach(t, now, scan, &sc);
		s = stats(t);
		assert_int_equal(s.live, sc.n);
		assert_int_equal(s.live_bytes, sc.bytes);
		for (int o = 0; o <= TD_HOTNESS_ORDER_MAX; o++) {
			assert_int_equal(s.live_by_order[o], sc.by_order[o]);
			live += s.live_by_order[o];
		}
		assert_int_equal(live, s.live);
		qsort(all, sc.n, sizeof(all[0]), info_cmp);
		for (uint64_t i = 1; i < sc.n; i++)
			if (all[i].tgid == all[i - 1].tgid)
				assert_true(all[i - 1].addr + FOLIO(all[i - 1].order) <= all[i].addr);
	}
	assert_true(stats(t).splits > 0 && stats(t).collapses > 0 && stats(t).pid_reuses > 0);
	td_hotness_free(t);
}

/* ---- the accessing node's vote ---- */

static int rec_cpu(struct td_hotness *t, uint32_t tgid, uint64_t addr, unsigned int order,
		   int cpu_node, uint64_t now)
{
	struct td_hotness_access a = acc(tgid, addr, order);

	a.cpu_node = (int8_t)cpu_node;
	return td_hotness_record(t, &a, now);
}

/* A page read 3:1 from two sockets, in every interleaving of a window of
 * four, is voted to the majority's node; 1:3 to the other. */
static void test_vote_majority(void **state)
{
	static const int orders[][4] = {
		{ 0, 0, 0, 1 }, { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, 0, 1, 0 },
	};
	struct td_hotness *t = mk(64, SEC);

	(void)state;
	for (int o = 0; o < 4; o++) {
		uint64_t a = REGION(o);

		for (int round = 0; round < 8; round++)
			for (int k = 0; k < 4; k++)
				rec_cpu(t, 7, a, 0, orders[o][k] ? 3 : 1, T0);
		assert_int_equal(get_info(t, 7, a, T0).cpu_node, 1);
		assert_true(get_info(t, 7, a, T0).cpu_votes >= 2);
		for (int round = 0; round < 40; round++)
			for (int k = 0; k < 4; k++)
				rec_cpu(t, 7, a, 0, orders[o][k] ? 1 : 3, T0);
		assert_int_equal(get_info(t, 7, a, T0).cpu_node, 3);
	}
	td_hotness_free(t);
}

/* First access takes the vote; the count saturates; an access from
 * elsewhere takes one away, and at 0 the next access takes the vote. */
static void test_vote_count(void **state)
{
	struct td_hotness *t = mk(64, SEC);
	struct td_hotness_info i;

	(void)state;
	assert_int_equal(rec_cpu(t, 7, ADDR(1), 0, 2, T0), 1);
	i = get_info(t, 7, ADDR(1), T0);
	assert_int_equal(i.cpu_node, 2);
	assert_int_equal(i.cpu_votes, 1);
	for (int k = 0; k < 40; k++)
		rec_cpu(t, 7, ADDR(1), 0, 2, T0);
	assert_int_equal(get_info(t, 7, ADDR(1), T0).cpu_votes, TD_HOTNESS_VOTES_MAX);
	assert_int_equal(get_info(t, 7, ADDR(1), T0).cpu_shared, 0);
	for (int k = 0; k < TD_HOTNESS_VOTES_MAX; k++) {
		assert_int_equal(get_info(t, 7, ADDR(1), T0).cpu_node, 2);
		rec_cpu(t, 7, ADDR(1), 0, 0, T0);
	}
	assert_int_equal(get_info(t, 7, ADDR(1), T0).cpu_votes, 0);
	assert_int_equal(get_info(t, 7, ADDR(1), T0).cpu_node, TD_HOTNESS_NODE_UNKNOWN);
	assert_int_equal(get_info(t, 7, ADDR(1), T0).cpu_shared, 1);
	rec_cpu(t, 7, ADDR(1), 0, 0, T0);
	i = get_info(t, 7, ADDR(1), T0);
	assert_int_equal(i.cpu_node, 0);
	assert_int_equal(i.cpu_votes, 1);
	td_hotness_free(t);
}

/* An access that does not know its CPU's node does not vote; out of range
 * is refused; the hotness still counts the unknown one. */
static void test_vote_unknown_and_invalid(void **state)
{
	struct td_hotness *t = mk(64, SEC);
	struct td_hotness_info i;

	(void)state;
	assert_int_equal(rec_cpu(t, 7, ADDR(1), 0, TD_HOTNESS_NODE_UNKNOWN, T0), 1);
	i = get_info(t, 7, ADDR(1), T0);
	assert_int_equal(i.cpu_node, TD_HOTNESS_NODE_UNKNOWN);
	assert_int_equal(i.cpu_votes, 0);
	rec_cpu(t, 7, ADDR(1), 0, 1, T0);
	rec_cpu(t, 7, ADDR(1), 0, TD_HOTNESS_NODE_UNKNOWN, T0);
	i = get_info(t, 7, ADDR(1), T0);
	assert_int_equal(i.cpu_node, 1);
	assert_int_equal(i.cpu_votes, 1);
	assert_int_equal(i.hotness, 3 * ONE);
	assert_int_equal(rec_cpu(t, 7, ADDR(2), 0, TD_MAX_NODES, T0), -EINVAL);
	assert_int_equal(rec_cpu(t, 7, ADDR(2), 0, -2, T0), -EINVAL);
	assert_false(present(t, 7, ADDR(2)));
	td_hotness_free(t);
}

/* A collapse merges the small entries' votes (as one vote over all their
 * accesses) and adds the new access; a split starts afresh. */
static void test_vote_collapse_split(void **state)
{
	struct td_hotness *t = mk(1024, SEC);
	struct td_hotness_info i;

	(void)state;
	/* three pages voted to node 1 (3 each), one to node 0 (2) */
	for (int p = 0; p < 3; p++)
		for (int k = 0; k < 3; k++)
			rec_cpu(t, 7, REGION(1) + (uint64_t)p * PAGE, 0, 1, T0);
	rec_cpu(t, 7, REGION(1) + 5 * PAGE, 0, 0, T0);
	rec_cpu(t, 7, REGION(1) + 5 * PAGE, 0, 0, T0);
	/* the THP's first access comes from node 0: 9 - 2 - 1 = 6 for node 1 */
	assert_int_equal(rec_cpu(t, 7, REGION(1), 9, 0, T0), 1);
	i = get_info(t, 7, REGION(1) + 77 * PAGE, T0);
	assert_int_equal(i.order, 9);
	assert_int_equal(i.cpu_node, 1);
	assert_int_equal(i.cpu_votes, 6);
	assert_int_equal(i.cpu_shared, 1);	/* its pages were used from two nodes */
	/* split: the order-0 access starts a new entry with its own vote */
	assert_int_equal(rec_cpu(t, 7, REGION(1) + 3 * PAGE, 0, 0, T0), 1);
	i = get_info(t, 7, REGION(1) + 3 * PAGE, T0);
	assert_int_equal(i.order, 0);
	assert_int_equal(i.cpu_node, 0);
	assert_int_equal(i.cpu_votes, 1);
	assert_int_equal(i.cpu_shared, 0);
	td_hotness_free(t);
}

/* The batch path votes as one by one does. */
static void test_vote_batch(void **state)
{
	struct td_hotness_access b[64];
	struct td_hotness *t = mk(256, SEC), *u = mk(256, SEC);

	(void)state;
	for (int k = 0; k < 64; k++) {
		b[k] = acc(7, ADDR(k % 8), 0);
		b[k].cpu_node = (int8_t)((k % 5) == 0 ? 1 : 0);
		assert_in_range(td_hotness_record(u, &b[k], T0), 0, 1);
	}
	assert_int_equal(td_hotness_record_batch(t, b, 64, T0), 0);
	for (int k = 0; k < 8; k++) {
		struct td_hotness_info x = get_info(t, 7, ADDR(k), T0), y = get_info(u, 7, ADDR(k), T0);

		assert_int_equal(x.cpu_node, y.cpu_node);
		assert_int_equal(x.cpu_votes, y.cpu_votes);
		assert_int_equal(x.cpu_node, 0);
	}
	td_hotness_free(t);
	td_hotness_free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_bad_params),
		cmocka_unit_test(test_bytes_per_entry),
		cmocka_unit_test(test_record_insert_update),
		cmocka_unit_test(test_record_invalid),
		cmocka_unit_test(test_record_batch),
		cmocka_unit_test(test_get_missing),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_decay_half_life),
		cmocka_unit_test(test_decay_out_of_order),
		cmocka_unit_test(test_saturation),
		cmocka_unit_test(test_sweep_clamps_age),
		cmocka_unit_test(test_evict_coldest),
		cmocka_unit_test(test_evict_never_hot),
		cmocka_unit_test(test_evict_consistency),
		cmocka_unit_test(test_hottest_order_threshold),
		cmocka_unit_test(test_hottest_decays),
		cmocka_unit_test(test_hottest_filter),
		cmocka_unit_test(test_foreach),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_start_time_adopted),
		cmocka_unit_test(test_process_start),
		cmocka_unit_test(test_forget_process),
		cmocka_unit_test(test_stale_evicted_first),
		cmocka_unit_test(test_stale_event_keeps_moved_node),
		cmocka_unit_test(test_process_table_full),
		cmocka_unit_test(test_memcg_table_full),
		cmocka_unit_test(test_set_node),
		cmocka_unit_test(test_note_node_after_move),
		cmocka_unit_test(test_foreach_process),
		cmocka_unit_test(test_move_state),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_side_table_model),
		cmocka_unit_test(test_mixed_sizes_one_batch),
		cmocka_unit_test(test_unknown_goes_to_covering_entry),
		cmocka_unit_test(test_resolver_only_on_miss),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_collapse),
		cmocka_unit_test(test_collapse_saturates),
		cmocka_unit_test(test_interior_address_ops),
		cmocka_unit_test(test_batch_equals_one_by_one_mixed),
		cmocka_unit_test(test_counters_exact_after_churn),
		cmocka_unit_test(test_vote_majority),
		cmocka_unit_test(test_vote_count),
		cmocka_unit_test(test_vote_unknown_and_invalid),
		cmocka_unit_test(test_vote_collapse_split),
		cmocka_unit_test(test_vote_batch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
