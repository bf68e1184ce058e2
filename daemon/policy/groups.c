// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgcache.h"
#include "policy/cgroupfs.h"
#include "policy/groups.h"
#include "hotness.h"
#include "ops/log.h"
#include "numastat.h"
#include "units.h"

#define MAX_GROUPS (TD_CONFIG_MAX_CGROUPS + 1)
/* 8 Ki ids, their paths in 2 MiB (256 bytes each on average; any one may
 * be longer): td_cgcache_bytes() = 2.47 MiB. */
#define CACHE_CAPACITY 8192
#define CACHE_PATH_BYTES (CACHE_CAPACITY * 256)
#define RESOLVE_RETRY_NS (10 * 1000000000ULL)

struct td_groups {
	char root[256];
	char sys_root[256];
	char proc_root[256];
	uint64_t fast_mask, slow_mask;
	const struct td_config *conf;
	struct td_group g[MAX_GROUPS];
	struct td_policy_group pg[MAX_GROUPS];
	size_t n;
	int default_idx;
	struct td_cgcache *cache;
	struct td_cgroupfs_walker *walker;
	bool walking;			/* a walk is in progress */
	uint64_t walk_gen;		/* generation of the walk in progress or last begun */
	uint64_t walk_done_gen;		/* generation of the last complete walk; 0: none */
	uint64_t walk_seen;		/* cgroups the walk in progress visited */
	struct td_groups_stats st;
	td_groups_cgroup_fn fn;
	void *userdata;
};

int td_groups_new_at(const char *cgroup_root, const char *sys_root, uint64_t fast_mask,
		     uint64_t slow_mask, struct td_groups **ret)
{
	struct td_groups *gs = calloc(1, sizeof(*gs));
	int r;

	if (!gs)
		return -ENOMEM;
	snprintf(gs->root, sizeof(gs->root), "%s", cgroup_root);
	snprintf(gs->sys_root, sizeof(gs->sys_root), "%s", sys_root);
	snprintf(gs->proc_root, sizeof(gs->proc_root), "/proc");
	gs->fast_mask = fast_mask;
	gs->slow_mask = slow_mask;
	r = td_cgcache_new(CACHE_CAPACITY, CACHE_PATH_BYTES, RESOLVE_RETRY_NS, &gs->cache);
	if (r == 0)
		r = td_cgroupfs_walker_new(gs->root, &gs->walker);
	if (r) {
		td_groups_free(gs);
		return r;
	}
	*ret = gs;
	return 0;
}

void td_groups_set_proc_root(struct td_groups *gs, const char *proc_root)
{
	snprintf(gs->proc_root, sizeof(gs->proc_root), "%s", proc_root);
}

int td_groups_new(const char *cgroup_root, uint64_t fast_mask, uint64_t slow_mask,
		  struct td_groups **ret)
{
	return td_groups_new_at(cgroup_root, "/sys", fast_mask, slow_mask, ret);
}

void td_groups_free(struct td_groups *gs)
{
	if (!gs)
		return;
	td_cgcache_free(gs->cache);
	td_cgroupfs_walker_free(gs->walker);
	free(gs);
}

static void group_init(struct td_groups *gs, size_t i, const struct td_config *c,
		       const struct td_cgroup_policy *pol)
{
	const struct td_daemon_config *dc = &c->daemon;
	struct td_group *g = &gs->g[i];
	struct td_policy_group *pg = &gs->pg[i];

	memset(g, 0, sizeof(*g));
	memset(pg, 0, sizeof(*pg));
	snprintf(g->path, sizeof(g->path), "%s", pol ? pol->path : "/");
	g->is_default = !pol;
	g->pol = pol;
	g->memory_max = UINT64_MAX;
	pg->mode = pol ? pol->mode : dc->default_mode;
	pg->hot_threshold = td_threshold_of(pol && pol->hot_threshold ? pol->hot_threshold
								     : dc->hot_threshold);
	pg->weight = pol && pol->weight ? pol->weight : 100;
	td_ratelimit_init(&pg->rate, pol ? pol->promote_rate_limit_mbps : 0);
	pg->fast_cap_bytes = TD_POLICY_NO_LIMIT;
	if (pol && (pol->max_fast_bytes || pol->max_fast_percent))
		pg->fast_cap_bytes = td_policy_fast_cap_bytes(pol, UINT64_MAX);
	pg->budget_bytes = TD_POLICY_NO_LIMIT;
	pg->threshold = pg->hot_threshold;
	td_threshold_init(&pg->thr, pg->hot_threshold);
}

