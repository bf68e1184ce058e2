// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for daemon/policy/groups.c without a kernel: the policy
 * groups of a parsed tieringd.conf over a temp-dir cgroup tree (cgroup ids
 * are the inode numbers of its directories; memory.numa_stat and
 * memory.max are regular files) and a temp /sys holding the nodes'
 * meminfo for the root group, and a temp /proc whose PID/cgroup files
 * name the cgroups of the processes that bring unknown ids.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/vfs.h>

#include <cmocka.h>

#include "policy/cgroupfs.h"
#include "policy/groups.h"
#include "units.h"
#include "tmptree.h"

#define SEC 1000000000ULL
#define MIB (1ULL << 20)
#define MAX_SEEN 16

/* Node 0 fast, node 1 slow; node 2 in neither mask. */
#define FAST 0x1
#define SLOW 0x2

static const char conf_text[] =
	"[Daemon]\n"
	"HotThreshold=3\n"
	"DefaultMode=observe\n"
	"\n"
	"[Cgroup \"/a\"]\n"
	"Mode=promote\n"
	"HotThreshold=5\n"
	"Weight=300\n"
	"PromoteRateLimitMBps=10\n"
	"MaxFastMemory=16M\n"
	"\n"
	"[Cgroup \"/b\"]\n"
	"Mode=off\n"
	"MaxFastMemory=50%\n";

struct seen {
	uint64_t id;
	char path[64];
	const struct td_group *g;
	enum td_mode mode;
};

struct world {
	struct tmptree t;
	char cg[PATH_MAX], sys[PATH_MAX], proc[PATH_MAX];
	struct td_config conf;
	struct td_groups *gs;
	struct seen seen[MAX_SEEN];
	unsigned nseen;
};

static void on_cgroup(uint64_t id, const char *path, const struct td_group *g, enum td_mode mode,
		      void *userdata)
{
	struct world *w = userdata;
	struct seen *s;

	assert_true(w->nseen < MAX_SEEN);
	s = &w->seen[w->nseen++];
	s->id = id;
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->g = g;
	s->mode = mode;
}

static const struct seen *seen_of(const struct world *w, const char *path)
{
	for (unsigned i = 0; i < w->nseen; i++)
		if (!strcmp(w->seen[i].path, path))
			return &w->seen[i];
	fail_msg("cgroup %s not walked", path);
	return NULL;
}

static void parse(struct td_config *c, const char *text)
{
	td_config_init(c);
	assert_int_equal(td_config_parse(c, "test.conf", text, strlen(text)), 0);
}

static void mkcg(struct world *w, const char *cg)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "cg%s", cg);
	tmptree_mkdir(&w->t, rel);
}

static void numastat(struct world *w, const char *cg, uint64_t a0, uint64_t a1, uint64_t f0,
		     uint64_t f1)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "cg%s/memory.numa_stat", cg);
	tmptree_write(&w->t, rel, "anon N0=%" PRIu64 " N1=%" PRIu64 " N2=%d\nfile N0=%" PRIu64
		      " N1=%" PRIu64 " N2=%d\nshmem N0=4096 N1=0 N2=0\n", a0, a1, 1 << 20, f0, f1,
		      1 << 20);
}

static uint64_t ino(struct world *w, const char *cg)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "cg%s", cg);
	return tmptree_ino(&w->t, rel);
}

/* /a, /a/sub, /b, /c under the root; node meminfo for nodes 0-2. */
static void world_new(struct world *w)
{
	memset(w, 0, sizeof(*w));
	tmptree_new(&w->t);
	tmptree_path(&w->t, "cg", w->cg, sizeof(w->cg));
	tmptree_path(&w->t, "sys", w->sys, sizeof(w->sys));
	tmptree_path(&w->t, "proc", w->proc, sizeof(w->proc));
	tmptree_mkdir(&w->t, "proc");
	mkcg(w, "");
	mkcg(w, "/a/sub");
	mkcg(w, "/b");
	mkcg(w, "/c");
	for (int n = 0; n < 3; n++) {
		char rel[96];

		snprintf(rel, sizeof(rel), "sys/devices/system/node/node%d", n);
		tmptree_mkdir(&w->t, rel);
		snprintf(rel, sizeof(rel), "sys/devices/system/node/node%d/meminfo", n);
		tmptree_write(&w->t, rel,
			      "Node %d MemTotal:       1000000 kB\nNode %d MemFree:  500 kB\n"
			      "Node %d FilePages:      %d kB\nNode %d AnonPages:      %d kB\n",
			      n, n, n, 100 * (n + 1), n, 1000 * (n + 1));
	}
	parse(&w->conf, conf_text);
	assert_int_equal(td_groups_new_at(w->cg, w->sys, FAST, SLOW, &w->gs), 0);
	td_groups_set_proc_root(w->gs, w->proc);
}

