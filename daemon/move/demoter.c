// SPDX-License-Identifier: GPL-2.0-only
/*
 * demoter.c - see demoter.h. Mechanism chosen against the alternatives:
 * NUMA balancing mode 3 would also fault on fast pages, but its normal mode
 * migrates pages by itself (the promotions would stop being ours); DAMON
 * gives region-level access per process but needs a kdamond per target;
 * memory.reclaim with demotion enabled acts per cgroup and lets the kernel's
 * LRU pick pages that were not referenced recently, so hot pages (active
 * list) are not taken. It cannot demote from the root cgroup, which has no
 * memory.reclaim: processes there are never victims.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "policy/cgroupfs.h"
#include "move/demoter.h"
#include "ops/log.h"
#include "numastat.h"
#include "ratelimit.h"
#include "units.h"

#define TD_DEMOTER_HOLD_TICKS 3	/* room made is counted as coming this long */

struct cg {
	uint64_t id;		/* cgroup directory inode */
	char *path;		/* relative to the cgroup root, "/a/b"; owned, any length */
	uint64_t events;	/* access events, all time */
	uint64_t events_seen;	/* events at the last tick */
	uint64_t event_rate;	/* events per tick, halved every tick */
	uint64_t last_event_ns;
	uint64_t last_promote_ns;
	uint64_t promoted_recent; /* bytes promoted within the ping-pong window */
	uint64_t last_demote_ns;
	uint64_t fast_anon;	/* bytes, from memory.numa_stat */
	uint64_t density;	/* event_rate per MiB of fast memory, x1024 */
	uint32_t weight;	/* policy Weight, this tick */
	bool leaf;		/* no child cgroup with memory.reclaim; not the root */
	bool swap_risk;		/* swap not fenced off for it: never asked (note_swap_risk) */
};

struct td_demoter {
	struct td_demoter_config c;
	struct cg *cgs;		/* sorted by id */
	size_t n;
	bool demotion_on;	/* c.demotion(on) succeeded, not yet switched back */
	bool demotion_warned;	/* the switch failed, and was named */
	struct td_ratelimit rate;
	uint64_t kswapd_base;	/* pgdemote_kswapd at start */
	/*
	 * Room made lately and not yet taken by promotions (note_promote), per
	 * fast node ([TD_MAX_NODES]: made from every fast node at once), and
	 * when it was last made: a tick's ask leaves it out, so that a backlog
	 * still waiting for the moves that will fill it is not asked twice.
	 * Forgotten after TD_DEMOTER_HOLD_TICKS ticks (taken by someone else,
	 * or the pages were not promoted: the free figures tell again).
	 */
	uint64_t unused[TD_MAX_NODES + 1];
	uint64_t unused_ns;
	char *self_cg[2];	/* our own cgroup and PID 1's: never victims */
	struct td_demoter_counters cnt;
};

static int cmp_id(const void *a, const void *b)
{
	const struct cg *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static struct cg *find(const struct td_demoter *d, uint64_t id)
{
	struct cg key = { .id = id };

	return d->n ? bsearch(&key, d->cgs, d->n, sizeof(key), cmp_id) : NULL;
}

struct walk_ctx {
	struct cg *out;
	size_t n, cap;
};

static int walk_one(const char *path, uint64_t id, const char *abspath, void *userdata)
{
	struct walk_ctx *w = userdata;
	char f[PATH_MAX];

	snprintf(f, sizeof(f), "%s/memory.reclaim", abspath);
	if (access(f, W_OK) < 0)
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 256;
		struct cg *out = reallocarray(w->out, cap, sizeof(*out));

		if (!out)
			return -ENOMEM;
		w->out = out;
		w->cap = cap;
	}
	w->out[w->n] = (struct cg){ .id = id, .path = strdup(path) };
	if (!w->out[w->n].path)
		return -ENOMEM;
	w->n++;
	return 0;
}

/*
 * Only leaves are victims: reclaim on a parent (or the root) reaches into
 * every child, the hot ones included, and on a cgroup v2 host processes
 * live in leaves anyway. The walk is depth-first and pre-order, so a
 * cgroup's descendants follow it at once: it is a parent exactly when the
 * next entry's path extends its own. (A directory without memory.reclaim
 * has no memory controller, nor have its children: none is listed.)
 */
