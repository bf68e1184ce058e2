// SPDX-License-Identifier: GPL-2.0-only
/*
 * The move_pages(2) pool (lib/movepool.c) and td_promote() through it: the
 * calls of a round really overlap (a fake call waits until its partner is
 * in flight), every call's status and return come back, the per-page and
 * per-batch callbacks stay in the caller's thread, and the outcome equals
 * the serial run's.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "movepool.h"
#include "promote.h"
#include "units.h"

#define NODE_FULL 3		/* the fake's full node */

struct fake {
	atomic_int in_flight, max_in_flight, calls;
	int want_overlap;	/* a call waits (up to 2 s) for this many in flight */
	pthread_t main;
	atomic_int off_main;	/* callbacks seen off the caller's thread */
};

static void wait_overlap(struct fake *f)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (atomic_load(&f->in_flight) >= f->want_overlap)
			return;
	} while (t.tv_sec - t0.tv_sec < 2);
}

static long fake_move(void *ctx, pid_t pid, unsigned long count, void **pages, const int *nodes,
		      int *status, int flags)
{
	struct fake *f = ctx;
	int now = atomic_fetch_add(&f->in_flight, 1) + 1, max = atomic_load(&f->max_in_flight);
	long notmoved = 0;

	(void)pages;
	(void)flags;
	while (now > max && !atomic_compare_exchange_weak(&f->max_in_flight, &max, now))
		;
	atomic_fetch_add(&f->calls, 1);
	if (f->want_overlap > 1)
		wait_overlap(f);
	for (unsigned long i = 0; i < count; i++) {
		status[i] = nodes[i] == NODE_FULL ? -ENOMEM : nodes[i];
		notmoved += status[i] < 0;
	}
	atomic_fetch_sub(&f->in_flight, 1);
	return pid == 666 ? -ESRCH : notmoved;
}

static void test_new_invalid(void **state)
{
	struct fake f = {};
	struct td_move_ops ops = { .move_pages = fake_move, .ctx = &f };
	struct td_movepool *mp = NULL;

	(void)state;
	assert_int_equal(td_movepool_new(1, &ops, &mp), -EINVAL);
	assert_int_equal(td_movepool_new(TD_MOVEPOOL_MAX + 1, &ops, &mp), -EINVAL);
	assert_int_equal(td_movepool_new(2, NULL, &mp), -EINVAL);
	assert_null(mp);
	td_movepool_free(NULL);
}

/* Four calls on two workers: two at a time, never more, all answered. */
static void test_round_overlaps(void **state)
{
	struct fake f = { .want_overlap = 2 };
	struct td_move_ops ops = { .move_pages = fake_move, .ctx = &f };
	struct td_move_job jobs[4];
	void *pages[4][8];
	int nodes[4][8], status[4][8];
	struct td_movepool *mp;

	(void)state;
	assert_int_equal(td_movepool_new(2, &ops, &mp), 0);
	assert_int_equal(td_movepool_workers(mp), 2);
	for (int round = 0; round < 3; round++) {
		for (int j = 0; j < 4; j++) {
			for (int i = 0; i < 8; i++) {
				pages[j][i] = (void *)(uintptr_t)((i + 1) << 12);
				nodes[j][i] = j == 3 ? NODE_FULL : j;
				status[j][i] = -EINPROGRESS;
			}
			jobs[j] = (struct td_move_job){ .pid = j == 2 ? 666 : 100 + j, .count = 8,
							.pages = pages[j], .nodes = nodes[j],
							.status = status[j], .ret = 12345 };
		}
		td_movepool_run(mp, jobs, 4);
		for (int j = 0; j < 4; j++)
			for (int i = 0; i < 8; i++)
				assert_int_equal(status[j][i], j == 3 ? -ENOMEM : j);
		assert_int_equal(jobs[0].ret, 0);
		assert_int_equal(jobs[1].ret, 0);
		assert_int_equal(jobs[2].ret, -ESRCH);
		assert_int_equal(jobs[3].ret, 8);
	}
	assert_int_equal(atomic_load(&f.calls), 12);
	assert_int_equal(atomic_load(&f.max_in_flight), 2);
	td_movepool_free(mp);
}

/* ------------------------------------------------------------ td_promote */

struct seen {
	struct fake *f;
	uint64_t moved_bytes, full, gone, batches;
	uint32_t refuse;	/* before_call refuses this tgid */
	unsigned before_calls;
};

static void on_page(const struct td_candidate *c, enum td_move_outcome o, int status, void *ud)
{
	struct seen *s = ud;

	(void)status;
	if (!pthread_equal(pthread_self(), s->f->main))
		atomic_fetch_add(&s->f->off_main, 1);
	if (o == TD_MOVE_DONE)
		s->moved_bytes += td_folio_bytes(c->order);
	s->full += o == TD_MOVE_FULL;
	s->gone += o == TD_MOVE_GONE;
}

static void on_batch(const struct td_batch_result *b, void *ud)
{
	struct seen *s = ud;

	(void)b;
	if (!pthread_equal(pthread_self(), s->f->main))
		atomic_fetch_add(&s->f->off_main, 1);
	s->batches++;
}

