/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * reap.h - processes that exited leave the hotness table. The table frees
 * a process slot only once the process is forgotten; one that exits before
 * any of its pages became a candidate (move_pages never says ESRCH for it)
 * would hold its slot for ever, and once capacity/64 of them have come and
 * gone the table refuses every new process. The daemon reaps when the
 * table says it is full and every few seconds.
 */
#ifndef TIERINGD_REAP_H
#define TIERINGD_REAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct td_hotness;

/* Is process tgid still there? td_reap_alive_kill() in production. */
typedef bool (*td_reap_alive_fn)(void *ctx, uint32_t tgid);

/* kill(tgid, 0): alive unless ESRCH (a zombie is alive until its parent
 * reaps it; EPERM means it exists). */
bool td_reap_alive_kill(void *ctx, uint32_t tgid);

/* Forgets every process of h that alive() says is gone; its entries turn
 * stale (td_hotness_sweep reclaims them). Returns how many were forgotten. */
size_t td_reap_dead(struct td_hotness *h, td_reap_alive_fn alive, void *ctx);

#endif
