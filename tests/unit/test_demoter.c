// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for daemon/move/demoter.c without a kernel: a temp-dir cgroup
 * tree (memory.numa_stat, memory.reclaim and cgroup.procs as regular
 * files) and a temp /proc (vmstat with pgdemote_* counters); the
 * demotion_enabled switch is a fake hook that records its calls (its owner,
 * move/kernel.c, has its own tests). The kernel's side of a memory.reclaim
 * write is a fake that writes the file through the default writer, records
 * what was asked, and "demotes" a scripted share of it by raising
 * pgdemote_direct in the memory.stat of the cgroup and its ancestors (the
 * kernel's are hierarchical), while kswapd "demotes" as much again from
 * anywhere (vmstat's pgdemote_kswapd), which must not be counted.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "move/demoter.h"
#include "units.h"
#include "tmptree.h"

#define SEC 1000000000ULL
#define MIB (1ULL << 20)
#define WINDOW (2 * SEC)
#define MAX_CALLS 16

/* Node 0 fast, node 1 slow. The leaves are /a/x, /a/y and /b; /a is their
 * parent, /n has no memory.reclaim (not a memory cgroup for us). */
static const char *const leaves[] = { "/a/x", "/a/y", "/b" };
static const uint64_t leaf_fast_mib[] = { 24, 16, 8 };	/* fast anon: x, y, b */
enum { X, Y, B, NLEAVES };

struct world {
	struct tmptree t;
	char cg[PATH_MAX], proc[PATH_MAX];
	struct td_demoter_config c;
	struct td_demoter *d;
	uint64_t id[NLEAVES], id_a;
	uint32_t weight[NLEAVES];
	bool unmovable[NLEAVES];
	unsigned unmovable_asked;
	/* the demotion switch: calls, the last one, and what it answers */
	unsigned demotion_calls;
	bool demotion_last;
	unsigned demotion_on_in_reclaim;	/* reclaim writes made while it was on */
	int demotion_err;
	/* the fake kernel */
	uint64_t pgdemote;		/* pgdemote_kswapd now */
	/* memory.stat pgdemote_direct per cgroup path (hierarchical) */
	char stat_path[MAX_CALLS][64];
	uint64_t stat_direct[MAX_CALLS];
	unsigned nstat;
	bool no_memcg_demote;		/* memory.stat without pgdemote_* (6.1) */
	bool proactive;			/* memory.reclaim's demotions in pgdemote_proactive (7.x) */
	uint64_t vm_direct;		/* vmstat's pgdemote_direct */
	/* swap: SwapTotal, and what the fake kernel saw of memory.swap.max */
	bool swap;
	bool swap_leak;			/* the write swaps anyway */
	char swap_max_seen[MAX_CALLS][32];
	char fence_seen[PATH_MAX + 32];	/* the fence record during the last write */
	char fence[PATH_MAX];
	unsigned pct[NLEAVES];		/* of what a leaf is asked, demoted */
	unsigned demote_percent;	/* the same, for the other cgroups */
	unsigned ncalls;
	char call_path[MAX_CALLS][64];	/* relative to the cgroup root */
	uint64_t call_bytes[MAX_CALLS];
};

static void write_vmstat(struct world *w)
{
	tmptree_write(&w->t, "proc/vmstat",
		      "nr_free_pages 1000\npgdemote_kswapd %" PRIu64 "\npgdemote_direct %" PRIu64 "\n"
		      "pgdemote_khugepaged 0\npgpromote_success 99\n", w->pgdemote, w->vm_direct + 7);
	tmptree_write(&w->t, "proc/meminfo", "MemTotal:        2000000 kB\nSwapTotal:       %s kB\n"
		      "SwapFree:        0 kB\n", w->swap ? "524284" : "0");
}

/* pages demoted by direct reclaim in cg: its memory.stat and its ancestors'. */
static void stat_demote(struct world *w, const char *cg, uint64_t pages)
{
	char p[64], rel[128];

	snprintf(p, sizeof(p), "%s", cg);
	for (;;) {
		unsigned k;

		for (k = 0; k < w->nstat && strcmp(w->stat_path[k], p); k++)
			;
		if (k == w->nstat) {
			assert_true(w->nstat < MAX_CALLS);
			snprintf(w->stat_path[w->nstat++], sizeof(w->stat_path[0]), "%s", p);
		}
		w->stat_direct[k] += pages;
		snprintf(rel, sizeof(rel), "cg%s/memory.stat", p);
		if (w->no_memcg_demote)
			tmptree_write(&w->t, rel, "anon 1\npgsteal_direct 3\n");
		else if (w->proactive)
			tmptree_write(&w->t, rel, "anon 1\npgdemote_kswapd 5\npgdemote_direct 0\n"
				      "pgdemote_khugepaged 0\npgdemote_proactive %" PRIu64 "\n",
				      w->stat_direct[k]);
		else
			tmptree_write(&w->t, rel, "anon 1\npgdemote_kswapd 5\npgdemote_direct %" PRIu64
				      "\npgdemote_khugepaged 0\n", w->stat_direct[k]);
		if (!p[0])
			break;
		*strrchr(p, '/') = 0;
	}
}

static void set_numastat(struct world *w, const char *cg, uint64_t fast_anon, uint64_t slow_anon,
			 uint64_t fast_file)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "cg%s/memory.numa_stat", cg);
	tmptree_write(&w->t, rel, "anon N0=%" PRIu64 " N1=%" PRIu64 "\nfile N0=%" PRIu64
		      " N1=0\nkernel_stack N0=16384 N1=0\n", fast_anon, slow_anon, fast_file);
}

static void add_cgroup(struct world *w, const char *cg, bool reclaim, uint64_t fast_anon)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "cg%s", cg);
	tmptree_mkdir(&w->t, rel);
	snprintf(rel, sizeof(rel), "cg%s/cgroup.procs", cg);
	tmptree_write(&w->t, rel, "%s", "");
	if (reclaim) {
		snprintf(rel, sizeof(rel), "cg%s/memory.reclaim", cg);
		tmptree_write(&w->t, rel, "%s", "");
	}
	set_numastat(w, cg, fast_anon, 8 * MIB, 0);
	stat_demote(w, cg, 0);
}

