// SPDX-License-Identifier: GPL-2.0-only
/*
 * placement.c - reads where a process's pages may go (lib/nodelist.h):
 * its cpuset's nodes from /proc/PID/status and the areas with a binding
 * NUMA policy from /proc/PID/maps and numa_maps, cached per process for
 * TD_PLACEMENT_TTL_NS (a process's policies change rarely; a page promoted
 * against a policy set within that second is the cost).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "move/placement.h"
#include "nodelist.h"

#define TD_PLACEMENT_TTL_NS 1000000000ULL
#define CACHE 64		/* processes */
#define LINE 1024		/* longer numa_maps lines are read in pieces */

struct area {
	uint64_t start, end, mask;
};

struct proc_rules {
	uint32_t tgid;
	uint64_t read_ns;
	uint64_t mems;		/* the cpuset's nodes */
	struct area *areas;	/* binding policies only, in address order */
	size_t n;
};

struct td_placement {
	char proc[256];
	struct proc_rules c[CACHE];
};

int td_placement_new(const char *proc_root, struct td_placement **ret)
{
	struct td_placement *pl = calloc(1, sizeof(*pl));

	if (!pl)
		return -ENOMEM;
	snprintf(pl->proc, sizeof(pl->proc), "%s", proc_root);
	*ret = pl;
	return 0;
}

void td_placement_free(struct td_placement *pl)
{
	if (!pl)
		return;
	for (int i = 0; i < CACHE; i++)
		free(pl->c[i].areas);
	free(pl);
}

static FILE *open_proc(const struct td_placement *pl, uint32_t tgid, const char *name)
{
	char path[320];

	snprintf(path, sizeof(path), "%s/%u/%s", pl->proc, tgid, name);
	return fopen(path, "re");
}

static int read_mems(const struct td_placement *pl, uint32_t tgid, uint64_t *ret)
{
	char buf[8192];
	size_t n;
	FILE *f = open_proc(pl, tgid, "status");

	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return td_placement_mems_allowed(buf, ret);
}

static int add_area(struct proc_rules *r, uint64_t start, uint64_t end, uint64_t mask)
{
	struct area *a = realloc(r->areas, (r->n + 1) * sizeof(*a));

	if (!a)
		return -ENOMEM;
	r->areas = a;
	a[r->n++] = (struct area){ .start = start, .end = end, .mask = mask };
	return 0;
}

/* maps and numa_maps line by line: the areas with a binding policy. */
static int read_areas(const struct td_placement *pl, uint32_t tgid, struct proc_rules *r)
{
	FILE *m = open_proc(pl, tgid, "maps"), *nm = open_proc(pl, tgid, "numa_maps");
	char ml[LINE], nl[LINE];
	int err = 0;

	r->n = 0;
	if (!m || !nm) {
		err = -errno;
		goto out;
	}
	while (!err && fgets(ml, sizeof(ml), m) && fgets(nl, sizeof(nl), nm)) {
		uint64_t s, e, ns, mask;

		if (!td_placement_maps_line(ml, &s, &e))
			continue;
		if (td_placement_policy_line(nl, &ns, &mask) && ns == s)
			err = add_area(r, s, e, mask);
		/* the rest of an over-long numa_maps line */
		while (!strchr(nl, '\n') && fgets(nl, sizeof(nl), nm))
			;
	}
out:
	if (m)
		fclose(m);
	if (nm)
		fclose(nm);
	return err;
}

static struct proc_rules *rules_of(struct td_placement *pl, uint32_t tgid, uint64_t now_ns,
				   int *err)
{
	struct proc_rules *r = &pl->c[tgid % CACHE];

	*err = 0;
	if (r->tgid == tgid && now_ns - r->read_ns < TD_PLACEMENT_TTL_NS)
		return r;
	r->tgid = 0;
	*err = read_mems(pl, tgid, &r->mems);
	if (*err == -ENOENT) {	/* no cpuset line: any node */
		r->mems = UINT64_MAX;
		*err = 0;
	}
	if (!*err)
		*err = read_areas(pl, tgid, r);
	if (*err)
		return NULL;
	r->tgid = tgid;
	r->read_ns = now_ns;
	return r;
}

int td_placement_allowed(struct td_placement *pl, uint32_t tgid, uint64_t addr, uint64_t now_ns,
			 uint64_t *ret_mask)
{
	int err;
	const struct proc_rules *r = rules_of(pl, tgid, now_ns, &err);

	if (!r)
		return err;
	*ret_mask = r->mems;
	for (size_t i = 0; i < r->n; i++)
		if (addr >= r->areas[i].start && addr < r->areas[i].end) {
			*ret_mask &= r->areas[i].mask;
			break;
		}
	return 0;
}
