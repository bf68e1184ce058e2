/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy.h - which hot pages are promoted this tick, by each cgroup
 * policy's rules. Pure: the caller supplies the candidates (hottest first),
 * the policy groups with their budgets and fast-node footprints, and the
 * global limit; this decides.
 *
 * A policy group is one [Cgroup "/path"] section (it covers the cgroup and
 * its descendants that have no section of their own) or the implicit
 * default group for everything unlisted. Per group and tick:
 *   - Mode must be promote and the group not paused;
 *   - a page must be at least the group's threshold in force (automatic,
 *     lib/threshold.h, never below HotThreshold);
 *   - at most the group's own rate budget (PromoteRateLimitMBps);
 *   - never past its fast-node cap (MaxFastMemory) minus what it has there.
 * Everything is counted in bytes: a candidate is a folio (a 2 MiB THP is
 * 512 base pages' worth of budget). When what the groups want exceeds the
 * global limit (the global rate budget or the fast node's room), the limit
 * is shared by Weight: max-min fair (water-filling), so a group that wants
 * less than its share leaves the rest to the others. Within a group the
 * hottest folios go first, and a folio that does not fit what is left waits
 * (with everything colder in its group) for the next tick; bytes the
 * shares left because no folio fitted go to the hottest folios that fit.
 * One exception keeps a limit below one folio from starving it for ever:
 * a folio larger than a full rate bucket (one second's worth) may go alone
 * when the bucket is full, so a rate is overshot by at most one folio.
 */
#ifndef TIERINGD_POLICY_H
#define TIERINGD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ratelimit.h"
#include "threshold.h"

#define TD_POLICY_NO_LIMIT UINT64_MAX
/* one group per [Cgroup] section, plus the implicit default */
#define TD_POLICY_MAX_GROUPS (TD_CONFIG_MAX_CGROUPS + 1)

struct td_policy_group {
	/* rules, from the configuration */
	enum td_mode mode;
	bool paused;
	uint32_t hot_threshold;		/* HotThreshold: the floor, hotness units */
	uint32_t weight;		/* >= 1 */
	struct td_ratelimit rate;	/* PromoteRateLimitMBps; mbps 0 = none */
	uint64_t fast_cap_bytes;	/* MaxFastMemory, TD_POLICY_NO_LIMIT = none */
	/* state, from the caller */
	uint64_t fast_bytes;		/* the group's bytes on fast nodes now */
	uint64_t budget_bytes;		/* this tick's rate budget (td_policy_refill) */
	uint32_t threshold;		/* in force this tick (>= hot_threshold) */
	struct td_threshold_state thr;	/* the automatic threshold's state */
	/* results of the last td_policy_select, in bytes */
	uint64_t demand;		/* eligible candidates */
	uint64_t share;			/* granted */
	uint64_t selected;		/* taken (<= share, but for the one-folio exception) */
	uint64_t held_cap;		/* candidates (folios) held back by the fast cap */
	uint64_t held_rate;		/* candidates (folios) held back by the group's rate */
};

/* One candidate: which group it belongs to (index into the groups array,
 * or -1: no group, never taken), its hotness and its folio's bytes. */
struct td_policy_cand {
	int32_t group;
	uint32_t hotness;
	uint64_t bytes;
};

struct td_policy_result {
	uint64_t demand;	/* eligible bytes, all groups */
	uint64_t selected;	/* bytes taken */
	uint64_t limit;		/* the global limit applied, bytes */
	uint64_t taken;		/* candidates taken */
};

/* Refills every group's rate bucket for tick_ns and sets budget_bytes
 * (TD_POLICY_NO_LIMIT for groups without a rate limit). */
void td_policy_refill(struct td_policy_group *g, size_t ng, uint64_t tick_ns);

/* Spends bytes tried for group g from its rate bucket. */
void td_policy_spend(struct td_policy_group *g, uint64_t bytes);

/* True when a folio of @bytes may go under a rate whose bucket holds
 * @budget of a bucket that holds at most @full (the one-folio exception:
 * a folio larger than a full bucket goes when the bucket is full and
 * nothing else was taken, @used == 0). */
bool td_policy_fits(uint64_t bytes, uint64_t budget, uint64_t full, uint64_t used);

/* The most a full rate bucket of r holds (TD_POLICY_NO_LIMIT: no limit). */
uint64_t td_policy_bucket_bytes(const struct td_ratelimit *r);

/*
 * Chooses candidates. c[0..nc) must be in descending hotness; ret_take[i]
 * is set to 1 for the candidates taken, 0 otherwise. limit_bytes bounds the
 * total (the global rate budget and the fast node's room); limit_full is
 * what the global limit holds at most (the global bucket's size, for the
 * one-folio exception; TD_POLICY_NO_LIMIT if none). Fills the per-group
 * results and *ret. Returns the number taken, or -EINVAL for a zero
 * weight, a group index out of range or ng > TD_POLICY_MAX_GROUPS.
 */
int td_policy_select(struct td_policy_group *g, size_t ng, const struct td_policy_cand *c,
		     size_t nc, uint64_t limit_bytes, uint64_t limit_full, uint8_t *ret_take,
		     struct td_policy_result *ret);

/*
 * Weighted max-min fair shares: splits limit among n claimants with
 * demands d[] and weights w[] (>= 1) into ret_share[] (each <= its demand,
 * sum = min(limit, sum of demands)); remainders go to the largest
 * fractional parts, ties to the lower index. n <= TD_POLICY_MAX_GROUPS
 * (claimants beyond are ignored). Exposed for tests.
 */
void td_policy_fair_share(const uint64_t *d, const uint32_t *w, size_t n, uint64_t limit,
			  uint64_t *ret_share);

/*
 * The fast-node cap of a policy in bytes: MaxFastMemory, or its percentage
 * of memory_max (UINT64_MAX = "max": no cap from a percentage).
 * TD_POLICY_NO_LIMIT when the policy has none.
 */
uint64_t td_policy_fast_cap_bytes(const struct td_cgroup_policy *p, uint64_t memory_max);

#endif