/* proc/<pid>/cgroup says the process is in cgroup @cg. */
static void in_cgroup(struct world *w, uint32_t pid, const char *cg)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "proc/%" PRIu32, pid);
	tmptree_mkdir(&w->t, rel);
	snprintf(rel, sizeof(rel), "proc/%" PRIu32 "/cgroup", pid);
	tmptree_write(&w->t, rel, "0::%s\n", cg);
}

static void world_apply(struct world *w, const struct td_config *c)
{
	w->nseen = 0;
	assert_int_equal(td_groups_apply(w->gs, c, on_cgroup, w), 0);
}

static void world_free(struct world *w)
{
	td_groups_free(w->gs);
	tmptree_free(&w->t);
}

static struct td_group *group(struct world *w, const char *path)
{
	int i = td_groups_find(w->gs, path);

	assert_true(i >= 0);
	return td_groups_get(w->gs, i);
}

static struct td_policy_group *policy(struct world *w, const char *path)
{
	int i = td_groups_find(w->gs, path);

	assert_true(i >= 0);
	return &td_groups_policy(w->gs)[i];
}

/* ------------------------------------------------------------ groups */

/* One group per section, then the implicit default "/" with [Daemon]'s
 * mode and threshold. */
static void test_groups_from_config(void **state)
{
	struct world w;
	const struct td_policy_group *a, *b, *def;
	const struct td_group *ga, *gdef;

	world_new(&w);
	assert_int_equal(td_groups_count(w.gs), 0);
	world_apply(&w, &w.conf);
	assert_int_equal(td_groups_count(w.gs), 3);
	assert_int_equal(td_groups_find(w.gs, "/a"), 0);
	assert_int_equal(td_groups_find(w.gs, "/b"), 1);
	assert_int_equal(td_groups_find(w.gs, "/"), 2);
	assert_int_equal(td_groups_find(w.gs, "/c"), -1);
	assert_null(td_groups_get(w.gs, 3));
	ga = group(&w, "/a");
	gdef = group(&w, "/");
	a = policy(&w, "/a");
	b = policy(&w, "/b");
	def = policy(&w, "/");
	assert_false(ga->is_default);
	assert_ptr_equal(ga->pol, &w.conf.cgroups[0]);
	assert_true(gdef->is_default);
	assert_null(gdef->pol);
	assert_int_equal(a->mode, TD_MODE_PROMOTE);
	assert_int_equal(a->hot_threshold, td_threshold_of(5));
	assert_int_equal(a->weight, 300);
	assert_int_equal(a->rate.mbps, 10);
	assert_int_equal(a->fast_cap_bytes, 16 * MIB);
	assert_int_equal(a->budget_bytes, TD_POLICY_NO_LIMIT);
	assert_int_equal(b->mode, TD_MODE_OFF);
	assert_int_equal(b->hot_threshold, td_threshold_of(3));
	assert_int_equal(b->weight, 100);
	assert_int_equal(b->rate.mbps, 0);
	assert_int_equal(def->mode, TD_MODE_OBSERVE);
	assert_int_equal(def->hot_threshold, td_threshold_of(3));
	assert_int_equal(def->fast_cap_bytes, TD_POLICY_NO_LIMIT);
	world_free(&w);
}

