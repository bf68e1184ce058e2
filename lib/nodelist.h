/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nodelist.h - where a process's pages may be: its cpuset's memory nodes
 * and its memory areas' NUMA policies, as /proc shows them. Pure parsing;
 * daemon/move/placement.c reads the files.
 *
 * move_pages(2) checks only cpuset.mems (the whole call fails with EACCES
 * for a target outside it) and ignores mbind(2) policies, which the
 * kernel's own NUMA balancing never crosses. tieringd reads both and
 * promotes a page only to a fast node both allow:
 *
 *   /proc/PID/status  "Mems_allowed_list:\t0-1,3"   the cpuset's nodes
 *   /proc/PID/maps    "7f..000-7f..000 rw-p ..."     each area's range
 *   /proc/PID/numa_maps "7f..000 bind:0-1 anon=..."  each area's policy,
 *                     line for line with maps
 *
 * Policies that bind (bind, interleave, weighted interleave, and
 * preferred-many's set is not binding) restrict the nodes; default, local
 * and prefer do not. A policy set for the whole task (set_mempolicy(2),
 * numactl --membind) is not shown by numa_maps: it is not seen here.
 */
#ifndef TIERINGD_NODELIST_H
#define TIERINGD_NODELIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "0-1,3" (a kernel node list) into a mask of nodes below 64; -EINVAL on
 * anything else (nodes at 64 and above are ignored). */
int td_nodelist_parse(const char *s, uint64_t *ret_mask);

/* The node mask of a status file's "Mems_allowed_list:" line; -ENOENT if
 * there is none, -EINVAL if it does not parse. */
int td_placement_mems_allowed(const char *status_text, uint64_t *ret_mask);

/*
 * One numa_maps line: its area's start and, when the policy restricts the
 * nodes, *ret_mask (true returned); false for a policy that does not (and
 * for a line that does not parse: not a reason to refuse a page).
 */
bool td_placement_policy_line(const char *line, uint64_t *ret_start, uint64_t *ret_mask);

/* One maps line's range [*ret_start, *ret_end); false if it does not parse. */
bool td_placement_maps_line(const char *line, uint64_t *ret_start, uint64_t *ret_end);

#endif
