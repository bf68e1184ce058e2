/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * promoter.h - each tick: pick hot pages on slow nodes from the hotness
 * table, bound them by the rate limit and the fast node's free memory above
 * its watermark, and move them with move_pages(2) (lib/promote.c), feeding
 * the outcome back into the hotness table.
 *
 * Every page it looks at is decided by td_decide() (lib/decide.h) in the
 * state the tick started with; td_promoter_explain() answers `tieringctl
 * why` from the same function and the same state, and from its record of
 * what the last tick did with the page, so the two cannot disagree.
 * The I/O its decisions read (free memory per node, distances, the clock)
 * comes through struct td_node_ops, so tests drive it without a kernel.
 */
#ifndef TIERINGD_PROMOTER_H
#define TIERINGD_PROMOTER_H

#include <stdbool.h>
#include <stdint.h>

#include "decide.h"
#include "hotness.h"
#include "policy.h"
#include "promote.h"
#include "units.h"

/*
 * The kernel's cut-off for promoting freely, taken for every fast node
 * (KERNEL-NOTES: max(1 GiB, node size / 16) above its promo watermark; the
 * node-size term matters only past 16 GiB nodes). Above it on every fast
 * node the threshold is the floor, as the kernel's own tiering mode does.
 */
#define TD_PROMOTER_PLENTY_BYTES (UINT64_C(1) << 30)

/* The automatic threshold's reference (a group's hottest frequency) decays
 * this many times slower than a page's hotness (see set_thresholds()). */
#define TD_PROMOTER_REF_HALF_LIVES 16

/* Under scarcity a policy's candidates are watched this long (or one
 * half-life, if shorter) before the relative rule promotes any: at first
 * sight every page has one access. */
#define TD_PROMOTER_WARMUP_NS (2ULL * 1000000000ULL)

/*
 * Where more than one fast node is allowed, a folio is a candidate only
 * once its accessing-node vote (td_hotness_info.cpu_votes) is this far
 * ahead: two accesses from one node more than from the others, as the
 * kernel's own two-stage filter asks the same node twice in a row
 * (should_numa_migrate_memory()), so one fault from whichever CPU touched
 * it first does not decide. A folio used from several nodes
 * (cpu_shared) needs TD_PROMOTER_SHARED_VOTES: under a 3:1 skew the
 * minority's node gets that far ahead first with probability
 * 1 / (1 + 3^3), ~3.6 % (gambler's ruin). With one fast node allowed
 * (every two-node machine) nothing is waited for.
 */
#define TD_PROMOTER_TARGET_VOTES 2

/* A node's shortfall under the watermark is added to the room it wants
 * (waiting_node_bytes) once this much waits for it. */
#define TD_PROMOTER_SHORTFALL_MIN (UINT64_C(1) << 20)
#define TD_PROMOTER_SHARED_VOTES 3

/* What the promoter reads of the machine; td_node_ops_sys() in production. */
struct td_node_ops {
	/* Per node of mask: bytes free above the kernel's own reserve (its
	 * zones' high/promo watermarks) into ret[node]; other entries 0.
	 * 0 or a negative errno (then nothing is promoted this tick). */
	int (*free_bytes)(void *ctx, uint64_t mask, uint64_t ret[TD_MAX_NODES]);
	/* SLIT distance from node a to node b; <= 0 when unknown. */
	int (*distance)(void *ctx, int a, int b);
	/* CLOCK_MONOTONIC nanoseconds. */
	uint64_t (*now_ns)(void *ctx);
	/* The nodes page addr of process tgid may be promoted to (its cpuset
	 * and its area's NUMA policy) into *ret; 0 or a negative errno (the
	 * page is then not moved this tick). NULL: every node. */
	int (*allowed_nodes)(void *ctx, uint32_t tgid, uint64_t addr, uint64_t now_ns,
			     uint64_t *ret);
	/* Whether process tgid is still the one that started at start_time
	 * (td_event.start_time: ns since boot), asked right before each move:
	 * 1 yes, 0 another process has the PID now, -ESRCH none has, another
	 * negative errno when it cannot tell (the move goes ahead). NULL: not
	 * asked. */
	int (*same_process)(void *ctx, uint32_t tgid, uint64_t start_time);
	void *ctx;
};

struct td_promoter_config {
	uint64_t fast_mask, slow_mask;
	uint32_t batch_pages;		/* folios (addresses) per move_pages call */
	uint32_t move_workers;		/* calls at once (1: one after the other); at start only */
	uint64_t rate_limit_mbps;	/* 0: unlimited */
	uint64_t watermark_bytes;	/* keep this much free on a fast node */
	uint32_t max_candidates;	/* per tick */
	uint64_t retry_backoff_ns;	/* base backoff after -ENOENT/-EBUSY */
	uint64_t half_life_ns;		/* the hotness table's (the threshold's reference decays so) */
	bool dry_run;
	bool resolve_nodes;		/* query the node of sampled pages */
	bool override_placement;	/* ignore allowed_nodes (OverridePlacement=) */
	/* ping-pong guard: pages of a cgroup demoted within the window need
	 * twice the threshold ("clearly hot") to be promoted again */
	bool (*recently_demoted)(void *ctx, uint64_t memcg_id, uint64_t now_ns);
	void (*promoted)(void *ctx, uint64_t memcg_id, uint64_t bytes, uint64_t now_ns);
	/* what demotion may take from colder pages now (bytes), for the
	 * automatic threshold; NULL: unknown, the room alone does not bind */
	uint64_t (*demotable_bytes)(void *ctx);
	/* policy: the group (index into the tick's groups) of a cgroup, or -1
	 * when it has none now (its pages are left alone) */
	int (*group_of)(void *ctx, uint64_t memcg_id);
	/* after each page (not skipped ones) and each batch */
	void (*page_done)(void *ctx, int group, const struct td_candidate *c,
			  enum td_move_outcome o, int status);
	void (*batch_done)(void *ctx, const struct td_batch_result *b);
	void *hook_ctx;
};

