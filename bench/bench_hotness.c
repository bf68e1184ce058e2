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
 * Mixed folio sizes (issue 10): a second table of 2^20 keys of which 80 %
 * are base pages, 15 % 2 MiB THPs (order 9) and 5 % 64 KiB mTHPs (order 4),
 * each size in its own part of the address space as a THP=always process
 * has them; the same Zipf stream with 10 % new keys, each event at a random
 * 4 KiB offset inside its folio with the folio's order, as the hint-fault
 * hooks report it. New large keys probe for small entries to collapse and
 * new small ones for a covering large entry, so this is the slower path.
 *
 * Rates are events per second of the thread's CPU time (one core).
 *
 * stdout carries the four result lines. Always exits 0: PASS/FAIL is
 * informational.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
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
#define TARGET_BYTES	37.0
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

/*
 * The thread's CPU time: events per second on one core, which time spent
 * preempted (the machine is shared) does not dilute.
 */
static uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Key id -> folio of the mixed case: of every 20 ids of a process, 16 are
 * base pages, 3 are order 9, 1 is order 4. Returns the folio's order and
 * stores its base address (past the process's order-0 range).
 */
static unsigned int mixed_folio(uint32_t id, uint64_t *base)
{
	uint32_t proc = id % NPROC, n = id / NPROC, c = n % 20, round = n / 20;
	uint64_t va = UINT64_C(0x7f0000000000) + (uint64_t)proc * (UINT64_C(1) << 44);

	if (c < 16) {
		*base = va + ((uint64_t)round * 16 + c) * 4096;
		return 0;
	}
	if (c < 19) {
		*base = va + (UINT64_C(1) << 42) + ((uint64_t)round * 3 + c - 16) * (UINT64_C(2) << 20);
		return 9;
	}
	*base = va + (UINT64_C(2) << 42) + (uint64_t)round * (UINT64_C(64) << 10);
	return 4;
}

/* Key id -> access. Ids below ENTRIES are the initial keys, the others new ones. */
static void make_access(uint32_t id, bool mixed, struct td_hotness_access *a)
{
	uint32_t proc = id % NPROC;
	uint64_t page = id / NPROC, base;
	unsigned int order;

	if (mixed) {
		order = mixed_folio(id, &base);
		*a = (struct td_hotness_access){
			.tgid = 1000 + proc,
			.start_time = 5000 + proc,
			.addr = base + (rng() & ((UINT64_C(4096) << order) - 1)),
			.memcg_id = 100 + proc % 16,
			.node = (int16_t)(page & 1),
			.order = (uint8_t)order,
			.cpu_node = (int8_t)((id >> 5) & 1),	/* two sockets */
		};
		return;
	}
	*a = (struct td_hotness_access){
		.tgid = 1000 + proc,
		.start_time = 5000 + proc,
		.addr = UINT64_C(0x7f0000000000) + (uint64_t)proc * (UINT64_C(1) << 36) +
			page * 4096 + (id & 0xfff),
		.memcg_id = 100 + proc % 16,
		.node = (int16_t)(page & 1),
		.cpu_node = (int8_t)((id >> 5) & 1),	/* two sockets */
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

/* A table of capacity ENTRIES holding every initial key once, inserted in random order. */
static struct td_hotness *fill(bool mixed, uint32_t *perm, uint64_t *sim)
{
	struct td_hotness_params p = { .capacity = ENTRIES, .half_life_ns = 1000000000 };
	struct td_hotness_access a;
	struct td_hotness *t = NULL;

	if (td_hotness_new(&p, &t) < 0)
		return NULL;
	for (uint32_t i = 0; i < ENTRIES; i++)
		perm[i] = i;
	shuffle(perm, ENTRIES);
	for (uint32_t i = 0; i < ENTRIES; i++) {
		make_access(perm[i], mixed, &a);
		td_hotness_record(t, &a, *sim);
		*sim += NS_PER_EVENT;
	}
	return t;
}

/*
 * Zipf(1)-like: P(rank < k) ~ ln k / ln N, so rank = N^u - 1. Rank r is
 * key perm[r], a fresh permutation, so hotness is unrelated to fill order.
 * NEW_PERCENT of the events go to never-seen keys from *@next_new on.
 */
static void make_stream(bool mixed, uint32_t *perm, struct td_hotness_access *s, uint32_t n,
			uint32_t *next_new)
{
	shuffle(perm, ENTRIES);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t id, rank;

		if (rng() % 100 < NEW_PERCENT) {
			id = (*next_new)++;
		} else {
			rank = (uint32_t)exp(rng_unit() * log((double)ENTRIES + 1)) - 1;
			id = perm[rank < ENTRIES ? rank : ENTRIES - 1];
		}
		make_access(id, mixed, &s[i]);
	}
}

static void print_detail(const char *what, const struct td_hotness *t, double rate,
			 double rate_single, double rate_uniform)
{
	struct td_hotness_stats st;

	td_hotness_get_stats(t, &st);
	fprintf(stderr,
		"hotness: detail%s: batch(%u) zipf+%d%%new %.1f M/s; one by one %.1f M/s; "
		"batch uniform %.1f M/s; live=%llu inserts=%llu updates=%llu evictions=%llu "
		"splits=%llu collapses=%llu live_MiB=%.0f (order 0/4/9: %llu/%llu/%llu) bytes=%zu\n",
		what, BATCH, NEW_PERCENT, rate / 1e6, rate_single / 1e6, rate_uniform / 1e6,
		(unsigned long long)st.live, (unsigned long long)st.inserts,
		(unsigned long long)st.updates, (unsigned long long)st.evictions,
		(unsigned long long)st.splits, (unsigned long long)st.collapses,
		(double)st.live_bytes / (1 << 20), (unsigned long long)st.live_by_order[0],
		(unsigned long long)st.live_by_order[4], (unsigned long long)st.live_by_order[9],
		td_hotness_bytes(t));
}

/* The headline, one by one and uniform runs on a fresh table; returns the headline rate. */
static double run_case(bool mixed, struct td_hotness_access *stream, struct td_hotness_access *uniform,
		       uint32_t *perm, double *bpe)
{
	uint32_t next_new = ENTRIES, nstream = EVENTS + EVENTS_SIDE;
	uint64_t sim = UINT64_C(1000) * 1000000000;
	double rate, rate_single, rate_uniform;
	struct td_hotness *t = fill(mixed, perm, &sim);

	if (!t)
		return 0;
	*bpe = (double)td_hotness_bytes(t) / (double)ENTRIES;
	make_stream(mixed, perm, stream, nstream, &next_new);
	for (uint32_t i = 0; i < EVENTS_SIDE; i++)
		make_access((uint32_t)(rng() % ENTRIES), mixed, &uniform[i]);

	rate = run_batch(t, stream, EVENTS, &sim);
	rate_single = run_single(t, stream + EVENTS, EVENTS_SIDE, &sim);
	rate_uniform = run_batch(t, uniform, EVENTS_SIDE, &sim);
	print_detail(mixed ? " mixed" : "", t, rate, rate_single, rate_uniform);
	td_hotness_free(t);
	return rate;
}

int main(void)
{
	uint32_t nstream = EVENTS + EVENTS_SIDE;
	struct td_hotness_access *stream = calloc(nstream, sizeof(*stream));
	struct td_hotness_access *uniform = calloc(EVENTS_SIDE, sizeof(*uniform));
	uint32_t *perm = calloc(ENTRIES, sizeof(*perm));
	double bpe = 0, bpe_mixed = 0, rate, rate_mixed;

	if (!stream || !uniform || !perm) {
		fprintf(stderr, "hotness: setup failed: %d\n", -ENOMEM);
		return 0;
	}
	rate = run_case(false, stream, uniform, perm, &bpe);
	printf("hotness: entries=%u bytes_per_entry=%.1f\n", ENTRIES, bpe);
	printf("hotness: ingest_events_per_s=%.0f (%u events, one core)\n", rate, EVENTS);
	fflush(stdout);
	rate_mixed = run_case(true, stream, uniform, perm, &bpe_mixed);
	printf("hotness: mixed_ingest_events_per_s=%.0f (%u events, orders 0/9/4 80/15/5 %%, one core)\n",
	       rate_mixed, EVENTS);
	printf("hotness: targets bytes_per_entry<=37 ingest>=10000000 mixed>=10000000: %s\n",
	       bpe <= TARGET_BYTES && rate >= TARGET_RATE && rate_mixed >= TARGET_RATE ? "PASS" : "FAIL");
	free(stream);
	free(uniform);
	free(perm);
	return 0;
}