/* A section for "/" is the default: no implicit group besides it. */
static void test_root_section_is_default(void **state)
{
	struct td_config c;
	struct world w;

	world_new(&w);
	parse(&c, "[Cgroup \"/\"]\nMode=off\n[Cgroup \"/b\"]\nWeight=7\n");
	world_apply(&w, &c);
	assert_int_equal(td_groups_count(w.gs), 2);
	assert_int_equal(td_groups_find(w.gs, "/"), 0);
	assert_false(group(&w, "/")->is_default);
	assert_int_equal(td_groups_of(w.gs, ino(&w, "/c"), SEC), 0);
	assert_int_equal(td_groups_of(w.gs, ino(&w, "/b"), SEC), 1);
	assert_int_equal(seen_of(&w, "/c")->mode, TD_MODE_OFF);
	world_free(&w);
}

/* ------------------------------------------------------------ ids */

/* The walk maps every cgroup (inode) to the group of its nearest section. */
static void test_walk_maps_ids(void **state)
{
	static const struct { const char *path; const char *group; enum td_mode mode; } want[] = {
		{ "/", "/", TD_MODE_OBSERVE }, { "/a", "/a", TD_MODE_PROMOTE },
		{ "/a/sub", "/a", TD_MODE_PROMOTE }, { "/b", "/b", TD_MODE_OFF },
		{ "/c", "/", TD_MODE_OBSERVE },
	};
	struct td_groups_stats st;
	struct world w;

	world_new(&w);
	world_apply(&w, &w.conf);
	assert_int_equal(w.nseen, 5);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct seen *s = seen_of(&w, want[i].path);
		int gi = td_groups_find(w.gs, want[i].group);

		assert_int_equal(s->id, ino(&w, want[i].path));
		assert_ptr_equal(s->g, td_groups_get(w.gs, gi));
		assert_int_equal(s->mode, want[i].mode);
		assert_int_equal(td_groups_of(w.gs, s->id, SEC), gi);
		assert_string_equal(td_groups_path_of(w.gs, s->id, SEC), want[i].path);
	}
	td_groups_get_stats(w.gs, &st);
	assert_int_equal(st.cached, 5);
	assert_int_equal(st.cache_hits, 10);
	assert_int_equal(st.cache_misses, 0);
	assert_int_equal(st.resolved, 0);
	world_free(&w);
}

/*
 * A cgroup made after the walk: a plain lookup does no I/O (-1); an
 * event's process resolves it from /proc/PID/cgroup, also through an
 * ancestor (the memcg); an id the process does not give is not tried
 * again for 10 s, even if the process would give it by then.
 */
static void test_lazy_resolution(void **state)
{
	struct td_groups_stats st;
	struct world w;
	uint64_t id, leafless;

	world_new(&w);
	assert_int_equal(td_groups_of(w.gs, 1, SEC), -1);	/* no config yet */
	assert_int_equal(td_groups_resolve(w.gs, 1, 10, SEC), -1);
	world_apply(&w, &w.conf);
	mkcg(&w, "/a/late/leaf");
	id = ino(&w, "/a/late");
	leafless = ino(&w, "/a/late/leaf");
	assert_int_equal(td_groups_of(w.gs, id, SEC), -1);	/* no walk on a miss */
	in_cgroup(&w, 10, "/a/late/leaf");
	assert_int_equal(td_groups_resolve(w.gs, id, 10, SEC), td_groups_find(w.gs, "/a"));
	assert_string_equal(td_groups_path_of(w.gs, id, SEC), "/a/late");
	assert_int_equal(td_groups_of(w.gs, id, SEC), td_groups_find(w.gs, "/a"));
	td_groups_get_stats(w.gs, &st);
	assert_int_equal(st.resolved, 1);

	/* process 11 is in /c: /a/late/leaf's id is not its cgroup's */
	in_cgroup(&w, 11, "/c");
	assert_int_equal(td_groups_resolve(w.gs, leafless, 11, SEC), -1);
	in_cgroup(&w, 11, "/a/late/leaf");			/* moved: retried at 11 s */
	assert_int_equal(td_groups_resolve(w.gs, leafless, 11, 5 * SEC), -1);
	td_groups_get_stats(w.gs, &st);
	assert_int_equal(st.unresolved, 1);
	assert_int_equal(td_groups_resolve(w.gs, leafless, 11, 11 * SEC + 1),
			 td_groups_find(w.gs, "/a"));
	assert_string_equal(td_groups_path_of(w.gs, leafless, 12 * SEC), "/a/late/leaf");

	/* a process gone: left alone, counted */
	assert_int_equal(td_groups_resolve(w.gs, UINT64_MAX - 1, 99, SEC), -1);
	assert_string_equal(td_groups_path_of(w.gs, UINT64_MAX - 1, 2 * SEC), "?");
	td_groups_get_stats(w.gs, &st);
	assert_int_equal(st.resolved, 2);
	assert_int_equal(st.unresolved, 2);
	world_free(&w);
}