static void mark_leaves(struct cg *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(g[i].path);

		g[i].leaf = strcmp(g[i].path, "/") &&
			    !(i + 1 < n && !strncmp(g[i + 1].path, g[i].path, len) &&
			      g[i + 1].path[len] == '/');
	}
}

static void free_cgs(struct cg *g, size_t n)
{
	for (size_t i = 0; g && i < n; i++)
		free(g[i].path);
	free(g);
}

/* Re-reads the cgroup tree, keeping what we knew of cgroups that remain. */
static int rescan(struct td_demoter *d)
{
	struct walk_ctx walk = {};
	struct cg *fresh;
	int r;

	r = td_cgroupfs_walk(d->c.cgroup_root, walk_one, &walk);
	if (r < 0) {
		free_cgs(walk.out, walk.n);
		return td_err(r, "walking %s", d->c.cgroup_root);
	}
	fresh = walk.out;
	mark_leaves(fresh, walk.n);
	qsort(fresh, walk.n, sizeof(*fresh), cmp_id);
	for (size_t i = 0; i < walk.n; i++) {
		struct cg *old = find(d, fresh[i].id);

		if (old) {
			struct cg keep = *old;

			/* what we learnt about it stays; path and leaf are fresh */
			keep.path = fresh[i].path;
			keep.leaf = fresh[i].leaf;
			fresh[i] = keep;
		}
	}
	free_cgs(d->cgs, d->n);
	d->cgs = fresh;
	d->n = walk.n;
	d->cnt.cgroups = walk.n;
	return 0;
}

/* Anonymous bytes of a cgroup on the nodes of mask (memory.numa_stat). */
static uint64_t fast_anon(const struct td_demoter *d, const struct cg *g, uint64_t mask)
{
	struct td_numastat ns;

	if (td_cgroupfs_read_numastat(d->c.cgroup_root, g->path, &ns) < 0)
		return 0;
	return td_numastat_bytes_on(&ns, mask, /* anon_only= */ true);
}

int td_demoter_stat_value(const char *text, const char *key, uint64_t *ret)
{
	size_t kl = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		unsigned long long v;

		if (!strncmp(l, key, kl) && l[kl] == ' ' && sscanf(l + kl, " %llu", &v) == 1) {
			*ret = v;
			return 0;
		}
	}
	return -ENOENT;
}

/* The whole of a small file into buf (NUL-terminated); 0 or -errno. */
static int read_small(const char *file, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = 0;
	return 0;
}

/*
 * Pages demoted by memory.reclaim in the cgroup at path (its subtree with
 * it): memory.stat's pgdemote_direct, where those demotions land up to
 * 6.1x, plus pgdemote_proactive, where newer kernels count them apart
 * (sid's 7.x: pgdemote_direct stays 0 there); not /proc/vmstat's
 * pgdemote_*, which kswapd's work (any cgroup's) joins. Kernels whose
 * memory.stat has no pgdemote_* (6.1) fall back to the system's
 * pgdemote_direct and pgdemote_proactive (still without kswapd).
 */
static uint64_t vmstat_value(const struct td_demoter *d, const char *key)
{
	char f[PATH_MAX], buf[16384];
	uint64_t v = 0;

	snprintf(f, sizeof(f), "%s/vmstat", d->c.proc_root);
	if (read_small(f, buf, sizeof(buf)) == 0)
		td_demoter_stat_value(buf, key, &v);
	return v;
}

static uint64_t demoted_in(const struct td_demoter *d, const char *path)
{
	char f[PATH_MAX], buf[16384];
	uint64_t v = 0, p = 0;

	snprintf(f, sizeof(f), "%s%s/memory.stat", d->c.cgroup_root, path);
	if (read_small(f, buf, sizeof(buf)) == 0 &&
	    td_demoter_stat_value(buf, "pgdemote_direct", &v) == 0) {
		(void)td_demoter_stat_value(buf, "pgdemote_proactive", &p);
		return v + p;
	}
	return vmstat_value(d, "pgdemote_direct") + vmstat_value(d, "pgdemote_proactive");
}

