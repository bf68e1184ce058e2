/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * movepool.h - parallel move_pages(2) calls: a fixed pool of threads that
 * runs a round of independent calls at once and returns when all of them
 * are done (the userspace analogue of the kernel's multi-threaded folio
 * copy). Only the calls run on the pool's threads: which calls to make,
 * and what their statuses mean, stay with the single-threaded caller, so
 * nothing else needs a lock. The caller's thread works on the round too.
 */
#ifndef TIERINGD_MOVEPOOL_H
#define TIERINGD_MOVEPOOL_H

#include <stddef.h>
#include <sys/types.h>

#include "promote.h"

/* One move_pages(2) call and its result. */
struct td_move_job {
	pid_t pid;
	unsigned long count;
	void **pages;
	const int *nodes;
	int *status;		/* filled by the call */
	int flags;
	long ret;		/* the call's return value (0, > 0, or -errno) */
};

struct td_movepool;

/*
 * A pool that makes up to `workers` calls at once (the caller's thread and
 * workers - 1 threads), through ops, which must be safe to call from
 * several threads at once (the raw syscall is). workers 2..TD_MOVEPOOL_MAX.
 * The threads block every signal. Returns 0, -EINVAL, or the negative
 * errno of a failed allocation or pthread_create (nothing is left behind).
 */
#define TD_MOVEPOOL_MAX 16
int td_movepool_new(unsigned workers, const struct td_move_ops *ops, struct td_movepool **ret);

/* Stops and joins the threads; NULL is a no-op. */
void td_movepool_free(struct td_movepool *mp);

unsigned td_movepool_workers(const struct td_movepool *mp);

/* Makes the calls jobs[0..n) and returns when every one has its ret and
 * status filled. Not reentrant: one round at a time, from one thread. */
void td_movepool_run(struct td_movepool *mp, struct td_move_job *jobs, size_t n);

#endif
