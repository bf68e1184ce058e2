/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * metrics.h - the daemon's counters as Prometheus text exposition format
 * 0.0.4, for node_exporter's textfile collector (daemon/metricsfile.c writes
 * the file). Pure: formats a snapshot the caller fills into a buffer the
 * caller owns and reuses; no I/O, no clock.
 *
 * Families, in this order (HELP and TYPE once each, before its samples):
 *
 *   tieringd_uptime_seconds                          gauge
 *   tieringd_<metric>[_total]{label}                 one per counter of the
 *                                                    registry (lib/counters.h),
 *                                                    "_total" unless a gauge
 *   tieringd_cgroup_mode{cgroup,mode}                gauge, always 1
 *   tieringd_pages_promoted_total{cgroup}            counter
 *   tieringd_pages_failed_total{cgroup,reason}       counter
 *   tieringd_cgroup_fast_bytes{cgroup}               gauge
 *   tieringd_cgroup_slow_bytes{cgroup}               gauge
 *
 * Unlabelled families are always written. A labelled family is written only
 * when it has samples (an empty cgroup list writes no per-cgroup family).
 * A registry family has one sample per label value, zero or not, so its
 * series exist from the start; the per-cgroup failures have only the
 * non-zero reasons, which bounds cardinality to what actually happened.
 *
 * Label values are escaped as the format requires (\ " and newline), and
 * bytes that are not valid UTF-8 (a cgroup directory name can be any bytes)
 * become U+FFFD: the collector would reject the whole file otherwise.
 */
#ifndef TIERINGD_METRICS_H
#define TIERINGD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "counters.h"

/* One managed cgroup. failed_by_reason has the snapshot's n_reasons entries,
 * indexed like reason_names, or is NULL when the cgroup has no failures. */
struct td_metrics_cgroup {
	const char *path;		/* "/a/b", below the cgroup root */
	const char *mode;		/* "promote", "observe", ...; NULL: no mode sample */
	uint64_t pages_promoted;
	uint64_t fast_bytes;
	uint64_t slow_bytes;
	const uint64_t *failed_by_reason;
};

/* Everything one scrape shows. Arrays are borrowed for the call only. */
struct td_metrics_snapshot {
	double uptime_s;
	const struct td_counters *counters;	/* the registry's values */

	const char *const *reason_names;	/* per-cgroup failures: "ENOENT", ... */
	size_t n_reasons;

	const struct td_metrics_cgroup *cgroups;	/* each path once */
	size_t n_cgroups;
};

/* A growable output buffer. Zero-initialise; td_metrics_format() reuses the
 * memory across calls; td_metrics_buf_fini() frees it. */
struct td_metrics_buf {
	char *data;		/* NUL-terminated once non-NULL */
	size_t len;		/* bytes of text, without the NUL */
	size_t cap;
};

/* Frees the buffer's memory and zeroes it. NULL-safe. */
void td_metrics_buf_fini(struct td_metrics_buf *b);

/*
 * Replaces buf's contents with the exposition text of s. Returns 0;
 * -EINVAL when counters is NULL, a name array is NULL while its count is not
 * zero, or a name or cgroup path is NULL; -ENOMEM. On error buf->len is 0 and the buffer
 * stays valid (and must still be freed).
 */
int td_metrics_format(const struct td_metrics_snapshot *s, struct td_metrics_buf *buf);

#endif
