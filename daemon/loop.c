// SPDX-License-Identifier: GPL-2.0-only
/*
 * loop.c - the event loop (sd-event, as systemd-oomd runs its manager): one
 * source per concern, so each callback does one thing. Signals arrive
 * through sd-event's signalfd, so nothing runs in a signal handler. The
 * tick reads the clock once and passes that `now` to every stage.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include "hotness.h"
#include "loop.h"
#include "move/demoter.h"
#include "move/promoter.h"
#include "ops/control.h"
#include "pipeline.h"
#include "units.h"
#include "ops/log.h"
#include "ops/metricsfile.h"
#include "ops/notify.h"
#include "policy/groups.h"
#include "source/drain.h"
#include "source/sources.h"

#define USEC_PER_SEC		1000000ULL
#define STATUS_PERIOD_USEC	(5 * USEC_PER_SEC)
#define METRICS_PERIOD_USEC	(10 * USEC_PER_SEC)
#define TICK_ACCURACY_USEC	1000ULL
#define STOP_SIGNALS		{ SIGTERM, SIGINT }
/* Below the timers, the socket and the signals (SD_EVENT_PRIORITY_NORMAL):
 * sd-event dispatches one source per iteration, the most urgent pending
 * one first, so a ring buffer that is never empty cannot delay them by
 * more than one drain (TD_DRAIN_TURN_NS). */
#define RING_PRIORITY		(SD_EVENT_PRIORITY_NORMAL + 10)

struct td_loop {
	struct td_pipeline *p;
	sd_event *event;
	sd_event_source *sig_stop[2], *sig_reload;
	sd_event_source *ring, *tick, *status, *metrics, *run_for;
	uint64_t tick_usec;	/* TickInterval at start */
	uint64_t ticks;
	bool metrics_warned;
};

sd_event *td_loop_event(const struct td_loop *l)
{
	return l->event;
}

void td_loop_write_metrics(struct td_loop *l)
{
	struct td_pipeline *p = l->p;
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (!p->cfg->metrics_file[0])
		return;
	r = td_control_metrics(p, &buf, &len);
	if (!r)
		r = td_metricsfile_write(p->cfg->metrics_file, buf, len);
	free(buf);
	if (r && !l->metrics_warned)
		td_warn("writing metrics to %s failed (%s), ignoring", p->cfg->metrics_file,
			strerror(-r));
	l->metrics_warned = r != 0;
}

/* A periodic source runs again one period after it was due; after a stall,
 * one period from now rather than a burst of catch-up runs. */
static void rearm(sd_event_source *s, uint64_t due_usec, uint64_t period_usec)
{
	uint64_t now = 0, next = due_usec + period_usec;
	int r;

	(void)sd_event_now(sd_event_source_get_event(s), CLOCK_MONOTONIC, &now);
	if (next <= now)
		next = now + period_usec;
	r = sd_event_source_set_time(s, next);
	if (r >= 0)
		r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	if (r < 0) {
		const char *name = NULL;

		(void)sd_event_source_get_description(s, &name);
		td_warn("re-arming the %s timer: %s, ignoring", name ?: "?", strerror(-r));
	}
}

/* MaxFastMemory: a promote-mode group over its cap gives up the excess. */
static void enforce_fast_caps(struct td_pipeline *p, uint64_t now)
{
	struct td_policy_group *pg = td_groups_policy(p->groups);

	if (!p->demoter || p->paused)
		return;
	for (size_t i = 0; i < td_groups_count(p->groups); i++) {
		const struct td_group *g = td_groups_get(p->groups, i);
		int r;

		if (pg[i].mode != TD_MODE_PROMOTE || pg[i].paused ||
		    pg[i].fast_cap_bytes == TD_POLICY_NO_LIMIT || !g->usage_known ||
		    pg[i].fast_bytes <= pg[i].fast_cap_bytes)
			continue;
		r = td_demoter_shrink(p->demoter, g->path,
				      pg[i].fast_bytes - pg[i].fast_cap_bytes, now);
		if (r < 0 && r != -EAGAIN)
			td_debug("MaxFastMemory of %s: demotion failed (%s)", g->path, strerror(-r));
	}
}

