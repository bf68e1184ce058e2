/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cgroupfs.h - walking the cgroup v2 tree. A cgroup's id, as the BPF side
 * sees it (bpf_get_current_cgroup_id(), the kernfs node id of the memcg),
 * is the inode number of its directory.
 *
 * Read from cgroupfs directly: libcgroup 2.0.2 (Debian 12) cannot resolve
 * paths on a pure cgroup v2 hierarchy (fixed in 3.1).
 */
#ifndef TIERINGD_CGROUPFS_H
#define TIERINGD_CGROUPFS_H

#include <stdint.h>

#define TD_CGROUP_ROOT "/sys/fs/cgroup"

/* Called per cgroup, parents before children; path is relative to the root
 * ("/" for the root itself). Return non-zero to stop the walk. */
typedef int (*td_cgroup_fn)(const char *path, uint64_t id, const char *abspath, void *userdata);

/* Walks the tree under root. Returns 0, the callback's non-zero value, or a
 * negative errno when the root cannot be walked. Not reentrant. */
int td_cgroupfs_walk(const char *root, td_cgroup_fn fn, void *userdata);

#endif
