/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ratelimit.h - a byte budget refilled at a rate in MB/s (a token bucket
 * holding at most one second's worth). Pure: time is passed in as the
 * elapsed nanoseconds of each tick.
 */
#ifndef TIERINGD_RATELIMIT_H
#define TIERINGD_RATELIMIT_H

#include <stdint.h>

struct td_ratelimit {
	uint64_t mbps;		/* 0: unlimited */
	uint64_t bytes;		/* budget now */
};

/* Starts empty; mbps 0 means no limit. */
void td_ratelimit_init(struct td_ratelimit *r, uint64_t mbps);

/* Adds elapsed_ns worth of budget (capped at one second's) and returns the
 * budget in bytes now; UINT64_MAX when unlimited. */
uint64_t td_ratelimit_refill(struct td_ratelimit *r, uint64_t elapsed_ns);

/* Spends used bytes (never below zero). */
void td_ratelimit_spend(struct td_ratelimit *r, uint64_t used);

#endif
