// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <hwloc.h>

#include "log.h"
#include "tier_abi.h"
#include "topology.h"

int td_topology_detect(uint64_t *ret_fast, uint64_t *ret_slow)
{
	hwloc_topology_t topo;
	uint64_t fast = 0, slow = 0;
	int n;

	if (hwloc_topology_init(&topo) < 0)
		return -ENOMEM;
	if (hwloc_topology_load(topo) < 0) {
		hwloc_topology_destroy(topo);
		return td_err(EIO, "hwloc: loading topology");
	}
	n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
	for (int i = 0; i < n; i++) {
		hwloc_obj_t node = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, i);

		if (node->os_index >= TD_MAX_NODES) {
			td_warn("node %u beyond %d, ignoring", node->os_index, TD_MAX_NODES);
			continue;
		}
		/* hwloc 2: a CPU-less node has an empty cpuset */
		if (node->cpuset && !hwloc_bitmap_iszero(node->cpuset))
			fast |= 1ULL << node->os_index;
		else
			slow |= 1ULL << node->os_index;
	}
	hwloc_topology_destroy(topo);
	*ret_fast = fast;
	*ret_slow = slow;
	return 0;
}

char *td_nodemask_str(uint64_t mask, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < 64 && off < len; i++) {
		int j = i;

		if (!(mask & (1ULL << i)))
			continue;
		while (j + 1 < 64 && (mask & (1ULL << (j + 1))))
			j++;
		off += snprintf(buf + off, len - off, off ? ",%d" : "%d", i);
		if (j > i && off < len)
			off += snprintf(buf + off, len - off, "-%d", j);
		i = j;
	}
	return buf;
}
