// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hotness.h"
#include "threshold.h"

#define MiB (1ull << 20)
#define SEC 1000000000ull
#define HALF_LIFE (60 * SEC)
/* accesses (may be fractional) to hotness units */
#define ACC(a) ((uint32_t)((a) * TD_HOTNESS_ONE))
#define REL(a) (ACC(a) >> TD_THRESHOLD_REL_SHIFT)	/* the relative rule's value for a ref of a */

struct set {
	double accesses;
	uint64_t bytes;
};

static void fill(struct td_threshold_hist *h, const struct set *sets, size_t n)
{
	td_threshold_hist_reset(h);
	for (size_t i = 0; i < n; i++)
		for (uint64_t b = 0; b < sets[i].bytes; b += 2 * MiB)	/* one THP each */
			td_threshold_hist_add(h, ACC(sets[i].accesses), 2 * MiB);
}

static uint32_t tick(struct td_threshold_state *s, const struct td_threshold_hist *h, bool plenty,
		     uint64_t afford, uint32_t floor, uint64_t now)
{
	struct td_threshold_input in = {
		.floor = floor, .plenty = plenty, .afford_bytes = afford, .hist = h,
		.now_ns = now, .half_life_ns = HALF_LIFE,
	};

	return td_threshold_update(s, &in);
}

/* Exact for the edges; every boundary's bucket starts at it; boundaries rise. */
static void test_buckets(void **state)
{
	static const struct {
		uint32_t hotness;
		unsigned bucket;
	} cases[] = {
		{ 0, 0 }, { 1, 0 }, { 255, 0 }, { 256, 1 }, { 383, 1 }, { 384, 2 }, { 511, 2 },
		{ 512, 3 }, { TD_HOTNESS_ONE, 5 }, { TD_HOTNESS_ONE * 3 / 2, 6 },
		{ (1u << 27) - 1, 38 }, { 1u << 27, 39 }, { 1u << 31, 39 }, { UINT32_MAX, 39 },
	};
	struct td_threshold_hist h;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(td_threshold_bucket(cases[i].hotness), cases[i].bucket);
	assert_int_equal(td_threshold_bucket_low(0), 0);
	assert_int_equal(td_threshold_bucket_low(TD_THRESHOLD_BUCKETS), UINT32_MAX);
	for (unsigned i = 1; i < TD_THRESHOLD_BUCKETS; i++) {
		uint32_t lo = td_threshold_bucket_low(i);

		assert_true(lo > td_threshold_bucket_low(i - 1));
		assert_int_equal(td_threshold_bucket(lo), i);
		assert_int_equal(td_threshold_bucket(lo - 1), i - 1);
		/* two buckets per octave */
		if (i >= 3)
			assert_int_equal(lo, 2 * td_threshold_bucket_low(i - 2));
	}

	td_threshold_hist_reset(&h);
	td_threshold_hist_add(&h, 0, 4096 * 2);
	td_threshold_hist_add(&h, 1, 100);
	td_threshold_hist_add(&h, UINT32_MAX, 7);
	td_threshold_hist_add(&h, UINT32_MAX - 1, 0);		/* no bytes: nothing */
	assert_int_equal(h.bytes[0], 4096 * 2 + 100);
	assert_int_equal(h.bytes[TD_THRESHOLD_BUCKETS - 1], 7);
	assert_int_equal(h.total_bytes, 4096 * 2 + 107);
	assert_int_equal(h.max_hotness, UINT32_MAX);
	td_threshold_hist_add(&h, 5, UINT64_MAX);			/* saturates */
	assert_true(h.total_bytes == UINT64_MAX && h.bytes[0] == UINT64_MAX);
	td_threshold_hist_reset(&h);
	assert_true(h.total_bytes == 0 && h.max_hotness == 0 && h.bytes[0] == 0);
}