static void set_percent(struct world *w, unsigned pct)
{
	for (int i = 0; i < NLEAVES; i++)
		w->pct[i] = pct;
	w->demote_percent = pct;
}

static int leaf_of(const struct world *w, uint64_t id)
{
	for (int i = 0; i < NLEAVES; i++)
		if (w->id[i] == id)
			return i;
	return -1;
}

static bool hook_unmovable(void *ctx, uint64_t id)
{
	struct world *w = ctx;
	int i = leaf_of(w, id);

	w->unmovable_asked++;
	return i >= 0 && w->unmovable[i];
}

static uint32_t hook_weight(void *ctx, uint64_t id)
{
	struct world *w = ctx;
	int i = leaf_of(w, id);

	return i >= 0 ? w->weight[i] : 1;
}

/* What memory.swap.max reads during the write ("-": no such file); a
 * leak raises memory.swap.current. */
static void swap_seen(struct world *w, const char *file, size_t rl, size_t dl)
{
	char rel[128], abs[PATH_MAX], buf[32];
	const char *v = "-";

	snprintf(rel, sizeof(rel), "cg%.*s/memory.swap.max", (int)(dl - rl), file + rl);
	if (access(tmptree_path(&w->t, rel, abs, sizeof(abs)), F_OK) == 0)
		v = tmptree_read(&w->t, rel, buf, sizeof(buf));
	snprintf(w->swap_max_seen[w->ncalls - 1], sizeof(w->swap_max_seen[0]), "%s", v);
	w->fence_seen[0] = 0;
	if (access(tmptree_path(&w->t, "run/swap-fence", abs, sizeof(abs)), F_OK) == 0)
		tmptree_read(&w->t, "run/swap-fence", w->fence_seen, sizeof(w->fence_seen));
	if (w->swap_leak) {
		snprintf(rel, sizeof(rel), "cg%.*s/memory.swap.current", (int)(dl - rl), file + rl);
		tmptree_write(&w->t, rel, "%d\n", 4096);
	}
}

static int fake_reclaim(void *ctx, const char *file, uint64_t bytes)
{
	struct world *w = ctx;
	size_t rl = strlen(w->cg), fl = strlen(file), sl = strlen("/memory.reclaim");
	char back[32], want[32];
	uint64_t pages;
	unsigned pct;
	int r, leaf;

	assert_true(fl > rl + sl && !strncmp(file, w->cg, rl));
	if (w->demotion_last && !w->demotion_err)
		w->demotion_on_in_reclaim++;
	assert_string_equal(file + fl - sl, "/memory.reclaim");
	r = td_demoter_reclaim_write(NULL, file, bytes);
	if (r < 0)
		return r;
	/* the file holds what was written: the decimal byte count */
	snprintf(want, sizeof(want), "%" PRIu64, bytes);
	assert_string_equal(tmptree_read(&(struct tmptree){ .root = "" }, file, back, sizeof(back)),
			    want);
	assert_int_equal(truncate(file, 0), 0);
	assert_true(w->ncalls < MAX_CALLS);
	snprintf(w->call_path[w->ncalls], sizeof(w->call_path[0]), "%.*s",
		 (int)(fl - rl - sl), file + rl);
	w->call_bytes[w->ncalls] = bytes;
	leaf = -1;
	for (int i = 0; i < NLEAVES; i++)
		if (!strcmp(w->call_path[w->ncalls], leaves[i]))
			leaf = i;
	w->ncalls++;
	pct = leaf >= 0 ? w->pct[leaf] : w->demote_percent;
	pages = td_bytes_to_pages(bytes * pct / 100);
	w->pgdemote += pages;	/* kswapd, meanwhile, elsewhere */
	w->vm_direct += pages;
	stat_demote(w, w->call_path[w->ncalls - 1], pages);
	swap_seen(w, file, rl, fl - sl);
	write_vmstat(w);
	return pct < 100 ? -EAGAIN : 0;
}

static int hook_demotion(void *ctx, bool on)
{
	struct world *w = ctx;

	w->demotion_calls++;
	w->demotion_last = on;
	return w->demotion_err;
}

static void world_new(struct world *w)
{
	memset(w, 0, sizeof(*w));
	tmptree_new(&w->t);
	tmptree_path(&w->t, "cg", w->cg, sizeof(w->cg));
	tmptree_path(&w->t, "proc", w->proc, sizeof(w->proc));
	tmptree_mkdir(&w->t, "proc");
	add_cgroup(w, "", /* reclaim= */ true, 64 * MIB);	/* the root: never a victim */
	add_cgroup(w, "/a", true, 64 * MIB);
	add_cgroup(w, "/n", false, 64 * MIB);
	for (int i = 0; i < NLEAVES; i++) {
		char rel[64];

		add_cgroup(w, leaves[i], true, leaf_fast_mib[i] * MIB);
		snprintf(rel, sizeof(rel), "cg%s", leaves[i]);
		w->id[i] = tmptree_ino(&w->t, rel);
		w->weight[i] = 100;
	}
	w->id_a = tmptree_ino(&w->t, "cg/a");
	write_vmstat(w);
	set_percent(w, 100);
	w->c = (struct td_demoter_config){
		.cgroup_root = w->cg, .proc_root = w->proc,
		.fast_mask = 0x1, .chunk_bytes = 64 * MIB, .pingpong_window_ns = WINDOW,
		.unmovable = hook_unmovable, .weight = hook_weight, .demotion = hook_demotion,
		.hook_ctx = w,
		.reclaim = fake_reclaim, .reclaim_ctx = w,
	};
}

static void world_start(struct world *w)
{
	assert_int_equal(td_demoter_new(&w->c, &w->d), 0);
}

static void world_free(struct world *w)
{
	td_demoter_free(w->d);
	tmptree_free(&w->t);
}

/* A tick after promotions took all the room made before it (the ledger of
 * room made but not yet used has its own tests, with td_demoter_tick). */
static int tick(struct world *w, uint64_t now, uint64_t need)
{
	td_demoter_note_promote(w->d, 0, UINT64_MAX, now);
	return td_demoter_tick(w->d, now, SEC, need, /* rescan= */ false);
}

