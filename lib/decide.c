// SPDX-License-Identifier: GPL-2.0-only
#include <stddef.h>

#include "decide.h"
#include "units.h"

const char *const td_reason_names[TD_REASON__MAX] = {
	[TD_REASON_PROMOTE] = "promote",
	[TD_REASON_PROMOTED] = "promoted",
	[TD_REASON_ON_FAST] = "on_fast",
	[TD_REASON_NODE_UNKNOWN] = "node_unknown",
	[TD_REASON_NOT_SLOW] = "not_slow",
	[TD_REASON_NO_GROUP] = "no_group",
	[TD_REASON_MODE] = "mode",
	[TD_REASON_PAUSED] = "paused",
	[TD_REASON_GROUP_PAUSED] = "group_paused",
	[TD_REASON_THRESHOLD] = "threshold",
	[TD_REASON_PINGPONG] = "pingpong",
	[TD_REASON_BACKOFF] = "backoff",
	[TD_REASON_CAP] = "cap",
	[TD_REASON_GROUP_RATE] = "group_rate",
	[TD_REASON_RATE] = "rate",
	[TD_REASON_ROOM] = "room",
	[TD_REASON_NOT_ALLOWED] = "not_allowed",
	[TD_REASON_SHARED] = "shared",
};

static const char *const decisions[TD_REASON__MAX] = {
	[TD_REASON_PROMOTE] = "promote",
	[TD_REASON_PROMOTED] = "promoted",
	[TD_REASON_ON_FAST] = "none",
	[TD_REASON_NODE_UNKNOWN] = "wait",
	[TD_REASON_NOT_SLOW] = "none",
	[TD_REASON_NO_GROUP] = "left alone",
	[TD_REASON_MODE] = "left alone",
	[TD_REASON_PAUSED] = "left alone",
	[TD_REASON_GROUP_PAUSED] = "left alone",
	[TD_REASON_THRESHOLD] = "wait",
	[TD_REASON_PINGPONG] = "held",
	[TD_REASON_BACKOFF] = "retry later",
	[TD_REASON_CAP] = "held",
	[TD_REASON_GROUP_RATE] = "held",
	[TD_REASON_RATE] = "held",
	[TD_REASON_ROOM] = "held",
	[TD_REASON_NOT_ALLOWED] = "left alone",
	[TD_REASON_SHARED] = "held",
};

const char *td_reason_name(enum td_reason r)
{
	return (unsigned)r < TD_REASON__MAX ? td_reason_names[r] : NULL;
}

const char *td_reason_decision(enum td_reason r)
{
	return (unsigned)r < TD_REASON__MAX ? decisions[r] : NULL;
}

bool td_reason_is_limit(enum td_reason r)
{
	return r == TD_REASON_CAP || r == TD_REASON_GROUP_RATE || r == TD_REASON_RATE ||
	       r == TD_REASON_ROOM;
}

uint64_t td_decide_backoff_until(const struct td_hotness_info *i, uint64_t base_ns)
{
	unsigned shift = i->move_retries < 10 ? i->move_retries : 10;

	if (!i->move_retries)
		return 0;
	return i->last_move_ns + (base_ns << shift);
}

static bool over_cap(const struct td_policy_group *g, uint64_t more)
{
	return g->fast_cap_bytes != TD_POLICY_NO_LIMIT && g->fast_bytes + more > g->fast_cap_bytes;
}

/* Where the page is: a reason to stop, or PROMOTE to go on. */
static enum td_reason placement(const struct td_decide_env *env, const struct td_hotness_info *i)
{
	if (i->node == TD_HOTNESS_NODE_UNKNOWN)
		return TD_REASON_NODE_UNKNOWN;
	if (td_node_in(env->fast_mask, i->node))
		return i->last_move_dir == TD_HOTNESS_DIR_PROMOTE && !i->move_retries ?
			       TD_REASON_PROMOTED : TD_REASON_ON_FAST;
	if (!td_node_in(env->slow_mask, i->node))
		return TD_REASON_NOT_SLOW;
	return TD_REASON_PROMOTE;
}

/* The group's rules for this page. */
static enum td_reason rules(const struct td_decide_env *env, const struct td_hotness_info *i,
			    const struct td_policy_group *g, bool recently_demoted,
			    struct td_decision *ret)
{
	if (!g)
		return TD_REASON_NO_GROUP;
	ret->threshold = g->threshold;
	if (g->mode != TD_MODE_PROMOTE)
		return TD_REASON_MODE;
	if (env->paused)
		return TD_REASON_PAUSED;
	if (g->paused)
		return TD_REASON_GROUP_PAUSED;
	if (i->hotness < g->threshold)
		return TD_REASON_THRESHOLD;
	if (i->last_move_dir == TD_HOTNESS_DIR_SHARED &&
	    env->now_ns < i->last_move_ns + TD_DECIDE_SHARED_HOLD_NS)
		return TD_REASON_SHARED;
	if (recently_demoted && (uint64_t)i->hotness < 2ULL * g->threshold)
		return TD_REASON_PINGPONG;
	ret->backoff_until_ns = td_decide_backoff_until(i, env->retry_backoff_ns);
	if (env->now_ns < ret->backoff_until_ns)
		return TD_REASON_BACKOFF;
	return TD_REASON_PROMOTE;
}

/* The limits of the tick, for a folio of @bytes. */
static enum td_reason limits(const struct td_decide_env *env, const struct td_policy_group *g,
			     uint64_t bytes)
{
	if (over_cap(g, bytes))
		return TD_REASON_CAP;
	if (!td_policy_fits(bytes, g->budget_bytes, td_policy_bucket_bytes(&g->rate), 0))
		return TD_REASON_GROUP_RATE;
	if (!td_policy_fits(bytes, env->budget_bytes, env->budget_full, 0))
		return TD_REASON_RATE;
	if (env->room_bytes < bytes)
		return TD_REASON_ROOM;
	return TD_REASON_PROMOTE;
}

enum td_reason td_decide(const struct td_decide_env *env, const struct td_hotness_info *i,
			 const struct td_policy_group *g, bool recently_demoted,
			 struct td_decision *ret)
{
	enum td_reason r;

	*ret = (struct td_decision){ 0 };
	r = placement(env, i);
	if (r == TD_REASON_PROMOTE)
		r = rules(env, i, g, recently_demoted, ret);
	if (r == TD_REASON_PROMOTE)
		r = limits(env, g, td_folio_bytes(i->order));
	ret->reason = r;
	return r;
}

enum td_reason td_reason_held(const struct td_policy_group *g, const struct td_decide_env *env,
			      uint64_t bytes)
{
	if (over_cap(g, g->selected + bytes))
		return TD_REASON_CAP;
	if (g->budget_bytes != TD_POLICY_NO_LIMIT && g->selected + bytes > g->budget_bytes)
		return TD_REASON_GROUP_RATE;
	return env->budget_bytes < env->room_bytes ? TD_REASON_RATE : TD_REASON_ROOM;
}