/* @path (a cgroup) made @n characters longer, one level at a time. */
static void long_cgroup(struct world *w, char *path, size_t n)
{
	size_t len = strlen(path);

	n += len;
	while (len < n) {
		size_t part = n - len > 100 ? 100 : n - len;

		path[len] = '/';
		memset(path + len + 1, 'a' + (char)(len % 26), part - 1);
		len += part;
		path[len] = '\0';
		mkcg(w, path);
	}
}

/* Paths of 512 bytes and more are cached and mapped like any other, from
 * the walk and from a process. */
static void test_long_paths(void **state)
{
	char p[1200];
	struct world w;
	uint64_t id;

	world_new(&w);
	memcpy(p, "/a", 3);
	long_cgroup(&w, p, 900);	/* /a/... : 902 characters, 10 levels */
	assert_int_equal(strlen(p), 902);
	world_apply(&w, &w.conf);
	id = ino(&w, p);
	assert_int_equal(td_groups_of(w.gs, id, SEC), td_groups_find(w.gs, "/a"));
	assert_string_equal(td_groups_path_of(w.gs, id, SEC), p);
	/* made after the walk: from the process */
	strcat(p, "/late");
	mkcg(&w, p);
	in_cgroup(&w, 20, p);
	id = ino(&w, p);
	assert_int_equal(td_groups_of(w.gs, id, SEC), -1);
	assert_int_equal(td_groups_resolve(w.gs, id, 20, SEC), td_groups_find(w.gs, "/a"));
	assert_string_equal(td_groups_path_of(w.gs, id, SEC), p);
	world_free(&w);
}

/*
 * The background walk: bounded steps, a new walk only when asked, the
 * generation of each; a walk that completes drops what it did not see.
 */
static void test_walk_steps(void **state)
{
	struct td_groups_stats st;
	struct world w;
	uint64_t gen, c;
	int r, steps = 0;

	world_new(&w);
	assert_int_equal(td_groups_walk_step(w.gs, 2, true, NULL, NULL), -EINVAL);
	world_apply(&w, &w.conf);
	gen = td_groups_walk_done_generation(w.gs);
	assert_true(gen >= 1);
	assert_int_equal(td_groups_walk_generation(w.gs), gen);
	c = ino(&w, "/c");
	assert_int_equal(td_groups_of(w.gs, c, SEC), td_groups_find(w.gs, "/"));
	assert_int_equal(td_groups_walk_step(w.gs, 2, false, on_cgroup, &w), 0);	/* none */
	assert_false(td_groups_walking(w.gs));
	mkcg(&w, "/b/new");	/* before the rm: a temp fs reuses inodes, kernfs does not */
	tmptree_rm(&w.t, "cg/c");
	w.nseen = 0;
	do {
		unsigned before = w.nseen;

		r = td_groups_walk_step(w.gs, 2, steps == 0, on_cgroup, &w);
		assert_true(r == 0 || r == 1);
		assert_true(w.nseen - before <= 2);
		assert_int_equal(td_groups_walk_generation(w.gs), gen + 1);
		/* mid-walk, the last complete walk's findings stand */
		if (r == 0) {
			assert_true(td_groups_walking(w.gs));
			assert_int_equal(td_groups_walk_done_generation(w.gs), gen);
			assert_int_equal(td_groups_of(w.gs, c, SEC), td_groups_find(w.gs, "/"));
		}
		steps++;
	} while (r == 0);
	assert_int_equal(steps, 3);	/* 5 cgroups, 2 per step */
	assert_int_equal(w.nseen, 5);
	assert_int_equal(td_groups_walk_done_generation(w.gs), gen + 1);
	assert_int_equal(seen_of(&w, "/b/new")->mode, TD_MODE_OFF);
	assert_int_equal(td_groups_of(w.gs, c, SEC), -1);	/* gone: dropped */
	td_groups_get_stats(w.gs, &st);
	assert_int_equal(st.cached, 5);
	/* a full rescan abandons a walk in progress and completes its own */
	assert_int_equal(td_groups_walk_step(w.gs, 1, true, NULL, NULL), 0);
	assert_int_equal(td_groups_rescan(w.gs, NULL, NULL), 0);
	assert_false(td_groups_walking(w.gs));
	assert_int_equal(td_groups_walk_done_generation(w.gs), gen + 3);
	world_free(&w);
}

