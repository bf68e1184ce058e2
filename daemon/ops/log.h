/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * log.h - the daemon's one log sink. When stderr is the journal (systemd
 * sets JOURNAL_STREAM to its device:inode) it writes structured entries to
 * the journal; otherwise "tieringd: ..." lines to stderr. libbpf's messages
 * are routed here too.
 */
#ifndef TIERINGD_LOG_H
#define TIERINGD_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#include "promote.h"

/*
 * Fixed journal MESSAGE_IDs (made once with `systemd-id128 new`; never
 * change one). systemd/tieringd.catalog explains each; `journalctl
 * MESSAGE_ID=...` finds them. Documented in tieringd(8).
 */
#define TD_MESSAGE_ID_START		"0709f7a6ec0e4be5976d729cbf8b69cb"	/* ready */
#define TD_MESSAGE_ID_STOP		"6569514317db400aab60f1c131f9839a"	/* stopping */
#define TD_MESSAGE_ID_RELOADED		"7129dfff998140b8bf475e643e16eaa8"	/* new config in force */
#define TD_MESSAGE_ID_RELOAD_FAILED	"f79d9facc0cf4088b607a8bdc8255c85"	/* old config kept */
#define TD_MESSAGE_ID_PROMOTE		"f0014108ed344d89a2460fa10061af24"	/* one per batch */
#define TD_MESSAGE_ID_PROMOTE_SUPPRESSED "eb67098bdf7f41dca79f6813c242a15b"	/* rate limited */
#define TD_MESSAGE_ID_KERNEL_PROMOTE	"c66a51d6663844e48b2714fff7de1cff"	/* the kernel's own */

/* Promotion batch entries: at most this many per second (token bucket,
 * bursts of up to this many). */
#define TD_LOG_PROMOTE_PER_SEC 50

/* Sets the threshold: LOG_INFO by default, LOG_DEBUG with -v. Decides
 * between journal and stderr. */
void td_log_init(int max_prio);

/* Logs one message at syslog priority prio. Returns -abs(err) if err != 0
 * (so `return td_log_errno(LOG_ERR, r, "...")` works), else 0. */
int td_log_errno(int prio, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Logs one message at prio with a fixed MESSAGE_ID (one of the
 * TD_MESSAGE_ID_* above; NULL for none) in the journal; on stderr the id
 * is not shown. Returns 0. */
int td_log_id(int prio, const char *message_id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define td_log(prio, ...) ((void)td_log_errno((prio), 0, __VA_ARGS__))
#define td_err(err, ...) td_log_errno(LOG_ERR, (err), __VA_ARGS__)
#define td_warn(...) td_log(LOG_WARNING, __VA_ARGS__)
#define td_info(...) td_log(LOG_INFO, __VA_ARGS__)
#define td_debug(...) td_log(LOG_DEBUG, __VA_ARGS__)

/* True when messages at prio would be emitted. */
bool td_log_enabled(int prio);

/*
 * One entry per promotion batch (one move_pages(2) target: a process of a
 * cgroup, one source node, one destination node). In the journal: PRIORITY
 * 6, MESSAGE_ID TD_MESSAGE_ID_PROMOTE, TIERINGD_EVENT=promote and the fields
 * PROMOTED_PAGES, PROMOTED_BYTES, PROMOTED_FOLIOS, FAILED_PAGES, FAILED_BYTES,
 * TARGET_PID, CGROUP_PATH, SRC_NODE, DST_NODE. Pages are base pages (a 2 MiB
 * THP is 512, as the kernel's pgpromote_success counts), folios what was
 * moved. On stderr: one "promote: pid P (CGROUP) node S -> D: N promoted
 * (F folios, B bytes), X failed" line at info level. At most TD_LOG_PROMOTE_PER_SEC
 * entries per second by now_ns (CLOCK_MONOTONIC); the entries over that are
 * dropped and counted, and the next entry emitted is preceded by one
 * "suppressed N promote entries" message (TD_MESSAGE_ID_PROMOTE_SUPPRESSED).
 */
void td_log_promote_batch(const char *cgroup_path, const struct td_batch_result *b,
			  uint64_t now_ns);

/*
 * The kernel's own promotions of a cgroup policy's pages since the last
 * entry (one entry per policy and tick at most): in the journal
 * TIERINGD_EVENT=kernel-promote, MESSAGE_ID TD_MESSAGE_ID_KERNEL_PROMOTE,
 * KERNEL_PROMOTED_PAGES, CGROUP_PATH; on stderr one "kernel-promote:" line.
 * Info level.
 */
void td_log_kernel_promote(const char *cgroup_path, uint64_t pages);

/* Promotion batch entries dropped by the rate limit since start. */
uint64_t td_log_promote_suppressed(void);

/* Installs the libbpf print callback (warnings and up; debug with -v). */
void td_log_libbpf(void);

/* While true, libbpf warnings are logged at debug: for expected failures
 * while walking a fallback chain, which the caller reports itself. */
void td_log_libbpf_quiet(bool quiet);

#endif
