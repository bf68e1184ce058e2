// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon.c - the daemon owns the pipeline's stages: start-up, reload,
 * counters and teardown. Start-up reads as phases (td_daemon_new):
 * topology -> stages (table, groups, promoter, demoter) -> sources (open,
 * load, attach) -> loop (loop.c) -> control socket -> kernel settings ->
 * ready. The loop and the control verbs get a struct td_pipeline
 * (pipeline.h), never this file's struct td_daemon.
 */
#include <errno.h>
#include <malloc.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "counters.h"
#include "daemon.h"
#include "hotness.h"
#include "loop.h"
#include "move/demoter.h"
#include "move/kernel.h"
#include "move/promoter.h"
#include "move/topology.h"
#include "ops/control.h"
#include "ops/log.h"
#include "ops/notify.h"
#include "ops/privs.h"
#include "ops/selfstat.h"
#include "ops/server.h"
#include "pipeline.h"
#include "policy/cgroupfs.h"
#include "policy/conffile.h"
#include "policy/groups.h"
#include "source/folio.h"
#include "source/reap.h"
#include "source/sources.h"
#include "units.h"

struct td_daemon {
	struct td_pipeline pipe;	/* the stages, lent to the loop and the verbs */
	struct td_daemon_options opt;
	struct td_config *conf;		/* ours: replaced on reload */
	struct td_kernel *kernel;	/* the kernel settings tieringd changes */
	char cgroup_root[PATH_MAX];	/* the cgroup v2 mount */
	char limitation[256];
	struct td_loop *loop;
	struct td_server *server;
	struct td_folio *folio;		/* orders of sampled addresses; NULL without sampling */
	struct td_privs *privs;		/* the capability drop and its restorer */
	struct td_selfstat *self;	/* the daemon's own cost */
	/* intake and reload counters (the registry's; the stages keep theirs) */
	uint64_t events_received, events_by_source[TD_SRC__ACCESS_MAX], events_on_slow;
	uint64_t events_slow_latency;	/* hint faults too long after the scan */
	uint64_t process_events[2];	/* exec, exit (TD_CTR_PROCESS_EVENTS) */
	uint64_t record_errors;
	uint64_t processes_reaped, last_reap_ns;
	uint64_t cgroups_marked, cgroup_map_full;
	/* the kernel's cgroup map: entries the walk in progress wrote, entries
	 * deleted for cgroups gone, the last walk whose leftovers were deleted;
	 * rescan calls (one per tick) */
	uint64_t cgroups_marking, cgroup_map_pruned, map_pruned_walk, rescans;
	uint64_t reloads, reload_failures;
};

static void sync_cgroups(struct td_daemon *d);
static int reload(struct td_daemon *d, char *errbuf, size_t errlen);
static void counters(const struct td_daemon *d, struct td_counters *ret);


/* Where the page will be: the kernel's target when it migrates the page
 * itself (our entry would be stale otherwise), else where it is. */
static int event_node(const struct td_event *e)
{
	if (e->flags & TD_EVF_KERNEL_MIGRATES)
		return e->target_nid;
	if (e->flags & TD_EVF_NID_UNKNOWN)
		return TD_HOTNESS_NODE_UNKNOWN;
	return e->page_nid;
}

/* The accessing CPU's node: target_nid is bpf_get_numa_node_id() at the
 * access, or the kernel's target when it migrates the page, which NUMA
 * balancing takes from the faulting CPU's node too. */
static int8_t event_cpu_node(const struct td_event *e)
{
	return e->target_nid >= 0 && e->target_nid < TD_MAX_NODES ? (int8_t)e->target_nid
								 : TD_HOTNESS_NODE_UNKNOWN;
}

/* Forgets the processes that exited (source/reap.h). */
static void reap(struct td_daemon *d, uint64_t now_ns)
{
	d->processes_reaped += td_reap_dead(d->pipe.hot, td_reap_alive_kill, NULL);
	d->last_reap_ns = now_ns;
}

/*
 * Records one access. A full process table is full of the dead, usually:
 * reap them (at most once a second) and try again, so a new process is
 * never refused for processes that are gone.
 */
static int record(struct td_daemon *d, const struct td_hotness_access *a, uint64_t ts_ns)
{
	int r = td_hotness_record(d->pipe.hot, a, ts_ns);

	if (r != -ENOSPC || ts_ns - d->last_reap_ns < 1000000000ULL)
		return r;
	reap(d, ts_ns);
	td_hotness_sweep(d->pipe.hot, ts_ns, UINT32_MAX);
	return td_hotness_record(d->pipe.hot, a, ts_ns);
}

/*
 * Process lifecycle (TD_SRC_EXEC, TD_SRC_EXIT; not accesses, so not
 * counted as events): both forget the process. After an exec the old
 * image's addresses name other memory, so nothing learned from it may be
 * moved; the new image's events register the process afresh. The ring
 * buffer keeps the order of reservation, so every event of the old image
 * is handled before this one, every event of the new one after.
 */
static void on_process_event(struct td_daemon *d, const struct td_event *e)
{
	d->process_events[e->source == TD_SRC_EXEC ? 0 : 1]++;
	/* -ENOENT: a process tieringd never learned, the usual case */
	td_hotness_forget_process(d->pipe.hot, e->tgid);
	if (d->folio)
		td_folio_forget(d->folio, e->tgid);	/* its pagemap fd reads the old mm */
}

/* The event's folio order for the table: unknown stays unknown (the
 * table then asks the resolver, for sampled addresses). */
