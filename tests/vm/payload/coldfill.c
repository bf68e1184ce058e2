// SPDX-License-Identifier: GPL-2.0-only
/*
 * coldfill - fills a node with pages that are never touched again.
 *
 *   coldfill (--mib N | --leave-free N) [--node 0] [--interval-ms MS] [--thp]
 *
 * Places N MiB (or all of the node's free memory but N MiB) of anonymous memory on --node (mbind, touch once, policy back
 * to default), prints "READY <pid>", then sleeps, checking placement with
 * the move_pages(2) query every --interval-ms (default 1000) and printing
 *   C <secs> on_node_pct <p> moved_away <n> moved_back <n> max_moves <n>
 * where moved_back counts pages seen back on --node after leaving it and
 * max_moves is the most placement changes of any one page. SIGTERM prints a
 * FINAL line in the same format and exits 0. Its pages are 4 KiB
 * (MADV_NOHUGEPAGE) unless --thp: then THP as the system has it.
 */
#include <getopt.h>
#include <numa.h>
#include <numaif.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#define PAGE 4096UL

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mib", 1, NULL, 'm' }, { "node", 1, NULL, 'n' }, { "interval-ms", 1, NULL, 'i' },
		{ "leave-free", 1, NULL, 'l' }, { "thp", 0, NULL, 't' }, {}
	};
	unsigned long mib = 0, leave_free = 0, mask;
	long interval_ms = 1000;
	int node = 0, thp = 0, c;
	size_t n, away = 0, back = 0;
	int *status, *last;
	unsigned char *moves, max_moves = 0;
	void **pages;
	struct timespec t0, t;
	char *buf;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'm': mib = strtoul(optarg, NULL, 0); break;
		case 'n': node = atoi(optarg); break;
		case 'i': interval_ms = atol(optarg); break;
		case 'l': leave_free = strtoul(optarg, NULL, 0); break;
		case 't': thp = 1; break;
		default:
			fprintf(stderr, "usage: coldfill --mib N [--node N] [--interval-ms MS]\n");
			return 2;
		}
	}
	if (leave_free) {
		long long size_b = numa_node_size64(node, NULL);

		if (size_b <= 0)
			return 1;
		mib = size_b >> 20;	/* upper bound; the fill stops earlier */
	}
	if (!mib || interval_ms <= 0) {
		fprintf(stderr, "usage: coldfill (--mib N | --leave-free N) [--node N] [--interval-ms MS] [--thp]\n");
		return 2;
	}
	n = mib * 256;
	buf = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pages = calloc(n, sizeof(*pages));
	status = calloc(n, sizeof(*status));
	last = calloc(n, sizeof(*last));
	moves = calloc(n, 1);
	if (buf == MAP_FAILED || !pages || !status || !last || !moves)
		return 1;
	if (!thp)
		madvise(buf, n * PAGE, MADV_NOHUGEPAGE);
	mask = 1UL << node;
	/* --leave-free runs the node close to its watermarks: prefer the node
	 * rather than bind to it, so a near miss spills instead of OOM-killing */
	if (mbind(buf, n * PAGE, leave_free ? MPOL_PREFERRED : MPOL_BIND, &mask, 64, 0)) {
		perror("coldfill: mbind");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		/* --leave-free: fill in 1 MiB steps until the node has that much
		 * left; sizing it in one go from MemFree ran into the OOM killer */
		if (leave_free && i % 256 == 0) {
			long long free_b = 0;

			numa_node_size64(node, &free_b);
			if (free_b < (long long)(leave_free << 20)) {
				n = i;
				mib = n / 256;
				break;
			}
		}
		buf[i * PAGE] = 1;
		pages[i] = buf + i * PAGE;
		last[i] = node;
	}
	mbind(buf, n * PAGE, MPOL_DEFAULT, NULL, 0, 0);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	printf("READY %d mib %lu\n", getpid(), mib);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		size_t on = 0;
		int final = stop;

		if (move_pages(0, n, pages, NULL, status, 0) < 0) {
			perror("coldfill: move_pages query");
			return 1;
		}
		for (size_t i = 0; i < n; i++) {
			on += status[i] == node;
			if (status[i] < 0 || status[i] == last[i])
				continue;
			if (status[i] == node)
				back++;
			else if (last[i] == node)
				away++;
			last[i] = status[i];
			if (moves[i] < 255 && ++moves[i] > max_moves)
				max_moves = moves[i];
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		printf("%s %.1f on_node_pct %.1f moved_away %zu moved_back %zu max_moves %u\n",
		       final ? "FINAL" : "C", (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9,
		       100.0 * on / n, away, back, max_moves);
		fflush(stdout);
		if (final)
			return 0;
		usleep(interval_ms * 1000);
	}
}