/* Plenty: the floor, at once, whatever the candidates and the room. */
static void test_plenty(void **state)
{
	static const struct set hot[] = { { 15, 200 * MiB }, { 3.4, 2000 * MiB } };
	struct td_threshold_state s;
	struct td_threshold_hist h;

	fill(&h, hot, 2);
	td_threshold_init(&s, ACC(1));
	assert_int_equal(s.value, ACC(1));
	assert_int_equal(tick(&s, &h, true, 0, ACC(2), SEC), ACC(2));
	assert_int_equal(s.why, TD_THRESHOLD_FREE);
	assert_int_equal(s.ref, ACC(15));			/* tracked in plenty too */
	assert_true(tick(&s, &h, false, 0, ACC(2), 2 * SEC) > ACC(15));	/* scarce, no room */
	assert_int_equal(tick(&s, &h, true, 0, ACC(2), 3 * SEC), ACC(2));	/* back at once */
	assert_int_equal(s.why, TD_THRESHOLD_FREE);
	td_threshold_init(&s, 0);				/* 0 is taken as 1 */
	assert_int_equal(tick(&s, &h, true, 0, 0, SEC), 1);
}

/*
 * A hot set alone on a scarce node passes, whatever its hotness and whether
 * the room takes all of it, part of it, or only what demotion may take.
 */
static void test_hot_set_alone(void **state)
{
	static const double levels[] = { 1.5, 2, 7, 15, 87.3, 1000, 100000 };
	static const uint64_t afford[] = { UINT64_MAX, 200 * MiB, 199 * MiB, 10 * MiB, 2 * MiB, 1 };

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		for (size_t j = 0; j < sizeof(afford) / sizeof(afford[0]); j++) {
			struct set set = { levels[i], 200 * MiB };
			struct td_threshold_state s;
			struct td_threshold_hist h;
			uint32_t v;

			fill(&h, &set, 1);
			td_threshold_init(&s, ACC(1));
			v = tick(&s, &h, false, afford[j], ACC(1), SEC);
			assert_true(v <= ACC(levels[i]));
			/* and it stays so, tick after tick */
			for (int k = 2; k < 20; k++)
				assert_true(tick(&s, &h, false, afford[j], ACC(1), k * SEC) <=
					    ACC(levels[i]));
		}
	}
}

/* Hot set read continuously beside a region swept every few seconds. */
static void test_hot_beside_swept(void **state)
{
	static const struct set sets[] = { { 15, 200 * MiB }, { 3.4, 4000 * MiB } };
	static const uint64_t afford[] = { UINT64_MAX, 8000 * MiB, 300 * MiB };
	struct td_threshold_hist h;

	fill(&h, sets, 2);
	for (size_t j = 0; j < sizeof(afford) / sizeof(afford[0]); j++) {
		struct td_threshold_state s;
		uint32_t v;

		td_threshold_init(&s, ACC(1));
		for (int k = 1; k <= 30; k++) {
			v = tick(&s, &h, false, afford[j], ACC(1), k * SEC);
			assert_true(v > ACC(3.4));
			assert_true(v <= ACC(15));
		}
		/* the room may bind first where only the hot set fits */
		assert_true(s.why == TD_THRESHOLD_RELATIVE || s.why == TD_THRESHOLD_ROOM);
	}
}

/* A few pages the scanner reached more often (under 4 MiB in all) do not
 * set ref: a 128 MiB hot set at 1.2 accesses beside 2 MiB at 5.75 passes
 * (with the maximum as ref, 5.75 / 4 = 1.44 held it all); 4 MiB of them do. */
static void test_ref_outliers(void **state)
{
	struct td_threshold_state s;
	struct td_threshold_hist h;
	uint32_t v = 0;

	td_threshold_hist_reset(&h);
	for (uint64_t b = 0; b < 128 * MiB; b += 4096)
		td_threshold_hist_add(&h, ACC(1.2), 4096);
	for (uint64_t b = 0; b < 2 * MiB; b += 4096)
		td_threshold_hist_add(&h, ACC(5.75), 4096);
	td_threshold_init(&s, ACC(0.5));
	for (int k = 1; k <= 5; k++)
		v = tick(&s, &h, false, UINT64_MAX, ACC(0.5), k * SEC);
	assert_true(v <= ACC(1.2));
	for (uint64_t b = 0; b < 2 * MiB; b += 4096)
		td_threshold_hist_add(&h, ACC(5.75), 4096);
	td_threshold_init(&s, ACC(0.5));
	for (int k = 1; k <= 5; k++)
		v = tick(&s, &h, false, UINT64_MAX, ACC(0.5), k * SEC);
	assert_true(v > ACC(1.2));
}

