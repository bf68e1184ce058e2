/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * notify.h - the service manager protocol (sd_notify): READY, STATUS,
 * RELOADING and STOPPING. WATCHDOG=1 is sent by the event loop itself
 * (sd_event_set_watchdog, loop.c). Without NOTIFY_SOCKET every call is a
 * no-op, so the daemon runs the same in a terminal.
 */
#ifndef TIERINGD_NOTIFY_H
#define TIERINGD_NOTIFY_H

#include <stdint.h>

/* READY=1 with a STATUS= line. */
void td_notify_ready_status(const char *status);

/* RELOADING=1 with MONOTONIC_USEC (systemd >= 253 acts on it; older ones
 * ignore it and rely on ExecReload= returning). */
void td_notify_reloading(void);

void td_notify_status(const char *status);
void td_notify_stopping(void);

#endif