static void promote(struct td_pipeline *p, uint64_t now, uint64_t elapsed_ns, bool paused)
{
	if (td_promoter_tick(p->promoter, now, elapsed_ns, paused, td_groups_policy(p->groups),
			     td_groups_count(p->groups)) == -ENOMEM)
		td_warn("promotion tick out of memory, ignoring");
}

static void log_kernel_promote(const char *path, uint64_t pages, void *ud)
{
	td_log_kernel_promote(path, pages);
}

/* One tick of the pipeline at `now`, which stands for tick_ns of time. */
static void tick(struct td_loop *l, uint64_t now, uint64_t tick_ns)
{
	struct td_pipeline *p = l->p;
	uint64_t st[TD_STAT__MAX];

	l->ticks++;
	if (l->ticks % 5 == 0) {
		td_groups_refresh_usage(p->groups);
		enforce_fast_caps(p, now);
	}
	promote(p, now, tick_ns, p->paused);
	if (p->demoter && !p->paused) {
		uint64_t need = td_promoter_counters(p->promoter)->waiting_bytes;
		int r = td_demoter_tick(p->demoter, now, tick_ns, need,
					/* rescan= */ l->ticks % 10 == 0);

		if (r == -ENOMEM)
			td_warn("demotion tick out of memory, ignoring");
		/* room was made: the waiting pages need not wait for the next tick */
		if (r > 0)
			promote(p, now, 0, /* paused= */ false);
	}
	td_hotness_sweep(p->hot, now, 1 << 16);
	td_groups_flush_kernel(p->groups, log_kernel_promote, NULL);
	p->ops.rescan_cgroups(p->ops.ud);	/* a bounded step each tick */
	if (td_log_enabled(LOG_DEBUG) && td_sources_stats(p->sources, st) == 0)
		td_debug("tick %" PRIu64 ": submitted %" PRIu64 " dropped %" PRIu64, l->ticks,
			 st[TD_STAT_SUBMITTED], st[TD_STAT_DROPPED]);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct td_loop *l = userdata;

	tick(l, td_now_ns(), l->tick_usec * 1000);
	rearm(s, usec, l->tick_usec);
	return 0;
}

static int on_status(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct td_loop *l = userdata;
	char st[256];

	td_control_status_line(l->p, st, sizeof(st));
	td_notify_status(st);
	rearm(s, usec, STATUS_PERIOD_USEC);
	return 0;
}

static int on_metrics(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct td_loop *l = userdata;

	td_loop_write_metrics(l);
	rearm(s, usec, METRICS_PERIOD_USEC);
	return 0;
}

/*
 * At most TD_DRAIN_TURN_NS per wake-up. What is left keeps the fd readable
 * and the source enabled: epoll is level-triggered here, so the next
 * iteration wakes us again, after the sources of higher priority had their
 * turn (and the watchdog its ping, which sd-event sends every iteration).
 */
static int on_ring(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct td_loop *l = userdata;
	int r = td_sources_consume(l->p->sources, TD_DRAIN_TURN_NS);

	if (r < 0)
		td_warn("ring buffer consume failed (%s), ignoring", strerror(-r));
	return 0;
}

static int on_stop_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	td_info("signal %s, stopping", strsignal(si->ssi_signo));
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int on_reload_signal(sd_event_source *s, const struct signalfd_siginfo *si,
			    void *userdata)
{
	struct td_loop *l = userdata;

	l->p->ops.reload(l->p->ops.ud, NULL, 0);	/* logs its errors, keeps the old policy */
	return 0;
}