static int before_call(void *ud, uint32_t tgid)
{
	struct seen *s = ud;

	if (!pthread_equal(pthread_self(), s->f->main))
		atomic_fetch_add(&s->f->off_main, 1);
	s->before_calls++;
	return tgid == s->refuse ? -ESRCH : 0;
}

#define NCANDS 3000

/* 3,000 candidates: 6 memcgs, 2 processes each, a THP every 7th; with
 * full, the last memcg's target node is full. */
static size_t fill(struct td_candidate *c, bool full)
{
	for (size_t i = 0; i < NCANDS; i++) {
		uint32_t g = i % 6, p = (i / 6) % 2;

		c[i] = (struct td_candidate){
			.memcg_id = 10 + g, .tgid = 1000 + 2 * g + p,
			.addr = ((uint64_t)(i + 1) << 21), .src_nid = 1,
			.dst_nid = g == 5 && full ? NODE_FULL : 0, .order = i % 7 ? 0 : 9,
		};
	}
	return NCANDS;
}

static void run(unsigned workers, bool full, struct seen *s, struct td_promote_totals *t)
{
	static struct td_candidate c[NCANDS];
	struct td_move_ops ops = { .move_pages = fake_move, .ctx = s->f };
	struct td_movepool *mp = NULL;
	struct td_promote_params p = {
		.ops = &ops, .batch_pages = 64, .budget_bytes = UINT64_MAX, .flags = 0,
		.on_page = on_page, .on_batch = on_batch, .before_call = before_call,
		.userdata = s,
	};
	size_t n = fill(c, full);

	if (workers > 1)
		assert_int_equal(td_movepool_new(workers, &ops, &mp), 0);
	p.pool = mp;
	s->f->main = pthread_self();
	assert_int_equal(td_promote(&p, c, n, t), 0);
	td_movepool_free(mp);
}

static void test_promote_pool_equals_serial(void **state)
{
	struct fake f1 = {}, f4 = {};
	struct seen s1 = { .f = &f1, .refuse = 1003 }, s4 = { .f = &f4, .refuse = 1003 };
	struct td_promote_totals t1, t4;

	(void)state;
	run(1, false, &s1, &t1);
	run(4, false, &s4, &t4);
	assert_true(t1.calls > 8);
	assert_int_equal(t4.calls, t1.calls);
	assert_int_equal(t4.moved, t1.moved);
	assert_int_equal(t4.moved_bytes, t1.moved_bytes);
	assert_int_equal(t4.failed, t1.failed);
	assert_int_equal(t4.tried_bytes, t1.tried_bytes);
	assert_int_equal(s4.moved_bytes, t4.moved_bytes);
	assert_int_equal(s4.gone, s1.gone);
	assert_true(s4.gone > 0);	/* the refused process: no call, pages gone */
	assert_int_equal(s4.batches, s1.batches);
	assert_int_equal(s4.before_calls, s1.before_calls);
	assert_int_equal(atomic_load(&f4.calls) + 0, (int)t4.calls);
	assert_true(atomic_load(&f4.max_in_flight) >= 1);
	assert_int_equal(atomic_load(&f1.off_main), 0);
	assert_int_equal(atomic_load(&f4.off_main), 0);
}

/* A node found full in a round: the rounds after it skip its folios, so
 * at most one round's calls (4 of 64 folios) fail against it. */
static void test_promote_pool_full_node(void **state)
{
	struct fake f1 = {}, f4 = {};
	struct seen s1 = { .f = &f1 }, s4 = { .f = &f4 };
	struct td_promote_totals t1, t4;

	(void)state;
	run(1, true, &s1, &t1);
	run(4, true, &s4, &t4);
	assert_int_equal(s1.full, 64);
	assert_true(s4.full >= 64 && s4.full <= 4 * 64);
	assert_int_equal(t4.moved_bytes, t1.moved_bytes);
	assert_int_equal(t4.errors[TD_ERR_ENOMEM], s4.full);
}

/* The budget holds across a round: the calls of one round together never
 * take the bytes tried past it. */
static void test_promote_pool_budget(void **state)
{
	static struct td_candidate c[NCANDS];
	struct fake f = {};
	struct seen s = { .f = &f };
	struct td_move_ops ops = { .move_pages = fake_move, .ctx = &f };
	struct td_movepool *mp;
	struct td_promote_totals t;
	struct td_promote_params p = {
		.ops = &ops, .batch_pages = 16, .budget_bytes = 40 << 20,
		.on_page = on_page, .userdata = &s,
	};

	(void)state;
	fill(c, false);
	assert_int_equal(td_movepool_new(4, &ops, &mp), 0);
	p.pool = mp;
	f.main = pthread_self();
	assert_int_equal(td_promote(&p, c, NCANDS, &t), 0);
	assert_true(t.tried_bytes <= p.budget_bytes);
	assert_true(t.tried_bytes > p.budget_bytes - (2 << 20));
	td_movepool_free(mp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_invalid),
		cmocka_unit_test(test_round_overlaps),
		cmocka_unit_test(test_promote_pool_equals_serial),
		cmocka_unit_test(test_promote_pool_full_node),
		cmocka_unit_test(test_promote_pool_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