/* What a group that remains keeps over a reload: its counters, its pause,
 * and its rate bucket when the limit is unchanged. */
static void carry_over(struct td_group *g, struct td_policy_group *pg,
		       const struct td_group *og, const struct td_policy_group *opg)
{
	g->pages_promoted = og->pages_promoted;
	g->bytes_promoted = og->bytes_promoted;
	g->kernel_pages_promoted = og->kernel_pages_promoted;
	g->kernel_pending = og->kernel_pending;
	g->pages_failed = og->pages_failed;
	memcpy(g->failed_by_reason, og->failed_by_reason, sizeof(g->failed_by_reason));
	g->fast_bytes = og->fast_bytes;
	g->slow_bytes = og->slow_bytes;
	g->usage_known = og->usage_known;
	pg->paused = opg->paused;
	pg->fast_bytes = opg->fast_bytes;
	/* the automatic threshold goes on from where it was, above the new floor */
	if (pg->hot_threshold == opg->hot_threshold) {
		pg->thr = opg->thr;
		pg->threshold = opg->threshold;
	}
	if (pg->rate.mbps == opg->rate.mbps)
		pg->rate = opg->rate;
}

int td_groups_find(const struct td_groups *gs, const char *path)
{
	for (size_t i = 0; i < gs->n; i++)
		if (!strcmp(gs->g[i].path, path))
			return (int)i;
	return -1;
}

static int group_index_for_path(const struct td_groups *gs, const char *path)
{
	const struct td_cgroup_policy *pol = td_config_policy_for(gs->conf, path);

	return pol ? (int)(pol - gs->conf->cgroups) : gs->default_idx;
}

static int walk_one(const char *path, uint64_t id, const char *abspath, void *userdata)
{
	struct td_groups *gs = userdata;
	int idx = group_index_for_path(gs, path);
	struct td_cgcache_payload pl = { .policy_index = idx };

	/* a full cache evicts its least recently used entry; a path longer
	 * than the whole arena (2 MiB) is not cached: that id's events find
	 * no group and its pages are left alone */
	if (td_cgcache_put(gs->cache, id, path, &pl) < 0)
		gs->st.uncached++;
	gs->walk_seen++;
	if (gs->fn)
		gs->fn(id, path, &gs->g[idx], gs->pg[idx].mode, gs->userdata);
	return 0;
}

/*
 * One step of the walk: @max_dirs directories at most. Returns 1 when the
 * walk completed, 0 when it has more to do or failed (warned; what the
 * earlier walks found stays), -ENOMEM.
 */
static int walk_step(struct td_groups *gs, unsigned max_dirs, td_groups_cgroup_fn fn,
		     void *userdata)
{
	int r, stop;

	if (!gs->walking) {
		td_cgcache_begin_walk(gs->cache);
		gs->walk_gen++;
		gs->walk_seen = 0;
		gs->walking = true;
	}
	gs->fn = fn;
	gs->userdata = userdata;
	r = td_cgroupfs_walker_step(gs->walker, max_dirs, walk_one, gs, &stop);
	gs->fn = NULL;
	if (r == 0)
		return 0;
	gs->walking = false;	/* an unended cache walk drops nothing */
	if (r < 0) {
		if (r != -ENOMEM)
			td_warn("walking %s failed (%s), ignoring", gs->root, strerror(-r));
		return r == -ENOMEM ? r : 0;
	}
	td_cgcache_end_walk(gs->cache);
	gs->walk_done_gen = gs->walk_gen;
	gs->st.cached = gs->walk_seen;
	return 1;
}

int td_groups_walk_step(struct td_groups *gs, unsigned max_dirs, bool new_walk,
			td_groups_cgroup_fn fn, void *userdata)
{
	if (!gs->conf)
		return -EINVAL;
	if (!gs->walking && !new_walk)
		return 0;
	return walk_step(gs, max_dirs ? max_dirs : 1, fn, userdata);
}

bool td_groups_walking(const struct td_groups *gs)
{
	return gs->walking;
}

uint64_t td_groups_walk_generation(const struct td_groups *gs)
{
	return gs->walk_gen;
}