static int on_run_for(sd_event_source *s, uint64_t usec, void *userdata)
{
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* sd_event_add_signal() needs the signals blocked first. */
static int add_signals(struct td_loop *l)
{
	static const int stop[] = STOP_SIGNALS;
	sigset_t mask;
	int r = 0;

	sigemptyset(&mask);
	for (size_t i = 0; i < sizeof(stop) / sizeof(stop[0]); i++)
		sigaddset(&mask, stop[i]);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return td_err(errno, "sigprocmask");
	for (size_t i = 0; r >= 0 && i < sizeof(stop) / sizeof(stop[0]); i++)
		r = sd_event_add_signal(l->event, &l->sig_stop[i], stop[i], on_stop_signal, l);
	if (r >= 0)
		r = sd_event_add_signal(l->event, &l->sig_reload, SIGHUP, on_reload_signal, l);
	return r < 0 ? td_err(r, "sd_event_add_signal") : 0;
}

/* A time source first due one period from now. */
static int add_periodic(struct td_loop *l, sd_event_source **ret, uint64_t period_usec,
			uint64_t accuracy_usec, sd_event_time_handler_t fn, const char *name)
{
	int r = sd_event_add_time_relative(l->event, ret, CLOCK_MONOTONIC, period_usec,
					   accuracy_usec, fn, l);

	if (r < 0)
		return td_err(r, "adding the %s timer", name);
	(void)sd_event_source_set_description(*ret, name);
	return 0;
}

static int add_sources(struct td_loop *l)
{
	int r;

	r = add_signals(l);
	if (r)
		return r;
	r = sd_event_add_io(l->event, &l->ring, td_sources_fd(l->p->sources), EPOLLIN, on_ring, l);
	if (r < 0)
		return td_err(r, "watching the ring buffer");
	(void)sd_event_source_set_description(l->ring, "ring-buffer");
	r = sd_event_source_set_priority(l->ring, RING_PRIORITY);
	if (r < 0)
		return td_err(r, "setting the ring buffer's priority");
	r = add_periodic(l, &l->tick, l->tick_usec, TICK_ACCURACY_USEC, on_tick, "tick");
	if (!r)
		r = add_periodic(l, &l->status, STATUS_PERIOD_USEC, 0, on_status, "status");
	if (!r)
		r = add_periodic(l, &l->metrics, METRICS_PERIOD_USEC, 0, on_metrics, "metrics");
	return r;
}

int td_loop_new(struct td_pipeline *p, struct td_loop **ret)
{
	struct td_loop *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return -ENOMEM;
	l->p = p;
	l->tick_usec = (uint64_t)p->cfg->tick_ms * 1000;
	r = sd_event_default(&l->event);
	if (r < 0) {
		td_err(r, "sd_event_default");
		goto fail;
	}
	/* WATCHDOG=1 from the loop itself, as long as it turns */
	r = sd_event_set_watchdog(l->event, true);
	if (r < 0) {
		td_err(r, "sd_event_set_watchdog");
		goto fail;
	}
	if (r > 0)
		td_debug("watchdog pings from the event loop");
	r = add_sources(l);
	if (r)
		goto fail;
	*ret = l;
	return 0;
fail:
	td_loop_free(l);
	return r;
}

void td_loop_free(struct td_loop *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < sizeof(l->sig_stop) / sizeof(l->sig_stop[0]); i++)
		sd_event_source_disable_unref(l->sig_stop[i]);
	sd_event_source_disable_unref(l->sig_reload);
	/* before the ring buffer's fd is closed */
	sd_event_source_disable_unref(l->ring);
	sd_event_source_disable_unref(l->tick);
	sd_event_source_disable_unref(l->status);
	sd_event_source_disable_unref(l->metrics);
	sd_event_source_disable_unref(l->run_for);
	sd_event_unref(l->event);
	free(l);
}

/* --run-for: the loop ends run_for_s after start-up. */
static int add_run_for(struct td_loop *l)
{
	const struct td_pipeline *p = l->p;
	int r;

	if (!p->run_for_s)
		return 0;
	r = sd_event_add_time(l->event, &l->run_for, CLOCK_MONOTONIC,
			      p->start_ns / 1000 + (uint64_t)p->run_for_s * USEC_PER_SEC,
			      TICK_ACCURACY_USEC, on_run_for, l);
	return r < 0 ? td_err(r, "adding the --run-for timer") : 0;
}

int td_loop_run(struct td_loop *l)
{
	const struct td_pipeline *p = l->p;
	int r;

	r = add_run_for(l);
	if (r)
		return r;
	r = sd_event_loop(l->event);
	if (r < 0)
		return td_err(r, "event loop");
	td_notify_stopping();
	/* what is already in the ring buffer is counted, not lost; the programs
	 * go first, or under load the drain would race them for ever */
	td_sources_detach(p->sources);
	r = td_sources_consume(p->sources, TD_DRAIN_STOP_NS);
	if (r)
		td_warn("draining the ring buffer at stop: %s after %llu ms, the rest is not counted",
			r > 0 ? "not empty" : strerror(-r), TD_DRAIN_STOP_NS / 1000000);
	td_loop_write_metrics(l);
	return 0;
}
