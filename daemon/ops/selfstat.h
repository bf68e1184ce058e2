/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * selfstat.h - what the daemon costs: its own CPU time (getrusage), the
 * CPU time per second of wall time between two samples, its resident
 * memory and peak (VmRSS, VmHWM) and open fds (PROC/self/...), and whether
 * the kernel counts BPF run time (PROC/sys/kernel/bpf_stats_enabled).
 * tieringd never turns bpf_stats_enabled on: an operator does, for a
 * measurement (it costs two clock reads per program run).
 *
 * Sampled when the counters are read (stats, status, the metrics file
 * every 10 s, the summary); the rate is over the last interval of at least
 * TD_SELFSTAT_MIN_INTERVAL_NS between two samples, so reads in quick
 * succession see the same rate.
 */
#ifndef TIERINGD_SELFSTAT_H
#define TIERINGD_SELFSTAT_H

#include <stdint.h>

#define TD_SELFSTAT_MIN_INTERVAL_NS 1000000000ULL

struct td_selfstat;

struct td_selfstat_sample {
	uint64_t cpu_ns;		/* user + system, since start */
	uint64_t cpu_ns_per_s;		/* over the last interval; 0 before the first */
	uint64_t rss_bytes, rss_peak_bytes;
	uint64_t fds;
	uint64_t bpf_stats_enabled;	/* 0 or 1 */
};

/* proc_root: "/proc" (a test's directory in tests). 0, -ENOMEM. */
int td_selfstat_new(const char *proc_root, struct td_selfstat **ret);
void td_selfstat_free(struct td_selfstat *s);

/*
 * Samples now (CLOCK_MONOTONIC ns) into *ret. A file that cannot be read
 * leaves its fields 0 (the others are still filled). The CPU rate moves to
 * a new interval when now is at least TD_SELFSTAT_MIN_INTERVAL_NS after
 * the interval's start. 0; -errno when getrusage() fails.
 */
int td_selfstat_sample(struct td_selfstat *s, uint64_t now_ns, struct td_selfstat_sample *ret);

#endif