/* The room binds: only the hottest that fit. */
static void test_room(void **state)
{
	static const struct set sets[] = { { 20, 64 * MiB }, { 15, 64 * MiB }, { 3, 64 * MiB } };
	struct td_threshold_state s;
	struct td_threshold_hist h;
	uint32_t v;

	fill(&h, sets, 3);
	td_threshold_init(&s, ACC(1));
	v = tick(&s, &h, false, 100 * MiB, ACC(1), SEC);	/* the 20s fit, not the 15s */
	assert_true(v > ACC(15) && v <= ACC(20));
	assert_int_equal(s.why, TD_THRESHOLD_ROOM);

	td_threshold_init(&s, ACC(1));
	v = tick(&s, &h, false, 128 * MiB, ACC(1), SEC);	/* both fit exactly: relative */
	assert_true(v > ACC(3) && v <= ACC(15));
	assert_int_equal(s.why, TD_THRESHOLD_RELATIVE);

	td_threshold_init(&s, ACC(1));
	v = tick(&s, &h, false, 0, ACC(1), SEC);		/* nothing fits */
	assert_true(v > ACC(20));
	assert_int_equal(s.why, TD_THRESHOLD_ROOM);

	td_threshold_hist_reset(&h);				/* top bucket, all of it */
	td_threshold_hist_add(&h, UINT32_MAX, MiB);
	td_threshold_init(&s, ACC(1));
	assert_int_equal(tick(&s, &h, false, 0, ACC(1), SEC), UINT32_MAX);
}

/* The floor binds when the automatic value is below it, and always holds. */
static void test_floor(void **state)
{
	static const struct set sets[] = { { 4, 64 * MiB }, { 2, 64 * MiB } };
	struct td_threshold_state s;
	struct td_threshold_hist h;

	fill(&h, sets, 2);
	td_threshold_init(&s, ACC(10));
	assert_int_equal(tick(&s, &h, false, UINT64_MAX, ACC(10), SEC), ACC(10));
	assert_int_equal(s.why, TD_THRESHOLD_FLOOR);
	/* a floor raised by a reload within the dead band still holds */
	assert_int_equal(tick(&s, &h, false, UINT64_MAX, ACC(10.5), 2 * SEC), ACC(10.5));
	/* empty candidates: the floor */
	td_threshold_init(&s, ACC(1));
	assert_int_equal(tick(&s, NULL, false, UINT64_MAX, ACC(1), SEC), ACC(1));
	assert_int_equal(s.why, TD_THRESHOLD_FLOOR);
}

/* Rises at once; falls by at most 1/8 per tick to within 10 % of the target; no flapping. */
static void test_hysteresis(void **state)
{
	static const struct set high = { 100, 64 * MiB }, low = { 10, 64 * MiB };
	struct td_threshold_state s;
	struct td_threshold_hist hh, hl;
	uint32_t v, prev;
	int k, falls = 0;

	fill(&hh, &high, 1);
	fill(&hl, &low, 1);
	td_threshold_init(&s, ACC(1));
	assert_int_equal(tick(&s, &hl, false, UINT64_MAX, ACC(1), SEC), REL(10));
	assert_int_equal(tick(&s, &hh, false, UINT64_MAX, ACC(1), 2 * SEC), REL(100)); /* at once */

	/* the hot pages go (a 1 us half-life forgets them): the target drops to 5 at once */
	prev = s.value;
	for (k = 3; k < 60; k++) {
		struct td_threshold_input in = {
			.floor = ACC(1), .afford_bytes = UINT64_MAX, .hist = &hl,
			.now_ns = k * SEC, .half_life_ns = 1000,
		};

		v = td_threshold_update(&s, &in);
		assert_int_equal(s.target, REL(10));
		assert_true(v <= prev);
		assert_true(v >= prev - prev / 8);
		assert_true(v >= s.target);
		falls += v < prev;
		prev = v;
	}
	assert_true(falls >= 10);
	assert_true(prev > s.target);				/* held within the band */
	assert_true(prev <= s.target + s.target / 9 + 1);

	/* within 10 %: no change, up or down */
	td_threshold_init(&s, ACC(1));
	s.value = ACC(10);
	fill(&hl, &(struct set){ 42, 64 * MiB }, 1);		/* target 10.5 */
	assert_int_equal(tick(&s, &hl, false, UINT64_MAX, ACC(1), SEC), ACC(10));
	s.ref = 0;
	fill(&hl, &(struct set){ 38, 64 * MiB }, 1);		/* target 9.5 */
	assert_int_equal(tick(&s, &hl, false, UINT64_MAX, ACC(1), SEC), ACC(10));
	s.ref = 0;
	fill(&hl, &(struct set){ 46, 64 * MiB }, 1);		/* target 11.5: rises */
	assert_int_equal(tick(&s, &hl, false, UINT64_MAX, ACC(1), SEC), ACC(11.5));
	/* small values still fall */
	td_threshold_init(&s, 1);
	s.value = 5;
	assert_int_equal(tick(&s, NULL, false, UINT64_MAX, 1, SEC), 4);
}