static void assert_calls(const struct world *w, const char *const *want, unsigned n)
{
	assert_int_equal(w->ncalls, n);
	for (unsigned i = 0; i < n; i++)
		assert_string_equal(w->call_path[i], want[i]);
}

/* ------------------------------------------------------------ demotion_enabled */

/* On through the hook only around a tick's memory.reclaim writes (on
 * while they run, off after), never at start or while idle: between them
 * kswapd must not demote other cgroups on tieringd's account. */
static void test_demotion_switched(void **state)
{
	struct world w;

	world_new(&w);
	world_start(&w);
	assert_int_equal(w.demotion_calls, 0);
	assert_int_equal(tick(&w, 10 * SEC, 0), 0);		/* no room needed */
	assert_int_equal(w.demotion_calls, 0);
	w.demotion_on_in_reclaim = 0;
	assert_int_equal(tick(&w, 11 * SEC, MIB), 256);
	assert_int_equal(w.demotion_calls, 2);
	assert_false(w.demotion_last);
	assert_true(w.demotion_on_in_reclaim > 0);		/* on while writing */
	td_demoter_free(w.d);
	w.d = NULL;
	assert_int_equal(w.demotion_calls, 2);
	world_free(&w);
}

/* The switch fails (an old kernel without demotion_enabled): the demoter
 * still starts and works, and does not switch back what it never switched. */
static void test_demotion_switch_fails(void **state)
{
	struct world w;

	world_new(&w);
	w.demotion_err = -ENOENT;
	world_start(&w);
	assert_int_equal(tick(&w, 10 * SEC, MIB), 256);
	assert_int_equal(tick(&w, 11 * SEC, MIB), 256);
	td_demoter_free(w.d);
	w.d = NULL;
	assert_int_equal(w.demotion_calls, 2);	/* tried each tick, never switched back */
	assert_true(w.demotion_last);
	world_free(&w);
}

/* No switch at all (NULL hook): demotion is left as it is. */
static void test_demotion_no_switch(void **state)
{
	struct world w;

	world_new(&w);
	w.c.demotion = NULL;
	world_start(&w);
	assert_int_equal(tick(&w, 10 * SEC, MIB), 256);
	world_free(&w);
}

/* An unwalkable cgroup root fails td_demoter_new with the walk's errno. */
static void test_new_bad_root(void **state)
{
	struct world w;
	struct td_demoter *d = NULL;

	world_new(&w);
	tmptree_rm(&w.t, "cg");
	assert_int_equal(td_demoter_new(&w.c, &d), -ENOENT);
	assert_null(d);
	world_free(&w);
}

/* ------------------------------------------------------------ victims */

/* Nothing is demoted, so every victim is asked, in victim order: the
 * lowest Weight first, then the fewest events per MiB, then the most fast
 * memory. Never the root, a parent or a cgroup without memory.reclaim. */
static void test_victim_order(void **state)
{
	static const char *const want[] = { "/b", "/a/y", "/a/x" };
	struct world w;

	world_new(&w);
	w.weight[B] = 50;
	set_percent(&w, 0);
	world_start(&w);
	for (int i = 0; i < 40; i++)
		td_demoter_note_event(w.d, w.id[X], SEC + i);
	assert_int_equal(tick(&w, 10 * SEC, 4 * MIB), 0);
	assert_calls(&w, want, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(w.call_bytes[i], 4 * MIB);
	assert_int_equal(td_demoter_counters(w.d)->reclaim_calls, 3);
	assert_int_equal(td_demoter_counters(w.d)->reclaim_short, 3);
	assert_int_equal(td_demoter_counters(w.d)->bytes_requested, 12 * MIB);
	assert_int_equal(td_demoter_counters(w.d)->cgroups, 5);	/* /, /a and the leaves */
	world_free(&w);
}

/* The same Weight and no events: the larger fast memory first; events age
 * (halved every tick), so the once-hot cgroup becomes a victim again. */
static void test_victim_order_size_and_aging(void **state)
{
	static const char *const want1[] = { "/a/y", "/b", "/a/x" };
	static const char *const want2[] = { "/a/y", "/a/x", "/b" };
	struct world w;

	world_new(&w);
	set_numastat(&w, "/a/x", 16 * MIB, 0, 0);
	set_numastat(&w, "/a/y", 32 * MIB, 0, 0);
	set_percent(&w, 0);
	world_start(&w);
	for (int i = 0; i < 8; i++)
		td_demoter_note_event(w.d, w.id[X], SEC);
	assert_int_equal(tick(&w, 10 * SEC, MIB), 0);
	assert_calls(&w, want1, 3);
	for (int i = 0; i < 10; i++)
		tick(&w, (11 + i) * SEC, 0);
	w.ncalls = 0;
	assert_int_equal(tick(&w, 30 * SEC, MIB), 0);
	assert_calls(&w, want2, 3);
	world_free(&w);
}

/* Only fast anonymous memory counts: file pages and slow-node pages do not
 * make a victim, and below 1 MiB of it a cgroup is not asked. */
static void test_fast_anon_only(void **state)
{
	static const char *const want[] = { "/b" };
	struct world w;

	world_new(&w);
	set_numastat(&w, "/a/x", MIB - 4096, 64 * MIB, 64 * MIB);
	set_numastat(&w, "/a/y", 0, 64 * MIB, 0);
	set_numastat(&w, "/b", 2 * MIB, 0, 0);
	set_percent(&w, 0);
	world_start(&w);
	assert_int_equal(tick(&w, 10 * SEC, 8 * MIB), 0);
	assert_calls(&w, want, 1);
	assert_int_equal(w.call_bytes[0], 2 * MIB);	/* no more than it has */
	world_free(&w);
}

/* Two fast nodes (0 and 1; 2 slow): room for the nodes the waiting folios
 * want, each its share. Victims are the cgroups with memory on it, asked
 * for no more than they have there; unknown (all 0): every fast node, as
 * before. */
static uint64_t room_want[TD_MAX_NODES];

static void hook_room_nodes(void *ctx, uint64_t ret[TD_MAX_NODES])
{
	(void)ctx;
	memcpy(ret, room_want, sizeof(room_want));
}

static void set_numastat3(struct world *w, const char *cg, uint64_t n0, uint64_t n1)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "cg%s/memory.numa_stat", cg);
	tmptree_write(&w->t, rel, "anon N0=%" PRIu64 " N1=%" PRIu64 " N2=%" PRIu64 "\nfile N0=0 N1=0 N2=0\n",
		      n0, n1, (uint64_t)(4 * MIB));
}