static uint8_t event_order(const struct td_event *e)
{
	if (e->order == TD_ORDER_UNKNOWN || e->order > TD_HOTNESS_ORDER_MAX)
		return TD_HOTNESS_ORDER_UNKNOWN;
	return e->order;
}

/* The kernel itself migrates this folio from a slow to a fast node (its
 * tiering mode decided so in the hint fault): counted for the cgroup. */
static void note_kernel_promote(struct td_daemon *d, const struct td_event *e, uint8_t order)
{
	if (!(e->flags & TD_EVF_KERNEL_MIGRATES) || !td_node_in(d->pipe.slow_mask, e->page_nid) ||
	    !td_node_in(d->pipe.fast_mask, e->target_nid))
		return;
	td_groups_note_kernel_promote(d->pipe.groups, e->memcg_id,
				      td_folio_bytes(order == TD_HOTNESS_ORDER_UNKNOWN ? 0 : order),
				      e->ts_ns);
}

/*
 * The kernel's default numa_balancing_hot_threshold (hot_threshold_ms,
 * 1000 ms): in tiering mode it promotes no slow folio that faulted this
 * long after the scan armed it. A folio read all the time faults right
 * after the scan; one of a region swept every few seconds, up to a sweep
 * later, at about the same rate under the scanner, so only the latency
 * tells them apart.
 */
#define TD_SLOW_LATENCY_MS 1000

/* A hint fault on a slow node long after the scan, that the kernel does
 * not migrate itself: not evidence of hotness. */
static bool slow_latency(const struct td_daemon *d, const struct td_event *e)
{
	return e->source == TD_SRC_HINT_FAULT && e->latency_ms != TD_LATENCY_UNKNOWN &&
	       e->latency_ms >= TD_SLOW_LATENCY_MS && !(e->flags & TD_EVF_KERNEL_MIGRATES) &&
	       td_node_in(d->pipe.slow_mask, e->page_nid);
}

static void on_event(const struct td_event *e, void *userdata)
{
	struct td_daemon *d = userdata;
	struct td_hotness_access a = {
		.addr = e->addr, .memcg_id = e->memcg_id, .start_time = e->start_time,
		.tgid = e->tgid, .node = event_node(e), .order = event_order(e),
		.cpu_node = event_cpu_node(e),
	};

	if (e->source == TD_SRC_EXEC || e->source == TD_SRC_EXIT) {
		on_process_event(d, e);
		return;
	}
	d->events_received++;
	/* an id the cache does not know: resolved from this process, no walk */
	td_groups_resolve(d->pipe.groups, e->memcg_id, e->tgid, e->ts_ns);
	if (e->source < TD_SRC__ACCESS_MAX)
		d->events_by_source[e->source]++;
	if (td_node_in(d->pipe.slow_mask, e->page_nid))
		d->events_on_slow++;
	if (slow_latency(d, e)) {
		d->events_slow_latency++;
		/* -ENOENT: no entry, nothing to correct; an event raised
		 * before our last move of the folio is not its node now */
		td_hotness_note_node(d->pipe.hot, e->tgid, e->addr, e->page_nid, e->ts_ns);
	} else if (record(d, &a, e->ts_ns) < 0)
		d->record_errors++;
	if (d->pipe.demoter)
		td_demoter_note_event(d->pipe.demoter, e->memcg_id, e->ts_ns);
	note_kernel_promote(d, e, a.order);
}

static bool hook_recently_demoted(void *ctx, uint64_t memcg_id, uint64_t now)
{
	struct td_daemon *d = ctx;

	return d->pipe.demoter && td_demoter_recently_demoted(d->pipe.demoter, memcg_id, now);
}

static void hook_promoted(void *ctx, uint64_t memcg_id, uint64_t bytes, uint64_t now)
{
	struct td_daemon *d = ctx;

	if (d->pipe.demoter)
		td_demoter_note_promote(d->pipe.demoter, memcg_id, bytes, now);
}

/*
 * In tiering mode the kernel's scanner skips top-tier nodes; a kernel that
 * puts the slow nodes into the top tier too (6.1 ignores HMAT for tiers)
 * scans nothing and yields no hint faults: say so, precisely.
 */
static void check_tiers(struct td_daemon *d)
{
	int tier[TD_MAX_NODES], ntiers = td_topology_tiers("/sys", tier), fast_tier = -1;

	for (int n = 0; n < TD_MAX_NODES; n++)
		if (td_node_in(d->pipe.fast_mask, n) && tier[n] >= 0)
			fast_tier = tier[n];
	for (int n = 0; n < TD_MAX_NODES; n++) {
		if (!td_node_in(d->pipe.slow_mask, n) || tier[n] < 0 || tier[n] != fast_tier)
			continue;
		if (d->pipe.cfg->numa_balancing == 2 && (d->pipe.cfg->sources & TD_SOURCES_HINT))
			snprintf(d->limitation, sizeof(d->limitation),
				 "the kernel puts slow node %d in the same memory tier as the fast nodes "
				 "(memory_tier%d), so numa_balancing=2 scans no slow page and raises no hint faults",
				 n, tier[n]);
		break;
	}
	if (d->limitation[0])
		td_warn("limitation: %s", d->limitation);
	td_debug("memory tiers in sysfs: %d", ntiers);
}

static bool mode_managed(enum td_mode m)
{
	return m != TD_MODE_OFF;
}

