/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * demoter.h - making room on the fast node. When hot pages wait for a fast
 * node that is under its watermark, the demoter asks the kernel to demote
 * the coldest fast-node pages of victim cgroups: proactive reclaim
 * (memory.reclaim) with /sys/kernel/mm/numa/demotion_enabled (switched
 * through the demotion hook, owned by move/kernel.c, on only for the time
 * of our own writes: while it is on kswapd demotes too, from any cgroup,
 * Mode=off ones included), which picks victim pages by the kernel's own
 * LRU (referenced bits), never at random.
 *
 * Victims are leaf cgroups with anonymous memory on fast nodes, the lowest
 * policy Weight first, then coldest first by our evidence: the fewest
 * access events per MiB of fast memory. A
 * cgroup whose fast memory is more than a tenth pages promoted within the
 * ping-pong window is not asked (and the promoter asks more of a cgroup
 * demoted within it). tieringd's own cgroup (<proc_root>/self/cgroup) and
 * PID 1's (init.scope) are never asked.
 *
 * Room made is remembered until promotions take it (note_promote) or three
 * ticks pass without more: a tick asks only for what the waiting folios
 * want beyond it, so a backlog is not demoted twice while its moves are
 * still to come.
 */
#ifndef TIERINGD_DEMOTER_H
#define TIERINGD_DEMOTER_H

#include <stdbool.h>
#include <stdint.h>

#include "units.h"

struct td_demoter;

struct td_demoter_config {
	const char *cgroup_root;	/* "/sys/fs/cgroup" */
	const char *proc_root;		/* "/proc" */
	uint64_t fast_mask;
	uint64_t rate_limit_mbps;	/* 0: none */
	uint64_t chunk_bytes;		/* at most this much per memory.reclaim write */
	uint64_t pingpong_window_ns;
	bool dry_run;
	/* policy: never ask this cgroup for room (Mode=observe/off) */
	bool (*unmovable)(void *ctx, uint64_t memcg_id);
	/* policy: the cgroup's Weight; lower weights are asked first */
	uint32_t (*weight)(void *ctx, uint64_t memcg_id);
	/*
	 * The kernel's demotion_enabled, which memory.reclaim needs to demote
	 * rather than reclaim: on (true) before the memory.reclaim writes of a
	 * tick, back (false) after them, with hook_ctx; 0 or a negative errno.
	 * Its owner (move/kernel.c) records and restores it (also after a
	 * crash). NULL: left as it is. Not called in a dry run.
	 */
	int (*demotion)(void *ctx, bool on);
	/*
	 * The room each fast node needs (the promoter's waiting bytes by the
	 * node they want) into ret[node], all 0 when unknown. Each node's
	 * share of a tick's room is asked of the cgroups with memory on it,
	 * no more than that memory (memory.reclaim is not node-targeted; the
	 * kernel demotes each node's pages to its own demotion target).
	 * NULL: from the cgroups' memory on every fast node.
	 */
	void (*room_nodes)(void *ctx, uint64_t ret[TD_MAX_NODES]);
	void *hook_ctx;
	/*
	 * The kernel's side: writes bytes to the memory.reclaim file at file
	 * (an absolute path); 0, -EAGAIN when the kernel reclaimed less, or a
	 * negative errno. NULL: td_demoter_reclaim_write(). Pages demoted are
	 * counted from the cgroup's memory.stat pgdemote_direct around each
	 * call (<proc_root>/vmstat's pgdemote_direct where memory.stat has
	 * none, 6.1), never kswapd's. While swap is on (<proc_root>/meminfo
	 * SwapTotal) the cgroup's memory.swap.max is 0 for the call (and put
	 * back after, if still 0); a cgroup where that cannot be done, or that
	 * swapped anyway, is not asked again.
	 */
	int (*reclaim)(void *ctx, const char *file, uint64_t bytes);
	void *reclaim_ctx;
	/* where the swap fence is recorded (TD_DEMOTER_FENCE_FILE; NULL: not
	 * recorded); a record left by an earlier run is put back at _new() */
	const char *fence_file;
};