uint64_t td_groups_walk_done_generation(const struct td_groups *gs)
{
	return gs->walk_done_gen;
}

int td_groups_rescan(struct td_groups *gs, td_groups_cgroup_fn fn, void *userdata)
{
	int r;

	if (!gs->conf)
		return -EINVAL;
	/* a walk in progress starts over: all of it now */
	td_cgroupfs_walker_reset(gs->walker);
	gs->walking = false;
	r = walk_step(gs, UINT_MAX, fn, userdata);
	return r < 0 ? r : 0;
}

int td_groups_apply(struct td_groups *gs, const struct td_config *c, td_groups_cgroup_fn fn,
		    void *userdata)
{
	static struct td_group old[MAX_GROUPS];
	static struct td_policy_group oldpg[MAX_GROUPS];
	size_t on = gs->n;

	memcpy(old, gs->g, on * sizeof(*old));
	memcpy(oldpg, gs->pg, on * sizeof(*oldpg));
	gs->conf = c;
	gs->n = 0;
	for (size_t i = 0; i < c->n_cgroups; i++)
		group_init(gs, gs->n++, c, &c->cgroups[i]);
	gs->default_idx = td_config_policy_for(c, "/") ?
		(int)(td_config_policy_for(c, "/") - c->cgroups) : -1;
	if (gs->default_idx < 0) {
		gs->default_idx = (int)gs->n;
		group_init(gs, gs->n++, c, NULL);
	}
	for (size_t i = 0; i < gs->n; i++)
		for (size_t j = 0; j < on; j++)
			if (!strcmp(gs->g[i].path, old[j].path)) {
				carry_over(&gs->g[i], &gs->pg[i], &old[j], &oldpg[j]);
				break;
			}
	td_cgcache_clear(gs->cache);
	td_groups_refresh_usage(gs);
	return td_groups_rescan(gs, fn, userdata);
}

/* The id's cache entry; NULL when it has none (or a negative one). */
static const struct td_cgcache_entry *lookup(struct td_groups *gs, uint64_t id, uint64_t now_ns,
					     int *ret_r)
{
	const struct td_cgcache_entry *e;

	*ret_r = -ENOENT;
	if (!gs->conf)
		return NULL;
	*ret_r = td_cgcache_get(gs->cache, id, now_ns, &e);
	if (*ret_r == 0) {
		gs->st.cache_hits++;
		return e;
	}
	gs->st.cache_misses++;
	return NULL;
}

static int index_of(const struct td_groups *gs, const struct td_cgcache_entry *e)
{
	return e && e->payload.policy_index < (int)gs->n ? e->payload.policy_index : -1;
}

int td_groups_of(struct td_groups *gs, uint64_t memcg_id, uint64_t now_ns)
{
	int r;

	return index_of(gs, lookup(gs, memcg_id, now_ns, &r));
}

/*
 * A miss is resolved through @pid's /proc/PID/cgroup (cgroupfs.h: no
 * privilege, no walk); an id it does not give is remembered as unknown for
 * RESOLVE_RETRY_NS, and the background walk finds it if it exists.
 */
int td_groups_resolve(struct td_groups *gs, uint64_t memcg_id, uint32_t pid, uint64_t now_ns)
{
	const struct td_cgcache_entry *e;
	struct td_cgcache_payload pl;
	char *path = NULL;
	int r;

	e = lookup(gs, memcg_id, now_ns, &r);
	if (e || r != -ENOENT || !gs->conf)
		return index_of(gs, e);
	r = td_cgroupfs_resolve_pid(gs->root, gs->proc_root, pid, memcg_id, &path);
	if (r < 0) {
		gs->st.unresolved++;
		if (memcg_id)
			td_cgcache_put_unknown(gs->cache, memcg_id, now_ns);
		return -1;
	}
	gs->st.resolved++;
	pl = (struct td_cgcache_payload){ .policy_index = group_index_for_path(gs, path) };
	r = td_cgcache_put(gs->cache, memcg_id, path, &pl);
	free(path);
	if (r < 0) {
		gs->st.uncached++;
		return -1;
	}
	return pl.policy_index;
}

const char *td_groups_path_of(struct td_groups *gs, uint64_t memcg_id, uint64_t now_ns)
{
	int r;
	const struct td_cgcache_entry *e = lookup(gs, memcg_id, now_ns, &r);

	return e ? e->path : "?";
}