static int hook_group_of(void *ctx, uint64_t memcg_id)
{
	struct td_daemon *d = ctx;

	return td_groups_of(d->pipe.groups, memcg_id, td_now_ns());
}

/* Pages tieringd must not move: Mode=observe or off, paused, or a cgroup it
 * cannot place in a group now. */
static bool hook_unmovable(void *ctx, uint64_t memcg_id)
{
	struct td_daemon *d = ctx;
	int g = hook_group_of(ctx, memcg_id);
	const struct td_policy_group *pg = td_groups_policy(d->pipe.groups);

	return d->pipe.paused || g < 0 || pg[g].mode != TD_MODE_PROMOTE || pg[g].paused;
}

static uint32_t hook_weight(void *ctx, uint64_t memcg_id)
{
	struct td_daemon *d = ctx;
	int g = hook_group_of(ctx, memcg_id);

	return g < 0 ? 100 : td_groups_policy(d->pipe.groups)[g].weight;
}

/* The bytes the promoter's waiting folios want on each node (the demoter
 * makes room there). */
static void hook_room_nodes(void *ctx, uint64_t ret[TD_MAX_NODES])
{
	struct td_daemon *d = ctx;

	if (d->pipe.promoter)
		memcpy(ret, td_promoter_counters(d->pipe.promoter)->waiting_node_bytes,
		       sizeof(uint64_t) * TD_MAX_NODES);
}

static void hook_page_done(void *ctx, int group, const struct td_candidate *c,
			   enum td_move_outcome o, int status)
{
	struct td_daemon *d = ctx;

	td_groups_account(d->pipe.groups, group, o, status, td_folio_bytes(c->order));
}

static void hook_batch_done(void *ctx, const struct td_batch_result *b)
{
	struct td_daemon *d = ctx;
	const char *path = td_groups_path_of(d->pipe.groups, b->memcg_id, td_now_ns());

	td_log_promote_batch(path, b, td_now_ns());
}

/*
 * Per cgroup of a walk: the in-kernel map (Mode=off is filtered there)
 * holds the cgroups whose mode is not the default's, stamped with the walk;
 * the others need no entry (td_runtime.default_managed answers for them).
 */
static void mark_cgroup(uint64_t id, const char *path, const struct td_group *g,
			enum td_mode mode, void *userdata)
{
	struct td_daemon *d = userdata;
	uint32_t walk = (uint32_t)td_groups_walk_generation(d->pipe.groups);

	if (mode_managed(mode) == mode_managed(d->pipe.cfg->default_mode))
		return;
	if (td_sources_set_cgroup(d->pipe.sources, id, mode_managed(mode), walk) < 0) {
		d->cgroup_map_full++;
		return;
	}
	d->cgroups_marking++;
}

/* After a walk completed: what it did not mark leaves the kernel's map
 * (removed cgroups, and those back at the default mode). */
static void prune_cgroup_map(struct td_daemon *d)
{
	uint64_t walk = td_groups_walk_done_generation(d->pipe.groups);
	int r;

	if (walk == d->map_pruned_walk)
		return;
	d->map_pruned_walk = walk;
	d->cgroups_marked = d->cgroups_marking;
	d->cgroups_marking = 0;
	r = td_sources_prune_cgroups(d->pipe.sources, (uint32_t)walk);
	if (r < 0)
		td_warn("pruning the kernel's cgroup map failed (%s), ignoring", strerror(-r));
	else
		d->cgroup_map_pruned += r;
}

/* A new configuration, or the start: the whole tree now. */
static void sync_cgroups(struct td_daemon *d)
{
	int r;

	d->cgroups_marking = 0;
	r = td_groups_apply(d->pipe.groups, d->conf, mark_cgroup, d);
	if (r < 0)
		td_warn("walking the cgroup tree failed (%s), ignoring", strerror(-r));
	prune_cgroup_map(d);
}

static void report_sources(const struct td_daemon *d)
{
	char fast[64], slow[64];
	const char *lifecycle;
	bool lc = td_sources_lifecycle(d->pipe.sources, &lifecycle);

	td_info("topology: fast nodes %s, slow nodes %s",
		td_nodemask_str(d->pipe.fast_mask, fast, sizeof(fast)),
		td_nodemask_str(d->pipe.slow_mask, slow, sizeof(slow)));
	for (int i = 0; i < TD_SOURCE__MAX; i++) {
		const struct td_source_status *st = td_sources_status(d->pipe.sources, i);

		td_info("source %s: %s, %s", st->name,
			st->attached ? "attached" : "not attached", st->hook);
	}
	td_info("process lifecycle: %s, %s%s", lc ? "attached" : "not attached", lifecycle,
		lc ? "" : " (exits are reaped every rescan; execs not seen)");
}

/* The promoter's knobs from the configuration in force. */
static void promoter_config(struct td_daemon *d, struct td_promoter_config *ret)
{
	*ret = (struct td_promoter_config){
		.fast_mask = d->pipe.fast_mask, .slow_mask = d->pipe.slow_mask,
		.batch_pages = d->pipe.cfg->batch_size,
		.move_workers = d->pipe.cfg->move_workers,
		.rate_limit_mbps = d->pipe.cfg->rate_limit_mbps,
		.watermark_bytes = d->pipe.cfg->fast_watermark_bytes,
		.max_candidates = 65536, .retry_backoff_ns = 100000000ULL,
		.half_life_ns = d->pipe.cfg->hotness_half_life_ms * 1000000ULL,
		.dry_run = d->opt.dry_run,
		.resolve_nodes = d->pipe.cfg->sources & TD_SOURCES_SAMPLE,
		.override_placement = d->pipe.cfg->override_placement,
		.recently_demoted = hook_recently_demoted, .promoted = hook_promoted,
		.group_of = hook_group_of, .page_done = hook_page_done,
		.batch_done = hook_batch_done, .hook_ctx = d,
	};
}

