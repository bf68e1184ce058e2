/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * groups.h - the policy groups in force: one per [Cgroup "/path"] section,
 * plus the implicit default group "/" for every cgroup no section covers
 * (unless the configuration has a section for "/" itself). Each group has
 * its policy (lib/policy.h), its own rate bucket and fast-node cap, and
 * per-group accounting: pages promoted and failed (by reason), bytes on
 * fast and slow nodes (memory.numa_stat).
 *
 * Cgroup ids (what BPF reports) map to groups through a bounded cache
 * (lib/cgcache.h: 8 Ki ids, paths of any length in a 2 MiB arena) filled
 * by walking the tree: all of it at start and on reload, and in the
 * background a bounded number of directories per step (the daemon steps
 * once per tick, td_groups_walk_step()). No lookup walks the tree: an id
 * an event brings that the cache does not know is resolved from the
 * event's process (td_groups_resolve(): /proc/PID/cgroup and fstatat(),
 * no privilege; see policy/cgroupfs.h for how that works under the
 * shipped unit), at most once per retry interval (10 s) per id.
 */
#ifndef TIERINGD_GROUPS_H
#define TIERINGD_GROUPS_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "policy.h"
#include "promote.h"

struct td_group {
	char path[TD_CONFIG_PATH_MAX];	/* the section's cgroup, "/" for the default */
	bool is_default;		/* no section: the [Daemon] defaults */
	const struct td_cgroup_policy *pol;	/* NULL for the implicit default */
	uint64_t memory_max;		/* bytes, UINT64_MAX = max */
	uint64_t pages_promoted, pages_failed;	/* base pages */
	uint64_t bytes_promoted;
	/* the kernel's own promotions (tiering mode) seen in its hint faults:
	 * pages, all time and since the last td_groups_flush_kernel() */
	uint64_t kernel_pages_promoted, kernel_pending;
	uint64_t failed_by_reason[TD_ERR__MAX];
	uint64_t fast_bytes, slow_bytes;	/* last refresh */
	bool usage_known;
};

struct td_groups;

/* cgroup_root: "/sys/fs/cgroup"; the root group's usage is read from the
 * nodes' meminfo under "/sys". 0 or -ENOMEM. */
int td_groups_new(const char *cgroup_root, uint64_t fast_mask, uint64_t slow_mask,
		  struct td_groups **ret);

/* As td_groups_new(), with the sysfs mount at sys_root (a seam: tests pass
 * a temp dir holding devices/system/node/nodeN/meminfo). */
int td_groups_new_at(const char *cgroup_root, const char *sys_root, uint64_t fast_mask,
		     uint64_t slow_mask, struct td_groups **ret);
void td_groups_free(struct td_groups *gs);

/* Where /proc is ("/proc" unless set; a seam for tests). */
void td_groups_set_proc_root(struct td_groups *gs, const char *proc_root);

/*
 * Rebuilds the groups from c (kept by the caller while in force): counters,
 * rate buckets and pause flags carry over for paths that remain. Walks the
 * whole cgroup tree now (td_groups_rescan()) and calls fn(id, path, group,
 * userdata) for each cgroup. 0 or -ENOMEM.
 */
typedef void (*td_groups_cgroup_fn)(uint64_t id, const char *path, const struct td_group *g,
				    enum td_mode mode, void *userdata);
int td_groups_apply(struct td_groups *gs, const struct td_config *c, td_groups_cgroup_fn fn,
		    void *userdata);

/*
 * Walks the whole tree now (new cgroups, removed ones), calling fn as
 * above; a background walk in progress is abandoned (this one replaces
 * it). A walk that completes drops the cache's paths of cgroups it did not
 * see, and td_groups_walk_done_generation() becomes its generation. 0
 * (also when the tree cannot be walked: warned, the cache stays as it was),
 * -EINVAL before td_groups_apply(), -ENOMEM.
 */
int td_groups_rescan(struct td_groups *gs, td_groups_cgroup_fn fn, void *userdata);

/*
 * One bounded step of the background walk: visits at most @max_dirs
 * cgroups (0 counts as 1), calling fn for each, going on from where the
 * last step stopped. Without a walk in progress, starts one only if
 * @new_walk. Returns 1 when the walk completed at this step (as
 * td_groups_rescan()'s), 0 when there is more to do, none was started, or
 * the tree cannot be walked (warned), -EINVAL before td_groups_apply(),
 * -ENOMEM.
 */
int td_groups_walk_step(struct td_groups *gs, unsigned max_dirs, bool new_walk,
			td_groups_cgroup_fn fn, void *userdata);

/* Whether a background walk is in progress. */
bool td_groups_walking(const struct td_groups *gs);

/* The generation of the walk in progress (else of the last one begun):
 * what fn's calls belong to. Walks are numbered from 1. */
uint64_t td_groups_walk_generation(const struct td_groups *gs);

/* The generation of the last walk that completed; 0 if none did. What a
 * caller marked in an earlier generation and that walk did not visit is
 * gone (or was not reached: a walk does not descend below 64 levels). */
uint64_t td_groups_walk_done_generation(const struct td_groups *gs);

/*
 * The group of cgroup id from the cache alone (no I/O). Returns the group
 * index, or -1 when the cache does not know the id (its pages are then
 * left alone until an event resolves it or the walk finds it).
 */
int td_groups_of(struct td_groups *gs, uint64_t memcg_id, uint64_t now_ns);

/*
 * As td_groups_of(), resolving a miss from process @pid, whose access
 * event carried @memcg_id (td_cgroupfs_resolve_pid(): the process's cgroup
 * or an ancestor whose directory has that inode). An id it cannot resolve
 * is not tried again for 10 s. Returns the group index or -1.
 */
int td_groups_resolve(struct td_groups *gs, uint64_t memcg_id, uint32_t pid, uint64_t now_ns);

/* The cgroup path of id ("?" if the cache does not know it), for logs. No I/O. */
const char *td_groups_path_of(struct td_groups *gs, uint64_t memcg_id, uint64_t now_ns);

size_t td_groups_count(const struct td_groups *gs);
struct td_group *td_groups_get(struct td_groups *gs, size_t i);
struct td_policy_group *td_groups_policy(struct td_groups *gs);	/* array of count */

/* The group with this path, or -1. */
int td_groups_find(const struct td_groups *gs, const char *path);

/* Re-reads fast/slow bytes of every group (capped groups: also memory.max)
 * and sets each policy group's fast_bytes. */
void td_groups_refresh_usage(struct td_groups *gs);

/* Counts one folio outcome of group i (the folio is @bytes). */
void td_groups_account(struct td_groups *gs, int i, enum td_move_outcome o, int status,
		       uint64_t bytes);

/* The kernel itself migrates a folio of @bytes of cgroup id from a slow to
 * a fast node (a hint fault it decided on): counted for the cgroup's group. */
void td_groups_note_kernel_promote(struct td_groups *gs, uint64_t memcg_id, uint64_t bytes,
				   uint64_t now_ns);

/* Calls fn(path, pages) for each group the kernel promoted pages of since
 * the last call, and starts counting afresh. */
void td_groups_flush_kernel(struct td_groups *gs, void (*fn)(const char *path, uint64_t pages,
							     void *ud), void *ud);

/* Lookups: hits, misses, resolutions from a process, failures; cgroups
 * the last complete walk visited; paths the cache refused (longer than its
 * whole arena). */
struct td_groups_stats {
	uint64_t cache_hits, cache_misses, resolved, unresolved, cached, uncached;
};
void td_groups_get_stats(const struct td_groups *gs, struct td_groups_stats *ret);

#endif
