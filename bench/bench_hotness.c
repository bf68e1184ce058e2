// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * bench_hotness - bytes per entry and ingest rate of lib/hotness.c.
 *
 * Fills a table of capacity 2^20 with 2^20 distinct (tgid, page) keys of 256
 * processes, then times a pre-generated stream of accesses: 90% to existing
 * keys, Zipf-like (s ~ 1, the hot keys scattered over the table), 10% to
 * never-seen keys, each of which evicts. Simulated time advances 100 ns per
 * event, so entries really decay (half-life 1 s).
 *
 * The headline figure is td_hotness_record_batch() with batches of 256, the
 * way the daemon drains its ring buffer. td_hotness_record() one by one and
 * a uniform (cache-hostile) stream are reported on stderr.
 *
 * stdout carries the three result lines. Always exits 0: PASS/FAIL is
 * informational.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hotness.h"

#define ENTRIES		(UINT32_C(1) << 20)
#define NPROC		256u
#define EVENTS		(UINT32_C(16) << 20)	/* headline run */
#define EVENTS_SIDE	(UINT32_C(4) << 20)	/* each side run */
#define BATCH		256u
#define NEW_PERCENT	10
#define NS_PER_EVENT	100
#define TARGET_BYTES	32.0
#define TARGET_RATE	10000000.0

static uint64_t rng_state = 0x9e3779b97f4a7c15;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static double rng_unit(void)
{
	return (double)(rng() >> 11) / (double)(UINT64_C(1) << 53);
}

static uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Key id -> access. Ids below ENTRIES are the initial keys, the others new ones. */
static void make_access(uint32_t id, struct td_hotness_access *a)
{
	uint32_t proc = id % NPROC;
	uint64_t page = id / NPROC;

	*a = (struct td_hotness_access){
		.tgid = 1000 + proc,
		.start_time = 5000 + proc,
		.addr = UINT64_C(0x7f0000000000) + (uint64_t)proc * (UINT64_C(1) << 36) +
			page * 4096 + (id & 0xfff),
		.memcg_id = 100 + proc % 16,
		.node = (int16_t)(page & 1),
	};
}

/* Time @n accesses through td_hotness_record_batch(); returns events per second. */
static double run_batch(struct td_hotness *t, const struct td_hotness_access *a, uint32_t n,
			uint64_t *sim)
{
	uint64_t start = clock_ns(), elapsed;
	int rejected = 0;

	for (uint32_t i = 0; i < n; i += BATCH) {
		uint32_t k = n - i < BATCH ? n - i : BATCH;

		rejected += td_hotness_record_batch(t, &a[i], k, *sim);
		*sim += (uint64_t)k * NS_PER_EVENT;
	}
	elapsed = clock_ns() - start;
	if (rejected)
		fprintf(stderr, "hotness: %d accesses rejected\n", rejected);
	return (double)n * 1e9 / (double)elapsed;
}

/* Time @n accesses through td_hotness_record(); returns events per second. */
static double run_single(struct td_hotness *t, const struct td_hotness_access *a, uint32_t n,
			 uint64_t *sim)
{
	uint64_t start = clock_ns(), elapsed;
	int rejected = 0;

	for (uint32_t i = 0; i < n; i++) {
		rejected += td_hotness_record(t, &a[i], *sim) < 0;
		*sim += NS_PER_EVENT;
	}
	elapsed = clock_ns() - start;
	if (rejected)
		fprintf(stderr, "hotness: %d accesses rejected\n", rejected);
	return (double)n * 1e9 / (double)elapsed;
}

static void shuffle(uint32_t *v, uint32_t n)
{
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rng() % (i + 1)), tmp = v[i];

		v[i] = v[j];
		v[j] = tmp;
	}
}

int main(void)
{
	struct td_hotness_params p = { .capacity = ENTRIES, .half_life_ns = 1000000000 };
	struct td_hotness_access *stream, *uniform, a;
	uint32_t *perm, next_new = ENTRIES, nstream = EVENTS + EVENTS_SIDE;
	uint64_t sim = UINT64_C(1000) * 1000000000;
	struct td_hotness_stats st;
	struct td_hotness *t = NULL;
	double bpe, rate, rate_single, rate_uniform;
	int r;

	r = td_hotness_new(&p, &t);
	stream = calloc(nstream, sizeof(*stream));
	uniform = calloc(EVENTS_SIDE, sizeof(*uniform));
	perm = calloc(ENTRIES, sizeof(*perm));
	if (r < 0 || !stream || !uniform || !perm) {
		fprintf(stderr, "hotness: setup failed: %d\n", r < 0 ? r : -ENOMEM);
		return 0;
	}

	/* Fill with every initial key once, in random order. */
	for (uint32_t i = 0; i < ENTRIES; i++)
		perm[i] = i;
	shuffle(perm, ENTRIES);
	for (uint32_t i = 0; i < ENTRIES; i++) {
		make_access(perm[i], &a);
		td_hotness_record(t, &a, sim);
		sim += NS_PER_EVENT;
	}
	td_hotness_get_stats(t, &st);
	bpe = (double)td_hotness_bytes(t) / (double)ENTRIES;
	printf("hotness: entries=%llu bytes_per_entry=%.1f\n", (unsigned long long)st.live, bpe);

	/*
	 * Zipf(1)-like: P(rank < k) ~ ln k / ln N, so rank = N^u - 1. Rank r is
	 * key perm[r], a fresh permutation, so hotness is unrelated to fill order.
	 */
	shuffle(perm, ENTRIES);
	for (uint32_t i = 0; i < nstream; i++) {
		uint32_t id, rank;

		if (rng() % 100 < NEW_PERCENT) {
			id = next_new++;
		} else {
			rank = (uint32_t)exp(rng_unit() * log((double)ENTRIES + 1)) - 1;
			id = perm[rank < ENTRIES ? rank : ENTRIES - 1];
		}
		make_access(id, &stream[i]);
	}
	for (uint32_t i = 0; i < EVENTS_SIDE; i++)
		make_access((uint32_t)(rng() % ENTRIES), &uniform[i]);

	rate = run_batch(t, stream, EVENTS, &sim);
	printf("hotness: ingest_events_per_s=%.0f (%u events, one core)\n", rate, EVENTS);
	printf("hotness: targets bytes_per_entry<=32 ingest>=10000000: %s\n",
	       bpe <= TARGET_BYTES && rate >= TARGET_RATE ? "PASS" : "FAIL");
	fflush(stdout);

	rate_single = run_single(t, stream + EVENTS, EVENTS_SIDE, &sim);
	rate_uniform = run_batch(t, uniform, EVENTS_SIDE, &sim);
	td_hotness_get_stats(t, &st);
	fprintf(stderr,
		"hotness: detail: batch(%u) zipf+%d%%new %.1f M/s; one by one %.1f M/s; "
		"batch uniform %.1f M/s; live=%llu inserts=%llu updates=%llu evictions=%llu "
		"bytes=%zu\n",
		BATCH, NEW_PERCENT, rate / 1e6, rate_single / 1e6, rate_uniform / 1e6,
		(unsigned long long)st.live, (unsigned long long)st.inserts,
		(unsigned long long)st.updates, (unsigned long long)st.evictions,
		td_hotness_bytes(t));

	td_hotness_free(t);
	free(stream);
	free(uniform);
	free(perm);
	return 0;
}