/* The cgroup v2 hierarchy with the memory controller, found through
 * libcgroup (or /proc/self/mountinfo when libcgroup cannot start). */
static void find_cgroup_root(struct td_daemon *d)
{
	struct td_cgroupfs_root cr;
	int r = td_cgroupfs_find_root(&cr);

	if (cr.libcgroup_error[0])
		td_warn("libcgroup: %s; using /proc/self/mountinfo", cr.libcgroup_error);
	if (r < 0) {
		td_warn("no cgroup v2 memory hierarchy found (%s), assuming %s",
			strerror(-r), TD_CGROUP_ROOT);
		snprintf(d->cgroup_root, sizeof(d->cgroup_root), "%s", TD_CGROUP_ROOT);
		return;
	}
	snprintf(d->cgroup_root, sizeof(d->cgroup_root), "%s", cr.path);
	td_debug("cgroup v2 memory hierarchy at %s", d->cgroup_root);
}

/* The control socket: socket-activated, or bound here. */
static int listen_socket(struct td_daemon *d)
{
	struct td_server_params sp = {
		.path = d->opt.socket_path ? d->opt.socket_path : TD_DEFAULT_SOCKET,
		.group = "tieringd", .handle = td_control_handle, .ctx = &d->pipe,
	};
	int r;

	r = td_server_new(&sp, td_loop_event(d->loop), &d->server);
	if (r)
		return td_err(r, "control socket %s", sp.path);
	td_info("control socket %s%s",
		td_server_path(d->server) ? td_server_path(d->server) : "(passed by systemd)",
		td_server_activated(d->server) ? " (socket-activated)" : "");
	return 0;
}

/* The fast and slow nodes: detected, or as the configuration says. */
static int open_topology(struct td_daemon *d)
{
	const struct td_daemon_config *cfg = d->pipe.cfg;
	int r = td_topology_detect(&d->pipe.fast_mask, &d->pipe.slow_mask);

	if (r)
		return r;
	if (!cfg->fast_nodes_auto)
		d->pipe.fast_mask = cfg->fast_nodes;
	if (!cfg->slow_nodes_auto)
		d->pipe.slow_mask = cfg->slow_nodes;
	d->pipe.slow_mask &= ~d->pipe.fast_mask;
	return 0;
}

/* The demoter's demotion_enabled switch: the kernel settings' owner. */
static int hook_demotion(void *ctx, bool on)
{
	struct td_daemon *d = ctx;

	return td_kernel_demotion(d->kernel, on);
}

static int open_demoter(struct td_daemon *d)
{
	const struct td_daemon_config *cfg = d->pipe.cfg;
	struct td_demoter_config dc = {
		.cgroup_root = d->cgroup_root, .proc_root = "/proc",
		.fast_mask = d->pipe.fast_mask, .rate_limit_mbps = cfg->demote_rate_limit_mbps,
		.chunk_bytes = 64ULL << 20,
		.pingpong_window_ns = cfg->pingpong_window_ms * 1000000ULL,
		.dry_run = d->opt.dry_run,
		.unmovable = hook_unmovable, .weight = hook_weight, .demotion = hook_demotion,
		.room_nodes = hook_room_nodes, .hook_ctx = d, .fence_file = TD_DEMOTER_FENCE_FILE,
	};
	int r;

	if (!cfg->demotion)
		return 0;
	r = td_demoter_new(&dc, &d->pipe.demoter);
	if (r == -ENOMEM)
		return r;
	if (r)
		td_warn("demotion unavailable, promoting only");
	return 0;
}

/* The stages that decide and move: table, groups, promoter, demoter. */
static int open_stages(struct td_daemon *d)
{
	const struct td_daemon_config *cfg = d->pipe.cfg;
	struct td_hotness_params hp = {
		.capacity = cfg->hotness_capacity,
		.half_life_ns = cfg->hotness_half_life_ms * 1000000ULL,
	};
	struct td_promoter_config pc;
	int r;

	r = td_hotness_new(&hp, &d->pipe.hot);
	if (r)
		return td_err(r, "hotness table");
	find_cgroup_root(d);
	r = td_groups_new(d->cgroup_root, d->pipe.fast_mask, d->pipe.slow_mask, &d->pipe.groups);
	if (r)
		return r;
	promoter_config(d, &pc);
	r = td_promoter_new(&pc, td_move_ops_syscall(), td_node_ops_sys(), d->pipe.hot,
			    &d->pipe.promoter);
	return r ? r : open_demoter(d);
}

/*
 * Samples carry no folio: the table asks source/folio.c for the order of
 * an address it does not cover yet (pagemap + kpageflags). Without it
 * (no CAP_SYS_ADMIN for kpageflags) a sampled address is a base page.
 */
static void open_folio(struct td_daemon *d)
{
	struct td_folio_params fp = { .proc_root = "/proc", .kpageflags = "/proc/kpageflags" };
	int r;

	if (!td_sources_status(d->pipe.sources, TD_SOURCE_SAMPLE)->attached)
		return;
	r = td_folio_new(&fp, &d->folio);
	if (r) {
		td_warn("folio sizes of sampled addresses unknown (/proc/kpageflags: %s): "
			"counted as base pages", strerror(-r));
		return;
	}
	td_hotness_set_order_resolver(d->pipe.hot, td_folio_resolve, d->folio);
}