/* A rescan finds cgroups made since and drops removed ones. */
static void test_rescan(void **state)
{
	struct td_groups_stats st;
	struct world w;

	world_new(&w);
	assert_int_equal(td_groups_rescan(w.gs, on_cgroup, &w), -EINVAL);	/* no config */
	world_apply(&w, &w.conf);
	mkcg(&w, "/b/new");
	tmptree_rm(&w.t, "cg/c");
	w.nseen = 0;
	assert_int_equal(td_groups_rescan(w.gs, on_cgroup, &w), 0);
	assert_int_equal(w.nseen, 5);
	assert_ptr_equal(seen_of(&w, "/b/new")->g, group(&w, "/b"));
	assert_int_equal(seen_of(&w, "/b/new")->mode, TD_MODE_OFF);
	td_groups_get_stats(w.gs, &st);
	assert_int_equal(st.cached, 5);
	/* a root that cannot be walked: the old map stays, no error */
	tmptree_rm(&w.t, "cg");
	assert_int_equal(td_groups_rescan(w.gs, NULL, NULL), 0);
	world_free(&w);
}

/* ------------------------------------------------------------ reload */

/* Over a reload, a group that remains keeps its counters, pause and (same
 * limit) rate bucket; a changed limit starts a new bucket; new groups
 * start from zero. */
static void test_reload_carries_over(void **state)
{
	struct td_config c2, c3;
	struct td_policy_group *pa;
	struct td_group *ga;
	struct world w;

	world_new(&w);
	world_apply(&w, &w.conf);
	ga = group(&w, "/a");
	pa = policy(&w, "/a");
	td_groups_account(w.gs, td_groups_find(w.gs, "/a"), TD_MOVE_DONE, 0, TD_PAGE_SIZE);
	td_groups_account(w.gs, td_groups_find(w.gs, "/a"), TD_MOVE_RETRY, -EBUSY, TD_PAGE_SIZE);
	pa->paused = true;
	td_ratelimit_refill(&pa->rate, SEC / 2);	/* 10 MB/s over 0.5 s */
	assert_int_equal(pa->rate.bytes, 5 * MIB);
	group(&w, "/b")->pages_promoted = 9;

	/* /b gone, /d new, /a listed second, same rate: all of it stays */
	parse(&c2, "[Cgroup \"/d\"]\n[Cgroup \"/a\"]\nPromoteRateLimitMBps=10\nWeight=5\n");
	world_apply(&w, &c2);
	assert_int_equal(td_groups_count(w.gs), 3);
	ga = group(&w, "/a");
	pa = policy(&w, "/a");
	assert_int_equal(ga->pages_promoted, 1);
	assert_int_equal(ga->pages_failed, 1);
	assert_int_equal(ga->failed_by_reason[TD_ERR_EBUSY], 1);
	assert_true(pa->paused);
	assert_int_equal(pa->rate.bytes, 5 * MIB);
	assert_int_equal(pa->weight, 5);	/* the new policy is in force */
	assert_int_equal(group(&w, "/d")->pages_promoted, 0);
	assert_false(policy(&w, "/d")->paused);
	assert_int_equal(td_groups_find(w.gs, "/b"), -1);
	/* the mapping follows the new config */
	assert_int_equal(td_groups_of(w.gs, ino(&w, "/b"), SEC), td_groups_find(w.gs, "/"));

	/* a new limit: a new (empty) bucket, the rest still carried */
	parse(&c3, "[Cgroup \"/a\"]\nPromoteRateLimitMBps=20\n");
	world_apply(&w, &c3);
	pa = policy(&w, "/a");
	assert_int_equal(pa->rate.mbps, 20);
	assert_int_equal(pa->rate.bytes, 0);
	assert_true(pa->paused);
	assert_int_equal(group(&w, "/a")->pages_promoted, 1);
	world_free(&w);
}

