// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>

#include "counters.h"
#include "decide.h"
#include "promote.h"

/* Label values; their order is the index into td_counters.v[c][]. The
 * errno and reason labels are lib/promote.c's and lib/decide.c's own names. */
static const char *const sources[] = { "hint_fault", "sample" };
static const char *const filters[] = { "fast", "self", "cgroup" };
static const char *const process_kinds[] = { "exec", "exit" };
static const char *const targets[] = { "local", "nearest", "wait", "unclear" };
/* folio sizes by order (0..9: x86-64 base page to PMD) */
/* the BPF programs, by their names in bpf/tieringd.bpf.c (bpf_program__name()) */
const char *const td_bpf_program_names[TD_BPF_PROGRAMS] = {
	"hint_migrate_check", "hint_migrate_prep", "hint_task_numa_fault", "hint_fault_addr",
	"lat_enter", "lat_exit", "sample_access", "proc_exec", "proc_exit",
};
static const char *const sizes[] = { "4K", "8K", "16K", "32K", "64K", "128K", "256K", "512K", "1M", "2M" };

#define N(a) (unsigned)(sizeof(a) / sizeof((a)[0]))
#define C(id_, name_, unit_, help_) [id_] = { .name = name_, .unit = unit_, .help = help_, .n_values = 1 }
#define G(id_, name_, unit_, help_) [id_] = { .name = name_, .unit = unit_, .help = help_, .n_values = 1, .gauge = true }
#define S(id_, name_, unit_, help_) [id_] = { .name = name_, .unit = unit_, .help = help_, .n_values = 1, .status = true }
#define L(id_, name_, metric_, unit_, label_, vals_, help_) \
	[id_] = { .name = name_, .metric = metric_, .unit = unit_, .help = help_, .label = label_, \
		  .values = vals_, .n_values = N(vals_) }

