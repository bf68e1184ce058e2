/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * loop.h - the daemon's event loop, on sd-event, one source per concern:
 * SIGTERM/SIGINT (stop) and SIGHUP (reload), the tick every TickInterval,
 * the ring buffer, STATUS= every 5 s, the metrics file every 10 s, and the
 * watchdog, which sd-event pings while the loop turns. The control socket
 * attaches its own sources to td_loop_event().
 */
#ifndef TIERINGD_LOOP_H
#define TIERINGD_LOOP_H

#include <systemd/sd-event.h>

struct td_pipeline;
struct td_loop;

/*
 * Blocks SIGTERM, SIGINT and SIGHUP (they arrive through the loop, never
 * in a handler) and adds every source above for the pipeline p, whose
 * sources and configuration must be set up (p is borrowed). The tick interval is the TickInterval in
 * force now; a reload does not change it. 0, or a negative errno (logged).
 */
int td_loop_new(struct td_pipeline *p, struct td_loop **ret);

/* The loop, for sources of other modules (the control socket). */
sd_event *td_loop_event(const struct td_loop *l);

/* Writes the metrics file now (MetricsFile=), if one is configured; a
 * failure is logged once until a write succeeds again. */
void td_loop_write_metrics(struct td_loop *l);

/* Runs until SIGTERM/SIGINT (or --run-for), then STOPPING=1, takes what is
 * left in the ring buffer and writes the metrics. 0 or a negative errno. */
int td_loop_run(struct td_loop *l);

/* Detaches every source and drops the loop. NULL-safe. */
void td_loop_free(struct td_loop *l);

#endif