/* The access sources: BPF open, configure, load, attach. */
static int open_sources(struct td_daemon *d)
{
	const struct td_daemon_config *cfg = d->pipe.cfg;
	struct td_sources_params sp = {
		.hint_faults = cfg->sources & TD_SOURCES_HINT,
		.hint_hook = cfg->hint_hook,	/* enum td_hint_hook: chain index + 1 */
		.sampling = cfg->sources & TD_SOURCES_SAMPLE,
		.sample_period = cfg->sample_period,
		.ringbuf_bytes = cfg->ring_buffer_bytes,
		.fast_node_mask = d->pipe.fast_mask,
		.self_tgid = getpid(),
		/* always on: a reload may turn a cgroup off; unknown ones get the default */
		.filter_cgroups = true,
		.default_managed = mode_managed(cfg->default_mode),
		.on_event = on_event, .userdata = d,
	};
	int r = td_sources_new(&sp, &d->pipe.sources);

	if (r == -ENOENT) {
		report_sources(d);
		/* why each one did not is in the source lines above: no errno text */
		td_log(LOG_ERR, "no access source could be attached: none of the hooks above "
		       "exists in this kernel or could be loaded");
		return -ENOENT;
	}
	if (r)
		return r;
	report_sources(d);
	open_folio(d);
	sync_cgroups(d);
	td_info("cgroup filter: %" PRIu64 " cgroups in the kernel's map", d->cgroups_marked);
	return 0;
}

/* Everything runs: the kernel's settings, the first metrics, READY=1. */
static void ready(struct td_daemon *d)
{
	char st[256];

	td_kernel_apply(d->kernel, d->pipe.cfg);
	/* nothing is loaded, attached or opened past this point (ops/privs.h) */
	(void)td_privs_drop(&(struct td_privs_params){
		.sys_admin = d->folio != NULL, .restorer = !d->opt.no_restorer, .kernel = d->kernel,
	}, &d->privs);
	/* after the drop: the workers are born with the dropped sets */
	if (d->pipe.promoter && td_promoter_start_workers(d->pipe.promoter) < 0)
		td_warn("MoveWorkers=%u: making the calls one after the other",
			d->pipe.cfg->move_workers);
	check_tiers(d);
	/* start-up's garbage (libbpf's parse of the kernel's BTF, the
	 * verifier's log) is freed by now: give its pages back */
	malloc_trim(0);
	d->pipe.start_ns = td_now_ns();
	td_loop_write_metrics(d->loop);
	/* the last start-up line: tests and operators wait for it */
	td_log_id(LOG_INFO, TD_MESSAGE_ID_START, "ready");
	td_control_status_line(&d->pipe, st, sizeof(st));
	td_notify_ready_status(st);
}

static void ops_counters(void *ud, struct td_counters *ret)
{
	counters(ud, ret);
}

static int ops_reload(void *ud, char *err, size_t errlen)
{
	return reload(ud, err, errlen);
}

/* Cgroups the background walk visits per tick: the tree's size does not
 * bound a tick's work (a delegated subtree may hold any number). */
#define WALK_STEP_DIRS 1024

/*
 * Every tick (the loop's rescan): one bounded step of the cgroup walk, a
 * new walk every 10th (new and removed cgroups; the kernel's map pruned
 * when one completes), and the processes that exited every 10th.
 */
static void ops_rescan(void *ud)
{
	struct td_daemon *d = ud;
	bool tenth = ++d->rescans % 10 == 0;
	int r;

	if (tenth && !td_groups_walking(d->pipe.groups))
		d->cgroups_marking = 0;		/* a new walk (an aborted one left a count) */
	r = td_groups_walk_step(d->pipe.groups, WALK_STEP_DIRS, /* new_walk= */ tenth,
				mark_cgroup, d);
	if (r < 0)
		td_warn("walking the cgroup tree failed (%s), ignoring", strerror(-r));
	else if (r == 1)
		prune_cgroup_map(d);
	if (tenth)
		reap(d, td_now_ns());
}

static uint64_t ops_now(void *ud)
{
	return td_now_ns();
}

/* The daemon, configured, before anything is opened. */
static int daemon_alloc(const struct td_daemon_options *o, struct td_daemon **ret)
{
	struct td_daemon *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->conf = malloc(sizeof(*d->conf));
	if (!d->conf) {
		free(d);
		return -ENOMEM;
	}
	*d->conf = *o->config;
	d->opt = *o;
	if (td_kernel_new(NULL, &d->kernel) || td_selfstat_new("/proc", &d->self)) {
		td_kernel_free(d->kernel);
		free(d->conf);
		free(d);
		return -ENOMEM;
	}
	d->pipe = (struct td_pipeline){
		.cfg = &d->conf->daemon, .dry_run = o->dry_run, .run_for_s = o->run_for_s,
		.config_path = o->config_path, .limitation = d->limitation,
		.ops = { .counters = ops_counters, .reload = ops_reload,
			 .pid_owner = td_control_pid_owner,
			 .rescan_cgroups = ops_rescan, .now_ns = ops_now, .ud = d },
	};
	*ret = d;
	return 0;
}

