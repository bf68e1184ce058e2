/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cgroupfs.h - the cgroup v2 tree: finding it, walking it, resolving ids,
 * reading the memory controller's files. A cgroup's id, as the BPF side
 * sees it (bpf_get_current_cgroup_id(), the kernfs node id of the memcg),
 * is the inode number of its directory.
 *
 * Paths: @root is the hierarchy's mount point (a seam: tests pass a temp
 * dir); @path is relative to it, "/" for the root itself, "/a/b" below.
 *
 * libcgroup (Debian 12: 2.0.2) finds the hierarchy; the files are read from
 * cgroupfs directly, for the reasons given in cgroupfs.c at each place.
 */
#ifndef TIERINGD_CGROUPFS_H
#define TIERINGD_CGROUPFS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "numastat.h"

#define TD_CGROUP_ROOT "/sys/fs/cgroup"

/* Most directories td_cgroupfs_resolve_id() visits when it has to walk. */
#define TD_CGROUPFS_RESOLVE_WALK_MAX 65536

/* Called per cgroup, parents before children; path is relative to the root
 * ("/" for the root itself). Return non-zero to stop the walk. */
typedef int (*td_cgroup_fn)(const char *path, uint64_t id, const char *abspath, void *userdata);

/* Walks the tree under root. Returns 0, the callback's non-zero value, or a
 * negative errno when the root cannot be walked. Not reentrant. */
int td_cgroupfs_walk(const char *root, td_cgroup_fn fn, void *userdata);

/* What td_cgroupfs_find_root() found. */
struct td_cgroupfs_root {
	char path[PATH_MAX];		/* mount point */
	/* "" when libcgroup found it; else why libcgroup could not be used
	 * and the mount table was read instead (log it once) */
	char libcgroup_error[128];
};

/*
 * Finds the mount point of the cgroup v2 hierarchy that holds the memory
 * controller: with libcgroup (cgroup_init(), then the mount point of
 * "memory"), or, if cgroup_init() fails, from /proc/self/mountinfo (the
 * first cgroup2 mount whose cgroup.controllers lists memory).
 * Returns 0; -EMEDIUMTYPE if the memory controller is on a cgroup v1
 * hierarchy (a hybrid host; ret->path holds that mount, for the message);
 * -ENOENT if no mounted hierarchy holds it; -ENAMETOOLONG; another negative
 * errno if the mount table cannot be read.
 */
int td_cgroupfs_find_root(struct td_cgroupfs_root *ret);

/*
 * Resolves cgroup @id to its path below @root, into @path (@size bytes).
 * On a cgroup2 @root it opens the id as a kernfs file handle
 * (open_by_handle_at(), needs CAP_DAC_READ_SEARCH); where that is refused
 * (EPERM, EOPNOTSUPP, ENOSYS, EACCES, EINVAL), or @root is not cgroup2 (a
 * test tree), it walks the tree for a directory with inode @id, visiting at
 * most TD_CGROUPFS_RESOLVE_WALK_MAX directories.
 * Returns 0; -ENOENT if there is no such cgroup below @root (id 0
 * included); -E2BIG if the walk stopped at its bound; -ENAMETOOLONG if the
 * path does not fit @size; another negative errno (@root unreadable).
 * Must not be called from a td_cgroupfs_walk() callback.
 */
int td_cgroupfs_resolve_id(const char *root, uint64_t id, char *path, size_t size);

/*
 * Reads and parses <root><path>/memory.numa_stat (at most 16 KiB; a
 * longer file is cut at its last whole line).
 * Returns 0; -ENOENT if the cgroup is gone; -EOPNOTSUPP if it exists but
 * has no memory.numa_stat (memory controller not enabled for it);
 * -EINVAL if the text has no cgroup v2 anon line (see td_numastat_parse())
 * or @path does not start with '/'; -ENAMETOOLONG; another negative errno.
 */
int td_cgroupfs_read_numastat(const char *root, const char *path, struct td_numastat *ret);

/*
 * Reads <root><path>/memory.max into *@ret: bytes, UINT64_MAX for "max".
 * The root cgroup has no memory.max and no limit: UINT64_MAX.
 * Returns 0; -ENOENT if the cgroup is gone; -EOPNOTSUPP if it exists but
 * has no memory.max; -EINVAL if the content is not "max" or a number, or
 * @path does not start with '/'; -ENAMETOOLONG; another negative errno.
 */
int td_cgroupfs_memory_max(const char *root, const char *path, uint64_t *ret);

#endif
