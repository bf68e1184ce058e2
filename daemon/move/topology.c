// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <hwloc.h>
#include <numa.h>

#include "ops/log.h"
#include "units.h"
#include "move/topology.h"

/*
 * hwloc 2 attaches a CPU-less NUMA node to the object it is near, so its
 * cpuset is that object's (on a one-package machine: every CPU) and cannot
 * tell a CPU-less node from a local one. Whether a node has CPUs comes from
 * libnuma (sysfs cpulist); hwloc adds the HMAT latency, which demotes a node
 * with CPUs but more than twice the best latency to slow.
 */
static bool node_has_cpus(unsigned node)
{
	struct bitmask *cpus = numa_allocate_cpumask();
	bool has;

	if (!cpus)
		return false;
	has = numa_node_to_cpus(node, cpus) == 0 && numa_bitmask_weight(cpus) > 0;
	numa_free_cpumask(cpus);
	return has;
}

static uint64_t node_latency(hwloc_topology_t topo, hwloc_obj_t node)
{
	struct hwloc_location loc = {
		.type = HWLOC_LOCATION_TYPE_CPUSET,
		/* hwloc_location wants a non-const cpuset it does not modify */
		.location.cpuset = (hwloc_cpuset_t)hwloc_topology_get_topology_cpuset(topo),
	};
	hwloc_uint64_t v = 0;

	if (hwloc_memattr_get_value(topo, HWLOC_MEMATTR_ID_LATENCY, node, &loc, 0, &v) < 0)
		return 0;
	return v;
}

int td_topology_detect(uint64_t *ret_fast, uint64_t *ret_slow)
{
	uint64_t fast = 0, slow = 0, lat[TD_MAX_NODES] = { 0 }, best = 0;
	hwloc_topology_t topo;
	int n;

	if (numa_available() < 0)
		return td_err(ENOSYS, "NUMA not available");
	if (hwloc_topology_init(&topo) < 0)
		return -ENOMEM;
	if (hwloc_topology_load(topo) < 0) {
		hwloc_topology_destroy(topo);
		return td_err(EIO, "hwloc: loading topology");
	}
	n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
	for (int i = 0; i < n; i++) {
		hwloc_obj_t node = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, i);
		unsigned id = node->os_index;

		if (id >= TD_MAX_NODES) {
			td_warn("node %u beyond %d, ignoring", id, TD_MAX_NODES);
			continue;
		}
		lat[id] = node_latency(topo, node);
		if (node_has_cpus(id)) {
			fast |= 1ULL << id;
			if (lat[id] && (!best || lat[id] < best))
				best = lat[id];
		} else {
			slow |= 1ULL << id;
		}
		td_debug("node %u: %s CPUs, HMAT latency %llu", id,
			 node_has_cpus(id) ? "has" : "no", (unsigned long long)lat[id]);
	}
	for (int id = 0; best && id < TD_MAX_NODES; id++) {
		if (td_node_in(fast, id) && lat[id] > 2 * best) {
			fast &= ~(1ULL << id);
			slow |= 1ULL << id;
		}
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
	for (int i = 0; i < TD_MAX_NODES && off < len; i++) {
		int j = i;

		if (!td_node_in(mask, i))
			continue;
		while (td_node_in(mask, j + 1))
			j++;
		off += snprintf(buf + off, len - off, off ? ",%d" : "%d", i);
		if (j > i && off < len)
			off += snprintf(buf + off, len - off, "-%d", j);
		i = j;
	}
	return buf;
}

int td_topology_tiers(const char *sys_root, int ret_tier[TD_MAX_NODES])
{
	char dir[512];
	struct dirent *de;
	int ntiers = 0;
	DIR *dp;

	for (int i = 0; i < TD_MAX_NODES; i++)
		ret_tier[i] = -1;
	snprintf(dir, sizeof(dir), "%s/devices/virtual/memory_tiering", sys_root);
	dp = opendir(dir);
	if (!dp)
		return 0;
	while ((de = readdir(dp))) {
		char path[800], list[256] = "";
		uint64_t mask = 0;
		int tier;
		FILE *f;

		if (sscanf(de->d_name, "memory_tier%d", &tier) != 1)
			continue;
		snprintf(path, sizeof(path), "%s/%s/nodelist", dir, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(list, sizeof(list), f))
			list[strcspn(list, "\n")] = '\0';
		fclose(f);
		/* "0-1,3": the same syntax as our node lists */
		for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			int a, b;

			if (sscanf(t, "%d-%d", &a, &b) != 2)
				a = b = atoi(t);
			for (int n = a; n <= b && td_node_valid(n); n++)
				mask |= 1ULL << n;
		}
		for (int n = 0; n < TD_MAX_NODES; n++)
			if (td_node_in(mask, n))
				ret_tier[n] = tier;
		ntiers++;
	}
	closedir(dp);
	return ntiers;
}
