// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_move_pages - batched against one-page-per-call move_pages(2), run in
 * a two-node guest (tests/vm/suites/bench.sh). The same pages are moved
 * from --from to --to once in batches of --batch pages per call through
 * lib/promote.c (the promoter's own code path), moved back, and then moved
 * again one page per call. Placement is verified after each pass.
 *
 *   bench_move_pages [--mib N] [--batch N] [--from NODE] [--to NODE]
 *
 * Prints "move_pages: batch=B pages=N pages_per_s=X" for both passes and
 * "move_pages: batch_speedup=R". Figures, not a timed test: exits non-zero
 * only when pages end up in the wrong place.
 */
#include <errno.h>
#include <getopt.h>
#include <numaif.h>
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
		{ "from", 1, NULL, 'f' }, { "to", 1, NULL, 't' }, {}
	};
	unsigned long mib = 64, batch = 512, mask;
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
		default:
			fprintf(stderr, "usage: bench_move_pages [--mib N] [--batch N] [--from N] [--to N]\n");
			return 2;
		}
	}
	if (!mib || !batch || batch > 65536)
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

	batched = pass(buf, n, batch, from, to, cands, &moved);
	bad |= verify(buf, n, to) | (moved != n ? -1 : 0);
	pass(buf, n, batch, to, from, cands, &moved);	/* back, same way */
	bad |= verify(buf, n, from);
	single = pass(buf, n, 1, from, to, cands, &moved);
	bad |= verify(buf, n, to) | (moved != n ? -1 : 0);

	printf("move_pages: batch_speedup=%.2f (batch %lu vs 1 page per call)\n", batched / single, batch);
	return bad ? 1 : 0;
}
