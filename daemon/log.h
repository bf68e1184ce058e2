/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * log.h - the daemon's one log sink. Under systemd (JOURNAL_STREAM set) it
 * writes structured entries to the journal; otherwise "tieringd: ..." lines
 * to stderr. libbpf's messages are routed here too.
 */
#ifndef TIERINGD_LOG_H
#define TIERINGD_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* Sets the threshold: LOG_INFO by default, LOG_DEBUG with -v. */
void td_log_init(int max_prio);

/* Logs one message at syslog priority prio. Returns -abs(err) if err != 0
 * (so `return td_log_errno(LOG_ERR, r, "...")` works), else 0. */
int td_log_errno(int prio, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define td_log(prio, ...) ((void)td_log_errno((prio), 0, __VA_ARGS__))
#define td_err(err, ...) td_log_errno(LOG_ERR, (err), __VA_ARGS__)
#define td_warn(...) td_log(LOG_WARNING, __VA_ARGS__)
#define td_info(...) td_log(LOG_INFO, __VA_ARGS__)
#define td_debug(...) td_log(LOG_DEBUG, __VA_ARGS__)

/* True when messages at prio would be emitted. */
bool td_log_enabled(int prio);

/* Installs the libbpf print callback (warnings and up; debug with -v). */
void td_log_libbpf(void);

/* While true, libbpf warnings are logged at debug: for expected failures
 * while walking a fallback chain, which the caller reports itself. */
void td_log_libbpf_quiet(bool quiet);

#endif