int td_demoter_reclaim_write(void *ctx, const char *file, uint64_t bytes)
{
	char buf[32];
	int fd, n, r = 0;

	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%" PRIu64, bytes);
	if (write(fd, buf, n) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* SwapTotal of <proc_root>/meminfo is not 0. */
static bool swap_on(const struct td_demoter *d)
{
	char f[PATH_MAX], buf[2048];
	uint64_t kb = 0;

	snprintf(f, sizeof(f), "%s/meminfo", d->c.proc_root);
	return read_small(f, buf, sizeof(buf)) == 0 &&
	       td_demoter_stat_value(buf, "SwapTotal:", &kb) == 0 && kb > 0;
}

/* The cgroup's memory.<name> file (one value) into buf, newline cut. */
static int read_value(const struct td_demoter *d, const char *path, const char *name, char *buf,
		      size_t size)
{
	char f[PATH_MAX];
	int r;

	snprintf(f, sizeof(f), "%s%s/%s", d->c.cgroup_root, path, name);
	r = read_small(f, buf, size);
	if (r == 0)
		buf[strcspn(buf, "\n")] = 0;
	return r;
}

static int write_value(const struct td_demoter *d, const char *path, const char *name,
		       const char *v)
{
	char f[PATH_MAX];
	int fd, r = 0;

	snprintf(f, sizeof(f), "%s%s/%s", d->c.cgroup_root, path, name);
	fd = open(f, O_WRONLY | O_TRUNC | O_CLOEXEC);	/* as a shell's '>' (fakes are files) */
	if (fd < 0)
		return -errno;
	if (write(fd, v, strlen(v)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Bytes of the cgroup in swap (memory.swap.current), 0 if unknown. */
static uint64_t swap_current(const struct td_demoter *d, const char *path)
{
	char buf[32];

	return read_value(d, path, "memory.swap.current", buf, sizeof(buf)) == 0
		       ? strtoull(buf, NULL, 10) : 0;
}

/*
 * The fence record (c.fence_file): the memory.swap.max file set to 0 and
 * the operator's value, written (atomically) before the 0 and removed once
 * the value is back, so that a tieringd killed during a memory.reclaim
 * write (the watchdog, SIGKILL) has it put back at the next start or by
 * --restore-kernel-state. Best effort: the fence goes up without it.
 */
static int fence_record(const struct td_demoter *d, const char *file, const char *old)
{
	char tmp[PATH_MAX], dir[PATH_MAX], *slash;
	FILE *f;
	int r = 0;

	if (!d->c.fence_file)
		return 0;
	snprintf(dir, sizeof(dir), "%s", d->c.fence_file);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		(void)mkdir(dir, 0755);
	}
	snprintf(tmp, sizeof(tmp), "%s.new", d->c.fence_file);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	if (fprintf(f, "%s\n%s\n", file, old) < 0)
		r = -EIO;
	if (fclose(f) != 0 && !r)
		r = -errno;
	if (!r && rename(tmp, d->c.fence_file) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}

/* file (memory.swap.max) back to old, unless someone wrote another value
 * than 0 since: 1 put back, 0 left, or a negative errno. */
static int put_back(const char *file, const char *old)
{
	char now[32];
	int fd, r = read_small(file, now, sizeof(now));

	if (r < 0)
		return r;
	now[strcspn(now, "\n")] = 0;
	if (strcmp(now, "0"))
		return 0;
	fd = open(file, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, old, strlen(old)) < 0)
		r = -errno;
	close(fd);
	return r < 0 ? r : 1;
}

int td_demoter_restore_fence(const char *fence_file)
{
	char buf[PATH_MAX + 64], *old;
	int r;

	r = read_small(fence_file, buf, sizeof(buf));
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	old = strchr(buf, '\n');
	if (!old || !old[1])
		r = -EINVAL;
	else {
		*old++ = 0;
		old[strcspn(old, "\n")] = 0;
		r = put_back(buf, old);
	}
	if (r > 0)
		td_info("%s: memory.swap.max put back to %s (tieringd stopped during a "
			"memory.reclaim write)", buf, old);
	unlink(fence_file);
	return r;
}

/*
 * memory.reclaim is not node-targeted: with swap on it also swaps out the
 * cgroup's slow-node anon pages, which have no lower tier to go to
 * (measured, 6.12: 100 MiB asked of a cgroup with anon on both nodes,
 * 56 MiB demoted and 44 MiB swapped). Its "swappiness=0" argument (6.12
 * takes it, 6.1 says EINVAL) makes cgroup reclaim scan file pages only:
 * nothing anon is demoted either (measured: EAGAIN, 0 demoted). So for the
 * write the cgroup's memory.swap.max is 0: the kernel then has no swap for
 * it and reclaims anon only where it can demote (can_reclaim_anon_pages()),
 * on the fast nodes. The operator's value is put back after (restore_swap).
 * Returns 1 (fenced, the old value in old), 0 (no need: no swap, or
 * swap.max is 0 already), -EOPNOTSUPP (swap on but the cgroup has no
 * memory.swap.max it can be set through: not to be asked).
 */
static int fence_swap(const struct td_demoter *d, const char *path, char *old, size_t size)
{
	char f[PATH_MAX];

	if (!swap_on(d))
		return 0;
	if (read_value(d, path, "memory.swap.max", old, size) < 0)
		return -EOPNOTSUPP;
	if (!strcmp(old, "0"))
		return 0;
	snprintf(f, sizeof(f), "%s%s/memory.swap.max", d->c.cgroup_root, path);
	if (fence_record(d, f, old) < 0)
		td_debug("cannot record the swap fence of %s in %s, ignoring", path, d->c.fence_file);
	return write_value(d, path, "memory.swap.max", "0") < 0 ? -EOPNOTSUPP : 1;
}

/* Back to the operator's value, unless someone wrote another since. */
static void restore_swap(const struct td_demoter *d, const char *path, const char *old)
{
	char f[PATH_MAX];
	int r;

	snprintf(f, sizeof(f), "%s%s/memory.swap.max", d->c.cgroup_root, path);
	r = put_back(f, old);
	if (r < 0)
		td_warn("cannot restore memory.swap.max=%s of %s (%s)", old, path, strerror(-r));
	if (d->c.fence_file)
		unlink(d->c.fence_file);
}

/* What one memory.reclaim write did. */
struct reclaim_out {
	uint64_t demoted;	/* pages: the cgroup's pgdemote_direct delta */
	bool swapped;		/* its swap grew meanwhile */
};

/* Asks the cgroup at path for bytes, with its swap fenced off: 0, -EAGAIN
 * (less than asked), -EOPNOTSUPP (swap could not be fenced: not asked), or
 * a negative errno. */
static int reclaim_path(const struct td_demoter *d, const char *path, uint64_t bytes,
			struct reclaim_out *out)
{
	char f[PATH_MAX], old[32];
	uint64_t before, swap_before;
	int fenced, r;

	*out = (struct reclaim_out){ 0 };
	if (snprintf(f, sizeof(f), "%s%s/memory.reclaim", d->c.cgroup_root, path) >= (int)sizeof(f))
		return -ENAMETOOLONG;
	fenced = fence_swap(d, path, old, sizeof(old));
	if (fenced < 0)
		return fenced;
	before = demoted_in(d, path);
	swap_before = swap_current(d, path);
	if (d->c.reclaim)
		r = d->c.reclaim(d->c.reclaim_ctx, f, bytes);
	else
		r = td_demoter_reclaim_write(NULL, f, bytes);
	out->demoted = demoted_in(d, path);
	out->demoted = out->demoted > before ? out->demoted - before : 0;
	out->swapped = swap_current(d, path) > swap_before;
	if (fenced)
		restore_swap(d, path, old);
	return r;
}

/* A cgroup whose swap cannot be fenced, or that swapped anyway, is not
 * asked again (until it is gone); named once. */
static void note_swap_risk(struct td_demoter *d, const char *path, int r,
			   const struct reclaim_out *o)
{
	for (size_t i = 0; i < d->n; i++) {
		struct cg *g = &d->cgs[i];

		if (strcmp(g->path, path) || g->swap_risk)
			continue;
		g->swap_risk = true;
		td_warn("demote: %s %s; it is not asked for room again (memory.reclaim would swap "
			"its slow-node pages)", path,
			r == -EOPNOTSUPP ? "can swap and its memory.swap.max cannot be set"
					 : "swapped during a memory.reclaim write");
	}
	d->cnt.swap_refused += r == -EOPNOTSUPP;
	d->cnt.swap_seen += o->swapped;
}

/* The cgroup v2 path of process pid ("self", "1") from <proc_root>/PID/cgroup
 * ("0::/system.slice/tieringd.service"), owned; NULL if unknown. */
static char *cgroup_of(const struct td_demoter *d, const char *pid)
{
	char f[PATH_MAX], buf[PATH_MAX + 64];

	snprintf(f, sizeof(f), "%s/%s/cgroup", d->c.proc_root, pid);
	if (read_small(f, buf, sizeof(buf)) < 0)
		return NULL;
	for (char *l = buf; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, "0::", 3)) {
			l += 3;
			l[strcspn(l, "\n")] = 0;
			return strdup(l);
		}
	return NULL;
}

/*
 * The cgroups never asked for room, read again with the tree: tieringd's own
 * (reclaim there demotes the hot table and the daemon's working set, and
 * stalls the loop that makes the room) and PID 1's (init.scope: the service
 * manager, on the path of every unit start, watchdog and restart, tieringd's
 * own included; a few MiB, no room worth its latency). PID 1's cgroup
 * unreadable (hidepid): "/init.scope".
 */
static void refresh_self(struct td_demoter *d)
{
	for (int i = 0; i < 2; i++)
		free(d->self_cg[i]);
	d->self_cg[0] = cgroup_of(d, "self");
	d->self_cg[1] = cgroup_of(d, "1");
	if (!d->self_cg[1])
		d->self_cg[1] = strdup("/init.scope");
}

static bool is_self(const struct td_demoter *d, const struct cg *g)
{
	for (int i = 0; i < 2; i++)
		if (d->self_cg[i] && !strcmp(d->self_cg[i], g->path))
			return true;
	return false;
}

int td_demoter_new(const struct td_demoter_config *c, struct td_demoter **ret)
{
	struct td_demoter *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return -ENOMEM;
	d->c = *c;
	td_ratelimit_init(&d->rate, c->rate_limit_mbps);
	if (c->fence_file && !c->dry_run)
		td_demoter_restore_fence(c->fence_file);
	d->kswapd_base = vmstat_value(d, "pgdemote_kswapd");
	refresh_self(d);
	r = rescan(d);
	if (r) {
		td_demoter_free(d);
		return r;
	}
	td_info("demoter: %zu cgroups can be asked for room, demotion %s", d->n,
		c->demotion && !c->dry_run ? "enabled around tieringd's own memory.reclaim writes"
					   : "left as it is");
	*ret = d;
	return 0;
}

void td_demoter_reconfigure(struct td_demoter *d, uint64_t rate_limit_mbps,
			    uint64_t pingpong_window_ns)
{
	d->c.pingpong_window_ns = pingpong_window_ns;
	if (rate_limit_mbps != d->c.rate_limit_mbps) {
		d->c.rate_limit_mbps = rate_limit_mbps;
		td_ratelimit_init(&d->rate, rate_limit_mbps);
	}
}

void td_demoter_free(struct td_demoter *d)
{
	if (!d)
		return;
	free_cgs(d->cgs, d->n);
	for (int i = 0; i < 2; i++)
		free(d->self_cg[i]);
	free(d);
}

void td_demoter_note_event(struct td_demoter *d, uint64_t memcg_id, uint64_t ts_ns)
{
	struct cg *g = find(d, memcg_id);

	if (g) {
		g->events++;
		if (ts_ns > g->last_event_ns)
			g->last_event_ns = ts_ns;
	}
}

void td_demoter_note_promote(struct td_demoter *d, uint64_t memcg_id, uint64_t bytes,
			     uint64_t now_ns)
{
	struct cg *g = find(d, memcg_id);
	uint64_t left = bytes;

	/* the room made lately is taken (any node's: the call has no node) */
	for (int n = TD_MAX_NODES; n >= 0 && left; n--) {
		uint64_t t = d->unused[n] < left ? d->unused[n] : left;

		d->unused[n] -= t;
		left -= t;
	}
	if (!g)
		return;
	if (now_ns - g->last_promote_ns >= d->c.pingpong_window_ns)
		g->promoted_recent = 0;
	g->promoted_recent += bytes;
	g->last_promote_ns = now_ns;
}

bool td_demoter_recently_demoted(const struct td_demoter *d, uint64_t memcg_id, uint64_t now_ns)
{
	const struct cg *g = find(d, memcg_id);

	return g && g->last_demote_ns && now_ns - g->last_demote_ns < d->c.pingpong_window_ns;
}

/* The lowest Weight first; then coldest first: the fewest access events per
 * MiB of fast memory (recent ticks weigh most); then the most fast memory. */
static int cmp_victim(const void *a, const void *b)
{
	const struct cg *x = *(const struct cg *const *)a, *y = *(const struct cg *const *)b;

	if (x->weight != y->weight)
		return x->weight < y->weight ? -1 : 1;
	if (x->density != y->density)
		return x->density < y->density ? -1 : 1;
	return x->fast_anon > y->fast_anon ? -1 : x->fast_anon < y->fast_anon;
}

/* Per tick: each cgroup's event rate, halved every tick plus the new ones. */
static void age_event_rates(struct td_demoter *d)
{
	for (size_t i = 0; i < d->n; i++) {
		struct cg *g = &d->cgs[i];

		g->event_rate = g->event_rate / 2 + (g->events - g->events_seen);
		g->events_seen = g->events;
	}
}

/*
 * The reverse ping-pong guard: a cgroup whose fast memory is to a good part
 * (over a tenth) pages we promoted within the window is not asked for room.
 * Its pages came up because they were used; reclaim's LRU may not have seen
 * them referenced yet. A few promoted pages do not shield a cold cgroup.
 */
static bool shielded(const struct td_demoter *d, const struct cg *g, uint64_t now_ns)
{
	if (!g->last_promote_ns || now_ns - g->last_promote_ns >= d->c.pingpong_window_ns)
		return false;
	return g->promoted_recent > g->fast_anon / 10;
}

/* The cgroups that may be asked for room now, into victims; their count. */
static size_t collect_victims(struct td_demoter *d, uint64_t now_ns, uint64_t mask,
			      struct cg **victims)
{
	size_t nv = 0;

	for (size_t i = 0; i < d->n; i++) {
		struct cg *g = &d->cgs[i];

		if (!g->leaf || g->swap_risk || is_self(d, g) ||
		    (d->c.unmovable && d->c.unmovable(d->c.hook_ctx, g->id)))
			continue;
		g->fast_anon = fast_anon(d, g, mask);
		if (g->fast_anon < (1 << 20) || shielded(d, g, now_ns))
			continue;
		g->density = g->event_rate * 1024 / ((g->fast_anon >> 20) + 1);
		g->weight = d->c.weight ? d->c.weight(d->c.hook_ctx, g->id) : 100;
		victims[nv++] = g;
	}
	return nv;
}

/*
 * demotion_enabled on for our own writes only (on = true before them, false
 * after: back to what it was): while it is on, kswapd demotes too, from any
 * cgroup, a Mode=off one included, so it is on no longer than tieringd's own
 * memory.reclaim calls take. A switch that fails is named once.
 */
static void switch_demotion(struct td_demoter *d, bool on)
{
	int r;

	if (!d->c.demotion || d->c.dry_run || (!on && !d->demotion_on))
		return;
	r = d->c.demotion(d->c.hook_ctx, on);
	if (on && r < 0 && !d->demotion_warned) {
		td_warn("cannot enable demotion_enabled (%s): memory.reclaim will not demote, "
			"ignoring", strerror(-r));
		d->demotion_warned = true;
	}
	d->demotion_on = on && r >= 0;
}

/* Asks victims in order until need_bytes were demoted; pages demoted
 * (each write counted from its own cgroup's memory.stat). */
static uint64_t ask_victims(struct td_demoter *d, struct cg **victims, size_t nv,
			    uint64_t need_bytes, uint64_t now_ns)
{
	struct reclaim_out o;
	uint64_t done = 0;
	int r;

	switch_demotion(d, true);
	for (size_t i = 0; i < nv && td_pages_to_bytes(done) < need_bytes; i++) {
		uint64_t ask = need_bytes - td_pages_to_bytes(done);

		if (ask > victims[i]->fast_anon)
			ask = victims[i]->fast_anon;
		if (d->c.dry_run) {
			td_info("dry-run: would ask %s for %" PRIu64 " bytes", victims[i]->path, ask);
			break;
		}
		r = reclaim_path(d, victims[i]->path, ask, &o);
		if (r == -EOPNOTSUPP || o.swapped)
			note_swap_risk(d, victims[i]->path, r, &o);
		if (r == -EOPNOTSUPP)
			continue;
		d->cnt.reclaim_calls++;
		d->cnt.bytes_requested += ask;
		if (r == -EAGAIN)
			d->cnt.reclaim_short++;
		else if (r < 0)
			td_warn("memory.reclaim of %s failed (%s), ignoring", victims[i]->path, strerror(-r));
		victims[i]->last_demote_ns = now_ns;
		done += o.demoted;
		td_info("demote: cgroup %s asked for %" PRIu64 " KiB, %" PRIu64 " pages demoted so far",
			victims[i]->path, ask >> 10, done);
	}
	switch_demotion(d, false);
	return done;
}

/* *v less what is left of *credit, which pays it. */
static void pay(uint64_t *v, uint64_t *credit)
{
	uint64_t t = *v < *credit ? *v : *credit;

	*v -= t;
	*credit -= t;
}

/*
 * The room each fast node wants (room_nodes) into want, less the room made
 * lately that promotions have not taken yet (unused: the waiting folios
 * will fill it; asking for them again demoted twice their size); returns
 * the tick's need: need_bytes, or more if the nodes want more (their
 * shortfall under the promoter's watermark comes first), less that room.
 */
static uint64_t node_wants(const struct td_demoter *d, uint64_t want[TD_MAX_NODES],
			   uint64_t need_bytes)
{
	uint64_t sum = 0, any = d->unused[TD_MAX_NODES], total = any;

	if (d->c.room_nodes)
		d->c.room_nodes(d->c.hook_ctx, want);
	for (int n = 0; n < TD_MAX_NODES; n++) {
		uint64_t own = d->unused[n];

		if (!td_node_in(d->c.fast_mask, n))
			continue;
		total += own;
		pay(&want[n], &own);
		pay(&want[n], &any);
		sum += want[n];
	}
	pay(&need_bytes, &total);
	return sum > need_bytes ? sum : need_bytes;
}

/* The victims with memory on the nodes of mask, asked for up to need_bytes
 * in order; pages demoted. *ret_none: there was no victim. */
static uint64_t room_on(struct td_demoter *d, struct cg **victims, uint64_t now_ns, uint64_t mask,
			uint64_t need_bytes, bool *ret_none)
{
	size_t nv = collect_victims(d, now_ns, mask, victims);

	*ret_none = nv == 0;
	if (!nv)
		return 0;
	qsort(victims, nv, sizeof(*victims), cmp_victim);
	return ask_victims(d, victims, nv, need_bytes, now_ns);
}

/*
 * Up to need_bytes of room: per fast node the promoter's waiting folios
 * want (room_nodes), that node's share from the cgroups with memory on it;
 * the kernel demotes their pages to the node's own demotion target. Without
 * the hook, or no node named, from the cgroups' memory on every fast node.
 */
static uint64_t make_room(struct td_demoter *d, struct cg **victims, uint64_t now_ns,
			  const uint64_t want[TD_MAX_NODES], uint64_t need_bytes)
{
	uint64_t done = 0, any = 0;
	bool none, all_none = true;

	for (int n = 0; n < TD_MAX_NODES; n++)
		if (want[n] && td_node_in(d->c.fast_mask, n))
			any |= UINT64_C(1) << n;
	if (!any) {
		done = room_on(d, victims, now_ns, d->c.fast_mask, need_bytes, &none);
		d->unused[TD_MAX_NODES] += td_pages_to_bytes(done);
		all_none = none;
	}
	for (int n = 0; any && n < TD_MAX_NODES && td_pages_to_bytes(done) < need_bytes; n++) {
		uint64_t left = need_bytes - td_pages_to_bytes(done), got;

		if (!(any & (UINT64_C(1) << n)))
			continue;
		got = room_on(d, victims, now_ns, UINT64_C(1) << n, want[n] < left ? want[n] : left,
			      &none);
		d->unused[n] += td_pages_to_bytes(got);
		done += got;
		all_none &= none;
	}
	if (done)
		d->unused_ns = now_ns;
	if (all_none)
		d->cnt.no_victim_ticks++;
	return done;
}

int td_demoter_tick(struct td_demoter *d, uint64_t now_ns, uint64_t tick_ns,
		    uint64_t need_bytes, bool rescan_tree)
{
	uint64_t budget = td_ratelimit_refill(&d->rate, tick_ns), done;
	uint64_t want[TD_MAX_NODES] = { 0 };
	struct cg **victims;
	int r;

	if (rescan_tree) {
		refresh_self(d);
		if ((r = rescan(d)) < 0)
			return r;
	}
	if (now_ns - d->unused_ns >= TD_DEMOTER_HOLD_TICKS * tick_ns)
		memset(d->unused, 0, sizeof(d->unused));
	age_event_rates(d);
	done = vmstat_value(d, "pgdemote_kswapd");
	d->cnt.pages_demoted_kswapd = done > d->kswapd_base ? done - d->kswapd_base : 0;
	if (!need_bytes)
		return 0;
	need_bytes = node_wants(d, want, need_bytes);
	if (!need_bytes)
		return 0;
	if (need_bytes > budget)
		need_bytes = budget;
	if (need_bytes > d->c.chunk_bytes)
		need_bytes = d->c.chunk_bytes;
	victims = calloc(d->n ? d->n : 1, sizeof(*victims));
	if (!victims)
		return -ENOMEM;
	done = make_room(d, victims, now_ns, want, need_bytes);
	free(victims);
	td_ratelimit_spend(&d->rate, td_pages_to_bytes(done));
	d->cnt.pages_demoted += done;
	return (int)done;
}

int td_demoter_shrink(struct td_demoter *d, const char *path, uint64_t excess_bytes,
		      uint64_t now_ns)
{
	uint64_t budget = td_ratelimit_refill(&d->rate, 0), done;
	struct reclaim_out o;
	int r;

	if (!strcmp(path, "/"))
		return -EINVAL;
	if (excess_bytes > budget)
		excess_bytes = budget;
	if (excess_bytes > d->c.chunk_bytes)
		excess_bytes = d->c.chunk_bytes;
	if (!excess_bytes)
		return 0;
	if (d->c.dry_run) {
		td_info("dry-run: would ask %s for %" PRIu64 " bytes (MaxFastMemory)", path, excess_bytes);
		return 0;
	}
	switch_demotion(d, true);
	r = reclaim_path(d, path, excess_bytes, &o);
	switch_demotion(d, false);
	if (r == -EOPNOTSUPP || o.swapped)
		note_swap_risk(d, path, r, &o);
	if (r == -EOPNOTSUPP)
		return r;
	done = o.demoted;
	d->cnt.reclaim_calls++;
	d->cnt.bytes_requested += excess_bytes;
	if (r == -EAGAIN)
		d->cnt.reclaim_short++;
	else if (r < 0)
		return r;
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->cgs[i].path, path) ||
		    (!strncmp(d->cgs[i].path, path, strlen(path)) && d->cgs[i].path[strlen(path)] == '/'))
			d->cgs[i].last_demote_ns = now_ns;
	td_ratelimit_spend(&d->rate, td_pages_to_bytes(done));
	d->cnt.pages_demoted += done;
	d->cnt.pages_demoted_cap += done;
	td_info("demote: cgroup %s over MaxFastMemory, asked for %" PRIu64 " KiB, %" PRIu64
		" pages demoted", path, excess_bytes >> 10, done);
	return (int)done;
}

const struct td_demoter_counters *td_demoter_counters(const struct td_demoter *d)
{
	return &d->cnt;
}
