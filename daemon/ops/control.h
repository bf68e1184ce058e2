/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * control.h - the control socket's verbs (lib/proto.h has the codec) over
 * the pipeline the daemon lends (pipeline.h): read-only views for root and
 * group tieringd, reload/pause/resume for root only. Also the two other
 * renderings of the same state: the STATUS= line and the Prometheus text.
 */
#ifndef TIERINGD_CONTROL_H
#define TIERINGD_CONTROL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ops/server.h"

struct td_pipeline;

/* The server's handler (td_server_handler); ctx is the struct td_pipeline. */
char *td_control_handle(void *ctx, const char *line, size_t len, const struct td_peer *peer,
			size_t *ret_len);

/* The pipeline's pid_owner (pipeline.h): the Uid: line of /proc/PID/status.
 * ud is unused. */
int td_control_pid_owner(void *ud, uint32_t pid, uid_t *ret);

/* The one-line STATUS= summary. */
void td_control_status_line(const struct td_pipeline *p, char *buf, size_t len);

/* The Prometheus text of the state now, malloc'd into *ret. 0 or -ENOMEM. */
int td_control_metrics(const struct td_pipeline *p, char **ret, size_t *ret_len);

#endif
