// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>

#include "movepool.h"

struct td_movepool {
	struct td_move_ops ops;
	unsigned workers;
	pthread_t *threads;	/* [workers - 1] */
	unsigned started;
	pthread_mutex_t m;
	pthread_cond_t work;	/* a round has jobs left, or stop */
	pthread_cond_t done;	/* the round's last job finished */
	/* the round, under m */
	struct td_move_job *jobs;
	size_t n, next, pending;
	bool stop;
};

static void call(const struct td_movepool *mp, struct td_move_job *j)
{
	j->ret = mp->ops.move_pages(mp->ops.ctx, j->pid, j->count, j->pages, j->nodes, j->status,
				    j->flags);
}

/* Takes and makes the round's jobs until none is left; m held on entry
 * and on return. */
static void drain(struct td_movepool *mp)
{
	while (mp->next < mp->n) {
		struct td_move_job *j = &mp->jobs[mp->next++];

		pthread_mutex_unlock(&mp->m);
		call(mp, j);
		pthread_mutex_lock(&mp->m);
		if (--mp->pending == 0)
			pthread_cond_signal(&mp->done);
	}
}

static void *worker(void *arg)
{
	struct td_movepool *mp = arg;

	pthread_mutex_lock(&mp->m);
	for (;;) {
		while (!mp->stop && mp->next >= mp->n)
			pthread_cond_wait(&mp->work, &mp->m);
		if (mp->stop)
			break;
		drain(mp);
	}
	pthread_mutex_unlock(&mp->m);
	return NULL;
}

void td_movepool_free(struct td_movepool *mp)
{
	if (!mp)
		return;
	pthread_mutex_lock(&mp->m);
	mp->stop = true;
	pthread_cond_broadcast(&mp->work);
	pthread_mutex_unlock(&mp->m);
	for (unsigned i = 0; i < mp->started; i++)
		pthread_join(mp->threads[i], NULL);
	pthread_cond_destroy(&mp->done);
	pthread_cond_destroy(&mp->work);
	pthread_mutex_destroy(&mp->m);
	free(mp->threads);
	free(mp);
}

/* The threads, with every signal blocked (they are born with the mask of
 * the thread that makes them; the caller's own is put back). */
static int start_threads(struct td_movepool *mp)
{
	sigset_t all, old;
	int r = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 0; i + 1 < mp->workers && !r; i++) {
		r = -pthread_create(&mp->threads[i], NULL, worker, mp);
		if (!r)
			mp->started++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

int td_movepool_new(unsigned workers, const struct td_move_ops *ops, struct td_movepool **ret)
{
	struct td_movepool *mp;
	int r;

	if (!ret || !ops || !ops->move_pages || workers < 2 || workers > TD_MOVEPOOL_MAX)
		return -EINVAL;
	mp = calloc(1, sizeof(*mp));
	if (!mp)
		return -ENOMEM;
	mp->threads = calloc(workers - 1, sizeof(*mp->threads));
	if (!mp->threads) {
		free(mp);
		return -ENOMEM;
	}
	mp->ops = *ops;
	mp->workers = workers;
	pthread_mutex_init(&mp->m, NULL);
	pthread_cond_init(&mp->work, NULL);
	pthread_cond_init(&mp->done, NULL);
	r = start_threads(mp);
	if (r) {
		td_movepool_free(mp);
		return r;
	}
	*ret = mp;
	return 0;
}

unsigned td_movepool_workers(const struct td_movepool *mp)
{
	return mp ? mp->workers : 1;
}

void td_movepool_run(struct td_movepool *mp, struct td_move_job *jobs, size_t n)
{
	if (n == 0)
		return;
	if (n == 1) {
		call(mp, &jobs[0]);
		return;
	}
	pthread_mutex_lock(&mp->m);
	mp->jobs = jobs;
	mp->n = n;
	mp->next = 0;
	mp->pending = n;
	pthread_cond_broadcast(&mp->work);
	drain(mp);
	while (mp->pending)
		pthread_cond_wait(&mp->done, &mp->m);
	mp->jobs = NULL;
	mp->n = mp->next = 0;
	pthread_mutex_unlock(&mp->m);
}