#define TD_DEMOTER_FENCE_FILE "/run/tieringd/swap-fence"

struct td_demoter_counters {
	uint64_t pages_demoted;		/* the cgroups' pgdemote_direct deltas around our writes */
	uint64_t bytes_requested;
	uint64_t reclaim_calls;
	uint64_t reclaim_short;		/* the kernel reclaimed less than asked */
	uint64_t no_victim_ticks;	/* room needed but no eligible cgroup */
	uint64_t cgroups;		/* cgroups with memory.reclaim, last scan */
	uint64_t pages_demoted_cap;	/* of those, by MaxFastMemory */
	uint64_t swap_refused;		/* writes not made: swap on, memory.swap.max not settable */
	uint64_t swap_seen;		/* writes during which the cgroup's swap grew */
	/* the system's pgdemote_kswapd since start, as of the last tick:
	 * kswapd's demotions, any cgroup's, not tieringd's */
	uint64_t pages_demoted_kswapd;
};

/* 0 or negative errno. Turns demotion on through the hook (off at _free). */
int td_demoter_new(const struct td_demoter_config *c, struct td_demoter **ret);
void td_demoter_free(struct td_demoter *d);

/* New rate limit and ping-pong window, on reload. */
void td_demoter_reconfigure(struct td_demoter *d, uint64_t rate_limit_mbps,
			    uint64_t pingpong_window_ns);

/* The daemon saw an access event of cgroup id at ts_ns. */
void td_demoter_note_event(struct td_demoter *d, uint64_t memcg_id, uint64_t ts_ns);

/* The promoter promoted @bytes of cgroup id at now_ns (they take the room
 * made lately; an unknown id too). */
void td_demoter_note_promote(struct td_demoter *d, uint64_t memcg_id, uint64_t bytes,
			     uint64_t now_ns);

/* True if the cgroup had pages demoted within the ping-pong window. */
bool td_demoter_recently_demoted(const struct td_demoter *d, uint64_t memcg_id, uint64_t now_ns);

/*
 * Makes up to need_bytes of room (bounded by the rate limit and chunk size)
 * over tick_ns, less the room made lately that promotions have not taken. Rescans the cgroup tree when rescan is true. Returns pages
 * demoted (>= 0) or a negative errno.
 */
int td_demoter_tick(struct td_demoter *d, uint64_t now_ns, uint64_t tick_ns,
		    uint64_t need_bytes, bool rescan);

/*
 * MaxFastMemory: asks the cgroup at path (relative to the root; its subtree
 * with it) to give up excess_bytes of fast memory, bounded by the rate
 * limit and the chunk size. Returns pages demoted or a negative errno
 * (-EINVAL for the root, which has no memory.reclaim).
 */
int td_demoter_shrink(struct td_demoter *d, const char *path, uint64_t excess_bytes,
		      uint64_t now_ns);

const struct td_demoter_counters *td_demoter_counters(const struct td_demoter *d);

/*
 * Puts back the memory.swap.max value the fence record at fence_file names,
 * if that file still reads 0 (tieringd stopped during a memory.reclaim
 * write), and removes the record. 1 put back, 0 nothing to do (no record,
 * or the value was changed since), or a negative errno.
 */
int td_demoter_restore_fence(const char *fence_file);

/* The value after "key " on a line of text that starts with key (memory.stat,
 * vmstat, meminfo) into *ret: 0, or -ENOENT. */
int td_demoter_stat_value(const char *text, const char *key, uint64_t *ret);

/* The default reclaim: writes the decimal byte count to file (ctx unused).
 * 0 or the write's negative errno (-EAGAIN: the kernel fell short). */
int td_demoter_reclaim_write(void *ctx, const char *file, uint64_t bytes);

#endif
