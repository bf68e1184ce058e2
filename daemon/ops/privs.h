/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * privs.h - the capabilities tieringd gives up once it is ready.
 *
 * Start-up needs CAP_BPF and CAP_PERFMON (load and attach the programs,
 * perf_event_open(2) on every CPU) and CAP_SYS_ADMIN (the write of
 * kernel.numa_balancing, and perf_event_open(2) while Debian's
 * perf_event_paranoid is 3). After ready nothing is loaded, attached or
 * opened any more (reload, pause and resume update maps through their fds,
 * which needs no capability) and kernel.numa_balancing is written again
 * only to put it back. So the running daemon keeps:
 *   CAP_SYS_PTRACE    move_pages(2), numa_maps and pagemap of any process;
 *   CAP_DAC_OVERRIDE  memory.reclaim of delegated cgroups, pagemap of
 *                     other users' processes (mode 0400, their owner's);
 *   CAP_SYS_ADMIN     only while source/folio.c resolves folio sizes of
 *                     sampled addresses: pagemap shows PFNs only to a
 *                     CAP_SYS_ADMIN opener, and it opens one per process.
 * Everything else leaves the effective, permitted and inheritable sets,
 * the bounding set where CAP_SETPCAP allows it (a bare run as root; the
 * shipped unit does not grant CAP_SETPCAP: there NoNewPrivileges=yes and
 * the permitted set keep an exec from regaining anything), and
 * PR_SET_NO_NEW_PRIVS is set.
 *
 * kernel.numa_balancing, which only CAP_SYS_ADMIN may write, must still
 * come back at exit. Under the shipped unit ExecStopPost=+tieringd
 * --restore-kernel-state does it (tieringd --no-restorer). Otherwise,
 * before the drop, tieringd starts the restorer: `tieringd --restorer=FD`,
 * a small process ("tieringd-kstate") that keeps only CAP_SYS_ADMIN, waits
 * until the daemon's end of the socket pair FD closes (any exit, SIGKILL
 * included) and runs --restore-kernel-state.
 */
#ifndef TIERINGD_PRIVS_H
#define TIERINGD_PRIVS_H

#include <stdbool.h>
#include <stdint.h>

struct td_kernel;

struct td_privs_params {
	bool sys_admin;		/* keep CAP_SYS_ADMIN: the folio resolver is in use */
	bool restorer;		/* start the restorer (not under the shipped unit) */
	struct td_kernel *kernel;	/* told who puts back what it cannot (td_kernel_defer) */
};

struct td_privs;

/* The capabilities (bit n = capability n) the running daemon keeps. */
uint64_t td_privs_keep_mask(const struct td_privs_params *p);

/*
 * Starts the restorer if asked and waits for its ready byte (if it cannot,
 * CAP_SYS_ADMIN is kept so the daemon's own restore works), then drops every capability outside
 * td_privs_keep_mask() and logs once what it dropped and kept. 0, or a
 * negative errno when the drop failed (logged; the daemon runs on with
 * the capabilities it had). *ret is set in both cases.
 */
int td_privs_drop(const struct td_privs_params *p, struct td_privs **ret);

/* Closes our end of the restorer's socket pair and waits until it has put
 * back what the daemon could not. Call after td_kernel_restore().
 * NULL-safe. */
void td_privs_free(struct td_privs *p);

/*
 * tieringd --restorer=FD: keeps only CAP_SYS_ADMIN, writes one byte to fd
 * (ready), waits for end of file on it, then td_kernel_restore_state().
 * 0, or a negative errno.
 */
int td_privs_run_restorer(int fd);

/* The restorer's process name (comm). */
#define TD_PRIVS_RESTORER_COMM "tieringd-kstate"

#endif
