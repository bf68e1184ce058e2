/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pipeline.h - what the daemon lends to the loop (loop.c) and to the
 * control verbs (ops/control.c): the stages of the pipeline, the state they
 * share, and the few things only the daemon can do, as callbacks. Neither
 * the loop nor the verbs see struct td_daemon, so there is no cycle:
 *
 *   lib/ <- source/, policy/, move/, ops/ <- loop.c <- daemon.c <- main.c
 *
 * daemon.c owns everything here; the borrowers never free it.
 */
#ifndef TIERINGD_PIPELINE_H
#define TIERINGD_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "counters.h"

struct td_demoter;
struct td_groups;
struct td_hotness;
struct td_promoter;
struct td_sources;

/* What only the daemon can do; ud is the daemon. */
struct td_pipeline_ops {
	/* Every registry counter now (lib/counters.h). */
	void (*counters)(void *ud, struct td_counters *ret);
	/* Re-reads the configuration: 0; 1 when it applied but start-only
	 * keys changed (they keep their running values; their names,
	 * space-separated, in err); -EINVAL with the errors in err (lines
	 * joined by '\n'); or -ENOMEM. Replaces pipeline->cfg. */
	int (*reload)(void *ud, char *err, size_t errlen);
	/* Called every tick: a bounded step of the cgroup walk (new and
	 * removed cgroups; a new walk every 10th call) and, every 10th, the
	 * processes that exited. */
	void (*rescan_cgroups)(void *ud);
	/* The clock the stages run on (CLOCK_MONOTONIC ns): the verbs read
	 * decayed hotness at the promoter's own now. */
	uint64_t (*now_ns)(void *ud);
	/* Who owns process pid, roughly as ptrace_may_access() decides: its
	 * real uid when its real, effective and saved uids agree, else 0 (a
	 * set-uid process is root's). 0 with *ret set, -ESRCH when there is
	 * no such process, another negative errno. The verbs show a peer
	 * that is not root only the addresses of its own processes; NULL:
	 * none at all. td_control_pid_owner() reads /proc. */
	int (*pid_owner)(void *ud, uint32_t pid, uid_t *ret);
	void *ud;
};

struct td_pipeline {
	/* the stages */
	struct td_sources *sources;
	struct td_hotness *hot;
	struct td_promoter *promoter;
	struct td_demoter *demoter;	/* NULL when Demotion=no */
	struct td_groups *groups;	/* the policy groups in force */
	/* what they share */
	const struct td_daemon_config *cfg;	/* in force; replaced on reload */
	uint64_t fast_mask, slow_mask;
	bool paused;			/* tieringctl pause: nothing is moved */
	bool dry_run;
	uint64_t start_ns;		/* CLOCK_MONOTONIC at ready */
	uint32_t run_for_s;		/* --run-for; 0: until a stop signal */
	const char *config_path;
	const char *limitation;		/* "" or why the kernel cannot help */
	struct td_pipeline_ops ops;
};

/* CLOCK_MONOTONIC nanoseconds. */
uint64_t td_now_ns(void);

#endif
