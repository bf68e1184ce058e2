// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_move_pages - batched against one-page-per-call move_pages(2), run in
 * a two-node guest (tests/vm/suites/bench.sh). The same pages are moved
 * from --from to --to once in batches of --batch pages per call through
 * lib/promote.c (the promoter's own code path), moved back, and then moved
 * again one page per call. Placement is verified after each pass.
 *
 *   bench_move_pages [--mib N] [--batch N] [--from NODE] [--to NODE] [--threads T]
 *
 * Prints "move_pages: batch=B pages=N pages_per_s=X" for every pass,
 * "move_pages: batched_pages_per_s=X" (the second batched pass: the first
 * is cold, under TCG the host backs the target memory on first touch) and
 * "move_pages: batch_speedup=R" (that against one page per call). With --threads T > 1, the pages are moved
 * back and then moved once more by T threads at once, each its own slice in
 * batches (as T parallel promoter workers on one fast node would): prints
 * "move_pages: threads=T ... pages_per_s=X"; three rounds of one caller
 * and T callers, interleaved, give "parallel_speedup=R" (of the medians). Figures, not a timed test: exits
 * non-zero only when pages end up in the wrong place.
 */
#include <errno.h>
#include <getopt.h>
#include <numaif.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "promote.h"

#define PAGE 4096UL

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long sys_move(void *ctx, pid_t pid, unsigned long count, void **pages,
		     const int *nodes, int *status, int flags)
{
	long r = move_pages(pid, count, pages, nodes, status, flags);

	return r < 0 ? -errno : r;
}

static const struct td_move_ops ops = { .move_pages = sys_move };

/* Moves all pages to `to` with batch pages per call; returns pages/s. */
static double pass(char *buf, size_t n, uint32_t batch, int from, int to,
		   struct td_candidate *c, uint64_t *ret_moved)
{
	struct td_promote_params p = {
		.ops = &ops, .batch_pages = batch, .budget_bytes = UINT64_MAX,
		.flags = MPOL_MF_MOVE,
	};
	struct td_promote_totals t;
	double t0, dt;

	for (size_t i = 0; i < n; i++)
		c[i] = (struct td_candidate){ .addr = (uint64_t)(uintptr_t)(buf + i * PAGE),
					      .tgid = (uint32_t)getpid(), .src_nid = from, .dst_nid = to };
	t0 = now_s();
	if (td_promote(&p, c, n, &t)) {
		fprintf(stderr, "bench_move_pages: td_promote failed\n");
		exit(1);
	}
	dt = now_s() - t0;
	*ret_moved = t.moved;
	printf("move_pages: batch=%u pages=%zu moved=%llu calls=%llu seconds=%.3f pages_per_s=%.0f\n",
	       batch, n, (unsigned long long)t.moved, (unsigned long long)t.calls, dt, t.moved / dt);
	return t.moved / dt;
}

struct worker {
	char *buf;
	size_t n;
	uint32_t batch;
	int from, to;
	struct td_candidate *c;
	uint64_t moved;
	int r;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct td_promote_params p = {
		.ops = &ops, .batch_pages = w->batch, .budget_bytes = UINT64_MAX,
		.flags = MPOL_MF_MOVE,
	};
	struct td_promote_totals t;

	for (size_t i = 0; i < w->n; i++)
		w->c[i] = (struct td_candidate){ .addr = (uint64_t)(uintptr_t)(w->buf + i * PAGE),
						 .tgid = (uint32_t)getpid(), .src_nid = w->from,
						 .dst_nid = w->to };
	w->r = td_promote(&p, w->c, w->n, &t);
	w->moved = t.moved;
	return NULL;
}

/* Moves all pages to `to`, nt threads at once, each its own slice; pages/s. */
static double parallel_pass(char *buf, size_t n, uint32_t batch, int from, int to,
			    struct td_candidate *c, unsigned nt, uint64_t *ret_moved)
{
	pthread_t tid[64];
	struct worker w[64];
	size_t per = n / nt;
	double t0, dt;

	*ret_moved = 0;
	t0 = now_s();
	for (unsigned i = 0; i < nt; i++) {
		size_t off = i * per;

		w[i] = (struct worker){ .buf = buf + off * PAGE, .n = i == nt - 1 ? n - off : per,
					.batch = batch, .from = from, .to = to, .c = c + off };
		if (pthread_create(&tid[i], NULL, work, &w[i])) {
			fprintf(stderr, "bench_move_pages: pthread_create failed\n");
			exit(1);
		}
	}
	for (unsigned i = 0; i < nt; i++) {
		pthread_join(tid[i], NULL);
		if (w[i].r)
			exit(1);
		*ret_moved += w[i].moved;
	}
	dt = now_s() - t0;
	printf("move_pages: threads=%u batch=%u pages=%zu moved=%llu seconds=%.3f pages_per_s=%.0f\n",
	       nt, batch, n, (unsigned long long)*ret_moved, dt, *ret_moved / dt);
	return *ret_moved / dt;
}

static int verify(char *buf, size_t n, int node);

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * One caller against nt at once, ROUNDS times interleaved (back, one,
 * back, nt), so a loaded host's noise hits both alike; prints the medians
 * and their ratio. 0, or -1 when a page ended up in the wrong place.
 */
#define ROUNDS 3
static int compare_parallel(char *buf, size_t n, uint32_t batch, int from, int to,
			    struct td_candidate *c, unsigned nt)
{
	double one[ROUNDS], par[ROUNDS];
	uint64_t moved;
	int bad = 0;

	for (int r = 0; r < ROUNDS; r++) {
		pass(buf, n, batch, to, from, c, &moved);	/* back */
		bad |= verify(buf, n, from);
		one[r] = pass(buf, n, batch, from, to, c, &moved);
		bad |= verify(buf, n, to) | (moved != n ? -1 : 0);
		pass(buf, n, batch, to, from, c, &moved);
		bad |= verify(buf, n, from);
		par[r] = parallel_pass(buf, n, batch, from, to, c, nt, &moved);
		bad |= verify(buf, n, to) | (moved != n ? -1 : 0);
	}
	qsort(one, ROUNDS, sizeof(double), cmp_double);
	qsort(par, ROUNDS, sizeof(double), cmp_double);
	printf("move_pages: median of %d: one_thread_pages_per_s=%.0f threads_%u_pages_per_s=%.0f\n",
	       ROUNDS, one[ROUNDS / 2], nt, par[ROUNDS / 2]);
	printf("move_pages: parallel_speedup=%.2f (%u threads vs 1, batch %u, medians)\n",
	       par[ROUNDS / 2] / one[ROUNDS / 2], nt, batch);
	return bad;
}

static int verify(char *buf, size_t n, int node)
{
	void **pages = malloc(n * sizeof(*pages));
	int *status = malloc(n * sizeof(*status));
	size_t wrong = 0;

	if (!pages || !status)
		exit(1);
	for (size_t i = 0; i < n; i++)
		pages[i] = buf + i * PAGE;
	if (move_pages(0, n, pages, NULL, status, 0) < 0) {
		perror("bench_move_pages: query");
		exit(1);
	}
	for (size_t i = 0; i < n; i++)
		wrong += status[i] != node;
	free(pages);
	free(status);
	if (wrong)
		fprintf(stderr, "bench_move_pages: %zu of %zu pages not on node %d\n", wrong, n, node);
	return wrong ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mib", 1, NULL, 'm' }, { "batch", 1, NULL, 'b' },
		{ "from", 1, NULL, 'f' }, { "to", 1, NULL, 't' }, { "threads", 1, NULL, 'T' }, {}
	};
	unsigned long mib = 64, batch = 512, threads = 1, mask;
	int from = 1, to = 0, c, bad = 0;
	struct td_candidate *cands;
	double batched, single;
	uint64_t moved;
	size_t n;
	char *buf;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'm': mib = strtoul(optarg, NULL, 0); break;
		case 'b': batch = strtoul(optarg, NULL, 0); break;
		case 'f': from = atoi(optarg); break;
		case 't': to = atoi(optarg); break;
		case 'T': threads = strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: bench_move_pages [--mib N] [--batch N] [--from N] [--to N] "
				"[--threads T]\n");
			return 2;
		}
	}
	if (!mib || !batch || batch > 65536 || !threads || threads > 64)
		return 2;
	n = mib * 256;
	buf = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cands = calloc(n, sizeof(*cands));
	if (buf == MAP_FAILED || !cands)
		return 1;
	madvise(buf, n * PAGE, MADV_NOHUGEPAGE);
	mask = 1UL << from;
	if (mbind(buf, n * PAGE, MPOL_BIND, &mask, 64, 0)) {
		perror("bench_move_pages: mbind");
		return 1;
	}
	memset(buf, 1, n * PAGE);
	mbind(buf, n * PAGE, MPOL_DEFAULT, NULL, 0, 0);
	bad |= verify(buf, n, from);

	/* the first pass is cold (under TCG the host backs the target memory
	 * on first touch); the second, after the way back, is the figure */
	pass(buf, n, batch, from, to, cands, &moved);
	bad |= verify(buf, n, to) | (moved != n ? -1 : 0);
	pass(buf, n, batch, to, from, cands, &moved);	/* back, same way */
	bad |= verify(buf, n, from);
	batched = pass(buf, n, batch, from, to, cands, &moved);
	bad |= verify(buf, n, to) | (moved != n ? -1 : 0);
	printf("move_pages: batched_pages_per_s=%.0f (batch %lu, warm)\n", batched, batch);
	pass(buf, n, batch, to, from, cands, &moved);
	bad |= verify(buf, n, from);
	single = pass(buf, n, 1, from, to, cands, &moved);
	bad |= verify(buf, n, to) | (moved != n ? -1 : 0);

	printf("move_pages: batch_speedup=%.2f (batch %lu vs 1 page per call)\n", batched / single, batch);
	if (threads > 1)
		bad |= compare_parallel(buf, n, batch, from, to, cands, threads);
	return bad ? 1 : 0;
}
