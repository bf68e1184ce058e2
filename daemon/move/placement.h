/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * placement.h - the nodes a page of a process may be promoted to: its
 * cpuset's (Mems_allowed) and its memory area's binding NUMA policy
 * (lib/nodelist.h says what is read and what is not seen).
 */
#ifndef TIERINGD_MOVE_PLACEMENT_H
#define TIERINGD_MOVE_PLACEMENT_H

#include <stdint.h>

struct td_placement;

/* proc_root: "/proc" (tests: a tree of their own). 0 or -ENOMEM. */
int td_placement_new(const char *proc_root, struct td_placement **ret);
void td_placement_free(struct td_placement *pl);

/*
 * The nodes page addr of process tgid may be on, as a mask (UINT64_MAX
 * when nothing restricts it), read at most once a second per process.
 * 0, or a negative errno when the process's files cannot be read (-ENOENT:
 * it is gone).
 */
int td_placement_allowed(struct td_placement *pl, uint32_t tgid, uint64_t addr, uint64_t now_ns,
			 uint64_t *ret_mask);

#endif
