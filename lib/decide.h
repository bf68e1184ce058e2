/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * decide.h - the one answer to "may this page be promoted now, and if not,
 * why not". Pure: the caller passes what the table knows of the page, its
 * policy group, and the state of the tick (node masks, pause, the budgets
 * and the room the tick started with, the clock). The promoter filters its
 * candidates through td_decide(); `tieringctl why` prints td_decide()'s
 * answer (or the promoter's record of it from the last tick); the counters
 * count its reasons. Nothing else decides.
 *
 * The checks run in this order; the first that fails is the reason:
 *
 *   node unknown -> on a fast node (promoted / none) -> not a slow node ->
 *   no group -> Mode -> paused (all, then the group) -> threshold ->
 *   shared (refused as mapped by several processes, held) ->
 *   ping-pong (recently demoted: twice the threshold) -> retry back-off ->
 *   MaxFastMemory -> the group's rate -> the global rate -> room -> promote
 *
 * The threshold is the group's in force this tick (td_policy_group.threshold:
 * automatic, lib/threshold.h, never below HotThreshold). The limits count
 * the page's folio in bytes (td_folio_bytes(order)): a folio that does not
 * fit what a limit has left is held by it.
 *
 * Not decided here: whether the page's cpuset and memory policy allow a
 * fast node (TD_REASON_NOT_ALLOWED): the promoter reads that (from /proc)
 * for the candidates td_decide() let through, and records it.
 *
 * The last four are limits of the tick, not of the page: a page held by one
 * stays a candidate, and td_policy_select() shares what the limits leave
 * between the groups (a page it does not take is held by the limit that
 * bound, see td_reason_is_limit()).
 */
#ifndef TIERINGD_DECIDE_H
#define TIERINGD_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hotness.h"
#include "policy.h"

enum td_reason {
	TD_REASON_PROMOTE = 0,		/* promote now */
	TD_REASON_PROMOTED,		/* on a fast node, moved there by tieringd */
	TD_REASON_ON_FAST,		/* on a fast node already */
	TD_REASON_NODE_UNKNOWN,		/* sampled, its node not resolved yet */
	TD_REASON_NOT_SLOW,		/* on a node that is neither fast nor slow */
	TD_REASON_NO_GROUP,		/* its cgroup is not resolved (yet) */
	TD_REASON_MODE,			/* Mode=observe or off */
	TD_REASON_PAUSED,		/* tieringctl pause */
	TD_REASON_GROUP_PAUSED,		/* tieringctl pause CGROUP */
	TD_REASON_THRESHOLD,		/* below its group's threshold in force */
	TD_REASON_PINGPONG,		/* demoted lately, below twice the threshold */
	TD_REASON_BACKOFF,		/* failed attempts: backing off */
	TD_REASON_CAP,			/* its group is at MaxFastMemory */
	TD_REASON_GROUP_RATE,		/* its group's PromoteRateLimitMBps is spent */
	TD_REASON_RATE,			/* the daemon's RateLimitMBps is spent */
	TD_REASON_ROOM,			/* no room on the fast nodes */
	TD_REASON_NOT_ALLOWED,		/* its cpuset or NUMA policy allows no fast node */
	TD_REASON_SHARED,		/* mapped by several processes: refused, held */
	TD_REASON__MAX,
};

/*
 * A folio whose promotion move_pages(2) refused as mapped by more than one
 * process (TD_HOTNESS_DIR_SHARED) is not tried again for this long: it may
 * become private when its other mappers exit or unmap it. Tried more often,
 * it would cost a call and rate budget on every back-off expiry.
 */
#define TD_DECIDE_SHARED_HOLD_NS	(300ULL * 1000000000ULL)

/* The state a decision is made in: one per tick. */
struct td_decide_env {
	uint64_t now_ns;
	uint64_t fast_mask, slow_mask;
	bool paused;			/* everything paused */
	uint64_t retry_backoff_ns;	/* base: doubled per failed attempt, up to 2^10 bases */
	uint64_t budget_bytes;		/* the global rate budget; TD_POLICY_NO_LIMIT: none */
	uint64_t budget_full;		/* what the global bucket holds at most (NO_LIMIT: none) */
	uint64_t room_bytes;		/* what the fast nodes can take, all nodes */
};

struct td_decision {
	enum td_reason reason;
	uint32_t threshold;		/* in force for the page (hotness units), 0: none */
	uint64_t backoff_until_ns;	/* TD_REASON_BACKOFF: when it may be tried again */
};

/*
 * Decides for page i under group g (NULL: no group known). recently_demoted
 * is the ping-pong guard's verdict for the page's cgroup at env->now_ns.
 * Always fills *ret; returns ret->reason.
 */
enum td_reason td_decide(const struct td_decide_env *env, const struct td_hotness_info *i,
			 const struct td_policy_group *g, bool recently_demoted,
			 struct td_decision *ret);

/* The back-off end of a page with failed attempts (0 without). */
uint64_t td_decide_backoff_until(const struct td_hotness_info *i, uint64_t base_ns);

/* True for the limits of a tick (cap, rates, room): the page stays a
 * candidate for td_policy_select(). */
bool td_reason_is_limit(enum td_reason r);

/* Why a candidate (a folio of @bytes) of group g that td_policy_select()
 * did not take was held: its cap, its rate, or the global limit (the rate
 * or the room, whichever was smaller). */
enum td_reason td_reason_held(const struct td_policy_group *g, const struct td_decide_env *env,
			      uint64_t bytes);

/* The reasons' names, indexed by enum td_reason (the counter registry's labels). */
extern const char *const td_reason_names[TD_REASON__MAX];

/* "promote", "threshold", "rate", ...: the counter label; NULL out of range. */
const char *td_reason_name(enum td_reason r);

/* What tieringctl shows as the decision: "promote", "promoted", "none",
 * "wait", "held", "retry later", "left alone". */
const char *td_reason_decision(enum td_reason r);

#endif
