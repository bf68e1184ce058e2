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
 * (lib/cgcache.h) filled by walking the tree at start and on reload;
 * an id the walk did not see is resolved lazily, once per retry interval.
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

/*
 * Rebuilds the groups from c (kept by the caller while in force): counters,
 * rate buckets and pause flags carry over for paths that remain. Walks the
 * cgroup tree and calls fn(id, path, group, userdata) for each cgroup.
 * 0 or -ENOMEM.
 */
typedef void (*td_groups_cgroup_fn)(uint64_t id, const char *path, const struct td_group *g,
				    enum td_mode mode, void *userdata);
int td_groups_apply(struct td_groups *gs, const struct td_config *c, td_groups_cgroup_fn fn,
		    void *userdata);

/* Re-walks the tree (new cgroups, removed ones), calling fn as above. */
int td_groups_rescan(struct td_groups *gs, td_groups_cgroup_fn fn, void *userdata);

/*
 * The group of cgroup id, resolving an id the walk did not see through the
 * cgroup filesystem (at most once per retry interval per id). Returns the
 * group index, or -1 when the id cannot be resolved now (its pages are then
 * left alone).
 */
int td_groups_of(struct td_groups *gs, uint64_t memcg_id, uint64_t now_ns);

/* The cgroup path of id ("?" if unknown), for logs. */
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

/* Lookups: hits, misses, lazy resolutions, failures. */
struct td_groups_stats {
	uint64_t cache_hits, cache_misses, resolved, unresolved, cached;
};
void td_groups_get_stats(const struct td_groups *gs, struct td_groups_stats *ret);

#endif
