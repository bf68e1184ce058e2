// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon.c - the loop. Start-up reads as phases: topology -> sources (open,
 * configure, load, attach) -> loop. Signals arrive through a signalfd, so
 * nothing runs in a signal handler.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "cgroupfs.h"
#include "conffile.h"
#include "config.h"
#include "daemon.h"
#include "demoter.h"
#include "hotness.h"
#include "log.h"
#include "promoter.h"
#include "sources.h"
#include "topology.h"

enum { EP_RING = 1, EP_SIGNAL, EP_TIMER };

struct td_daemon {
	struct td_daemon_options opt;
	struct td_config *conf;			/* ours: replaced on reload */
	const struct td_daemon_config *cfg;	/* &conf->daemon */
	uint64_t reloads, reload_failures;
	struct td_sources *sources;
	struct td_hotness *hot;
	struct td_promoter *promoter;
	struct td_demoter *demoter;	/* NULL when Demotion=no */
	int saved_numa_balancing, saved_kernel_rate;
	uint64_t record_errors;
	char limitation[256];
	uint64_t cgroups_marked, cgroup_map_full;
	uint64_t *movable, *unmovable;	/* sorted cgroup ids, from the last walk */
	size_t n_movable, cap_movable, n_unmovable, cap_unmovable;	/* why this kernel cannot support tiering, or "" */
	uint64_t fast_mask, slow_mask;
	int epfd, sigfd, timerfd;
	uint64_t start_ns;
	uint64_t events_received;
	uint64_t events_by_source[TD_SRC__MAX];
	uint64_t events_on_slow;
	uint64_t ticks;
	bool stop;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

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

static void on_event(const struct td_event *e, void *userdata)
{
	struct td_daemon *d = userdata;
	struct td_hotness_access a = {
		.addr = e->addr, .memcg_id = e->memcg_id, .tgid = e->tgid, .node = event_node(e),
	};

	d->events_received++;
	if (e->source < TD_SRC__MAX)
		d->events_by_source[e->source]++;
	if (e->page_nid >= 0 && e->page_nid < TD_MAX_NODES &&
	    (d->slow_mask & (1ULL << e->page_nid)))
		d->events_on_slow++;
	if (td_hotness_record(d->hot, &a, e->ts_ns) < 0)
		d->record_errors++;
	if (d->demoter)
		td_demoter_note_event(d->demoter, e->memcg_id, e->ts_ns);
}

static bool hook_recently_demoted(void *ctx, uint64_t memcg_id, uint64_t now)
{
	struct td_daemon *d = ctx;

	return d->demoter && td_demoter_recently_demoted(d->demoter, memcg_id, now);
}

static void hook_promoted(void *ctx, uint64_t memcg_id, uint64_t pages, uint64_t now)
{
	struct td_daemon *d = ctx;

	if (d->demoter)
		td_demoter_note_promote(d->demoter, memcg_id, pages, now);
}

/* Reads an integer sysctl; -errno on failure. */
static int sysctl_read(const char *path)
{
	FILE *f = fopen(path, "re");
	int v, r;

	if (!f)
		return -errno;
	r = fscanf(f, "%d", &v) == 1 ? v : -EIO;
	fclose(f);
	return r;
}

static int sysctl_write(const char *path, int v)
{
	FILE *f = fopen(path, "we");
	int r = 0;

	if (!f)
		return -errno;
	if (fprintf(f, "%d\n", v) < 0)
		r = -EIO;
	if (fclose(f) && !r)
		r = -errno;
	return r;
}

#define SYSCTL_NB "/proc/sys/kernel/numa_balancing"
#define SYSCTL_NB_RATE "/proc/sys/kernel/numa_balancing_promote_rate_limit_MBps"

/* tieringd owns the kernel's balancing mode while it runs; restored on exit. */
static void kernel_knobs_set(struct td_daemon *d)
{
	d->saved_numa_balancing = d->saved_kernel_rate = -1;
	if (d->cfg->numa_balancing != TD_KEEP) {
		d->saved_numa_balancing = sysctl_read(SYSCTL_NB);
		if (sysctl_write(SYSCTL_NB, d->cfg->numa_balancing) < 0)
			td_warn("cannot set kernel.numa_balancing=%d, ignoring", d->cfg->numa_balancing);
	}
	if (d->cfg->kernel_promote_rate_limit_mbps != TD_KEEP) {
		d->saved_kernel_rate = sysctl_read(SYSCTL_NB_RATE);
		if (sysctl_write(SYSCTL_NB_RATE, (int)d->cfg->kernel_promote_rate_limit_mbps) < 0)
			td_warn("cannot set kernel.numa_balancing_promote_rate_limit_MBps, ignoring");
	}
	td_info("kernel: numa_balancing=%d (was %d), promote_rate_limit_MBps=%d (was %d)",
		sysctl_read(SYSCTL_NB), d->saved_numa_balancing,
		sysctl_read(SYSCTL_NB_RATE), d->saved_kernel_rate);
}

static void kernel_knobs_restore(struct td_daemon *d)
{
	if (d->saved_numa_balancing >= 0)
		sysctl_write(SYSCTL_NB, d->saved_numa_balancing);
	if (d->saved_kernel_rate >= 0)
		sysctl_write(SYSCTL_NB_RATE, d->saved_kernel_rate);
}

static int epoll_add(int epfd, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int setup_loop(struct td_daemon *d)
{
	struct itimerspec its = { 0 };
	sigset_t mask;
	int r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return td_err(errno, "sigprocmask");
	d->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->sigfd < 0 || d->timerfd < 0 || d->epfd < 0)
		return td_err(errno, "creating loop fds");
	its.it_value.tv_sec = its.it_interval.tv_sec = d->cfg->tick_ms / 1000;
	its.it_value.tv_nsec = its.it_interval.tv_nsec = (d->cfg->tick_ms % 1000) * 1000000L;
	if (timerfd_settime(d->timerfd, 0, &its, NULL) < 0)
		return td_err(errno, "timerfd_settime");
	r = epoll_add(d->epfd, td_sources_fd(d->sources), EP_RING);
	if (!r)
		r = epoll_add(d->epfd, d->sigfd, EP_SIGNAL);
	if (!r)
		r = epoll_add(d->epfd, d->timerfd, EP_TIMER);
	if (r)
		return td_err(r, "epoll_ctl");
	return 0;
}

/*
 * In tiering mode the kernel's scanner skips top-tier nodes; a kernel that
 * puts the slow nodes into the top tier too (6.1 ignores HMAT for tiers)
 * scans nothing and yields no hint faults: say so, precisely.
 */
static void check_tiers(struct td_daemon *d)
{
	int tier[64], ntiers = td_topology_tiers("/sys", tier), fast_tier = -1;

	for (int n = 0; n < 64; n++)
		if ((d->fast_mask & (1ULL << n)) && tier[n] >= 0)
			fast_tier = tier[n];
	for (int n = 0; n < 64; n++) {
		if (!(d->slow_mask & (1ULL << n)) || tier[n] < 0 || tier[n] != fast_tier)
			continue;
		if (d->cfg->numa_balancing == 2 && (d->cfg->sources & TD_SOURCES_HINT))
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

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Cgroups whose pages tieringd must not move (Mode=observe or off). */
static bool unmovable(const struct td_daemon *d, uint64_t memcg_id)
{
	enum td_mode def = d->cfg->default_mode;

	if (bsearch(&memcg_id, d->unmovable, d->n_unmovable, sizeof(memcg_id), cmp_u64))
		return true;
	/* a cgroup born since the last walk: the default policy */
	return def != TD_MODE_PROMOTE && !bsearch(&memcg_id, d->movable, d->n_movable,
						   sizeof(memcg_id), cmp_u64);
}

static bool hook_unmovable(void *ctx, uint64_t memcg_id)
{
	return unmovable(ctx, memcg_id);
}

static int push_id(uint64_t **ids, size_t *n, size_t *cap, uint64_t id)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		uint64_t *p = realloc(*ids, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		*ids = p;
		*cap = ncap;
	}
	(*ids)[(*n)++] = id;
	return 0;
}

static int mark_cgroup(const char *path, uint64_t id, const char *abspath, void *userdata)
{
	struct td_daemon *d = userdata;
	const struct td_cgroup_policy *pol = td_config_policy_for(d->conf, path);
	enum td_mode mode = pol ? pol->mode : d->cfg->default_mode;
	int r;

	r = mode == TD_MODE_PROMOTE ? push_id(&d->movable, &d->n_movable, &d->cap_movable, id) :
				      push_id(&d->unmovable, &d->n_unmovable, &d->cap_unmovable, id);
	if (r)
		return r;
	if (td_sources_set_cgroup(d->sources, id, mode_managed(mode)) < 0) {
		d->cgroup_map_full++;
		return 0;
	}
	d->cgroups_marked++;
	return 0;
}

/*
 * Walks the cgroup tree: fills the in-kernel map (Mode=off: filtered there)
 * and the sorted lists of cgroups whose pages may and may not be moved
 * (observe and off: neither promoted nor asked for room).
 */
static void sync_cgroup_map(struct td_daemon *d)
{
	int r;

	d->cgroups_marked = 0;
	d->n_movable = d->n_unmovable = 0;
	r = td_cgroupfs_walk(TD_CGROUP_ROOT, mark_cgroup, d);
	if (r < 0)
		td_warn("walking %s failed (%s), ignoring", TD_CGROUP_ROOT, strerror(-r));
	qsort(d->movable, d->n_movable, sizeof(*d->movable), cmp_u64);
	qsort(d->unmovable, d->n_unmovable, sizeof(*d->unmovable), cmp_u64);
}

static void report_sources(const struct td_daemon *d)
{
	char fast[64], slow[64];

	td_info("topology: fast nodes %s, slow nodes %s",
		td_nodemask_str(d->fast_mask, fast, sizeof(fast)),
		td_nodemask_str(d->slow_mask, slow, sizeof(slow)));
	for (int i = 0; i < TD_SOURCE__MAX; i++) {
		const struct td_source_status *st = td_sources_status(d->sources, i);

		td_info("source %s: %s, %s", st->name,
			st->attached ? "attached" : "not attached", st->hook);
	}
}

/* The promoter's knobs from the configuration in force. */
static void promoter_config(struct td_daemon *d, struct td_promoter_config *ret)
{
	*ret = (struct td_promoter_config){
		.fast_mask = d->fast_mask, .slow_mask = d->slow_mask,
		.batch_pages = d->cfg->batch_size,
		/* N accesses within one half-life decay to between N/2 and N */
		.hot_threshold = d->cfg->hot_threshold * TD_HOTNESS_ONE / 2,
		.rate_limit_mbps = d->cfg->rate_limit_mbps,
		.watermark_bytes = d->cfg->fast_watermark_bytes,
		.max_candidates = 65536, .retry_backoff_ns = 100000000ULL,
		.dry_run = d->opt.dry_run,
		.resolve_nodes = d->cfg->sources & TD_SOURCES_SAMPLE,
		.recently_demoted = hook_recently_demoted, .promoted = hook_promoted,
		.unmovable = hook_unmovable, .hook_ctx = d,
	};
}

int td_daemon_new(const struct td_daemon_options *o, struct td_daemon **ret)
{
	struct td_sources_params sp = { 0 };
	struct td_daemon *d;
	int r;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->opt = *o;
	d->conf = malloc(sizeof(*d->conf));
	if (!d->conf) {
		free(d);
		return -ENOMEM;
	}
	*d->conf = *o->config;
	d->cfg = &d->conf->daemon;
	d->epfd = d->sigfd = d->timerfd = -1;

	r = td_topology_detect(&d->fast_mask, &d->slow_mask);
	if (r)
		goto fail;
	if (!d->cfg->fast_nodes_auto)
		d->fast_mask = d->cfg->fast_nodes;
	if (!d->cfg->slow_nodes_auto)
		d->slow_mask = d->cfg->slow_nodes;
	d->slow_mask &= ~d->fast_mask;

	struct td_hotness_params hp = {
		.capacity = d->cfg->hotness_capacity,
		.half_life_ns = d->cfg->hotness_half_life_ms * 1000000ULL,
	};
	r = td_hotness_new(&hp, &d->hot);
	if (r) {
		td_err(r, "hotness table");
		goto fail;
	}
	struct td_promoter_config pc;

	promoter_config(d, &pc);
	r = td_promoter_new(&pc, td_move_ops_syscall(), d->hot, &d->promoter);
	if (r)
		goto fail;
	if (d->cfg->demotion) {
		struct td_demoter_config dc = {
			.cgroup_root = "/sys/fs/cgroup", .proc_root = "/proc", .sys_root = "/sys",
			.fast_mask = d->fast_mask, .rate_limit_mbps = d->cfg->demote_rate_limit_mbps,
			.chunk_bytes = 64ULL << 20,
			.pingpong_window_ns = d->cfg->pingpong_window_ms * 1000000ULL,
			.dry_run = o->dry_run,
			.unmovable = hook_unmovable, .hook_ctx = d,
		};
		r = td_demoter_new(&dc, &d->demoter);
		if (r == -ENOMEM)
			goto fail;
		if (r)
			td_warn("demotion unavailable, promoting only");
	}

	sp.hint_faults = d->cfg->sources & TD_SOURCES_HINT;
	sp.hint_hook = d->cfg->hint_hook;	/* enum td_hint_hook: chain index + 1 */
	sp.sampling = d->cfg->sources & TD_SOURCES_SAMPLE;
	sp.sample_period = d->cfg->sample_period;
	sp.ringbuf_bytes = d->cfg->ring_buffer_bytes;
	sp.fast_node_mask = d->fast_mask;
	sp.self_tgid = getpid();
	/* always on: a reload may turn a cgroup off; unknown ones get the default */
	sp.filter_cgroups = true;
	sp.default_managed = mode_managed(d->cfg->default_mode);
	sp.on_event = on_event;
	sp.userdata = d;
	r = td_sources_new(&sp, &d->sources);
	if (r == -ENOENT) {
		report_sources(d);
		r = td_err(ENOENT, "no access source could be attached");
		goto fail;
	}
	if (r)
		goto fail;
	report_sources(d);
	sync_cgroup_map(d);
	td_info("cgroup filter: %" PRIu64 " cgroups in the kernel's map", d->cgroups_marked);

	r = setup_loop(d);
	if (r)
		goto fail;
	kernel_knobs_set(d);
	check_tiers(d);
	d->start_ns = now_ns();
	/* the last start-up line: tests and operators wait for it */
	td_info("ready");
	*ret = d;
	return 0;
fail:
	td_daemon_free(d);
	return r;
}

/*
 * SIGHUP: parse the configuration into a new struct and swap only when it
 * parses. On failure the running policy stays in force and every error is
 * logged. Sources, hooks, ring buffer, table capacity, tick and node masks
 * are fixed at start; the policy knobs and cgroup modes change now.
 */
static void reload(struct td_daemon *d)
{
	struct td_config *n = malloc(sizeof(*n));
	struct td_promoter_config pc;
	int r;

	if (!n) {
		td_err(ENOMEM, "reload");
		return;
	}
	r = td_conffile_load(d->opt.config_path, d->opt.config_missing_ok, n);
	if (r) {
		size_t shown = n->n_errors < TD_CONFIG_MAX_ERRORS ? n->n_errors : TD_CONFIG_MAX_ERRORS;

		d->reload_failures++;
		td_log(LOG_ERR, "reload of %s failed, keeping the running configuration",
		       d->opt.config_path);
		for (size_t i = 0; i < shown; i++)
			td_log(LOG_ERR, "%s", n->errors[i]);
		free(n);
		return;
	}
	free(d->conf);
	d->conf = n;
	d->cfg = &n->daemon;
	promoter_config(d, &pc);
	td_promoter_reconfigure(d->promoter, &pc);
	if (d->demoter)
		td_demoter_reconfigure(d->demoter, d->cfg->demote_rate_limit_mbps,
				       d->cfg->pingpong_window_ms * 1000000ULL);
	if (td_sources_set_runtime(d->sources, true, d->fast_mask,
				   d->cfg->default_mode != TD_MODE_OFF) < 0)
		td_warn("updating the default cgroup mode failed, ignoring");
	sync_cgroup_map(d);
	d->reloads++;
	td_info("reloaded %s: %zu cgroup policies, %" PRIu64 " cgroups in the kernel's map",
		d->opt.config_path, n->n_cgroups, d->cgroups_marked);
}

static void handle_signal(struct td_daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(d);
			continue;
		}
		td_info("signal %s, stopping", strsignal(si.ssi_signo));
		d->stop = true;
	}
}

