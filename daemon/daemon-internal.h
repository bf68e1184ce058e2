/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daemon-internal.h - the daemon's state, shared by start-up and reload
 * (daemon.c), the loop (loop.c) and the control socket's verbs (control.c).
 * Nothing else includes it.
 */
#ifndef TIERINGD_DAEMON_INTERNAL_H
#define TIERINGD_DAEMON_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "counters.h"
#include "daemon.h"
#include "ops/server.h"
#include "source/sources.h"

struct td_demoter;
struct td_groups;
struct td_hotness;
struct td_loop;
struct td_promoter;
struct td_server;

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
	struct td_groups *groups;	/* the policy groups in force */
	char cgroup_root[PATH_MAX];	/* the cgroup v2 mount */
	bool paused;			/* tieringctl pause: nothing is moved */
	uint64_t fast_mask, slow_mask;
	struct td_loop *loop;		/* loop.c: the sd-event loop and its sources */
	uint64_t start_ns;
	uint64_t events_received;
	uint64_t events_by_source[TD_SRC__MAX];
	uint64_t events_on_slow;
	struct td_server *server;
};

uint64_t td_now_ns(void);

/* Re-reads the configuration (SIGHUP, tieringctl reload). 0, or -EINVAL
 * with the errors in errbuf (lines joined by '\n'), or -ENOMEM. */
int td_daemon_reload(struct td_daemon *d, char *errbuf, size_t errlen);

/* The one-line STATUS= summary. */
void td_daemon_status_line(const struct td_daemon *d, char *buf, size_t len);

/* Walks the cgroup tree: the id cache and the kernel's map, from the
 * configuration just loaded (new_config) or the one in force. */
void td_daemon_sync_cgroups(struct td_daemon *d, bool new_config);

/* Every registry counter (lib/counters.h) now. */
void td_daemon_counters(const struct td_daemon *d, struct td_counters *ret);

/* Calls fn for each counter of the summary (name, value). */
void td_daemon_foreach_counter(const struct td_daemon *d,
			       void (*fn)(const char *name, uint64_t v, void *ud), void *ud);

/* The kernel's numa_balancing now, or a negative errno. */
int td_daemon_kernel_numa_balancing(void);

/* The Prometheus text of the state now, malloc'd (control.c). 0 or -ENOMEM. */
int td_daemon_metrics(struct td_daemon *d, char **ret, size_t *ret_len);

/* The control socket's handler (control.c). */
char *td_control_handle(void *ctx, const char *line, size_t len, const struct td_peer *peer,
			size_t *ret_len);

#endif