int td_daemon_new(const struct td_daemon_options *o, struct td_daemon **ret)
{
	struct td_daemon *d;
	int r;

	r = daemon_alloc(o, &d);
	if (r)
		return r;
	r = open_topology(d);
	if (!r)
		r = open_stages(d);
	if (!r)
		r = open_sources(d);
	if (!r)
		r = td_loop_new(&d->pipe, &d->loop);
	if (!r)
		r = listen_socket(d);
	if (r) {
		td_daemon_free(d);
		return r;
	}
	ready(d);
	*ret = d;
	return 0;
}

static void notify_ready(const struct td_daemon *d)
{
	char st[256];

	td_control_status_line(&d->pipe, st, sizeof(st));
	td_notify_ready_status(st);
}

/*
 * The start-only keys of n keep the running values (nothing half applied);
 * the ones the file changed are named in the journal and in errbuf
 * (space-separated). Returns how many.
 */
static size_t keep_start_only(struct td_daemon *d, struct td_config *n, char *errbuf,
			      size_t errlen)
{
	const char *names[16];
	size_t k = td_config_keep_start_only(n, d->conf, names, 16), off = 0;
	char list[512] = "";

	for (size_t i = 0; i < k && i < 16 && off < sizeof(list); i++)
		off += snprintf(list + off, sizeof(list) - off, "%s%s", i ? " " : "", names[i]);
	if (!k)
		return 0;
	td_warn("reload: %s %s read at start only; the running value%s stay%s until a restart",
		list, k == 1 ? "is" : "are", k == 1 ? "" : "s", k == 1 ? "s" : "");
	if (errlen)
		snprintf(errbuf, errlen, "%s", list);
	return k;
}

/* Puts the parsed configuration n in force: the policy knobs and modes. */
static void apply_config(struct td_daemon *d, struct td_config *n)
{
	struct td_promoter_config pc;

	free(d->conf);
	d->conf = n;
	d->pipe.cfg = &n->daemon;
	promoter_config(d, &pc);
	td_promoter_reconfigure(d->pipe.promoter, &pc);
	if (d->pipe.demoter)
		td_demoter_reconfigure(d->pipe.demoter, d->pipe.cfg->demote_rate_limit_mbps,
				       d->pipe.cfg->pingpong_window_ms * 1000000ULL);
	if (td_sources_set_runtime(d->pipe.sources, true, d->pipe.fast_mask,
				   d->pipe.cfg->default_mode != TD_MODE_OFF) < 0)
		td_warn("updating the default cgroup mode failed, ignoring");
	sync_cgroups(d);
	d->reloads++;
	td_info("reloaded %s: %zu cgroup policies, %" PRIu64 " cgroups in the kernel's map",
		d->opt.config_path, n->n_cgroups, d->cgroups_marked);
}

/*
 * SIGHUP and tieringctl reload: parse the configuration into a new struct
 * and swap only when it parses. On failure the running policy stays in
 * force and every error is logged. Sources, hooks, ring buffer, table
 * capacity, tick and node masks are fixed at start; the policy knobs and
 * cgroup modes change now.
 */
static int reload(struct td_daemon *d, char *errbuf, size_t errlen)
{
	struct td_config *n = malloc(sizeof(*n));
	size_t restart;
	int r;

	if (errlen)
		errbuf[0] = '\0';
	if (!n)
		return td_err(ENOMEM, "reload");
	td_notify_reloading();
	r = td_conffile_load(d->opt.config_path, d->opt.config_missing_ok, n);
	if (r) {
		size_t shown = n->n_errors < TD_CONFIG_MAX_ERRORS ? n->n_errors : TD_CONFIG_MAX_ERRORS;
		size_t off = 0;

		d->reload_failures++;
		td_log_id(LOG_ERR, TD_MESSAGE_ID_RELOAD_FAILED,
			  "reload of %s failed, keeping the running configuration",
			  d->opt.config_path);
		for (size_t i = 0; i < shown; i++) {
			td_log(LOG_ERR, "%s", n->errors[i]);
			if (off < errlen)
				off += snprintf(errbuf + off, errlen - off, "%s%s", i ? "\n" : "",
						n->errors[i]);
		}
		free(n);
		notify_ready(d);
		return -EINVAL;
	}
	restart = keep_start_only(d, n, errbuf, errlen);
	apply_config(d, n);
	notify_ready(d);
	return restart ? 1 : 0;
}