static void tick(struct td_daemon *d)
{
	uint64_t expirations, st[TD_STAT__MAX];

	if (read(d->timerfd, &expirations, sizeof(expirations)) < 0)
		return;
	d->ticks++;
	if (td_promoter_tick(d->promoter, now_ns(), d->cfg->tick_ms * 1000000ULL) == -ENOMEM)
		td_warn("promotion tick out of memory, ignoring");
	if (d->demoter) {
		uint64_t need = td_promoter_counters(d->promoter)->waiting * 4096;

		int r = td_demoter_tick(d->demoter, now_ns(), d->cfg->tick_ms * 1000000ULL, need,
					/* rescan= */ d->ticks % 10 == 0);

		if (r == -ENOMEM)
			td_warn("demotion tick out of memory, ignoring");
		/* room was made: the waiting pages need not wait for the next tick */
		if (r > 0 && td_promoter_tick(d->promoter, now_ns(), 0) == -ENOMEM)
			td_warn("promotion tick out of memory, ignoring");
	}
	td_hotness_sweep(d->hot, now_ns(), 1 << 16);
	if (d->ticks % 10 == 0)
		sync_cgroup_map(d);
	if (td_log_enabled(LOG_DEBUG) && td_sources_stats(d->sources, st) == 0)
		td_debug("tick %" PRIu64 ": received %" PRIu64 " submitted %" PRIu64
			 " dropped %" PRIu64, d->ticks, d->events_received,
			 st[TD_STAT_SUBMITTED], st[TD_STAT_DROPPED]);
	if (d->opt.run_for_s &&
	    now_ns() - d->start_ns >= (uint64_t)d->opt.run_for_s * 1000000000ULL)
		d->stop = true;
}