/* ------------------------------------------------------------ usage */

/* Fast and slow bytes (anon + file) from memory.numa_stat, fast_bytes in
 * pages; the root's from the nodes' meminfo; a cgroup without the file:
 * unknown. Nodes outside both masks count nowhere. */
static void test_refresh_usage(void **state)
{
	struct world w;
	struct td_group *g;

	world_new(&w);
	numastat(&w, "/a", 8 * MIB, 2 * MIB, 4 * MIB, MIB);
	world_apply(&w, &w.conf);
	g = group(&w, "/a");
	assert_true(g->usage_known);
	assert_int_equal(g->fast_bytes, 12 * MIB);
	assert_int_equal(g->slow_bytes, 3 * MIB);
	assert_int_equal(policy(&w, "/a")->fast_bytes, 12 * MIB);
	g = group(&w, "/b");
	assert_false(g->usage_known);
	assert_int_equal(g->fast_bytes, 0);
	g = group(&w, "/");
	assert_true(g->usage_known);
	assert_int_equal(g->fast_bytes, (100 + 1000) << 10);
	assert_int_equal(g->slow_bytes, (200 + 2000) << 10);
	assert_int_equal(policy(&w, "/")->fast_bytes, 1100 << 10);

	/* a refresh reads again; a cgroup that lost its file becomes unknown */
	numastat(&w, "/a", 16 * MIB, 0, 0, 0);
	td_groups_refresh_usage(w.gs);
	assert_int_equal(group(&w, "/a")->fast_bytes, 16 * MIB);
	assert_int_equal(group(&w, "/a")->slow_bytes, 0);
	tmptree_rm(&w.t, "cg/a/memory.numa_stat");
	td_groups_refresh_usage(w.gs);
	assert_false(group(&w, "/a")->usage_known);
	assert_int_equal(policy(&w, "/a")->fast_bytes, 0);
	world_free(&w);
}

/* MaxFastMemory=50%: half of memory.max, re-read on every refresh; "max"
 * or no memory.max: no cap from a percentage. */
static void test_max_fast_percent(void **state)
{
	struct world w;

	world_new(&w);
	tmptree_write(&w.t, "cg/b/memory.max", "%d\n", 64 << 20);
	world_apply(&w, &w.conf);
	assert_int_equal(group(&w, "/b")->memory_max, 64 * MIB);
	assert_int_equal(policy(&w, "/b")->fast_cap_bytes, 32 * MIB);
	tmptree_write(&w.t, "cg/b/memory.max", "max\n");
	td_groups_refresh_usage(w.gs);
	assert_int_equal(group(&w, "/b")->memory_max, UINT64_MAX);
	assert_int_equal(policy(&w, "/b")->fast_cap_bytes, TD_POLICY_NO_LIMIT);
	tmptree_write(&w.t, "cg/b/memory.max", "%d\n", 10 << 20);
	td_groups_refresh_usage(w.gs);
	assert_int_equal(policy(&w, "/b")->fast_cap_bytes, 5 * MIB);
	tmptree_rm(&w.t, "cg/b/memory.max");
	td_groups_refresh_usage(w.gs);
	assert_int_equal(group(&w, "/b")->memory_max, UINT64_MAX);
	assert_int_equal(policy(&w, "/b")->fast_cap_bytes, TD_POLICY_NO_LIMIT);
	/* a byte cap does not read memory.max */
	assert_int_equal(group(&w, "/a")->memory_max, UINT64_MAX);
	assert_int_equal(policy(&w, "/a")->fast_cap_bytes, 16 * MIB);
	world_free(&w);
}

/* ------------------------------------------------------------ accounting */

