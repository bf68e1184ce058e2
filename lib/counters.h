/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * counters.h - the one registry of the daemon's counters. Each is declared
 * once, in lib/counters.c, with its name, unit, help text and label; every
 * output renders the registry and nothing else:
 *
 *   tieringctl stats, the end-of-run summary   one "name value" per sample
 *                                               (td_counters_foreach)
 *   tieringctl status                           the counters marked status
 *   the Prometheus textfile                     one family per counter
 *                                               (lib/metrics.c)
 *
 * A labelled counter has one sample per label value; its flat name is
 * "<name>_<value>" (pages_failed_ENOENT, events_hint_fault) and its
 * Prometheus sample tieringd_<metric>{<label>="<value>"}. Pure: the daemon
 * fills a struct td_counters from its stages, the renderers read it.
 */
#ifndef TIERINGD_COUNTERS_H
#define TIERINGD_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum td_ctr {
	TD_CTR_EVENTS_RECEIVED,
	TD_CTR_EVENTS,			/* {source} */
	TD_CTR_EVENTS_ON_SLOW,
	TD_CTR_EVENTS_SLOW_LATENCY,
	TD_CTR_EVENTS_SUBMITTED,
	TD_CTR_EVENTS_DROPPED,
	TD_CTR_EVENTS_BAD,
	TD_CTR_RING_DRAINS_CAPPED,
	TD_CTR_FILTERED,		/* {reason}: fast, self, cgroup */
	TD_CTR_HOOK_HITS,
	TD_CTR_HOT_ENTRIES,
	TD_CTR_HOTNESS_STALE,
	TD_CTR_HOTNESS_EVICTIONS,
	TD_CTR_HOTNESS_PID_REUSES,
	TD_CTR_HOTNESS_MEMCG_OVERFLOWS,
	TD_CTR_RECORD_ERRORS,
	TD_CTR_PROCESSES_REAPED,
	TD_CTR_PROCESS_EVENTS,		/* {kind}: exec, exit */
	TD_CTR_HOTNESS_SPLITS,
	TD_CTR_HOTNESS_COLLAPSES,
	TD_CTR_FOLIO_ORDERS_RESOLVED,
	TD_CTR_FOLIO_ORDERS_UNRESOLVED,
	TD_CTR_PAGES_PROMOTED,
	TD_CTR_BYTES_PROMOTED,
	TD_CTR_PAGES_PROMOTED_BY_SIZE,	/* {size}: 4K .. 2M */
	TD_CTR_KERNEL_PAGES_PROMOTED,
	TD_CTR_PAGES_FAILED,
	TD_CTR_PAGES_FAILED_BY,		/* {reason}: errno */
	TD_CTR_PAGES_SKIPPED,
	TD_CTR_PROMOTE_BATCHES,
	TD_CTR_MOVE_PAGES_CALLS,
	TD_CTR_PROMOTE_MOVE_NS,
	TD_CTR_PROMOTE_RUN_NS,
	TD_CTR_NODE_QUERIES,
	TD_CTR_PLACEMENT_ERRORS,
	TD_CTR_SHARED_HELD,
	TD_CTR_MOVES_PID_REUSED,
	TD_CTR_DRY_RUN_PAGES,
	TD_CTR_PROMOTE_TICKS_NO_ROOM,
	TD_CTR_PROMOTE_WAITING,
	TD_CTR_PROMOTE_TARGETS,		/* {target}: local, nearest, wait, unclear */
	TD_CTR_HOT_THRESHOLD,
	TD_CTR_PROMOTE_DECISIONS,	/* {reason}: lib/decide.h */
	TD_CTR_PAGES_DEMOTED,
	TD_CTR_PAGES_DEMOTED_MAX_FAST,
	TD_CTR_DEMOTE_BYTES_REQUESTED,
	TD_CTR_DEMOTE_CALLS,
	TD_CTR_DEMOTE_SHORT,
	TD_CTR_DEMOTE_NO_VICTIM_TICKS,
	TD_CTR_DEMOTE_CGROUPS,
	TD_CTR_PAGES_DEMOTED_KSWAPD,
	TD_CTR_DEMOTE_SWAP_REFUSED,
	TD_CTR_CGROUP_CACHE_HITS,
	TD_CTR_CGROUP_CACHE_MISSES,
	TD_CTR_CGROUP_IDS_RESOLVED,
	TD_CTR_CGROUP_IDS_UNRESOLVED,
	TD_CTR_CGROUPS_WALKED,
	TD_CTR_CGROUPS_MARKED,
	TD_CTR_CGROUP_MAP_FULL,
	TD_CTR_CGROUP_MAP_PRUNED,
	TD_CTR_CONTROL_ACCEPTED,
	TD_CTR_CONTROL_EVICTED,
	TD_CTR_CONTROL_TIMED_OUT,
	TD_CTR_CONTROL_TOO_LONG,
	TD_CTR_CONTROL_DENIED,
	TD_CTR_CONTROL_BUSY,
	TD_CTR_JOURNAL_SUPPRESSED,
	TD_CTR_RELOADS,
	TD_CTR_RELOAD_FAILURES,
	TD_CTR_SELF_CPU_NS,
	TD_CTR_SELF_CPU_NS_PER_S,
	TD_CTR_SELF_RSS_BYTES,
	TD_CTR_SELF_RSS_PEAK_BYTES,
	TD_CTR_SELF_FDS,
	TD_CTR_BPF_STATS_ENABLED,
	TD_CTR_BPF_RUN_TIME_NS,		/* {program} */
	TD_CTR_BPF_RUNS,		/* {program} */
	TD_CTR_BPF_NS_PER_RUN,		/* {program} */
	TD_CTR__MAX,
};

#define TD_CTR_VALUES_MAX 24	/* label values of one counter, at most */

struct td_ctr_def {
	const char *name;	/* stats and summary key: "pages_promoted" */
	const char *metric;	/* Prometheus family without "tieringd_" and "_total" */
	const char *unit;	/* "pages", "events", "bytes", "calls", "ticks", ... */
	const char *help;	/* one sentence, for # HELP and the man page */
	bool gauge;		/* a level now, not a running total */
	bool status;		/* also a key of `tieringctl status` */
	const char *label;	/* NULL, or the label's name */
	const char *const *values;	/* the label's values */
	unsigned n_values;	/* 1 without a label */
};

/* The values of every counter: v[counter][label value] (index 0 without). */
struct td_counters {
	uint64_t v[TD_CTR__MAX][TD_CTR_VALUES_MAX];
};

/* The BPF programs' names, the label values of bpf_run_time_ns, bpf_runs
 * and bpf_ns_per_run: bpf/tieringd.bpf.c's program names. */
#define TD_BPF_PROGRAMS 9
extern const char *const td_bpf_program_names[TD_BPF_PROGRAMS];

/* The definition of c; NULL out of range. */
const struct td_ctr_def *td_ctr_def(enum td_ctr c);

/*
 * Calls fn(flat name, value, ud) for every sample, in registry order: the
 * counter's name, or "<name>_<value>" for each label value. The name is in
 * a buffer of the call: copy it to keep it.
 */
void td_counters_foreach(const struct td_counters *c,
			 void (*fn)(const char *name, uint64_t v, void *ud), void *ud);

/* The sum of a counter over its label values. */
uint64_t td_counters_sum(const struct td_counters *c, enum td_ctr id);

#endif
