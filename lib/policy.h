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
 *   - a page must be at least the group's HotThreshold;
 *   - at most the group's own rate budget (PromoteRateLimitMBps);
 *   - never past its fast-node cap (MaxFastMemory) minus what it has there.
 * When what the groups want exceeds the global limit (the global rate
 * budget or the fast node's room), the limit is shared by Weight: max-min
 * fair (water-filling), so a group that wants less than its share leaves
 * the rest to the others. Within a group the hottest pages go first.
 */
#ifndef TIERINGD_POLICY_H
#define TIERINGD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ratelimit.h"

#define TD_POLICY_NO_LIMIT UINT64_MAX
/* one group per [Cgroup] section, plus the implicit default */
#define TD_POLICY_MAX_GROUPS (TD_CONFIG_MAX_CGROUPS + 1)

struct td_policy_group {
	/* rules, from the configuration */
	enum td_mode mode;
	bool paused;
	uint32_t hot_threshold;		/* hotness units (TD_HOTNESS_ONE = one access) */
	uint32_t weight;		/* >= 1 */
	struct td_ratelimit rate;	/* PromoteRateLimitMBps; mbps 0 = none */
	uint64_t fast_cap_pages;	/* MaxFastMemory in pages, TD_POLICY_NO_LIMIT = none */
	/* state, from the caller */
	uint64_t fast_pages;		/* the group's pages on fast nodes now */
	uint64_t budget_pages;		/* this tick's rate budget (td_policy_refill) */
	/* results of the last td_policy_select */
	uint64_t demand;		/* eligible candidates */
	uint64_t share;			/* pages granted */
	uint64_t selected;		/* candidates taken (<= share) */
	uint64_t held_cap;		/* candidates held back by the fast cap */
	uint64_t held_rate;		/* candidates held back by the group's rate */
};

/* One candidate: which group it belongs to (index into the groups array,
 * or -1: no group, never taken) and its hotness. */
struct td_policy_cand {
	int32_t group;
	uint32_t hotness;
};

struct td_policy_result {
	uint64_t demand;	/* eligible candidates, all groups */
	uint64_t selected;	/* taken */
	uint64_t limit;		/* the global limit applied */
};

/* Refills every group's rate bucket for tick_ns and sets budget_pages
 * (TD_POLICY_NO_LIMIT for groups without a rate limit). */
void td_policy_refill(struct td_policy_group *g, size_t ng, uint64_t tick_ns, uint32_t page_size);

/* Spends pages tried for group g from its rate bucket. */
void td_policy_spend(struct td_policy_group *g, uint64_t pages, uint32_t page_size);

/*
 * Chooses candidates. c[0..nc) must be in descending hotness; ret_take[i]
 * is set to 1 for the candidates taken, 0 otherwise. limit_pages bounds the
 * total (the global rate budget and the fast node's room). Fills the
 * per-group results and *ret. Returns the number taken, or -EINVAL for a
 * zero weight, a group index out of range or ng > TD_POLICY_MAX_GROUPS.
 */
int td_policy_select(struct td_policy_group *g, size_t ng, const struct td_policy_cand *c,
		     size_t nc, uint64_t limit_pages, uint8_t *ret_take,
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
 * The fast-node cap of a policy in pages: MaxFastMemory in bytes, or its
 * percentage of memory_max (UINT64_MAX = "max": no cap from a percentage).
 * TD_POLICY_NO_LIMIT when the policy has none.
 */
uint64_t td_policy_fast_cap_pages(const struct td_cgroup_policy *p, uint64_t memory_max,
				  uint32_t page_size);

#endif
