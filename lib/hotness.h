/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * hotness.h - what tieringd believes about pages: a bounded table keyed by
 * (process, folio-aligned virtual address) that holds an exponentially decayed
 * access frequency, the last access time, the folio's NUMA node, its memcg and
 * a little promoter state per folio.
 *
 * Folios: an entry covers one folio of 2^order base pages (order 0: a 4 KiB
 * page, 9: a 2 MiB THP, 2..8: mTHP), keyed by its aligned address, so all
 * the evidence for one huge page lands in one entry. The live entries of one
 * process never overlap. An access names the folio's order (or
 * TD_HOTNESS_ORDER_UNKNOWN); every lookup by address (get, remove, set_node,
 * note_move*) takes any address inside the folio and acts on the entry
 * covering it. The kernel may later split a folio or collapse small ones
 * into a large one (khugepaged); td_hotness_record() follows (see there),
 * without counting an access twice.
 *
 * Pure code: no logging, no system calls, no clock reads. Time is always an
 * argument, now_ns, in CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns()).
 * Not thread-safe: one table belongs to one thread (the daemon's loop).
 *
 * Accessing node: each entry also keeps the node of the CPUs its accesses
 * come from, by majority vote (td_hotness_info.cpu_node, cpu_votes): a
 * folio used from two sockets is voted to the one most of its accesses come
 * from, so the promoter can put it on that socket's fast node.
 *
 * Memory is allocated once, in td_hotness_new(); nothing allocates later.
 * With the default side-table sizes and a capacity of 16384 or more, a table
 * costs at most 36 bytes per entry of capacity, everything included (about
 * 35.5-35.9: a 28-byte slot at load 0.8, plus 1 for the per-process order
 * counts and the collapse filter; see td_hotness_bytes()).
 *
 * A process is (tgid, start_time). When a tgid is seen again with another
 * start time (PID reuse), or td_hotness_forget_process() is called, the old
 * process's entries become stale: from then on they are invisible to every
 * lookup and iteration and are not counted as live, but occupy capacity until
 * an insert evicts them (before any live entry in its window) or
 * td_hotness_sweep() reclaims them.
 */
#ifndef TIERINGD_HOTNESS_H
#define TIERINGD_HOTNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tier_abi.h"

/* Hotness values are fixed point: one recent access adds TD_HOTNESS_ONE. */
#define TD_HOTNESS_SHIFT	10
#define TD_HOTNESS_ONE		(1u << TD_HOTNESS_SHIFT)

/* Largest hotness; an entry's frequency saturates here (~4 M accesses). */
#define TD_HOTNESS_MAX		UINT32_MAX

/* Nodes are 0..TD_MAX_NODES-1 (tier_abi.h); TD_HOTNESS_NODE_UNKNOWN is "unknown". */
#define TD_HOTNESS_NODE_UNKNOWN	(-1)

/* Valid tgids are 1..TD_HOTNESS_TGID_MAX (the kernel's PID_MAX_LIMIT). */
#define TD_HOTNESS_TGID_MAX	4194304u

/* Valid addresses are below 2^57 (5-level paging). Low 12 bits are ignored. */
#define TD_HOTNESS_ADDR_BITS	57
#define TD_HOTNESS_PAGE_SHIFT	12

/*
 * Folio orders: an entry covers (1 << TD_HOTNESS_PAGE_SHIFT) << order bytes,
 * 0..TD_HOTNESS_ORDER_MAX (x86-64's PMD THP is 9, mTHP 2..8).
 * TD_HOTNESS_ORDER_UNKNOWN: the source does not know the folio's size.
 */
#define TD_HOTNESS_ORDER_MAX	15
#define TD_HOTNESS_ORDER_UNKNOWN	0xff

/* Bounds of td_hotness_params. */
#define TD_HOTNESS_CAPACITY_MAX		(1u << 28)
#define TD_HOTNESS_HALF_LIFE_MIN_NS	1000ull		/* 1 us */
#define TD_HOTNESS_HALF_LIFE_MAX_NS	(1ull << 48)	/* ~3.3 days */
#define TD_HOTNESS_PROCESSES_MAX	((1u << 19) - 1)
#define TD_HOTNESS_MEMCGS_MAX		65535u

/*
 * When the table is full, an insert evicts the coldest of the first
 * TD_HOTNESS_EVICT_SAMPLE occupied slots at and after the new key's home slot
 * (its probe window). Stale entries count as colder than any live entry.
 */
#define TD_HOTNESS_EVICT_SAMPLE	8

/*
 * Retry counts saturate here. Each slot packs node (7 bits), last move
 * direction (2), retries (3) and order (4) into 16 bits.
 */
#define TD_HOTNESS_RETRIES_MAX	7

/*
 * The accessing node's vote saturates here (td_hotness_info.cpu_votes):
 * an access from another node takes one away, so a node that held the vote
 * this long needs as many accesses from elsewhere, and one more, to lose it.
 */
#define TD_HOTNESS_VOTES_MAX	15

struct td_hotness;

struct td_hotness_params {
	/* Most live entries, 1..TD_HOTNESS_CAPACITY_MAX. */
	uint32_t capacity;
	/* Decay half-life, TD_HOTNESS_HALF_LIFE_MIN_NS..TD_HOTNESS_HALF_LIFE_MAX_NS. */
	uint64_t half_life_ns;
	/*
	 * Most processes known at once (live or with stale entries left),
	 * 0 for the default (capacity / 64, clamped to 64..16384), at most
	 * TD_HOTNESS_PROCESSES_MAX.
	 */
	uint32_t max_processes;
	/*
	 * Most distinct memcgs referenced at once, 0 for the default
	 * (capacity / 256, clamped to 64..4 Ki), at most TD_HOTNESS_MEMCGS_MAX.
	 */
	uint32_t max_memcgs;
};

/* One access to a folio, as the sources report it. */
struct td_hotness_access {
	uint64_t addr;		/* user virtual address, < 2^57; any address in the folio */
	uint64_t memcg_id;	/* cgroup v2 inode id, 0 if unknown */
	uint64_t start_time;	/* process start time (any fixed unit), 0 if unknown */
	uint32_t tgid;		/* 1..TD_HOTNESS_TGID_MAX */
	int16_t node;		/* folio's node, 0..63, or TD_HOTNESS_NODE_UNKNOWN */
	/*
	 * Folio order, 0..TD_HOTNESS_ORDER_MAX (0, a base page, when the
	 * struct is zero-initialised), or TD_HOTNESS_ORDER_UNKNOWN.
	 */
	uint8_t order;
	/*
	 * The accessing CPU's node, 0..63, or TD_HOTNESS_NODE_UNKNOWN (no
	 * vote); node 0 when the struct is zero-initialised.
	 */
	int8_t cpu_node;
};

/* Direction of the last move attempt of a page (promoter state). */
enum td_hotness_dir {
	TD_HOTNESS_DIR_NONE = 0,	/* never moved */
	TD_HOTNESS_DIR_PROMOTE = 1,	/* towards a fast node */
	TD_HOTNESS_DIR_DEMOTE = 2,	/* towards a slow node */
	/* a promotion refused for good: the folio is mapped by more than one
	 * process (TD_MOVE_SHARED); td_decide() holds it TD_DECIDE_SHARED_HOLD_NS */
	TD_HOTNESS_DIR_SHARED = 3,
};

/* One entry, decoded. */
struct td_hotness_info {
	uint64_t addr;		/* folio-aligned: a multiple of the folio's bytes */
	uint64_t memcg_id;	/* 0 if unknown */
	/*
	 * Times are stored in ticks of half_life / 128..256 (a power of two of
	 * ns), so they read back rounded down to a tick. td_hotness_sweep()
	 * caps the stored age at 2^30 ticks (over 2^22 half-lives): older
	 * times read back as exactly that long ago.
	 */
	uint64_t last_access_ns;
	uint64_t last_move_ns;	/* last move attempt; 0 if last_move_dir is NONE */
	uint32_t tgid;
	uint32_t hotness;	/* decayed to the now_ns asked for; TD_HOTNESS_ONE units */
	int16_t node;		/* 0..63 or TD_HOTNESS_NODE_UNKNOWN */
	uint8_t last_move_dir;	/* enum td_hotness_dir of the last move attempt */
	/* Failed attempts since the last successful move, 0..TD_HOTNESS_RETRIES_MAX. */
	uint8_t move_retries;
	/* Folio order, 0..TD_HOTNESS_ORDER_MAX: the entry covers
	 * (1 << TD_HOTNESS_PAGE_SHIFT) << order bytes from addr. */
	uint8_t order;
	/* Confidence of cpu_node: the vote's count, 0..TD_HOTNESS_VOTES_MAX. */
	uint8_t cpu_votes;
	/*
	 * The node most accesses come from (Boyer-Moore majority vote of the
	 * accesses' cpu_node), TD_HOTNESS_NODE_UNKNOWN if none told its node
	 * or the vote stands at 0 (as many accesses from elsewhere).
	 */
	int8_t cpu_node;
	/* 1 once an access from another node than the voted one was counted
	 * (the folio is used from several nodes), else 0. */
	uint8_t cpu_shared;
};

struct td_hotness_stats {
	uint64_t capacity;	/* most live entries */
	uint64_t live;		/* entries visible now */
	uint64_t stale;		/* entries of dead processes not yet reclaimed */
	uint64_t inserts;	/* td_hotness_record() calls that inserted */
	uint64_t updates;	/* td_hotness_record() calls that updated */
	uint64_t evictions;	/* live entries evicted to make room */
	uint64_t stale_dropped;	/* stale entries reclaimed (eviction or sweep) */
	uint64_t processes;	/* processes known (live and dead-with-entries) */
	uint64_t pid_reuses;	/* tgids seen again with another start time */
	uint64_t memcgs;	/* distinct memcg ids referenced */
	uint64_t memcg_overflows; /* entries stored with memcg "unknown": side table full */
	uint64_t splits;	/* large entries dropped: a smaller folio was seen inside */
	uint64_t collapses;	/* small entries merged into a new larger one */
	uint64_t live_bytes;	/* sum of the folio bytes of the live entries */
	uint64_t live_by_order[TD_HOTNESS_ORDER_MAX + 1];	/* live entries per order */
};

/*
 * Tells the order of the folio mapping @addr in process @tgid:
 * 0..TD_HOTNESS_ORDER_MAX, or a negative errno if it cannot tell.
 */
typedef int (*td_hotness_order_fn)(void *ctx, uint32_t tgid, uint64_t addr);

/*
 * Allocate a table as described by @p; all memory is allocated here.
 * Returns 0 and stores the table in *@ret, -EINVAL if a parameter is out of
 * range (*@ret untouched), -ENOMEM if allocation failed.
 */
int td_hotness_new(const struct td_hotness_params *p, struct td_hotness **ret);

/* Free @t and everything it owns. NULL is a no-op. */
void td_hotness_free(struct td_hotness *t);

/*
 * Set (or with @fn NULL, clear) the resolver of unknown orders. The table
 * calls @fn(@ctx, tgid, addr) only for an access with TD_HOTNESS_ORDER_UNKNOWN
 * that no live entry covers, i.e. at most once per new entry, never for an
 * access to a folio it holds. @fn must not call into the table.
 */
void td_hotness_set_order_resolver(struct td_hotness *t, td_hotness_order_fn fn, void *ctx);

/*
 * Record one access @a at @now_ns: decay the entry's frequency to @now_ns and
 * add one access, set its last access time, take the node and memcg from @a
 * when they are known, and count @a->cpu_node in the accessing node's vote
 * (when known). A new entry starts at TD_HOTNESS_ONE; if the table is
 * full it evicts first (see TD_HOTNESS_EVICT_SAMPLE). The new key is always
 * admitted.
 * Which entry: an access of order k is for the entry at @a->addr aligned down
 * to the folio's bytes, of order k. Of unknown order, it goes to the live
 * entry covering @a->addr (any order), else to a new entry of the order the
 * resolver tells, else of order 0.
 * Split: an access of order k inside a live entry of a larger order means the
 * kernel split that folio: the large entry is dropped (stats.splits) and the
 * access starts a new order-k entry.
 * Collapse: a new entry of order k > 0 absorbs the live entries of smaller
 * orders inside its range (stats.collapses counts each): its hotness is the
 * sum of theirs, decayed to @now_ns, plus this access (saturating), its last
 * access the latest; node and memcg come from @a (or, unknown there, from the
 * latest absorbed entry), its vote theirs merged plus this access's. If @a->start_time is non-zero and differs from the one known for
 * the tgid, the tgid was reused: the old process's entries become stale.
 * Events older than the entry's last access are counted without decay.
 * An event no newer than the entry's last move (same tick or older) does not
 * change the node: it was raised before the move landed.
 * Returns 0 if an entry was updated, 1 if one was inserted, -EINVAL if @a has
 * tgid 0 or above TD_HOTNESS_TGID_MAX, addr >= 2^57, a node or cpu_node outside -1..63 or
 * an order above TD_HOTNESS_ORDER_MAX other than TD_HOTNESS_ORDER_UNKNOWN, -ENOSPC if the process is new and the process table is full.
 */
int td_hotness_record(struct td_hotness *t, const struct td_hotness_access *a,
		      uint64_t now_ns);

/*
 * Record @n accesses from @a, all at @now_ns, as td_hotness_record() would one
 * by one, in order. Faster on large tables: it prefetches slots ahead.
 * Returns the number of accesses rejected (-EINVAL or -ENOSPC from
 * td_hotness_record()), 0 if all were recorded; at most INT_MAX.
 */
int td_hotness_record_batch(struct td_hotness *t, const struct td_hotness_access *a, size_t n,
			    uint64_t now_ns);

/*
 * Tell the table that process (@tgid, @start_time) exists. If the tgid was
 * known with another non-zero start time, its old entries become stale. A
 * tgid first seen by td_hotness_record() without a start time adopts
 * @start_time without losing its entries.
 * Returns 0 if the process was already known, 1 if it was registered (new tgid
 * or PID reuse), -EINVAL if @tgid or @start_time is 0 or @tgid is above
 * TD_HOTNESS_TGID_MAX, -ENOSPC if the process table is full.
 */
int td_hotness_process_seen(struct td_hotness *t, uint32_t tgid, uint64_t start_time);

/*
 * Drop every entry of process @tgid (it exited); they become stale at once.
 * Returns 0 on success, -ENOENT if @tgid is not known, -EINVAL if @tgid is 0
 * or above TD_HOTNESS_TGID_MAX.
 */
int td_hotness_forget_process(struct td_hotness *t, uint32_t tgid);

/*
 * The start time the live process @tgid is known with into *@ret (0: not
 * known, e.g. its events carried none). Returns 0, -ENOENT if @tgid is not
 * a live process of the table, -EINVAL if @tgid is 0 or above
 * TD_HOTNESS_TGID_MAX.
 */
int td_hotness_process_start(const struct td_hotness *t, uint32_t tgid, uint64_t *ret);

/*
 * Reclaim stale entries and processes: visit the next @max_slots slots of the
 * table (a cursor remembers where the last call stopped, wrapping around).
 * Until then, stale entries still count against the capacity. Also caps the
 * stored age of idle entries, which keeps the 32-bit tick arithmetic exact:
 * call it so that the whole table is visited at least once every 2^20
 * half-lives (the daemon sweeps a slice every few seconds).
 * Returns the number of stale entries reclaimed (>= 0).
 */
int td_hotness_sweep(struct td_hotness *t, uint64_t now_ns, uint32_t max_slots);

/*
 * Look up the entry of @tgid covering @addr and decode it, hotness decayed to
 * @now_ns. The same entry lookup is used by the functions that follow.
 * Returns 0 and fills *@ret_info, -ENOENT if there is no such live entry,
 * -EINVAL if @tgid or @addr is out of range.
 */
int td_hotness_get(const struct td_hotness *t, uint32_t tgid, uint64_t addr,
		   uint64_t now_ns, struct td_hotness_info *ret_info);

/*
 * Remove the entry of @tgid covering @addr.
 * Returns 0 if it was removed, -ENOENT if there is no such live entry, -EINVAL
 * if @tgid or @addr is out of range.
 */
int td_hotness_remove(struct td_hotness *t, uint32_t tgid, uint64_t addr);

/*
 * Set the node of the entry covering (@tgid, @addr), e.g. after the kernel
 * moved the folio.
 * Returns 0 on success, -ENOENT if there is no such live entry, -EINVAL if
 * @tgid, @addr or @node (-1..63) is out of range.
 */
int td_hotness_set_node(struct td_hotness *t, uint32_t tgid, uint64_t addr, int node);

/*
 * An event raised at @event_ns saw (@tgid, @addr) on @node, without being
 * counted as an access: like td_hotness_set_node(), except that an event
 * no newer than the entry's last move (same tick or older) changes nothing,
 * as in td_hotness_record(): it was raised before the move landed.
 * Returns 0 (the node set or left), -ENOENT, -EINVAL as td_hotness_set_node().
 */
int td_hotness_note_node(struct td_hotness *t, uint32_t tgid, uint64_t addr, int node,
			 uint64_t event_ns);

/*
 * The promoter moved (@tgid, @addr) to @node in direction @dir at @now_ns:
 * set the node, the last move direction and time, and clear the retry count.
 * Returns 0 on success, -ENOENT if there is no such live entry, -EINVAL if an
 * argument is out of range or @dir is TD_HOTNESS_DIR_NONE.
 */
int td_hotness_note_move(struct td_hotness *t, uint32_t tgid, uint64_t addr,
			 enum td_hotness_dir dir, int node, uint64_t now_ns);

/*
 * The promoter failed to move (@tgid, @addr) in direction @dir at @now_ns:
 * set the last move direction and time, count one more retry (saturating).
 * The promoter derives its backoff from the retry count and last_move_ns.
 * Returns the new retry count (1..TD_HOTNESS_RETRIES_MAX), -ENOENT if there is
 * no such live entry, -EINVAL if an argument is out of range or @dir is
 * TD_HOTNESS_DIR_NONE.
 */
int td_hotness_note_move_failed(struct td_hotness *t, uint32_t tgid, uint64_t addr,
				enum td_hotness_dir dir, uint64_t now_ns);

/* Return false to skip an entry in td_hotness_hottest(). */
typedef bool (*td_hotness_filter_t)(const struct td_hotness_info *info, void *userdata);

/*
 * Fill @ret with up to @max live entries whose hotness at @now_ns is at least
 * @threshold and which @filter (if not NULL) accepts, hottest first. The
 * filter sees only entries that pass the threshold. O(slots * log @max).
 * Returns the number of entries stored (0..@max), -EINVAL if @ret is NULL and
 * @max is not 0.
 */
int td_hotness_hottest(const struct td_hotness *t, uint64_t now_ns, uint32_t threshold,
		       td_hotness_filter_t filter, void *userdata,
		       size_t max, struct td_hotness_info *ret);

/* Return 0 to go on, anything else to stop td_hotness_foreach(). */
typedef int (*td_hotness_foreach_t)(const struct td_hotness_info *info, void *userdata);

/*
 * Call @cb for every live entry, in table order, hotness decayed to @now_ns.
 * @cb must not modify the table.
 * Returns 0 once all entries were visited, or the first non-zero value @cb
 * returned (iteration stops there), -EINVAL if @cb is NULL.
 */
int td_hotness_foreach(const struct td_hotness *t, uint64_t now_ns,
		       td_hotness_foreach_t cb, void *userdata);

/* Return 0 to go on, anything else to stop td_hotness_foreach_process(). */
typedef int (*td_hotness_process_t)(uint32_t tgid, uint32_t entries, void *userdata);

/*
 * Call @cb for every live process the table knows (those td_hotness_record()
 * or td_hotness_process_seen() registered and nobody forgot), with its live
 * entry count, which may be 0: a process holds its slot in the process
 * table until it is forgotten. @cb may call td_hotness_forget_process() on
 * the process it is given, and nothing else that changes the table.
 * Returns 0 once all were visited, or the first non-zero value @cb returned,
 * -EINVAL if @cb is NULL.
 */
int td_hotness_foreach_process(struct td_hotness *t, td_hotness_process_t cb, void *userdata);

/* Fill *@ret with the table's counters. */
void td_hotness_get_stats(const struct td_hotness *t, struct td_hotness_stats *ret);

/* Total bytes the table allocated (all arrays and the table itself). */
size_t td_hotness_bytes(const struct td_hotness *t);

#endif /* TIERINGD_HOTNESS_H */