/* ref follows the hottest pages and decays by the half-life once they are gone. */
static void test_ref_decays(void **state)
{
	static const struct set both[] = { { 16, 64 * MiB }, { 3.4, 1000 * MiB } };
	static const struct set swept = { 3.4, 1000 * MiB };
	struct td_threshold_state s;
	struct td_threshold_hist hb, hs;
	uint64_t t;

	fill(&hb, both, 2);
	fill(&hs, &swept, 1);
	td_threshold_init(&s, ACC(1));
	tick(&s, &hb, false, UINT64_MAX, ACC(1), SEC);
	assert_int_equal(s.ref, ACC(16));
	assert_true(s.value > ACC(3.4));
	/* the hot pages leave the candidates (promoted) */
	tick(&s, &hs, false, UINT64_MAX, ACC(1), SEC + HALF_LIFE);
	assert_in_range(s.ref, ACC(8) - 2, ACC(8) + 8);
	tick(&s, &hs, false, UINT64_MAX, ACC(1), SEC + HALF_LIFE * 3 / 2);
	assert_in_range(s.ref, ACC(16 / pow(2, 1.5)) - 8, ACC(16 / pow(2, 1.5)) + 16);
	/* ref never falls below this tick's hottest */
	for (t = 2 * HALF_LIFE; t < 20 * HALF_LIFE; t += 5 * SEC)
		tick(&s, &hs, false, UINT64_MAX, ACC(1), t);
	assert_int_equal(s.ref, ACC(3.4));
	assert_true(s.value <= ACC(3.4));
	/* a clock that went back does not decay; half-life 0 keeps nothing */
	s.ref = ACC(50);
	tick(&s, &hs, false, UINT64_MAX, ACC(1), SEC);
	assert_int_equal(s.ref, ACC(50));
	{
		struct td_threshold_input in = { .floor = 1, .hist = &hs, .now_ns = 2 * SEC,
						 .afford_bytes = UINT64_MAX };

		td_threshold_update(&s, &in);
		assert_int_equal(s.ref, ACC(3.4));
	}
}

/* The decay factor against 2^(-x) over a half-life, long and odd half-lives. */
static void test_decay_accuracy(void **state)
{
	static const uint64_t half_lives[] = { 1000, 3 * SEC, HALF_LIFE, 1ull << 48 };

	for (size_t i = 0; i < sizeof(half_lives) / sizeof(half_lives[0]); i++) {
		for (int q = 0; q <= 64; q++) {
			uint64_t hl = half_lives[i], dt = hl / 16 * (uint64_t)q + hl / 37;
			struct td_threshold_state s;
			struct td_threshold_input in = { .floor = 1, .now_ns = 1 + dt,
							 .half_life_ns = hl };
			double want;

			td_threshold_init(&s, 1);
			s.ref = ACC(1000);
			s.last_ns = 1;
			td_threshold_update(&s, &in);
			want = ACC(1000) * pow(2, -(double)dt / (double)hl);
			assert_true(s.ref >= want - 2);
			assert_true(s.ref <= want * 1.001 + 2);
		}
	}
}

/* Warm-up: under scarcity nothing passes until the group's candidates were
 * seen for warmup_ns (at first sight a swept page and a hot one both have
 * one access); then the relative value at once, not eased down from the
 * warm-up's; plenty promotes freely meanwhile. */