/* The sources' and the table's counters. */
static void counters_intake(const struct td_daemon *d, uint64_t (*v)[TD_CTR_VALUES_MAX])
{
	uint64_t st[TD_STAT__MAX] = { 0 };
	struct td_hotness_stats hs;

	td_sources_stats(d->pipe.sources, st);
	td_hotness_get_stats(d->pipe.hot, &hs);
	v[TD_CTR_EVENTS_RECEIVED][0] = d->events_received;
	v[TD_CTR_EVENTS][0] = d->events_by_source[TD_SRC_HINT_FAULT];
	v[TD_CTR_EVENTS][1] = d->events_by_source[TD_SRC_SAMPLE];
	v[TD_CTR_EVENTS_ON_SLOW][0] = d->events_on_slow;
	v[TD_CTR_EVENTS_SLOW_LATENCY][0] = d->events_slow_latency;
	v[TD_CTR_EVENTS_SUBMITTED][0] = st[TD_STAT_SUBMITTED];
	v[TD_CTR_EVENTS_DROPPED][0] = st[TD_STAT_DROPPED];
	v[TD_CTR_EVENTS_BAD][0] = td_sources_bad_events(d->pipe.sources);
	v[TD_CTR_RING_DRAINS_CAPPED][0] = td_sources_capped_drains(d->pipe.sources);
	v[TD_CTR_FILTERED][0] = st[TD_STAT_FILTERED_FAST];
	v[TD_CTR_FILTERED][1] = st[TD_STAT_FILTERED_SELF];
	v[TD_CTR_FILTERED][2] = st[TD_STAT_FILTERED_CGROUP];
	v[TD_CTR_HOOK_HITS][0] = st[TD_STAT_HOOK_HITS];
	v[TD_CTR_HOT_ENTRIES][0] = hs.live;
	v[TD_CTR_HOTNESS_STALE][0] = hs.stale;
	v[TD_CTR_HOTNESS_EVICTIONS][0] = hs.evictions;
	v[TD_CTR_HOTNESS_PID_REUSES][0] = hs.pid_reuses;
	v[TD_CTR_HOTNESS_MEMCG_OVERFLOWS][0] = hs.memcg_overflows;
	v[TD_CTR_RECORD_ERRORS][0] = d->record_errors;
	v[TD_CTR_PROCESSES_REAPED][0] = d->processes_reaped;
	v[TD_CTR_PROCESS_EVENTS][0] = d->process_events[0];
	v[TD_CTR_PROCESS_EVENTS][1] = d->process_events[1];
	v[TD_CTR_HOTNESS_SPLITS][0] = hs.splits;
	v[TD_CTR_HOTNESS_COLLAPSES][0] = hs.collapses;
	if (d->folio) {
		struct td_folio_stats fs;

		td_folio_get_stats(d->folio, &fs);
		v[TD_CTR_FOLIO_ORDERS_RESOLVED][0] = fs.resolved;
		v[TD_CTR_FOLIO_ORDERS_UNRESOLVED][0] = fs.unresolved;
	}
}

/* The promoter's and the demoter's counters. */
static void counters_move(const struct td_daemon *d, uint64_t (*v)[TD_CTR_VALUES_MAX])
{
	const struct td_promoter_counters *c = td_promoter_counters(d->pipe.promoter);

	v[TD_CTR_PAGES_PROMOTED][0] = c->pages_promoted;
	v[TD_CTR_BYTES_PROMOTED][0] = c->bytes_promoted;
	memcpy(v[TD_CTR_PAGES_PROMOTED_BY_SIZE], c->folios_promoted, sizeof(c->folios_promoted));
	v[TD_CTR_PAGES_FAILED][0] = c->pages_failed;
	memcpy(v[TD_CTR_PAGES_FAILED_BY], c->errors, sizeof(c->errors));
	v[TD_CTR_PAGES_SKIPPED][0] = c->pages_skipped;
	v[TD_CTR_PROMOTE_BATCHES][0] = c->batches;
	v[TD_CTR_MOVE_PAGES_CALLS][0] = c->calls;
	v[TD_CTR_PROMOTE_MOVE_NS][0] = c->move_ns;
	v[TD_CTR_PROMOTE_RUN_NS][0] = c->run_ns;
	v[TD_CTR_NODE_QUERIES][0] = c->node_queries;
	v[TD_CTR_PLACEMENT_ERRORS][0] = c->placement_errors;
	v[TD_CTR_SHARED_HELD][0] = c->shared_held;
	v[TD_CTR_MOVES_PID_REUSED][0] = c->moves_pid_reused;
	v[TD_CTR_DRY_RUN_PAGES][0] = c->dry_run_pages;
	v[TD_CTR_PROMOTE_TICKS_NO_ROOM][0] = c->ticks_no_room;
	v[TD_CTR_PROMOTE_WAITING][0] = td_bytes_to_pages(c->waiting_bytes);
	memcpy(v[TD_CTR_PROMOTE_TARGETS], c->targets, sizeof(c->targets));
	v[TD_CTR_HOT_THRESHOLD][0] = c->hot_threshold;
	memcpy(v[TD_CTR_PROMOTE_DECISIONS], c->decided, sizeof(c->decided));
	if (d->pipe.demoter) {
		const struct td_demoter_counters *dc = td_demoter_counters(d->pipe.demoter);

		v[TD_CTR_PAGES_DEMOTED][0] = dc->pages_demoted;
		v[TD_CTR_PAGES_DEMOTED_MAX_FAST][0] = dc->pages_demoted_cap;
		v[TD_CTR_DEMOTE_BYTES_REQUESTED][0] = dc->bytes_requested;
		v[TD_CTR_DEMOTE_CALLS][0] = dc->reclaim_calls;
		v[TD_CTR_DEMOTE_SHORT][0] = dc->reclaim_short;
		v[TD_CTR_DEMOTE_NO_VICTIM_TICKS][0] = dc->no_victim_ticks;
		v[TD_CTR_DEMOTE_CGROUPS][0] = dc->cgroups;
		v[TD_CTR_PAGES_DEMOTED_KSWAPD][0] = dc->pages_demoted_kswapd;
		v[TD_CTR_DEMOTE_SWAP_REFUSED][0] = dc->swap_refused + dc->swap_seen;
	}
}