/* Nodes 0 and 1 fast (room per node): /a/x 32 MiB on node0, /a/y 16 MiB on
 * node1, /b b0 and b1. */
static void world_two_fast(struct world *w, uint64_t b0, uint64_t b1)
{
	world_new(w);
	w->c.fast_mask = 0x3;
	w->c.room_nodes = hook_room_nodes;
	set_numastat3(w, "/a/x", 32 * MIB, 0);
	set_numastat3(w, "/a/y", 0, 16 * MIB);
	set_numastat3(w, "/b", b0, b1);
}

static void test_room_per_node(void **state)
{
	static const char *const want1[] = { "/a/y", "/b" };
	static const char *const want_all[] = { "/a/x", "/a/y", "/b" };
	static const char *const want_each[] = { "/a/x", "/a/y" };
	struct world w;

	world_two_fast(&w, 8 * MIB, 8 * MIB);
	set_percent(&w, 0);
	world_start(&w);
	room_want[1] = 64 * MIB;
	room_want[2] = MIB;	/* a slow node: ignored */
	assert_int_equal(tick(&w, 10 * SEC, 64 * MIB), 0);
	assert_calls(&w, want1, 2);
	assert_int_equal(w.call_bytes[0], 16 * MIB);
	assert_int_equal(w.call_bytes[1], 8 * MIB);
	w.ncalls = 0;
	memset(room_want, 0, sizeof(room_want));
	assert_int_equal(tick(&w, 20 * SEC, 64 * MIB), 0);
	assert_calls(&w, want_all, 3);
	assert_int_equal(w.call_bytes[0], 32 * MIB);
	assert_int_equal(w.call_bytes[2], 16 * MIB);
	/* each node its own share, from its own cgroups, until it is made */
	w.ncalls = 0;
	set_percent(&w, 100);
	room_want[0] = 4 * MIB;
	room_want[1] = 8 * MIB;
	assert_int_equal(tick(&w, 30 * SEC, 64 * MIB), (int)td_bytes_to_pages(12 * MIB));
	assert_calls(&w, want_each, 2);
	assert_int_equal(w.call_bytes[0], 4 * MIB);
	assert_int_equal(w.call_bytes[1], 8 * MIB);
	/* a node that wants more than the promoter's waiting bytes (its
	 * shortfall under the watermark): the tick asks for what it wants */
	w.ncalls = 0;
	room_want[0] = 0;
	room_want[1] = 16 * MIB;
	assert_int_equal(tick(&w, 40 * SEC, 4 * MIB), (int)td_bytes_to_pages(16 * MIB));
	assert_calls(&w, want_each + 1, 1);
	assert_int_equal(w.call_bytes[0], 16 * MIB);
	memset(room_want, 0, sizeof(room_want));
	world_free(&w);
}

/* Room made and not yet taken by promotions is not asked for again: the
 * backlog still waiting for the moves that will fill it (the overshoot
 * measured in policy_room: two 64 MiB asks before any promotion); what
 * promotions took is asked again; after TD_DEMOTER_HOLD_TICKS ticks
 * without room made, the rest is forgotten (the free figures tell). */
static void test_room_not_asked_twice(void **state)
{
	struct world w;

	world_new(&w);
	world_start(&w);
	assert_int_equal(td_demoter_tick(w.d, 10 * SEC, SEC, 8 * MIB, false), 8 * 256);
	assert_int_equal(w.ncalls, 1);
	assert_int_equal(w.call_bytes[0], 8 * MIB);
	/* the same backlog next tick, nothing promoted yet: nothing asked */
	assert_int_equal(td_demoter_tick(w.d, 11 * SEC, SEC, 8 * MIB, false), 0);
	assert_int_equal(w.ncalls, 1);
	/* a larger backlog: only the part the room made does not cover */
	assert_int_equal(td_demoter_tick(w.d, 12 * SEC, SEC, 10 * MIB, false), 2 * 256);
	assert_int_equal(w.ncalls, 2);
	assert_int_equal(w.call_bytes[1], 2 * MIB);
	/* promotions took 4 MiB (of any cgroup): 4 MiB of a 10 MiB backlog asked */
	td_demoter_note_promote(w.d, w.id[B], 4 * MIB, 12 * SEC);
	assert_int_equal(td_demoter_tick(w.d, 13 * SEC, SEC, 10 * MIB, false), 4 * 256);
	assert_int_equal(w.call_bytes[2], 4 * MIB);
	/* three ticks without room made: the rest is forgotten, asked again */
	assert_int_equal(td_demoter_tick(w.d, 16 * SEC, SEC, 8 * MIB, false), 8 * 256);
	assert_int_equal(w.call_bytes[3], 8 * MIB);
	assert_int_equal(td_demoter_counters(w.d)->bytes_requested, 22 * MIB);
	world_free(&w);
}

/* The same with room per node: each node's want is paid by its own room. */
static void test_room_not_asked_twice_per_node(void **state)
{
	struct world w;

	world_two_fast(&w, 0, 0);
	world_start(&w);
	room_want[0] = 4 * MIB;
	room_want[1] = 8 * MIB;
	assert_int_equal(td_demoter_tick(w.d, 10 * SEC, SEC, 12 * MIB, false), 12 * 256);
	assert_int_equal(w.ncalls, 2);
	/* node1 wants more (its shortfall), node0 the same: node1's extra only */
	room_want[1] = 10 * MIB;
	assert_int_equal(td_demoter_tick(w.d, 11 * SEC, SEC, 12 * MIB, false), 2 * 256);
	assert_int_equal(w.ncalls, 3);
	assert_string_equal(w.call_path[2], "/a/y");
	assert_int_equal(w.call_bytes[2], 2 * MIB);
	memset(room_want, 0, sizeof(room_want));
	world_free(&w);
}

/* tieringd's own cgroup (/proc/self/cgroup) and PID 1's are never asked,
 * whatever their Weight and coldness; PID 1's unreadable: /init.scope. */
