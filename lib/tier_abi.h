/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * tier_abi.h - the one contract between bpf/tieringd.bpf.c and userspace.
 *
 * Included by the BPF program (after vmlinux.h) and by lib/ and daemon/.
 * Fixed-width fields only, explicit padding, sizes asserted at compile time.
 * Bump TD_ABI_VERSION on any layout change; the daemon refuses events whose
 * version differs from its own.
 */
#ifndef TIERINGD_TIER_ABI_H
#define TIERINGD_TIER_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TD_ABI_VERSION 3

#define TD_PAGE_SHIFT 12
#define TD_PAGE_MASK (~((__u64)(1 << TD_PAGE_SHIFT) - 1))

/* Highest NUMA node id the BPF filters understand (node masks are one u64). */
#define TD_MAX_NODES 64

/* Where an access event came from (td_event.source). */
enum td_source {
	TD_SRC_NONE = 0,
	TD_SRC_HINT_FAULT = 1,	/* NUMA balancing hint fault */
	TD_SRC_SAMPLE = 2,	/* perf_event sample (PMU or software page fault) */
	TD_SRC__ACCESS_MAX,	/* the access sources are 1..TD_SRC__ACCESS_MAX-1 */
	/*
	 * Process lifecycle, not accesses: addr 0, no page (page_nid -1,
	 * TD_EVF_NID_UNKNOWN), order TD_ORDER_UNKNOWN; tgid and start_time
	 * name the process.
	 */
	TD_SRC_EXEC = TD_SRC__ACCESS_MAX,	/* the process exec'd a new image */
	TD_SRC_EXIT,		/* the whole thread group exited */
	TD_SRC__MAX,
};

/* td_event.order: 0..TD_ORDER_MAX, or TD_ORDER_UNKNOWN when the source
 * does not know the folio's size. */
#define TD_ORDER_MAX 15
#define TD_ORDER_UNKNOWN 0xff

/* td_event.latency_ms: saturates at TD_LATENCY_MAX; TD_LATENCY_UNKNOWN when
 * the kernel keeps no scan time for the folio (not tiering mode, a fast
 * node, no hook, or the stored bits could not be checked). */
#define TD_LATENCY_MAX 0xfffe
#define TD_LATENCY_UNKNOWN 0xffff

/* td_event.flags */
enum td_event_flags {
	/* memcg_id is the page's own memcg (read from the folio), not the task's */
	TD_EVF_PAGE_MEMCG = 1 << 0,
	/* the kernel itself decided to migrate this page (target_nid valid) */
	TD_EVF_KERNEL_MIGRATES = 1 << 1,
	/* page_nid is unknown (the hook could not reach the page) */
	TD_EVF_NID_UNKNOWN = 1 << 2,
};

/*
 * One access (or lifecycle event), as submitted to the ring buffer. 56 bytes.
 * ts_ns is bpf_ktime_get_ns(): CLOCK_MONOTONIC in userspace. The v1 fields
 * keep their offsets (version stays at byte 37); v2 appended order and
 * start_time; v3 put latency_ms in v2's padding.
 */
struct td_event {
	__u64 ts_ns;
	/* user virtual address aligned down to the folio's size
	 * (TD_PAGE_SIZE << order; 4 KiB when order is unknown) */
	__u64 addr;
	__u64 memcg_id;		/* cgroup v2 directory inode number */
	__u32 tgid;
	__u32 tid;
	__s16 page_nid;		/* node the page is on, -1 if unknown */
	__s16 target_nid;	/* accessing CPU's node, or the kernel's target */
	__u8 source;		/* enum td_source */
	__u8 version;		/* TD_ABI_VERSION */
	__u16 flags;		/* enum td_event_flags */
	__u32 cpu;
	__u8 order;		/* folio order (0: 4 KiB, 9: 2 MiB), or TD_ORDER_UNKNOWN */
	__u8 __pad0;
	/* hint faults in tiering mode on a slow node: ms from the NUMA scan
	 * that armed the folio to this fault, as the kernel measures it
	 * (numa_hint_fault_latency()); else TD_LATENCY_UNKNOWN */
	__u16 latency_ms;
	/* the thread group leader's start_boottime (ns since boot, as
	 * /proc/PID/stat's starttime, finer); 0 if unknown */
	__u64 start_time;
};

/* Indexes of the per-CPU counter array "td_stats". */
enum td_stat {
	TD_STAT_SUBMITTED = 0,	/* events put into the ring buffer */
	TD_STAT_DROPPED,	/* ring buffer reserve failed: event lost, counted */
	TD_STAT_FILTERED_FAST,	/* page already on a fast node */
	TD_STAT_FILTERED_CGROUP,/* cgroup not managed */
	TD_STAT_FILTERED_SELF,	/* the daemon's own accesses */
	TD_STAT_HOOK_HITS,	/* every invocation of any source program */
	TD_STAT__MAX,
};

/* Value of the "td_managed_cgroups" hash map (key: __u64 cgroup id). */
struct td_cgroup_filter {
	__u8 managed;		/* 1: events pass, 0: filtered */
	__u8 __pad[3];
	__u32 walk;		/* the daemon's: the cgroup walk that last saw it
				 * (entries no later walk saw are deleted) */
};

/*
 * Value of the one-entry array map "td_runtime": what the daemon may change
 * while the programs run (fast nodes, the default for unknown cgroups).
 */
struct td_runtime {
	__u64 fast_node_mask;	/* bit N set: node N is a fast node */
	__u8 enabled;		/* 0: every source program returns at once */
	__u8 default_managed;	/* cgroups missing from td_managed_cgroups */
	__u8 __pad[6];
};

_Static_assert(sizeof(struct td_runtime) == 16, "td_runtime layout changed");
_Static_assert(sizeof(struct td_event) == 56, "td_event layout changed: bump TD_ABI_VERSION");
_Static_assert(sizeof(struct td_cgroup_filter) == 8, "td_cgroup_filter layout changed");

#endif /* TIERINGD_TIER_ABI_H */