static const struct td_ctr_def defs[TD_CTR__MAX] = {
	S(TD_CTR_EVENTS_RECEIVED, "events_received", "events",
	  "Access events taken from the BPF ring buffer."),
	L(TD_CTR_EVENTS, "events", NULL, "events", "source", sources,
	  "Access events taken from the ring buffer, by source."),
	C(TD_CTR_EVENTS_ON_SLOW, "events_on_slow_nodes", "events",
	  "Access events for pages on slow nodes."),
	C(TD_CTR_EVENTS_SLOW_LATENCY, "events_slow_latency", "events",
	  "Hint faults long after the scan (latency >= 1 s): not counted as evidence"),
	C(TD_CTR_EVENTS_SUBMITTED, "events_submitted", "events",
	  "Events the BPF programs submitted to the ring buffer."),
	S(TD_CTR_EVENTS_DROPPED, "events_dropped", "events",
	  "Events lost because the ring buffer was full (failed reserves)."),
	C(TD_CTR_EVENTS_BAD, "events_bad", "events",
	  "Events refused for a wrong size or ABI version."),
	C(TD_CTR_RING_DRAINS_CAPPED, "ring_drains_capped", "drains",
	  "Ring-buffer drains stopped at their time budget (5 ms a loop turn), events left for the next turn."),
	L(TD_CTR_FILTERED, "filtered", NULL, "events", "reason", filters,
	  "Accesses the BPF programs filtered out, by reason."),
	C(TD_CTR_HOOK_HITS, "hook_hits", "calls", "Times the BPF hooks ran."),
	[TD_CTR_HOT_ENTRIES] = { .name = "hot_entries", .unit = "entries", .gauge = true,
				 .status = true, .n_values = 1,
				 .help = "Live entries in the hotness table." },
	G(TD_CTR_HOTNESS_STALE, "hotness_stale", "entries",
	  "Entries of exited processes not yet reclaimed."),
	C(TD_CTR_HOTNESS_EVICTIONS, "hotness_evictions", "entries",
	  "Live entries evicted to make room in the hotness table."),
	C(TD_CTR_HOTNESS_PID_REUSES, "hotness_pid_reuses", "processes",
	  "PIDs seen again with another start time."),
	C(TD_CTR_HOTNESS_MEMCG_OVERFLOWS, "hotness_memcg_overflows", "entries",
	  "Entries stored without their memcg: the memcg side table was full."),
	C(TD_CTR_RECORD_ERRORS, "record_errors", "events",
	  "Events the hotness table refused."),
	C(TD_CTR_PROCESSES_REAPED, "processes_reaped", "processes",
	  "Exited processes forgotten by the hotness table (their slots freed)."),
	L(TD_CTR_PROCESS_EVENTS, "process_events", NULL, "events", "kind", process_kinds,
	  "Process exec and exit events from the BPF programs (the process's entries forgotten)."),
	C(TD_CTR_HOTNESS_SPLITS, "hotness_splits", "entries",
	  "Large-folio entries dropped because the kernel split the folio."),
	C(TD_CTR_HOTNESS_COLLAPSES, "hotness_collapses", "entries",
	  "Small entries merged into a large folio's entry (khugepaged collapsed them)."),
	C(TD_CTR_FOLIO_ORDERS_RESOLVED, "folio_orders_resolved", "lookups",
	  "Folio sizes of sampled addresses read from /proc/PID/pagemap and /proc/kpageflags."),
	C(TD_CTR_FOLIO_ORDERS_UNRESOLVED, "folio_orders_unresolved", "lookups",
	  "Sampled addresses whose folio size could not be read (taken as one base page)."),
	[TD_CTR_PAGES_PROMOTED] = { .name = "pages_promoted", .metric = "promoted_pages",
				    .unit = "pages", .status = true, .n_values = 1,
				    .help = "Pages on a fast node after a move_pages(2) call of tieringd, all cgroups." },
	S(TD_CTR_BYTES_PROMOTED, "bytes_promoted", "bytes",
	  "Bytes on a fast node after a move_pages(2) call of tieringd (whole folios), all cgroups."),
	L(TD_CTR_PAGES_PROMOTED_BY_SIZE, "promoted_folios", NULL, "folios", "size", sizes,
	  "Folios promoted, by folio size."),
	S(TD_CTR_KERNEL_PAGES_PROMOTED, "kernel_pages_promoted", "pages",
	  "Pages the kernel's own tiering mode promoted (seen in its hint faults), all cgroups: outside tieringd's policies."),
	[TD_CTR_PAGES_FAILED] = { .name = "pages_failed", .metric = "promote_failed_pages",
				  .unit = "pages", .status = true, .n_values = 1,
				  .help = "Pages move_pages(2) did not put on the fast node, all cgroups." },
	L(TD_CTR_PAGES_FAILED_BY, "pages_failed", "promote_failures", "pages", "reason", td_errno_slot_names,
	  "Pages not promoted, by the per-page status move_pages(2) gave."),
	C(TD_CTR_PAGES_SKIPPED, "pages_skipped", "pages",
	  "Candidates not tried: the budget was spent or the target node was full."),
	C(TD_CTR_PROMOTE_BATCHES, "promote_batches", "batches",
	  "move_pages(2) calls that moved pages (one process, one target node)."),
	C(TD_CTR_MOVE_PAGES_CALLS, "move_pages_calls", "calls",
	  "move_pages(2) calls made to promote."),
	C(TD_CTR_PROMOTE_MOVE_NS, "promote_move_ns", "nanoseconds",
	  "Time inside the move_pages(2) calls made to promote."),
	C(TD_CTR_PROMOTE_RUN_NS, "promote_run_ns", "nanoseconds",
	  "Time promoting once the pages are chosen: the move_pages(2) calls, the PID checks, the per-page bookkeeping and the journal entries."),
	C(TD_CTR_NODE_QUERIES, "node_queries", "calls",
	  "move_pages(2) queries for the node of sampled pages."),
	C(TD_CTR_PLACEMENT_ERRORS, "placement_errors", "candidates",
	  "Candidates not moved because their process's cpuset or NUMA policy could not be read."),
	C(TD_CTR_SHARED_HELD, "promote_shared_held", "folios",
	  "Folios move_pages(2) refused as mapped by more than one process (-EACCES with MPOL_MF_MOVE): held 5 minutes, not charged to any rate."),
	C(TD_CTR_MOVES_PID_REUSED, "moves_pid_reused", "calls",
	  "move_pages(2) calls not made: the PID had another start time than the pages' process (its entries forgotten)."),
	C(TD_CTR_DRY_RUN_PAGES, "dry_run_pages", "pages",
	  "Pages --dry-run would have promoted."),
	C(TD_CTR_PROMOTE_TICKS_NO_ROOM, "promote_ticks_no_room", "ticks",
	  "Ticks with candidates but no room on the fast nodes."),
	G(TD_CTR_PROMOTE_WAITING, "promote_waiting", "pages",
	  "Hot pages the fast nodes had no room for in the last tick."),
	L(TD_CTR_PROMOTE_TARGETS, "promote_targets", NULL, "folios", "target", targets,
	  "Folios given a target: the fast node of the CPUs that access them, the nearest other allowed fast node with room, or none (they wait: no room, or the accessing node not clear yet, with more than one fast node allowed)."),
	[TD_CTR_HOT_THRESHOLD] = { .name = "hot_threshold", .unit = "accesses", .gauge = true,
				   .n_values = 1,
				   .help = "The lowest hotness threshold in force in the last tick (automatic, or the HotThreshold floor), in accesses x 1024." },
	L(TD_CTR_PROMOTE_DECISIONS, "promote_decisions", NULL, "pages", "reason", td_reason_names,
	  "Pages the promoter decided on, by the decision's reason, summed over ticks."),
	S(TD_CTR_PAGES_DEMOTED, "pages_demoted", "pages",
	  "Pages the kernel demoted for tieringd's memory.reclaim writes."),
	C(TD_CTR_PAGES_DEMOTED_MAX_FAST, "pages_demoted_max_fast", "pages",
	  "Of those, pages demoted to enforce MaxFastMemory."),
	C(TD_CTR_DEMOTE_BYTES_REQUESTED, "demote_bytes_requested", "bytes",
	  "Bytes asked of memory.reclaim."),
	C(TD_CTR_DEMOTE_CALLS, "demote_calls", "calls", "memory.reclaim writes."),
	C(TD_CTR_DEMOTE_SHORT, "demote_short", "calls",
	  "memory.reclaim writes that reclaimed less than asked."),
	C(TD_CTR_DEMOTE_NO_VICTIM_TICKS, "demote_no_victim_ticks", "ticks",
	  "Ticks that needed room but found no cgroup to ask."),
	G(TD_CTR_DEMOTE_CGROUPS, "demote_cgroups", "cgroups",
	  "Cgroups with memory.reclaim at the last scan."),
	C(TD_CTR_PAGES_DEMOTED_KSWAPD, "pages_demoted_kswapd", "pages",
	  "Pages kswapd demoted since start, from any cgroup (the system's pgdemote_kswapd): not tieringd's."),
	C(TD_CTR_DEMOTE_SWAP_REFUSED, "demote_swap_refused", "calls",
	  "memory.reclaim writes not made, or cgroups given up, because the cgroup could swap (swap on, memory.swap.max not settable, or it swapped during a write)."),
	C(TD_CTR_CGROUP_CACHE_HITS, "cgroup_cache_hits", "lookups",
	  "Cgroup id lookups answered by the cache."),
	C(TD_CTR_CGROUP_CACHE_MISSES, "cgroup_cache_misses", "lookups",
	  "Cgroup id lookups the cache could not answer."),
	C(TD_CTR_CGROUP_IDS_RESOLVED, "cgroup_ids_resolved", "lookups",
	  "Cgroup ids resolved from an event's process (/proc/PID/cgroup)."),
	C(TD_CTR_CGROUP_IDS_UNRESOLVED, "cgroup_ids_unresolved", "lookups",
	  "Cgroup ids that could not be resolved (their pages are left alone)."),
	G(TD_CTR_CGROUPS_WALKED, "cgroups_walked", "cgroups",
	  "Cgroups the last complete walk visited."),
	G(TD_CTR_CGROUPS_MARKED, "cgroups_marked", "cgroups",
	  "Cgroups the last complete walk put in the kernel's managed-cgroup map "
	  "(those whose mode is not the default's)."),
	C(TD_CTR_CGROUP_MAP_FULL, "cgroup_map_full", "cgroups",
	  "Cgroups the kernel's managed-cgroup map had no room for."),
	C(TD_CTR_CGROUP_MAP_PRUNED, "cgroup_map_pruned", "cgroups",
	  "Entries deleted from the kernel's managed-cgroup map: cgroups a complete walk "
	  "no longer found (or back at the default mode)."),
	C(TD_CTR_CONTROL_ACCEPTED, "control_accepted", "connections",
	  "Control socket connections accepted."),
	C(TD_CTR_CONTROL_EVICTED, "control_evicted", "connections",
	  "Control connections closed to make room for a new one."),
	C(TD_CTR_CONTROL_TIMED_OUT, "control_timed_out", "connections",
	  "Control connections closed for idling."),
	C(TD_CTR_CONTROL_TOO_LONG, "control_too_long", "connections",
	  "Control connections closed for a request over the size limit."),
	C(TD_CTR_CONTROL_DENIED, "control_denied", "connections",
	  "Control connections refused by their credentials."),
	C(TD_CTR_CONTROL_BUSY, "control_busy", "connections",
	  "Control connections told busy: their uid held its share of the slots."),
	C(TD_CTR_JOURNAL_SUPPRESSED, "journal_suppressed", "entries",
	  "Promote journal entries dropped by the rate limit."),
	S(TD_CTR_RELOADS, "reloads", "reloads", "Configuration reloads applied."),
	S(TD_CTR_RELOAD_FAILURES, "reload_failures", "reloads",
	  "Configuration reloads refused (the running configuration stayed)."),
	C(TD_CTR_SELF_CPU_NS, "self_cpu_ns", "nanoseconds",
	  "The daemon's own CPU time, user and system (getrusage)."),
	G(TD_CTR_SELF_CPU_NS_PER_S, "self_cpu_ns_per_s", "nanoseconds",
	  "The daemon's CPU time per second of wall time between its last two samples at least 1 s apart (10000000 = 1 % of a core)."),
	G(TD_CTR_SELF_RSS_BYTES, "self_rss_bytes", "bytes", "The daemon's resident memory (VmRSS)."),
	G(TD_CTR_SELF_RSS_PEAK_BYTES, "self_rss_peak_bytes", "bytes",
	  "The daemon's peak resident memory (VmHWM)."),
	G(TD_CTR_SELF_FDS, "self_fds", "fds", "The daemon's open file descriptors."),
	G(TD_CTR_BPF_STATS_ENABLED, "bpf_stats_enabled", "flag",
	  "1 while kernel.bpf_stats_enabled is on (the BPF run-time counters count), 0 when off (they stay where they were)."),
	L(TD_CTR_BPF_RUN_TIME_NS, "bpf_run_time_ns", NULL, "nanoseconds", "program", td_bpf_program_names,
	  "Time the kernel spent in each BPF program (bpf_prog_info run_time_ns; only while kernel.bpf_stats_enabled=1)."),
	L(TD_CTR_BPF_RUNS, "bpf_runs", NULL, "runs", "program", td_bpf_program_names,
	  "Runs of each BPF program (bpf_prog_info run_cnt; only while kernel.bpf_stats_enabled=1)."),
	[TD_CTR_BPF_NS_PER_RUN] = { .name = "bpf_ns_per_run", .unit = "nanoseconds", .gauge = true,
				    .label = "program", .values = td_bpf_program_names,
				    .n_values = TD_BPF_PROGRAMS,
				    .help = "bpf_run_time_ns / bpf_runs of each BPF program (0 before it ran with stats on)." },
};

const struct td_ctr_def *td_ctr_def(enum td_ctr c)
{
	return (unsigned)c < TD_CTR__MAX ? &defs[c] : NULL;
}

void td_counters_foreach(const struct td_counters *c,
			 void (*fn)(const char *name, uint64_t v, void *ud), void *ud)
{
	char name[96];

	for (unsigned i = 0; i < TD_CTR__MAX; i++) {
		const struct td_ctr_def *d = &defs[i];

		if (!d->label) {
			fn(d->name, c->v[i][0], ud);
			continue;
		}
		for (unsigned k = 0; k < d->n_values; k++) {
			snprintf(name, sizeof(name), "%s_%s", d->name, d->values[k]);
			fn(name, c->v[i][k], ud);
		}
	}
}

uint64_t td_counters_sum(const struct td_counters *c, enum td_ctr id)
{
	const struct td_ctr_def *d = td_ctr_def(id);
	uint64_t s = 0;

	for (unsigned k = 0; d && k < d->n_values; k++)
		s += c->v[id][k];
	return s;
}