static void test_warmup(void **state)
{
	static const struct set first[] = { { 1, 64 * MiB }, { 1, 384 * MiB } };
	static const struct set later[] = { { 20, 64 * MiB }, { 1, 384 * MiB } };
	struct td_threshold_input in = {
		.floor = ACC(1) / 2, .afford_bytes = UINT64_MAX, .half_life_ns = HALF_LIFE,
		.warmup_ns = 5 * SEC,
	};
	struct td_threshold_state s;
	struct td_threshold_hist h;

	td_threshold_init(&s, in.floor);
	fill(&h, first, 2);
	in.hist = &h;
	in.now_ns = 100 * SEC;
	assert_true(td_threshold_update(&s, &in) > ACC(1));	/* the first sight: held */
	assert_int_equal(s.why, TD_THRESHOLD_WARMUP);
	in.plenty = true;
	in.now_ns += SEC;
	assert_int_equal(td_threshold_update(&s, &in), in.floor);	/* plenty: free */
	in.plenty = false;
	fill(&h, later, 2);
	in.now_ns = 104 * SEC;
	assert_true(td_threshold_update(&s, &in) > ACC(20));	/* still warming up */
	in.now_ns = 105 * SEC;
	assert_int_equal(td_threshold_update(&s, &in), ACC(20) >> TD_THRESHOLD_REL_SHIFT);
	assert_int_equal(s.why, TD_THRESHOLD_RELATIVE);
	/* without a warm-up the first sight passes */
	td_threshold_init(&s, in.floor);
	fill(&h, first, 2);
	in.warmup_ns = 0;
	assert_true(td_threshold_update(&s, &in) <= ACC(1));
}

static void test_names_describe(void **state)
{
	static const char *const names[] = { "free", "floor", "relative", "room", "warmup" };
	static const struct set sets[] = { { 16, 64 * MiB }, { 3, 64 * MiB } };
	struct td_threshold_state s;
	struct td_threshold_hist h;
	char buf[256], small[8];
	int n;

	for (int w = 0; w < TD_THRESHOLD__MAX; w++)
		assert_string_equal(td_threshold_why_name(w), names[w]);
	assert_null(td_threshold_why_name(TD_THRESHOLD__MAX));

	fill(&h, sets, 2);
	td_threshold_init(&s, ACC(1));
	tick(&s, &h, false, UINT64_MAX, ACC(1), SEC);
	n = td_threshold_describe(&s, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(buf));
	assert_string_equal(buf, "automatic: a quarter of the hottest pages' frequency (4.0 accesses); "
				 "fast memory is scarce");
	tick(&s, &h, false, 32 * MiB, ACC(1), SEC);	/* the top bucket alone exceeds it */
	td_threshold_describe(&s, buf, sizeof(buf));
	assert_non_null(strstr(buf, "16.0 accesses, the most the fast tier can afford"));
	tick(&s, &h, true, 0, ACC(2), SEC);
	td_threshold_describe(&s, buf, sizeof(buf));
	assert_non_null(strstr(buf, "floor: 2.0 accesses"));
	assert_non_null(strstr(buf, "plentiful"));
	tick(&s, &h, false, 0, ACC(1), SEC);			/* up to 16+ */
	tick(&s, &h, false, UINT64_MAX, ACC(1), SEC);		/* target 8: easing down */
	td_threshold_describe(&s, buf, sizeof(buf));
	assert_non_null(strstr(buf, "easing towards 4.0 accesses"));
	/* truncation as snprintf, size query, errors */
	assert_int_equal(td_threshold_describe(&s, small, sizeof(small)), (int)strlen(buf));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(td_threshold_describe(&s, NULL, 0), (int)strlen(buf));
	assert_int_equal(td_threshold_describe(&s, NULL, 4), -EINVAL);
	s.why = TD_THRESHOLD__MAX;
	assert_int_equal(td_threshold_describe(&s, buf, sizeof(buf)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_plenty),
		cmocka_unit_test(test_hot_set_alone),
		cmocka_unit_test(test_hot_beside_swept),
		cmocka_unit_test(test_ref_outliers),
		cmocka_unit_test(test_room),
		cmocka_unit_test(test_floor),
		cmocka_unit_test(test_hysteresis),
		cmocka_unit_test(test_ref_decays),
		cmocka_unit_test(test_decay_accuracy),
		cmocka_unit_test(test_warmup),
		cmocka_unit_test(test_names_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
