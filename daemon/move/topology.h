/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * topology.h - which NUMA nodes are fast and which slow, from hwloc:
 * nodes with CPUs are fast, CPU-less nodes are slow.
 */
#ifndef TIERINGD_TOPOLOGY_H
#define TIERINGD_TOPOLOGY_H

#include <stddef.h>
#include <stdint.h>

#include "units.h"

/* Bit N of each mask is node N (nodes >= TD_MAX_NODES are ignored with a
 * warning).
 * Returns 0, or a negative errno when hwloc cannot load the topology. */
int td_topology_detect(uint64_t *ret_fast, uint64_t *ret_slow);

/*
 * Memory tiers as the kernel sees them (/sys/devices/virtual/memory_tiering/
 * memory_tierN/nodelist, 6.1+): ret_tier[node] = N, or -1 where unknown.
 * Returns the number of tiers found (0: no memory tiering in sysfs).
 */
int td_topology_tiers(const char *sys_root, int ret_tier[TD_MAX_NODES]);

/* Formats a node mask as "0,2-3" into buf. Returns buf. */
char *td_nodemask_str(uint64_t mask, char *buf, size_t len);

#endif