static void test_self_never_victim(void **state)
{
	static const char *const want[] = { "/a/y" };
	static const char *const want2[] = { "/b", "/a/y" };
	struct world w;

	world_new(&w);
	w.weight[X] = 1;	/* the first victim, were it not ours */
	w.weight[B] = 2;
	tmptree_mkdir(&w.t, "proc/self");
	tmptree_mkdir(&w.t, "proc/1");
	tmptree_write(&w.t, "proc/self/cgroup", "0::/a/x\n");
	tmptree_write(&w.t, "proc/1/cgroup", "0::/b\n");
	world_start(&w);
	assert_int_equal(tick(&w, 10 * SEC, 64 * MIB), 16 * 256);
	assert_calls(&w, want, 1);
	/* read again with the tree: PID 1's now unreadable, /init.scope */
	tmptree_rm(&w.t, "proc/1/cgroup");
	add_cgroup(&w, "/init.scope", true, 4 * MIB);
	w.ncalls = 0;
	td_demoter_note_promote(w.d, 0, UINT64_MAX, 20 * SEC);
	assert_int_equal(td_demoter_tick(w.d, 20 * SEC, SEC, 64 * MIB, true), (16 + 8) * 256);
	assert_calls(&w, want2, 2);
	world_free(&w);
}

/* Enough demoted: no further victim is asked; a short one: the next is
 * asked for the rest. Pages come from the pgdemote_* deltas. */
static void test_stops_when_enough(void **state)
{
	static const char *const want[] = { "/a/x", "/a/y" };
	struct world w;

	world_new(&w);
	w.weight[X] = 10;
	w.weight[Y] = 20;
	world_start(&w);
	assert_int_equal(tick(&w, 10 * SEC, 2 * MIB), 512);
	assert_calls(&w, want, 1);
	assert_int_equal(td_demoter_counters(w.d)->pages_demoted, 512);
	assert_int_equal(td_demoter_counters(w.d)->reclaim_short, 0);
	w.ncalls = 0;
	w.pct[X] = 25;
	assert_int_equal(tick(&w, 11 * SEC, 4 * MIB), 256 + 768);
	assert_calls(&w, want, 2);
	assert_int_equal(w.call_bytes[0], 4 * MIB);
	assert_int_equal(w.call_bytes[1], 3 * MIB);
	assert_int_equal(td_demoter_counters(w.d)->pages_demoted, 512 + 1024);
	assert_int_equal(td_demoter_counters(w.d)->reclaim_short, 1);
	world_free(&w);
}

/* Mode=observe/off (the unmovable hook): never asked; none left: counted. */
static void test_unmovable(void **state)
{
	static const char *const want[] = { "/a/x", "/b" };
	struct world w;

	world_new(&w);
	w.unmovable[Y] = true;
	set_percent(&w, 0);
	world_start(&w);
	assert_int_equal(tick(&w, 10 * SEC, MIB), 0);
	assert_calls(&w, want, 2);
	assert_int_equal(w.unmovable_asked, 3);	/* leaves only */
	w.unmovable[X] = w.unmovable[B] = true;
	w.ncalls = 0;
	assert_int_equal(tick(&w, 11 * SEC, MIB), 0);
	assert_int_equal(w.ncalls, 0);
	assert_int_equal(td_demoter_counters(w.d)->no_victim_ticks, 1);
	world_free(&w);
}

/* ------------------------------------------------------------ ping-pong */

/* A cgroup whose fast memory is over a tenth freshly promoted pages is not
 * asked within the window; a tenth or less does not shield it. */
static void test_pingpong_shield(void **state)
{
	static const char *const all[] = { "/a/x", "/a/y", "/b" };
	static const char *const no_x[] = { "/a/y", "/b" };
	/* x has 24 MiB fast: a tenth is 614.4 pages */
	struct world w;

	world_new(&w);
	set_percent(&w, 0);
	world_start(&w);
	td_demoter_note_promote(w.d, w.id[X], 614 * TD_PAGE_SIZE, 10 * SEC);
	assert_int_equal(tick(&w, 10 * SEC, MIB), 0);
	assert_calls(&w, all, 3);
	td_demoter_note_promote(w.d, w.id[X], TD_PAGE_SIZE, 10 * SEC);
	w.ncalls = 0;
	assert_int_equal(tick(&w, 11 * SEC, MIB), 0);
	assert_calls(&w, no_x, 2);
	w.ncalls = 0;
	assert_int_equal(tick(&w, 10 * SEC + WINDOW, MIB), 0);
	assert_calls(&w, all, 3);
	/* promotions older than the window start a new count */
	td_demoter_note_promote(w.d, w.id[X], 500 * TD_PAGE_SIZE, 20 * SEC);
	td_demoter_note_promote(w.d, w.id[X], 150 * TD_PAGE_SIZE, 20 * SEC + WINDOW);
	w.ncalls = 0;
	assert_int_equal(tick(&w, 21 * SEC + WINDOW, MIB), 0);
	assert_calls(&w, all, 3);
	world_free(&w);
}

/* A cgroup asked for room counts as recently demoted for the window. */
static void test_recently_demoted(void **state)
{
	struct world w;

	world_new(&w);
	world_start(&w);
	assert_false(td_demoter_recently_demoted(w.d, w.id[X], 10 * SEC));
	assert_int_equal(tick(&w, 10 * SEC, MIB), 256);
	assert_true(td_demoter_recently_demoted(w.d, w.id[X], 10 * SEC));
	assert_true(td_demoter_recently_demoted(w.d, w.id[X], 10 * SEC + WINDOW - 1));
	assert_false(td_demoter_recently_demoted(w.d, w.id[X], 10 * SEC + WINDOW));
	assert_false(td_demoter_recently_demoted(w.d, w.id[Y], 10 * SEC));
	assert_false(td_demoter_recently_demoted(w.d, 12345678, 10 * SEC));
	world_free(&w);
}

/* ------------------------------------------------------------ bounds */

/* What one tick asks is bounded by the rate (MB/s over the tick, spent by
 * what was demoted) and by the chunk size. */