/* Policy groups, the control socket, the journal, reloads. */
static void counters_ops(const struct td_daemon *d, uint64_t (*v)[TD_CTR_VALUES_MAX])
{
	struct td_groups_stats gst;

	td_groups_get_stats(d->pipe.groups, &gst);
	v[TD_CTR_CGROUP_CACHE_HITS][0] = gst.cache_hits;
	v[TD_CTR_CGROUP_CACHE_MISSES][0] = gst.cache_misses;
	v[TD_CTR_CGROUP_IDS_RESOLVED][0] = gst.resolved;
	v[TD_CTR_CGROUP_IDS_UNRESOLVED][0] = gst.unresolved;
	v[TD_CTR_CGROUPS_WALKED][0] = gst.cached;
	v[TD_CTR_CGROUPS_MARKED][0] = d->cgroups_marked;
	v[TD_CTR_CGROUP_MAP_FULL][0] = d->cgroup_map_full;
	v[TD_CTR_CGROUP_MAP_PRUNED][0] = d->cgroup_map_pruned;
	for (size_t i = 0; i < td_groups_count(d->pipe.groups); i++)
		v[TD_CTR_KERNEL_PAGES_PROMOTED][0] +=
			td_groups_get(d->pipe.groups, i)->kernel_pages_promoted;
	if (d->server) {
		const struct td_server_counters *sc = td_server_counters(d->server);

		v[TD_CTR_CONTROL_ACCEPTED][0] = sc->accepted;
		v[TD_CTR_CONTROL_EVICTED][0] = sc->evicted;
		v[TD_CTR_CONTROL_TIMED_OUT][0] = sc->timed_out;
		v[TD_CTR_CONTROL_TOO_LONG][0] = sc->too_long;
		v[TD_CTR_CONTROL_DENIED][0] = sc->denied;
		v[TD_CTR_CONTROL_BUSY][0] = sc->busy;
	}
	v[TD_CTR_JOURNAL_SUPPRESSED][0] = td_log_promote_suppressed();
	v[TD_CTR_RELOADS][0] = d->reloads;
	v[TD_CTR_RELOAD_FAILURES][0] = d->reload_failures;
}

/* What the daemon costs: CPU, memory, fds, its BPF programs' run time. */
static void counters_self(const struct td_daemon *d, uint64_t (*v)[TD_CTR_VALUES_MAX])
{
	struct td_selfstat_sample ss;

	if (td_selfstat_sample(d->self, td_now_ns(), &ss) == 0) {
		v[TD_CTR_SELF_CPU_NS][0] = ss.cpu_ns;
		v[TD_CTR_SELF_CPU_NS_PER_S][0] = ss.cpu_ns_per_s;
		v[TD_CTR_SELF_RSS_BYTES][0] = ss.rss_bytes;
		v[TD_CTR_SELF_RSS_PEAK_BYTES][0] = ss.rss_peak_bytes;
		v[TD_CTR_SELF_FDS][0] = ss.fds;
		v[TD_CTR_BPF_STATS_ENABLED][0] = ss.bpf_stats_enabled;
	}
	if (!d->pipe.sources)
		return;
	td_sources_prog_runtime(d->pipe.sources, td_bpf_program_names, TD_BPF_PROGRAMS,
				v[TD_CTR_BPF_RUN_TIME_NS], v[TD_CTR_BPF_RUNS]);
	for (unsigned i = 0; i < TD_BPF_PROGRAMS; i++)
		v[TD_CTR_BPF_NS_PER_RUN][i] = v[TD_CTR_BPF_RUNS][i] ?
			v[TD_CTR_BPF_RUN_TIME_NS][i] / v[TD_CTR_BPF_RUNS][i] : 0;
}

static void counters(const struct td_daemon *d, struct td_counters *ret)
{
	memset(ret, 0, sizeof(*ret));
	counters_intake(d, ret->v);
	counters_move(d, ret->v);
	counters_ops(d, ret->v);
	counters_self(d, ret->v);
}

static void foreach_counter(const struct td_daemon *d,
				      void (*fn)(const char *name, uint64_t v, void *ud), void *ud)
{
	struct td_counters c;

	counters(d, &c);
	td_counters_foreach(&c, fn, ud);
}

static void print_counter(const char *name, uint64_t v, void *ud)
{
	printf("%s %" PRIu64 "\n", name, v);
}

int td_daemon_run(struct td_daemon *d)
{
	return td_loop_run(d->loop);
}

void td_daemon_print_summary(const struct td_daemon *d)
{
	for (int i = 0; i < TD_SOURCE__MAX; i++) {
		const struct td_source_status *s = td_sources_status(d->pipe.sources, i);

		printf("source %s enabled=%d attached=%d hook=%s\n", s->name,
		       s->enabled, s->attached, s->hook);
	}
	printf("limitation %s\n", d->limitation[0] ? d->limitation : "none");
	foreach_counter(d, print_counter, NULL);
	fflush(stdout);
}

void td_daemon_free(struct td_daemon *d)
{
	if (!d)
		return;
	/* first, as soon as the loop is done: also after a failed start-up
	 * (the demoter may have switched demotion on) */
	td_kernel_restore(d->kernel);
	td_server_free(d->server);
	td_loop_free(d->loop);		/* its sources watch the ring buffer's fd */
	td_sources_free(d->pipe.sources);
	td_promoter_free(d->pipe.promoter);
	td_demoter_free(d->pipe.demoter);
	free(d->conf);
	td_hotness_free(d->pipe.hot);
	td_folio_free(d->folio);	/* after the table, which calls it */
	td_groups_free(d->pipe.groups);
	td_kernel_free(d->kernel);	/* after the demoter, which switches through it */
	td_privs_free(d->privs);	/* last: the restorer puts back what is left */
	td_selfstat_free(d->self);
	free(d);
}
