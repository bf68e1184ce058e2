// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>

#include "policy.h"

void td_policy_refill(struct td_policy_group *g, size_t ng, uint64_t tick_ns, uint32_t page_size)
{
	for (size_t i = 0; i < ng; i++) {
		uint64_t b = td_ratelimit_refill(&g[i].rate, tick_ns);

		g[i].budget_pages = b == UINT64_MAX ? TD_POLICY_NO_LIMIT : b / page_size;
	}
}

void td_policy_spend(struct td_policy_group *g, uint64_t pages, uint32_t page_size)
{
	td_ratelimit_spend(&g->rate, pages * page_size);
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

/* The most group g may take this tick before sharing. */
static uint64_t group_cap(const struct td_policy_group *g)
{
	uint64_t room = TD_POLICY_NO_LIMIT;

	if (g->fast_cap_pages != TD_POLICY_NO_LIMIT)
		room = g->fast_cap_pages > g->fast_pages ? g->fast_cap_pages - g->fast_pages : 0;
	return min_u64(room, g->budget_pages);
}

static bool group_wants(const struct td_policy_group *g, uint32_t hotness)
{
	return g->mode == TD_MODE_PROMOTE && !g->paused && hotness >= g->hot_threshold;
}

/* First pass: which candidates each group may take, before sharing. */
static int count_demand(struct td_policy_group *g, size_t ng, const struct td_policy_cand *c,
			size_t nc, uint8_t *eligible)
{
	for (size_t i = 0; i < ng; i++) {
		if (!g[i].weight)
			return -EINVAL;
		g[i].demand = g[i].share = g[i].selected = g[i].held_cap = g[i].held_rate = 0;
	}
	for (size_t i = 0; i < nc; i++) {
		struct td_policy_group *gr;

		eligible[i] = 0;
		if (c[i].group < 0)
			continue;
		if ((size_t)c[i].group >= ng)
			return -EINVAL;
		gr = &g[c[i].group];
		if (!group_wants(gr, c[i].hotness))
			continue;
		if (gr->demand >= group_cap(gr)) {
			/* which bound held it: the cap, else the rate */
			if (gr->fast_cap_pages != TD_POLICY_NO_LIMIT &&
			    gr->demand + gr->fast_pages >= gr->fast_cap_pages)
				gr->held_cap++;
			else
				gr->held_rate++;
			continue;
		}
		gr->demand++;
		eligible[i] = 1;
	}
	return 0;
}

int td_policy_select(struct td_policy_group *g, size_t ng, const struct td_policy_cand *c,
		     size_t nc, uint64_t limit_pages, uint8_t *ret_take,
		     struct td_policy_result *ret)
{
	uint64_t d[TD_POLICY_MAX_GROUPS] = { 0 }, share[TD_POLICY_MAX_GROUPS], total = 0;
	uint32_t w[TD_POLICY_MAX_GROUPS] = { 0 };
	int r;

	memset(ret, 0, sizeof(*ret));
	if (ng > TD_POLICY_MAX_GROUPS)
		return -EINVAL;
	r = count_demand(g, ng, c, nc, ret_take);
	if (r)
		return r;
	for (size_t i = 0; i < ng; i++) {
		d[i] = g[i].demand;
		w[i] = g[i].weight;
		total += d[i];
	}
	td_policy_fair_share(d, w, ng, limit_pages, share);
	for (size_t i = 0; i < ng; i++)
		g[i].share = share[i];
	for (size_t i = 0; i < nc; i++) {
		struct td_policy_group *gr;

		if (!ret_take[i])
			continue;
		gr = &g[c[i].group];
		if (gr->selected < gr->share) {
			gr->selected++;
			ret->selected++;
		} else {
			ret_take[i] = 0;
		}
	}
	ret->demand = total;
	ret->limit = limit_pages;
	return (int)min_u64(ret->selected, INT32_MAX);
}

uint64_t td_policy_fast_cap_pages(const struct td_cgroup_policy *p, uint64_t memory_max,
				  uint32_t page_size)
{
	if (p->max_fast_percent) {
		if (memory_max == UINT64_MAX)
			return TD_POLICY_NO_LIMIT;
		return (uint64_t)((unsigned __int128)memory_max * p->max_fast_percent / 100 /
				  page_size);
	}
	if (p->max_fast_bytes)
		return p->max_fast_bytes / page_size;
	return TD_POLICY_NO_LIMIT;
}
