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
 *
 * Ids to paths, under the shipped unit (tieringd.service: no
 * CAP_DAC_READ_SEARCH in its bounding set, SystemCallFilter=@system-service
 * bpf perf_event_open): the kernel's own id-to-path call,
 * open_by_handle_at(2) with a kernfs handle, needs CAP_DAC_READ_SEARCH and
 * is in @privileged, so there it always fails; it is not used. Instead:
 *  - the event that brought an unknown id names a process, whose
 *    /proc/PID/cgroup (mode 0444, no ptrace check) gives its cgroup v2 path;
 *    that directory and its ancestors are fstatat()'d under the root, and
 *    the one whose st_ino is the id is its path (td_cgroupfs_resolve_pid():
 *    openat, read, newfstatat, all in @system-service; no capability);
 *  - every other cgroup is found by the walk (td_cgroupfs_walker), a few
 *    directories per loop turn, by openat()/fstat()/getdents() relative to
 *    the parent's fd, so paths of any length are walked.
 */
#ifndef TIERINGD_CGROUPFS_H
#define TIERINGD_CGROUPFS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "numastat.h"

#define TD_CGROUP_ROOT "/sys/fs/cgroup"

/* Called per cgroup, parents before children; path is relative to the root
 * ("/" for the root itself); abspath is the root and path joined (it may
 * exceed PATH_MAX). Return non-zero to stop the walk. */
typedef int (*td_cgroup_fn)(const char *path, uint64_t id, const char *abspath, void *userdata);

/* Walks the whole tree under root at once (td_cgroupfs_walker_step() with
 * no bound). Returns 0, the callback's non-zero value, or a negative errno
 * when the root cannot be walked. */
int td_cgroupfs_walk(const char *root, td_cgroup_fn fn, void *userdata);

/*
 * An incremental walk: each step visits a bounded number of directories
 * and the walk goes on from there at the next step. Directories below
 * WALK_DEPTH_MAX (64) levels are not descended into (counted,
 * td_cgroupfs_walker_too_deep()); each level holds one directory stream
 * open, so a walk holds at most 65 fds. A cgroup made or removed during a
 * walk may or may not be seen by it (readdir(3) semantics); the next walk
 * sees the tree as it is then.
 */
struct td_cgroupfs_walker;

/* 0 or -ENOMEM. @root is copied. */
int td_cgroupfs_walker_new(const char *root, struct td_cgroupfs_walker **ret);
/* Abandons the walk in progress (the next step starts a new one). */
void td_cgroupfs_walker_reset(struct td_cgroupfs_walker *w);
/* NULL-safe. */
void td_cgroupfs_walker_free(struct td_cgroupfs_walker *w);

/*
 * Visits at most @max_dirs directories (at least 1) of the walk in
 * progress, starting one at the root if none is, calling @fn for each.
 * Returns 0 when the walk has more to visit, 1 when it is complete (the
 * next step starts a new one) or @fn stopped it (its non-zero value in
 * *@ret_stop, else 0 there), a negative errno when the root cannot be
 * opened or memory ran out (the walk is abandoned).
 */
int td_cgroupfs_walker_step(struct td_cgroupfs_walker *w, unsigned max_dirs, td_cgroup_fn fn,
			    void *userdata, int *ret_stop);

/* Directories not descended into, too deep, all walks. */
uint64_t td_cgroupfs_walker_too_deep(const struct td_cgroupfs_walker *w);

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
 * Resolves cgroup @id through process @pid (the one whose access event
 * carried the id): its cgroup v2 path from <proc_root>/<pid>/cgroup, and
 * that cgroup or the ancestor of it whose directory below @root has inode
 * number @id (the page's memcg is the nearest cgroup with the memory
 * controller). No privilege, no walk: one read and at most depth+1
 * fstatat() calls (see the header comment).
 * Returns 0 with the path ("/" or "/a/b", malloc'ed, any length) in
 * *@ret_path; -ENOENT if neither the cgroup nor an ancestor has inode @id
 * (the page is charged elsewhere: the task moved since, or the id is 0),
 * or the path is outside our cgroup namespace; -ESRCH if the process is
 * gone; another negative errno (@root unreadable, -ENOMEM).
 */
int td_cgroupfs_resolve_pid(const char *root, const char *proc_root, uint32_t pid, uint64_t id,
			    char **ret_path);

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
