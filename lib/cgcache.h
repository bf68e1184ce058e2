/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cgcache.h - a bounded cache from cgroup id to cgroup path plus a small
 * payload the caller owns (the cache stores it, never reads it).
 *
 * A cgroup id is the inode number of the cgroup v2 directory (what
 * bpf_get_current_cgroup_id() returns, the memcg's kernfs id); 0 is "no
 * cgroup" and is never stored. Paths are relative to the cgroup root: "/" for
 * the root, "/a/b" below it.
 *
 * Pure code: no logging, no system calls, no clock reads; the time, where one
 * matters, is an argument (now_ns, CLOCK_MONOTONIC nanoseconds). Not
 * thread-safe.
 *
 * Memory: everything is allocated in td_cgcache_new() and nothing later:
 * the entries (at most TD_CGCACHE_ENTRY_BYTES each, capacity of them), the
 * hash buckets, TD_CGCACHE_FIXED_BYTES at most for the cache itself, and
 * one arena of @path_bytes that holds the paths, of any length (a path of
 * n characters takes TD_CGCACHE_PATH_COST(n) bytes of it). td_cgcache_bytes()
 * is the exact sum (capacity 8 Ki with a 2 MiB arena: under 2.5 MiB).
 *
 * When full (no entry free, or no room in the arena for a new path), a put
 * evicts the least recently used entries (get and put both count as use).
 * Freed paths leave holes in the arena; when the arena's tail has no room
 * the live paths are moved together (compaction), after evicting until at
 * least an eighth of the arena is free, so compactions cost O(1) amortized
 * per byte stored. A put of the path an entry already holds changes no
 * path (a walk re-putting every cgroup costs no arena space). Besides paths, the cache holds negative entries: ids the
 * caller failed to resolve, remembered for a retry interval so the resolver
 * runs at most once per interval for each of them.
 *
 * Walks: td_cgcache_begin_walk() starts a generation; every put stamps its
 * entry with the current generation; td_cgcache_end_walk() drops the path
 * entries the walk did not put (cgroups that are gone). A walk that is never
 * ended drops nothing; the next td_cgcache_begin_walk() starts over.
 */
#ifndef TIERINGD_CGCACHE_H
#define TIERINGD_CGCACHE_H

#include <stddef.h>
#include <stdint.h>

/* Bounds of the capacity and the arena given to td_cgcache_new(). */
#define TD_CGCACHE_CAPACITY_MAX	(1u << 16)
#define TD_CGCACHE_PATH_BYTES_MAX	(1u << 30)

/* Arena bytes a path of @n characters takes: an 8-byte header, the path
 * and its NUL, rounded up to 8. A path fits a cache whose arena is at least
 * that big. */
#define TD_CGCACHE_PATH_COST(n)	((((size_t)(n) + 1 + 8) + 7) & ~(size_t)7)

/* Upper bounds of the memory cost besides the arena, see td_cgcache_bytes(). */
#define TD_CGCACHE_ENTRY_BYTES	72
#define TD_CGCACHE_FIXED_BYTES	256

struct td_cgcache;

/* What the caller keeps with a path; opaque to the cache. */
struct td_cgcache_payload {
	int32_t policy_index;
	uint32_t flags;
};

/* One path entry. */
struct td_cgcache_entry {
	uint64_t id;
	struct td_cgcache_payload payload;
	const char *path;	/* NUL-terminated, in the cache's arena; "" if negative */
};

struct td_cgcache_stats {
	uint64_t capacity;
	uint64_t entries;		/* path entries held now */
	uint64_t negative_entries;	/* negative entries held now, fresh or expired */
	uint64_t hits;			/* td_cgcache_get() returned 0 */
	uint64_t negative_hits;		/* td_cgcache_get() returned -ENXIO */
	uint64_t misses;		/* td_cgcache_get() returned -ENOENT */
	uint64_t evictions;		/* entries evicted to make room (either kind) */
	uint64_t walk_drops;		/* path entries dropped by td_cgcache_end_walk() */
	uint64_t generation;		/* walks begun */
	uint64_t path_bytes;		/* arena size */
	uint64_t path_bytes_live;	/* arena bytes the held paths take */
	uint64_t compactions;		/* times the arena was compacted */
};

/*
 * Allocates a cache of @capacity entries (path and negative entries share
 * it) whose paths share an arena of @path_bytes. Negative entries stay
 * fresh for @retry_ns after they are put (0: they expire at once, i.e. no
 * negative caching). Returns 0 and stores the cache in *@ret, -EINVAL if
 * @capacity is 0 or above TD_CGCACHE_CAPACITY_MAX, or @path_bytes below
 * TD_CGCACHE_PATH_COST(1) or above TD_CGCACHE_PATH_BYTES_MAX (*@ret
 * untouched), -ENOMEM.
 */
int td_cgcache_new(uint32_t capacity, size_t path_bytes, uint64_t retry_ns,
		   struct td_cgcache **ret);

/* Frees @c. NULL is a no-op. */
void td_cgcache_free(struct td_cgcache *c);

/* Bytes a cache of @capacity and @path_bytes allocates, everything
 * included (exact: td_cgcache_new() allocates these and nothing later); 0
 * if either is out of range. */
size_t td_cgcache_bytes(uint32_t capacity, size_t path_bytes);

/*
 * Stores @path and @payload for @id, replacing whatever @id had (a negative
 * entry included), stamps it with the current generation and makes it the
 * most recently used. When @id is new and the cache is full, or the arena
 * has no room for @path, least recently used entries are evicted first.
 * @path must start with '/'; any length fits an arena of at least
 * TD_CGCACHE_PATH_COST(strlen(@path)); a NULL @payload stores zeroes.
 * Returns 0, -EINVAL if @id is 0 or @path is NULL or does not start with
 * '/', -ENAMETOOLONG if @path is longer than the whole arena holds (nothing
 * is changed on error).
 */
int td_cgcache_put(struct td_cgcache *c, uint64_t id, const char *path,
		   const struct td_cgcache_payload *payload);

/*
 * Remembers at @now_ns that @id could not be resolved, replacing whatever
 * @id had (its path entry included), as the most recently used; evicts like
 * td_cgcache_put(). Returns 0, -EINVAL if @id is 0.
 */
int td_cgcache_put_unknown(struct td_cgcache *c, uint64_t id, uint64_t now_ns);

/*
 * Looks @id up at @now_ns and makes it the most recently used.
 * Returns 0 and, if @ret is not NULL, points *@ret at the entry (it and its
 * path are valid until the next call that changes the cache: put,
 * put_unknown, remove, clear, end_walk, or a get that expires an entry); -ENXIO if @id has a negative
 * entry put less than retry_ns before @now_ns (do not resolve again yet);
 * -ENOENT if @id is unknown or its negative entry expired (which is then
 * dropped: resolve it). *@ret is set only on 0.
 */
int td_cgcache_get(struct td_cgcache *c, uint64_t id, uint64_t now_ns,
		   const struct td_cgcache_entry **ret);

/* Drops @id's entry, either kind. Returns 0, -ENOENT if there was none. */
int td_cgcache_remove(struct td_cgcache *c, uint64_t id);

/* Drops every entry. Counters and the generation are kept. */
void td_cgcache_clear(struct td_cgcache *c);

/* Starts a walk: a new generation. */
void td_cgcache_begin_walk(struct td_cgcache *c);

/*
 * Ends the walk: drops every path entry not put since td_cgcache_begin_walk().
 * Negative entries are kept (an id the walk did not see is still unknown;
 * one it saw was replaced by its put). Returns the number of entries
 * dropped, -EINVAL if no walk was begun since the last end.
 */
int td_cgcache_end_walk(struct td_cgcache *c);

/* Current counters. */
void td_cgcache_get_stats(const struct td_cgcache *c, struct td_cgcache_stats *ret);

#endif