static void test_rate_and_chunk(void **state)
{
	struct world w;

	world_new(&w);
	w.c.rate_limit_mbps = 1;
	world_start(&w);
	assert_int_equal(td_demoter_tick(w.d, 10 * SEC, SEC / 2, 8 * MIB, false), 128);
	assert_int_equal(w.ncalls, 1);
	assert_int_equal(w.call_bytes[0], MIB / 2);
	/* the budget was spent: nothing more this instant */
	assert_int_equal(td_demoter_tick(w.d, 10 * SEC, 0, 8 * MIB, false), 0);
	assert_int_equal(w.ncalls, 1);
	/* no limit on reload: each victim gives what it has, up to the chunk */
	td_demoter_reconfigure(w.d, 0, WINDOW);
	w.ncalls = 0;
	assert_int_equal(tick(&w, 11 * SEC, 64 * MIB), (24 + 16 + 8) * 256);
	assert_int_equal(w.ncalls, 3);
	assert_int_equal(w.call_bytes[0], 24 * MIB);
	assert_int_equal(w.call_bytes[1], 16 * MIB);
	/* a smaller chunk bounds one tick */
	td_demoter_free(w.d);
	w.c.chunk_bytes = 3 * MIB;
	w.c.rate_limit_mbps = 0;
	world_start(&w);
	w.ncalls = 0;
	assert_int_equal(tick(&w, 10 * SEC, 64 * MIB), 768);
	assert_int_equal(w.ncalls, 1);
	assert_int_equal(w.call_bytes[0], 3 * MIB);
	td_demoter_reconfigure(w.d, 2, WINDOW);
	w.ncalls = 0;
	assert_int_equal(td_demoter_tick(w.d, 20 * SEC, SEC / 4, 64 * MIB, false), 128);
	assert_int_equal(w.call_bytes[0], MIB / 2);
	world_free(&w);
}

/* ------------------------------------------------------------ MaxFastMemory */

static void test_shrink(void **state)
{
	static const char *const want[] = { "/a" };
	struct world w;

	world_new(&w);
	w.c.chunk_bytes = 4 * MIB;
	world_start(&w);
	assert_int_equal(td_demoter_shrink(w.d, "/", MIB, 10 * SEC), -EINVAL);
	assert_int_equal(w.ncalls, 0);
	assert_int_equal(td_demoter_shrink(w.d, "/a", 0, 10 * SEC), 0);
	assert_int_equal(w.ncalls, 0);
	/* the parent's own memory.reclaim, bounded by the chunk */
	assert_int_equal(td_demoter_shrink(w.d, "/a", 16 * MIB, 10 * SEC), 1024);
	assert_calls(&w, want, 1);
	assert_int_equal(w.call_bytes[0], 4 * MIB);
	assert_int_equal(td_demoter_counters(w.d)->pages_demoted_cap, 1024);
	assert_int_equal(td_demoter_counters(w.d)->pages_demoted, 1024);
	/* demotion_enabled was on for the write (MaxFastMemory needs demotion,
	 * not reclaim), and off again after */
	assert_int_equal(w.demotion_on_in_reclaim, 1);
	assert_int_equal(w.demotion_calls, 2);
	assert_false(w.demotion_last);
	/* its subtree was demoted, the rest not */
	assert_true(td_demoter_recently_demoted(w.d, w.id_a, 10 * SEC));
	assert_true(td_demoter_recently_demoted(w.d, w.id[X], 10 * SEC));
	assert_true(td_demoter_recently_demoted(w.d, w.id[Y], 10 * SEC));
	assert_false(td_demoter_recently_demoted(w.d, w.id[B], 10 * SEC));
	/* short: counted, pages still counted */
	set_percent(&w, 50);
	assert_int_equal(td_demoter_shrink(w.d, "/b", MIB, 11 * SEC), 128);
	assert_int_equal(td_demoter_counters(w.d)->reclaim_short, 1);
	/* a cgroup gone: the write's errno */
	assert_int_equal(td_demoter_shrink(w.d, "/gone", MIB, 11 * SEC), -ENOENT);
	world_free(&w);
}

static void test_shrink_rate(void **state)
{
	struct world w;

	world_new(&w);
	w.c.rate_limit_mbps = 1;
	world_start(&w);
	/* the bucket starts empty and shrink adds no time of its own */
	assert_int_equal(td_demoter_shrink(w.d, "/b", MIB, 10 * SEC), 0);
	assert_int_equal(w.ncalls, 0);
	assert_int_equal(td_demoter_tick(w.d, 10 * SEC, SEC / 4, 0, false), 0);
	assert_int_equal(td_demoter_shrink(w.d, "/b", MIB, 10 * SEC), 64);
	assert_int_equal(w.call_bytes[0], MIB / 4);
	world_free(&w);
}

/* ------------------------------------------------------------ dry run, files */

/* Dry run: demotion never switched and no memory.reclaim written (the
 * real writer, no fake: the files stay empty). */
