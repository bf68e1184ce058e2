// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

void td_policy_refill(struct td_policy_group *g, size_t ng, uint64_t tick_ns)
{
	for (size_t i = 0; i < ng; i++) {
		uint64_t b = td_ratelimit_refill(&g[i].rate, tick_ns);

		g[i].budget_bytes = b == UINT64_MAX ? TD_POLICY_NO_LIMIT : b;
	}
}

void td_policy_spend(struct td_policy_group *g, uint64_t bytes)
{
	td_ratelimit_spend(&g->rate, bytes);
}

uint64_t td_policy_bucket_bytes(const struct td_ratelimit *r)
{
	return r->mbps ? r->mbps << 20 : TD_POLICY_NO_LIMIT;
}

bool td_policy_fits(uint64_t bytes, uint64_t budget, uint64_t full, uint64_t used)
{
	if (budget == TD_POLICY_NO_LIMIT || used + bytes <= budget)
		return true;
	return !used && bytes > full && budget >= full;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* a * b / c without overflow for the sizes we see (a < 2^64, b <= 10000). */
static uint64_t mul_div(uint64_t a, uint64_t b, uint64_t c, uint64_t *ret_rem)
{
	unsigned __int128 p = (unsigned __int128)a * b;

	*ret_rem = (uint64_t)(p % c);
	return (uint64_t)(p / c);
}

/* Hands out the remainder one page at a time, largest fractional part first. */
static void spread_remainder(const uint64_t *d, size_t n, uint64_t left, uint64_t *frac,
			     uint64_t *share)
{
	while (left) {
		size_t best = n;

		for (size_t i = 0; i < n; i++)
			if (share[i] < d[i] && (best == n || frac[i] > frac[best]))
				best = i;
		if (best == n)
			return;
		share[best]++;
		frac[best] = 0;
		left--;
	}
}

void td_policy_fair_share(const uint64_t *d, const uint32_t *w, size_t n, uint64_t limit,
			  uint64_t *ret_share)
{
	uint64_t frac[TD_POLICY_MAX_GROUPS], left = limit, wsum;
	bool active[TD_POLICY_MAX_GROUPS], changed = true;

	if (n > TD_POLICY_MAX_GROUPS)
		n = TD_POLICY_MAX_GROUPS;

	for (size_t i = 0; i < n; i++) {
		ret_share[i] = 0;
		frac[i] = 0;
		active[i] = d[i] > 0;
	}
	/* water-filling: satisfy every claimant whose demand is within its
	 * weighted share, and share again what they leave */
	while (changed && left) {
		changed = false;
		wsum = 0;
		for (size_t i = 0; i < n; i++)
			if (active[i])
				wsum += w[i];
		if (!wsum)
			break;
		for (size_t i = 0; i < n; i++) {
			uint64_t rem, s;

			if (!active[i])
				continue;
			s = mul_div(left, w[i], wsum, &rem);
			if (d[i] <= s) {
				ret_share[i] = d[i];
				active[i] = false;
				changed = true;
			}
		}
		if (changed) {
			left = limit;
			for (size_t i = 0; i < n; i++)
				if (!active[i])
					left -= min_u64(left, ret_share[i]);
		}
	}
	if (!left)
		return;
	wsum = 0;
	for (size_t i = 0; i < n; i++)
		if (active[i])
			wsum += w[i];
	if (!wsum)
		return;
	uint64_t given = 0;

	for (size_t i = 0; i < n; i++) {
		if (!active[i])
			continue;
		ret_share[i] = mul_div(left, w[i], wsum, &frac[i]);
		given += ret_share[i];
	}
	spread_remainder(d, n, left - given, frac, ret_share);
}

/* What the fast cap leaves group g (TD_POLICY_NO_LIMIT: no cap). */
static uint64_t cap_left(const struct td_policy_group *g)
{
	if (g->fast_cap_bytes == TD_POLICY_NO_LIMIT)
		return TD_POLICY_NO_LIMIT;
	return g->fast_cap_bytes > g->fast_bytes ? g->fast_cap_bytes - g->fast_bytes : 0;
}

static bool group_wants(const struct td_policy_group *g, uint32_t hotness)
{
	return g->mode == TD_MODE_PROMOTE && !g->paused && hotness >= g->threshold;
}

/* Whether group g may take one more folio of @bytes before sharing; *full
 * is set once one did not fit (the rest of the group waits behind it). */
static bool group_takes(struct td_policy_group *g, uint64_t bytes, bool *full)
{
	uint64_t cap = cap_left(g);

	if (*full)
		goto held;
	if (cap != TD_POLICY_NO_LIMIT && g->demand + bytes > cap)
		goto held;
	if (!td_policy_fits(bytes, g->budget_bytes, td_policy_bucket_bytes(&g->rate), g->demand))
		goto held;
	g->demand += bytes;
	return true;
held:
	*full = true;
	/* which bound held it: the cap, else the rate */
	if (cap != TD_POLICY_NO_LIMIT && g->demand + bytes > cap)
		g->held_cap++;
	else
		g->held_rate++;
	return false;
}

/* First pass: which candidates each group may take, before sharing. */
static int count_demand(struct td_policy_group *g, size_t ng, const struct td_policy_cand *c,
			size_t nc, uint8_t *eligible, bool *full)
{
	for (size_t i = 0; i < ng; i++) {
		if (!g[i].weight)
			return -EINVAL;
		g[i].demand = g[i].share = g[i].selected = g[i].held_cap = g[i].held_rate = 0;
		full[i] = false;
	}
	for (size_t i = 0; i < nc; i++) {
		struct td_policy_group *gr;

		eligible[i] = 0;
		if (c[i].group < 0)
			continue;
		if ((size_t)c[i].group >= ng)
			return -EINVAL;
		gr = &g[c[i].group];
		if (group_wants(gr, c[i].hotness) && group_takes(gr, c[i].bytes, &full[c[i].group]))
			eligible[i] = 1;
	}
	return 0;
}

/* take[i] of an eligible folio past its group's share, until take_leftover()
 * decides it (0 or 1 then). */
#define TAKE_LEFT 2

/* Within their shares, hottest first; a folio that does not fit its
 * group's share stops the group, and it and the group's later eligible
 * folios are left (TAKE_LEFT). */
static void take_shares(struct td_policy_group *g, const struct td_policy_cand *c,
			size_t nc, uint8_t *take, struct td_policy_result *ret)
{
	bool stop[TD_POLICY_MAX_GROUPS] = { false };

	for (size_t i = 0; i < nc; i++) {
		struct td_policy_group *gr;

		if (!take[i])
			continue;
		gr = &g[c[i].group];
		if (!stop[c[i].group] && gr->selected + c[i].bytes <= gr->share) {
			gr->selected += c[i].bytes;
			ret->selected += c[i].bytes;
			ret->taken++;
			continue;
		}
		stop[c[i].group] = true;
		take[i] = TAKE_LEFT;
	}
}

/* What the shares left unused (a group's next folio did not fit its share)
 * goes to the hottest eligible folios that fit. Under a rate (limit_full
 * set) each group stays in its own order: a folio that does not fit stops
 * its group, and waits for the bucket to fill. Under the room, which does
 * not fill by waiting, a smaller colder folio may go past it. The
 * one-folio exception when nothing was taken at all. */
static void take_leftover(struct td_policy_group *g, const struct td_policy_cand *c, size_t nc,
			  uint64_t limit, uint64_t limit_full, uint8_t *take,
			  struct td_policy_result *ret)
{
	bool stop[TD_POLICY_MAX_GROUPS] = { false };

	for (size_t i = 0; i < nc; i++) {
		if (take[i] != TAKE_LEFT)
			continue;
		take[i] = 0;
		if (stop[c[i].group])
			continue;
		if (!td_policy_fits(c[i].bytes, limit, limit_full, ret->selected)) {
			stop[c[i].group] = limit_full != TD_POLICY_NO_LIMIT;
			continue;
		}
		take[i] = 1;
		g[c[i].group].selected += c[i].bytes;
		ret->selected += c[i].bytes;
		ret->taken++;
	}
}

int td_policy_select(struct td_policy_group *g, size_t ng, const struct td_policy_cand *c,
		     size_t nc, uint64_t limit_bytes, uint64_t limit_full, uint8_t *ret_take,
		     struct td_policy_result *ret)
{
	uint64_t d[TD_POLICY_MAX_GROUPS] = { 0 }, share[TD_POLICY_MAX_GROUPS], total = 0;
	uint32_t w[TD_POLICY_MAX_GROUPS] = { 0 };
	bool full[TD_POLICY_MAX_GROUPS];
	int r;

	memset(ret, 0, sizeof(*ret));
	if (ng > TD_POLICY_MAX_GROUPS)
		return -EINVAL;
	r = count_demand(g, ng, c, nc, ret_take, full);
	if (r)
		return r;
	for (size_t i = 0; i < ng; i++) {
		d[i] = g[i].demand;
		w[i] = g[i].weight;
		total += d[i];
	}
	td_policy_fair_share(d, w, ng, limit_bytes, share);
	for (size_t i = 0; i < ng; i++)
		g[i].share = share[i];
	take_shares(g, c, nc, ret_take, ret);
	take_leftover(g, c, nc, limit_bytes, limit_full, ret_take, ret);
	ret->demand = total;
	ret->limit = limit_bytes;
	return (int)min_u64(ret->taken, INT32_MAX);
}

uint64_t td_policy_fast_cap_bytes(const struct td_cgroup_policy *p, uint64_t memory_max)
{
	if (p->max_fast_percent) {
		if (memory_max == UINT64_MAX)
			return TD_POLICY_NO_LIMIT;
		return (uint64_t)((unsigned __int128)memory_max * p->max_fast_percent / 100);
	}
	if (p->max_fast_bytes)
		return p->max_fast_bytes;
	return TD_POLICY_NO_LIMIT;
}