int td_daemon_run(struct td_daemon *d)
{
	struct epoll_event evs[8];

	while (!d->stop) {
		int n = epoll_wait(d->epfd, evs, 8, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return td_err(errno, "epoll_wait");
		}
		for (int i = 0; i < n; i++) {
			switch (evs[i].data.u64) {
			case EP_RING:
				if (td_sources_consume(d->sources) < 0)
					td_warn("ring buffer consume failed, ignoring");
				break;
			case EP_SIGNAL:
				handle_signal(d);
				break;
			case EP_TIMER:
				tick(d);
				break;
			}
		}
	}
	/* what is already in the ring buffer is counted, not lost */
	td_sources_consume(d->sources);
	return 0;
}

void td_daemon_print_summary(const struct td_daemon *d)
{
	uint64_t st[TD_STAT__MAX] = { 0 };

	td_sources_stats(d->sources, st);
	for (int i = 0; i < TD_SOURCE__MAX; i++) {
		const struct td_source_status *s = td_sources_status(d->sources, i);

		printf("source %s enabled=%d attached=%d hook=%s\n", s->name,
		       s->enabled, s->attached, s->hook);
	}
	printf("limitation %s\n", d->limitation[0] ? d->limitation : "none");
	printf("reloads %" PRIu64 "\n", d->reloads);
	printf("reload_failures %" PRIu64 "\n", d->reload_failures);
	printf("events_received %" PRIu64 "\n", d->events_received);
	printf("events_hint_faults %" PRIu64 "\n", d->events_by_source[TD_SRC_HINT_FAULT]);
	printf("events_samples %" PRIu64 "\n", d->events_by_source[TD_SRC_SAMPLE]);
	printf("events_on_slow_nodes %" PRIu64 "\n", d->events_on_slow);
	printf("events_submitted %" PRIu64 "\n", st[TD_STAT_SUBMITTED]);
	printf("events_dropped %" PRIu64 "\n", st[TD_STAT_DROPPED]);
	printf("events_bad %" PRIu64 "\n", td_sources_bad_events(d->sources));
	printf("filtered_fast %" PRIu64 "\n", st[TD_STAT_FILTERED_FAST]);
	printf("filtered_self %" PRIu64 "\n", st[TD_STAT_FILTERED_SELF]);
	printf("filtered_cgroup %" PRIu64 "\n", st[TD_STAT_FILTERED_CGROUP]);
	printf("hook_hits %" PRIu64 "\n", st[TD_STAT_HOOK_HITS]);
	const struct td_promoter_counters *c = td_promoter_counters(d->promoter);
	struct td_hotness_stats hs;

	td_hotness_get_stats(d->hot, &hs);
	printf("hot_entries %" PRIu64 "\n", hs.live);
	printf("hotness_evictions %" PRIu64 "\n", hs.evictions);
	printf("record_errors %" PRIu64 "\n", d->record_errors);
	printf("pages_promoted %" PRIu64 "\n", c->pages_promoted);
	printf("pages_failed %" PRIu64 "\n", c->pages_failed);
	printf("pages_skipped %" PRIu64 "\n", c->pages_skipped);
	printf("promote_batches %" PRIu64 "\n", c->batches);
	printf("move_pages_calls %" PRIu64 "\n", c->calls);
	printf("dry_run_pages %" PRIu64 "\n", c->dry_run_pages);
	printf("promote_ticks_no_room %" PRIu64 "\n", c->ticks_no_room);
	printf("node_queries %" PRIu64 "\n", c->node_queries);
	if (d->demoter) {
		const struct td_demoter_counters *dc = td_demoter_counters(d->demoter);

		printf("pages_demoted %" PRIu64 "\n", dc->pages_demoted);
		printf("demote_bytes_requested %" PRIu64 "\n", dc->bytes_requested);
		printf("demote_calls %" PRIu64 "\n", dc->reclaim_calls);
		printf("demote_no_victim_ticks %" PRIu64 "\n", dc->no_victim_ticks);
	}
	for (int i = 0; i < TD_ERR__MAX; i++)
		if (c->errors[i])
			printf("pages_failed_%s %" PRIu64 "\n", td_errno_slot_name(i), c->errors[i]);
	fflush(stdout);
}

void td_daemon_free(struct td_daemon *d)
{
	if (!d)
		return;
	if (d->start_ns)
		kernel_knobs_restore(d);
	td_sources_free(d->sources);
	td_promoter_free(d->promoter);
	td_demoter_free(d->demoter);
	free(d->conf);
	td_hotness_free(d->hot);
	if (d->epfd >= 0)
		close(d->epfd);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->timerfd >= 0)
		close(d->timerfd);
	free(d);
}
