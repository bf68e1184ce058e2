/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daemon.h - the daemon: one thread, one sd-event loop (loop.c) over the
 * ring buffer, the signals, the timers and the control socket.
 */
#ifndef TIERINGD_DAEMON_H
#define TIERINGD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

struct td_daemon;

#define TD_DEFAULT_SOCKET "/run/tieringd/tieringd.sock"

struct td_config;

struct td_daemon_options {
	const struct td_config *config;	/* copied at start; replaced on reload */
	const char *config_path;	/* re-read on SIGHUP */
	bool config_missing_ok;
	const char *socket_path;
	bool dry_run;
	uint32_t run_for_s;	/* 0: until SIGTERM/SIGINT */
	bool no_restorer;	/* the unit restores the kernel settings (ops/privs.h) */
};

/* Opens topology and sources (BPF load + attach). 0 or negative errno. */
int td_daemon_new(const struct td_daemon_options *o, struct td_daemon **ret);

/* Runs the loop until SIGTERM/SIGINT (or run_for_s). 0 or negative errno. */
int td_daemon_run(struct td_daemon *d);

/* Prints the end-of-run summary to stdout. */
void td_daemon_print_summary(const struct td_daemon *d);

void td_daemon_free(struct td_daemon *d);

#endif