size_t td_groups_count(const struct td_groups *gs)
{
	return gs->n;
}

struct td_group *td_groups_get(struct td_groups *gs, size_t i)
{
	return i < gs->n ? &gs->g[i] : NULL;
}

struct td_policy_group *td_groups_policy(struct td_groups *gs)
{
	return gs->pg;
}

/* The whole machine, for the root: each node's AnonPages + FilePages. */
static void node_usage(const struct td_groups *gs, uint64_t *fast, uint64_t *slow)
{
	*fast = *slow = 0;
	for (int n = 0; n < TD_MAX_NODES; n++) {
		char f[PATH_MAX], line[256];
		unsigned long long kb, sum = 0;
		FILE *fp;

		if (!td_node_in(gs->fast_mask | gs->slow_mask, n))
			continue;
		snprintf(f, sizeof(f), "%s/devices/system/node/node%d/meminfo", gs->sys_root, n);
		fp = fopen(f, "re");
		if (!fp)
			continue;
		while (fgets(line, sizeof(line), fp)) {
			int nn;

			if (sscanf(line, "Node %d AnonPages: %llu kB", &nn, &kb) == 2 ||
			    sscanf(line, "Node %d FilePages: %llu kB", &nn, &kb) == 2)
				sum += kb << 10;
		}
		fclose(fp);
		*(td_node_in(gs->fast_mask, n) ? fast : slow) += sum;
	}
}

static void refresh_one(struct td_groups *gs, size_t i)
{
	struct td_group *g = &gs->g[i];
	struct td_policy_group *pg = &gs->pg[i];
	struct td_numastat ns;

	if (!strcmp(g->path, "/")) {
		node_usage(gs, &g->fast_bytes, &g->slow_bytes);
		g->usage_known = true;
	} else if (td_cgroupfs_read_numastat(gs->root, g->path, &ns) == 0) {
		g->fast_bytes = td_numastat_bytes_on(&ns, gs->fast_mask, /* anon_only= */ false);
		g->slow_bytes = td_numastat_bytes_on(&ns, gs->slow_mask, /* anon_only= */ false);
		g->usage_known = true;
	} else {
		g->fast_bytes = g->slow_bytes = 0;
		g->usage_known = false;
	}
	pg->fast_bytes = g->fast_bytes;
	if (g->pol && g->pol->max_fast_percent) {
		if (td_cgroupfs_memory_max(gs->root, g->path, &g->memory_max) < 0)
			g->memory_max = UINT64_MAX;
		pg->fast_cap_bytes = td_policy_fast_cap_bytes(g->pol, g->memory_max);
	}
}

void td_groups_refresh_usage(struct td_groups *gs)
{
	for (size_t i = 0; i < gs->n; i++)
		refresh_one(gs, i);
}

void td_groups_account(struct td_groups *gs, int i, enum td_move_outcome o, int status,
		       uint64_t bytes)
{
	struct td_group *g;

	if (i < 0 || (size_t)i >= gs->n || o == TD_MOVE_SKIPPED)
		return;
	g = &gs->g[i];
	if (o == TD_MOVE_DONE) {
		g->pages_promoted += td_bytes_to_pages(bytes);
		g->bytes_promoted += bytes;
		return;
	}
	g->pages_failed += td_bytes_to_pages(bytes);
	g->failed_by_reason[td_errno_slot(status < 0 ? -status : 0)]++;
}

void td_groups_note_kernel_promote(struct td_groups *gs, uint64_t memcg_id, uint64_t bytes,
				   uint64_t now_ns)
{
	int i = td_groups_of(gs, memcg_id, now_ns);

	if (i < 0)
		return;
	gs->g[i].kernel_pages_promoted += td_bytes_to_pages(bytes);
	gs->g[i].kernel_pending += td_bytes_to_pages(bytes);
}

void td_groups_flush_kernel(struct td_groups *gs, void (*fn)(const char *path, uint64_t pages,
							     void *ud), void *ud)
{
	for (size_t i = 0; i < gs->n; i++) {
		if (!gs->g[i].kernel_pending)
			continue;
		fn(gs->g[i].path, gs->g[i].kernel_pending, ud);
		gs->g[i].kernel_pending = 0;
	}
}

void td_groups_get_stats(const struct td_groups *gs, struct td_groups_stats *ret)
{
	*ret = gs->st;
}