struct td_promoter_counters {
	uint64_t pages_promoted;	/* base pages (a 2 MiB THP is 512) */
	uint64_t bytes_promoted;
	uint64_t folios_promoted[TD_FOLIO_ORDERS];	/* by order */
	uint64_t pages_failed;		/* base pages */
	uint64_t pages_skipped;		/* candidates (folios) */
	uint64_t duplicates;		/* of those: a second address of a folio */
	uint64_t batches;
	uint64_t calls;
	uint64_t ticks_no_room;		/* ticks with candidates but no room */
	uint64_t waiting_bytes;		/* hot bytes left without room, last tick */
	/* room wanted per node, last tick: the hot bytes left without room
	 * that want it (their accessing node, else where td_target_node()
	 * looked from), plus, where TD_PROMOTER_SHORTFALL_MIN or more wait,
	 * what the node is short of its watermark (the room it must make
	 * before any fits) */
	uint64_t waiting_node_bytes[TD_MAX_NODES];
	/* folios given a target (or none), by enum td_target_kind */
	uint64_t targets[TD_TARGET__MAX];
	uint32_t hot_threshold;		/* the lowest threshold in force, last tick */
	uint64_t held_rate;		/* candidates held back by a cgroup's rate limit */
	uint64_t held_cap;		/* candidates held back by a cgroup's MaxFastMemory */
	uint64_t dry_run_pages;		/* base pages */
	uint64_t node_queries;		/* move_pages queries for sampled pages */
	uint64_t placement_errors;	/* candidates whose rules could not be read */
	uint64_t shared_held;		/* folios refused as shared (TD_MOVE_SHARED), held */
	uint64_t moves_pid_reused;	/* move_pages calls not made: the PID is another process's */
	/* time moving (td_now_ns clock): in the move_pages(2) calls, and in
	 * the whole move phase of the ticks (the calls, the PID checks, the
	 * per-page bookkeeping and the journal entries) */
	uint64_t move_ns;
	uint64_t run_ns;
	uint64_t errors[TD_ERR__MAX];
	/* pages looked at, by the decision of their tick (td_decide, then the
	 * limit that held them in td_policy_select); summed over ticks */
	uint64_t decided[TD_REASON__MAX];
};

struct td_promoter;

/* ops: the move_pages(2) implementation (td_move_ops_syscall() in prod);
 * nodes: the machine (td_node_ops_sys()). Both are borrowed. */
int td_promoter_new(const struct td_promoter_config *c, const struct td_move_ops *ops,
		    const struct td_node_ops *nodes, struct td_hotness *h,
		    struct td_promoter **ret);
void td_promoter_free(struct td_promoter *p);

/* The MoveWorkers= threads (none below 2), once: call it after the
 * capability drop, as threads are born with their creator's sets (a
 * thread's capabilities are its own). Until then, and if it fails
 * (negative errno, logged), the calls are made one after the other. */
int td_promoter_start_workers(struct td_promoter *p);

/* Takes the policy knobs of c (batch, global rate limit, watermark) on
 * reload; the topology and hooks stay. */
void td_promoter_reconfigure(struct td_promoter *p, const struct td_promoter_config *c);

/*
 * One tick at now_ns over tick_ns of wall time, under the policy groups
 * pg[0..ng) (lib/policy.h; their rate buckets are refilled here and spent by
 * the pages tried). While paused nothing is moved (the state is still taken,
 * so td_promoter_explain() says "paused"). Returns pages promoted or a
 * negative errno (-ENOMEM).
 */
int td_promoter_tick(struct td_promoter *p, uint64_t now_ns, uint64_t tick_ns, bool paused,
		     struct td_policy_group *pg, size_t ng);

/*
 * The promoter's decision for page i under the groups pg[0..ng) in force:
 * td_decide() in the state of the last tick (at the clock's now), and when
 * that tick looked at the page and held it, the limit that held it. Fills
 * *ret; returns ret->reason. ret_group: the page's group index or -1.
 */
enum td_reason td_promoter_explain(struct td_promoter *p, const struct td_hotness_info *i,
				   const struct td_policy_group *pg, size_t ng,
				   struct td_decision *ret, int *ret_group);

/*
 * The fast node page i goes to: the target the last tick gave it, if it
 * placed it; else, for a page on a slow node, the one td_target_node()
 * picks now in the room the last tick left, from the node of the CPUs
 * that access it (its vote; without one, the node it is on) among its
 * allowed fast nodes. Returns the node, or -1 with *ret_kind
 * TD_TARGET_WAIT (no room) or TD_TARGET__MAX (not on a slow node, or its
 * placement rules cannot be read now).
 */
int td_promoter_target(struct td_promoter *p, const struct td_hotness_info *i,
		       enum td_target_kind *ret_kind);

const struct td_promoter_counters *td_promoter_counters(const struct td_promoter *p);

/*
 * Whether the process tgid of the /proc at proc_root is the one that started
 * start_time ns after boot: its stat's starttime (field 22, in clock ticks
 * of clk_tck per second) equals start_time in those ticks. 1 yes, 0 no,
 * -ESRCH no such process, -EINVAL (unreadable stat) or another negative
 * errno of reading it (sysops.c).
 */
int td_proc_same_process(const char *proc_root, uint32_t tgid, uint64_t start_time,
			 long clk_tck);

/* The real move_pages(2) and the real machine (sysops.c). */
const struct td_move_ops *td_move_ops_syscall(void);
const struct td_node_ops *td_node_ops_sys(void);

#endif
