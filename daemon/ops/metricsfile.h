/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * metricsfile.h - publishing the metrics text (lib/metrics.h) as a file for
 * node_exporter's textfile collector, e.g.
 * /var/lib/prometheus/node-exporter/tieringd.prom.
 */
#ifndef TIERINGD_METRICSFILE_H
#define TIERINGD_METRICSFILE_H

#include <stddef.h>

/*
 * Replaces the file at path with buf[0..len) atomically: a reader sees the
 * old file or the new one, never a partial one. Writes "<path>.tmp.<pid>" in
 * the same directory (the collector reads only *.prom, so it ignores it),
 * mode 0644 whatever the umask, then rename()s it over path. A stale
 * temporary file of the same name (a previous process with our pid) is
 * replaced. No fsync: the file is rewritten every interval, so after a crash
 * a stale or empty file until the next write is acceptable, and the loop
 * should not wait for the disk.
 *
 * Returns 0, or a negative errno with no temporary file left behind:
 * -ENOENT when the directory does not exist, -ENAMETOOLONG, or whatever
 * open/write/close/rename reported (-EACCES, -ENOSPC, -EISDIR, ...).
 */
int td_metricsfile_write(const char *path, const char *buf, size_t len);

#endif
