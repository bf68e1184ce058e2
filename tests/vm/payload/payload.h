/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * payload.h - what the guest payloads share: a monotonic clock in seconds
 * and a seeded generator, so that a seed gives the same pattern in every
 * payload. Header-only: each payload is one .c file linked alone.
 */
#ifndef TIERINGD_VM_PAYLOAD_H
#define TIERINGD_VM_PAYLOAD_H

#include <stdint.h>
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

#endif