static void test_account(void **state)
{
	static const struct { enum td_move_outcome o; int status; int slot; } cases[] = {
		{ TD_MOVE_RETRY, -ENOENT, TD_ERR_ENOENT }, { TD_MOVE_RETRY, -EBUSY, TD_ERR_EBUSY },
		{ TD_MOVE_DROP, -EFAULT, TD_ERR_EFAULT }, { TD_MOVE_FULL, -ENOMEM, TD_ERR_ENOMEM },
		{ TD_MOVE_GONE, -ESRCH, TD_ERR_ESRCH }, { TD_MOVE_FAILED, -EACCES, TD_ERR_EACCES },
		{ TD_MOVE_FAILED, -ENOTTY, TD_ERR_OTHER }, { TD_MOVE_FAILED, 3, TD_ERR_WRONG_NODE },
	};
	const size_t n = sizeof(cases) / sizeof(cases[0]);
	struct world w;
	struct td_group *g;
	int i;

	world_new(&w);
	world_apply(&w, &w.conf);
	i = td_groups_find(w.gs, "/b");
	g = td_groups_get(w.gs, i);
	for (size_t k = 0; k < n; k++)
		td_groups_account(w.gs, i, cases[k].o, cases[k].status, TD_PAGE_SIZE);
	td_groups_account(w.gs, i, TD_MOVE_DONE, 2, TD_PAGE_SIZE);
	td_groups_account(w.gs, i, TD_MOVE_DONE, 0, TD_PAGE_SIZE);
	td_groups_account(w.gs, i, TD_MOVE_SKIPPED, -EBUSY, TD_PAGE_SIZE);	/* not tried */
	td_groups_account(w.gs, -1, TD_MOVE_DONE, 0, TD_PAGE_SIZE);		/* no group */
	td_groups_account(w.gs, (int)td_groups_count(w.gs), TD_MOVE_FAILED, -EIO, TD_PAGE_SIZE);
	assert_int_equal(g->pages_promoted, 2);
	assert_int_equal(g->pages_failed, n);
	for (size_t k = 0; k < n; k++)
		assert_int_equal(g->failed_by_reason[cases[k].slot], 1);
	assert_int_equal(g->failed_by_reason[TD_ERR_EIO], 0);
	assert_int_equal(group(&w, "/a")->pages_promoted + group(&w, "/")->pages_promoted, 0);
	/* a huge page counts its bytes, and 512 base pages */
	td_groups_account(w.gs, i, TD_MOVE_DONE, 0, 512 * TD_PAGE_SIZE);
	assert_int_equal(g->pages_promoted, 2 + 512);
	assert_int_equal(g->bytes_promoted, (2 + 512) * TD_PAGE_SIZE);
	world_free(&w);
}

struct flushed {
	char path[64];
	uint64_t pages;
	int calls;
};

static void on_flush(const char *path, uint64_t pages, void *ud)
{
	struct flushed *f = ud;

	snprintf(f->path, sizeof(f->path), "%s", path);
	f->pages = pages;
	f->calls++;
}

/* The kernel's own promotions: counted per group, flushed once per tick
 * for the journal, the totals kept. */
static void test_kernel_promotes(void **state)
{
	struct flushed f = { 0 };
	struct world w;

	world_new(&w);
	world_apply(&w, &w.conf);
	td_groups_note_kernel_promote(w.gs, ino(&w, "/a"), 512 * TD_PAGE_SIZE, SEC);
	td_groups_note_kernel_promote(w.gs, ino(&w, "/a"), TD_PAGE_SIZE, SEC);
	td_groups_flush_kernel(w.gs, on_flush, &f);
	assert_int_equal(f.calls, 1);
	assert_string_equal(f.path, "/a");
	assert_int_equal(f.pages, 513);
	td_groups_flush_kernel(w.gs, on_flush, &f);
	assert_int_equal(f.calls, 1);		/* nothing new */
	assert_int_equal(group(&w, "/a")->kernel_pages_promoted, 513);
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tmptree_test(test_groups_from_config),
		tmptree_test(test_root_section_is_default),
		tmptree_test(test_walk_maps_ids),
		tmptree_test(test_lazy_resolution),
		tmptree_test(test_long_paths),
		tmptree_test(test_walk_steps),
		tmptree_test(test_rescan),
		tmptree_test(test_reload_carries_over),
		tmptree_test(test_refresh_usage),
		tmptree_test(test_max_fast_percent),
		tmptree_test(test_account),
		tmptree_test(test_kernel_promotes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