static void test_dry_run(void **state)
{
	const char *const files[] = { "cg/memory.reclaim", "cg/a/memory.reclaim",
				      "cg/a/x/memory.reclaim", "cg/a/y/memory.reclaim",
				      "cg/b/memory.reclaim" };
	struct world w;
	char buf[32];

	world_new(&w);
	w.c.dry_run = true;
	w.c.reclaim = NULL;
	world_start(&w);
	assert_int_equal(tick(&w, 10 * SEC, 4 * MIB), 0);
	assert_int_equal(td_demoter_shrink(w.d, "/a", 4 * MIB, 10 * SEC), 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		assert_string_equal(tmptree_read(&w.t, files[i], buf, sizeof(buf)), "");
	assert_int_equal(td_demoter_counters(w.d)->reclaim_calls, 0);
	td_demoter_free(w.d);
	w.d = NULL;
	assert_int_equal(w.demotion_calls, 0);
	world_free(&w);
}

/* The default writer: the byte count in memory.reclaim. The fake vmstat
 * does not move, so every victim is asked. */
static void test_default_writer(void **state)
{
	struct world w;
	char buf[32];

	world_new(&w);
	w.c.reclaim = NULL;
	w.weight[B] = 1;
	world_start(&w);
	assert_int_equal(tick(&w, 10 * SEC, 3 * MIB), 0);
	assert_string_equal(tmptree_read(&w.t, "cg/b/memory.reclaim", buf, sizeof(buf)), "3145728");
	assert_string_equal(tmptree_read(&w.t, "cg/a/x/memory.reclaim", buf, sizeof(buf)), "3145728");
	assert_string_equal(tmptree_read(&w.t, "cg/memory.reclaim", buf, sizeof(buf)), "");
	assert_string_equal(tmptree_read(&w.t, "cg/a/memory.reclaim", buf, sizeof(buf)), "");
	assert_int_equal(td_demoter_counters(w.d)->pages_demoted, 0);
	assert_int_equal(td_demoter_reclaim_write(NULL, "/nonexistent/memory.reclaim", 1), -ENOENT);
	world_free(&w);
}

/* A rescan finds new cgroups and forgets removed ones, keeping what it
 * knew of the rest (their events). */
static void test_rescan(void **state)
{
	static const char *const before[] = { "/a/x", "/b" };
	static const char *const after[] = { "/c", "/a/x", "/b" };
	struct world w;

	world_new(&w);
	set_percent(&w, 0);
	world_start(&w);
	for (int i = 0; i < 64; i++)
		td_demoter_note_event(w.d, w.id[B], SEC);
	tmptree_rm(&w.t, "cg/a/y");
	add_cgroup(&w, "/c", true, 4 * MIB);
	assert_int_equal(tick(&w, 10 * SEC, MIB), 0);	/* no rescan: /a/y gone, /c unknown */
	assert_calls(&w, before, 2);
	w.ncalls = 0;
	for (int i = 0; i < 64; i++)
		td_demoter_note_event(w.d, w.id[X], 2 * SEC);
	assert_int_equal(td_demoter_tick(w.d, 11 * SEC, SEC, MIB, /* rescan= */ true), 0);
	assert_calls(&w, after, 3);
	assert_int_equal(td_demoter_counters(w.d)->cgroups, 5);
	world_free(&w);
}

/* More cgroups than the demoter once knew (4,096), each a leaf under /m:
 * all are counted, /m is a parent, and the one cgroup walked last (the
 * biggest) is still asked first. */
static void test_many_cgroups(void **state)
{
	static const char *const want[] = { "/m/c4999" };
	enum { N = 5000 };
	struct world w;
	char rel[64];

	world_new(&w);
	set_percent(&w, 100);
	tmptree_mkdir(&w.t, "cg/m");
	tmptree_write(&w.t, "cg/m/memory.reclaim", "%s", "");
	for (int i = 0; i < N; i++) {
		snprintf(rel, sizeof(rel), "cg/m/c%04d", i);
		tmptree_mkdir(&w.t, rel);
		snprintf(rel, sizeof(rel), "cg/m/c%04d/memory.reclaim", i);
		tmptree_write(&w.t, rel, "%s", "");
	}
	add_cgroup(&w, "/m/c4999", true, 512 * MIB);	/* after its siblings' files */
	set_numastat(&w, "/m", 1024 * MIB, 0, 0);	/* the parent: never asked */
	world_start(&w);
	assert_int_equal(td_demoter_counters(w.d)->cgroups, 5 + 1 + N);
	assert_int_equal(tick(&w, 10 * SEC, MIB), td_bytes_to_pages(MIB));
	assert_calls(&w, want, 1);
	world_free(&w);
}

/* Pages are the asked cgroup's own pgdemote_direct (+ _proactive) delta:
 * kswapd's demotions meanwhile (vmstat) are not tieringd's. Without
 * pgdemote_* in memory.stat (6.1), vmstat's pgdemote_direct alone. */
static void test_counts_cgroup_direct(void **state)
{
	struct world w;

	world_new(&w);
	world_start(&w);
	w.pgdemote = 100000;	/* kswapd's, since start */
	write_vmstat(&w);
	assert_int_equal(tick(&w, 10 * SEC, 2 * MIB), 512);
	assert_int_equal(td_demoter_counters(w.d)->pages_demoted, 512);
	/* kswapd's own figure, apart: as of the tick's start */
	assert_int_equal(td_demoter_counters(w.d)->pages_demoted_kswapd, 100000);
	assert_int_equal(tick(&w, 11 * SEC, 0), 0);
	assert_int_equal(td_demoter_counters(w.d)->pages_demoted_kswapd, 100512);
	world_free(&w);

	world_new(&w);
	w.no_memcg_demote = true;
	for (unsigned k = 0; k < w.nstat; k++)
		stat_demote(&w, w.stat_path[k], 0);
	world_start(&w);
	assert_int_equal(tick(&w, 10 * SEC, 2 * MIB), 512);
	assert_int_equal(w.pgdemote, 512);	/* kswapd did as much: not counted */
	world_free(&w);

	/* newer kernels: memory.reclaim's demotions in pgdemote_proactive,
	 * pgdemote_direct 0 (it was read as nothing demoted, asked again) */
	world_new(&w);
	w.proactive = true;
	for (unsigned k = 0; k < w.nstat; k++)
		stat_demote(&w, w.stat_path[k], 0);
	world_start(&w);
	assert_int_equal(tick(&w, 10 * SEC, 2 * MIB), 512);
	assert_int_equal(td_demoter_counters(w.d)->pages_demoted, 512);
	assert_int_equal(w.ncalls, 1);
	world_free(&w);
}

/* memory.stat / vmstat / meminfo lines: the key, a space, the number. */
static void test_stat_value(void **state)
{
	const char *text = "pgdemote_kswapd 5\npgdemote_direct_x 9\npgdemote_direct 42\n"
			   "SwapTotal:       524284 kB\nlast 7";
	uint64_t v = 1;

	assert_int_equal(td_demoter_stat_value(text, "pgdemote_direct", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(td_demoter_stat_value(text, "SwapTotal:", &v), 0);
	assert_int_equal(v, 524284);
	assert_int_equal(td_demoter_stat_value(text, "last", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(td_demoter_stat_value(text, "pgdemote", &v), -ENOENT);
	assert_int_equal(td_demoter_stat_value(text, "direct", &v), -ENOENT);
	assert_int_equal(td_demoter_stat_value("", "last", &v), -ENOENT);
}

static void set_swap_max(struct world *w, int leaf, const char *v)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "cg%s/memory.swap.max", leaves[leaf]);
	tmptree_write(&w->t, rel, "%s", v);
}

/* Swap on: memory.swap.max is 0 during each write and the operator's value
 * after; a cgroup without memory.swap.max is never asked; one that swapped
 * anyway is not asked again. Swap off: the files are left alone. */
static void test_swap_fenced(void **state)
{
	static const char *const want[] = { "/a/x", "/a/y", "/a/x" };
	char buf[32], want_rec[PATH_MAX + 32];
	struct world w;

	world_new(&w);
	w.swap = true;
	write_vmstat(&w);
	set_swap_max(&w, X, "max\n");
	set_swap_max(&w, Y, "0\n");
	tmptree_path(&w.t, "run/swap-fence", w.fence, sizeof(w.fence));
	w.c.fence_file = w.fence;
	world_start(&w);
	assert_int_equal(tick(&w, 10 * SEC, 2 * MIB), 512);
	assert_string_equal(w.swap_max_seen[0], "0");
	assert_string_equal(tmptree_read(&w.t, "cg/a/x/memory.swap.max", buf, sizeof(buf)), "max");
	/* recorded for a crash during the write, and gone after it */
	snprintf(want_rec, sizeof(want_rec), "%s/a/x/memory.swap.max\nmax\n", w.cg);
	assert_string_equal(w.fence_seen, want_rec);
	assert_int_equal(access(w.fence, F_OK), -1);
	/* Y: already 0, asked as it is; B: no memory.swap.max, never asked */
	w.pct[X] = 0;
	w.ncalls = 0;
	assert_int_equal(tick(&w, 11 * SEC, 64 * MIB), 16 * 256);
	assert_calls(&w, want, 2);
	assert_string_equal(w.swap_max_seen[1], "0\n");
	assert_int_equal(td_demoter_counters(w.d)->swap_refused, 1);
	assert_int_equal(td_demoter_counters(w.d)->swap_seen, 0);
	/* X swaps despite the fence: asked this once more, then never */
	w.swap_leak = true;
	w.pct[X] = 100;
	w.ncalls = 0;
	assert_int_equal(tick(&w, 12 * SEC, 2 * MIB), 512);
	assert_int_equal(td_demoter_counters(w.d)->swap_seen, 1);
	w.ncalls = 0;
	w.swap_leak = false;
	assert_int_equal(tick(&w, 13 * SEC, 2 * MIB), 512);
	assert_calls(&w, want + 1, 1);
	assert_int_equal(td_demoter_counters(w.d)->swap_refused, 1);
	world_free(&w);

	/* swap off: memory.swap.max untouched, every cgroup may be asked */
	world_new(&w);
	set_swap_max(&w, X, "max\n");
	world_start(&w);
	assert_int_equal(tick(&w, 10 * SEC, 2 * MIB), 512);
	assert_string_equal(w.swap_max_seen[0], "max\n");
	assert_int_equal(td_demoter_counters(w.d)->swap_refused, 0);
	world_free(&w);
}

/* A record left by a tieringd killed mid-write: the value goes back if
 * the file still reads 0, at the next start (or --restore-kernel-state). */
static void test_restore_fence(void **state)
{
	struct world w;
	char buf[64];

	world_new(&w);
	tmptree_path(&w.t, "run/swap-fence", w.fence, sizeof(w.fence));
	assert_int_equal(td_demoter_restore_fence(w.fence), 0);	/* no record */
	tmptree_mkdir(&w.t, "run");
	set_swap_max(&w, X, "0\n");
	tmptree_write(&w.t, "run/swap-fence", "%s/a/x/memory.swap.max\n4G\n", w.cg);
	assert_int_equal(td_demoter_restore_fence(w.fence), 1);
	assert_string_equal(tmptree_read(&w.t, "cg/a/x/memory.swap.max", buf, sizeof(buf)), "4G");
	assert_int_equal(access(w.fence, F_OK), -1);
	/* changed since (not 0): left as it is */
	set_swap_max(&w, X, "1G\n");
	tmptree_write(&w.t, "run/swap-fence", "%s/a/x/memory.swap.max\nmax\n", w.cg);
	assert_int_equal(td_demoter_restore_fence(w.fence), 0);
	assert_string_equal(tmptree_read(&w.t, "cg/a/x/memory.swap.max", buf, sizeof(buf)), "1G\n");
	tmptree_write(&w.t, "run/swap-fence", "garbage");
	assert_int_equal(td_demoter_restore_fence(w.fence), -EINVAL);
	assert_int_equal(access(w.fence, F_OK), -1);
	/* at start */
	set_swap_max(&w, Y, "0");
	tmptree_write(&w.t, "run/swap-fence", "%s/a/y/memory.swap.max\nmax\n", w.cg);
	w.c.fence_file = w.fence;
	world_start(&w);
	assert_string_equal(tmptree_read(&w.t, "cg/a/y/memory.swap.max", buf, sizeof(buf)), "max");
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tmptree_test(test_demotion_switched),
		tmptree_test(test_demotion_switch_fails),
		tmptree_test(test_demotion_no_switch),
		tmptree_test(test_new_bad_root),
		tmptree_test(test_victim_order),
		tmptree_test(test_victim_order_size_and_aging),
		tmptree_test(test_fast_anon_only),
		tmptree_test(test_room_per_node),
		tmptree_test(test_room_not_asked_twice),
		tmptree_test(test_room_not_asked_twice_per_node),
		tmptree_test(test_self_never_victim),
		tmptree_test(test_stops_when_enough),
		tmptree_test(test_unmovable),
		tmptree_test(test_pingpong_shield),
		tmptree_test(test_recently_demoted),
		tmptree_test(test_rate_and_chunk),
		tmptree_test(test_shrink),
		tmptree_test(test_shrink_rate),
		tmptree_test(test_dry_run),
		tmptree_test(test_default_writer),
		tmptree_test(test_rescan),
		tmptree_test(test_many_cgroups),
		tmptree_test(test_counts_cgroup_direct),
		tmptree_test(test_stat_value),
		tmptree_test(test_swap_fenced),
		tmptree_test(test_restore_fence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
