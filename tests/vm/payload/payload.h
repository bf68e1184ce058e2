/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * payload.h - what the guest payloads share: a monotonic clock in seconds,
 * a seeded generator, so that a seed gives the same pattern in every
 * payload, and the move_pages(2) query of where pages are. Header-only:
 * each payload is one .c file linked alone.
 */
#ifndef TIERINGD_VM_PAYLOAD_H
#define TIERINGD_VM_PAYLOAD_H

#include <errno.h>
#include <numaif.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CLOCK_MONOTONIC in seconds. */
static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift64*: a fixed, scattered sequence for a given nonzero seed *s. */
static inline uint64_t rng(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* The node of each of pages[0..n) into status (or its -errno), queried in
 * chunks of 4096; a failed call prints "who: move_pages query" and exits 1. */
static inline void query_nodes(void **pages, int *status, size_t n, const char *who)
{
	for (size_t off = 0; off < n; off += 4096) {
		size_t c = n - off < 4096 ? n - off : 4096;

		if (move_pages(0, c, pages + off, NULL, status + off, 0) < 0) {
			fprintf(stderr, "%s: move_pages query: %s\n", who, strerror(errno));
			exit(1);
		}
	}
}

/* --until-pct P --hold S: a run that ends once its outcome is in, S seconds
 * after the first report with at least P % of the hot set on the fast node
 * (still at most --seconds). pct 0: off. */
struct until {
	double pct, hold, at;
};

/* Feeds one report (hot_pct at t seconds); returns 1 when the run may end. */
static inline int until_done(struct until *u, double hot_pct, double t)
{
	if (u->pct <= 0)
		return 0;
	if (u->at < 0 && hot_pct >= u->pct)
		u->at = t;
	return u->at >= 0 && t - u->at >= u->hold;
}

/* How many of pages[0..n) are on node (query_nodes(), status as scratch). */
static inline size_t count_on(void **pages, int *status, size_t n, int node, const char *who)
{
	size_t on = 0;

	query_nodes(pages, status, n, who);
	for (size_t i = 0; i < n; i++)
		on += status[i] == node;
	return on;
}

#endif
