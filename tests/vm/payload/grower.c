// SPDX-License-Identifier: GPL-2.0-only
/*
 * grower - a cache that keeps growing and prefers the fast node.
 *
 *   grower --mib N [--step-kb K] [--every-ms MS] [--prefer NODE]
 *
 * Sets its memory policy to MPOL_PREFERRED_MANY on --prefer (default 0),
 * as `numactl --preferred-many` does, then adds --step-kb KiB (default 1024)
 * of anonymous memory every --every-ms (default 250), each 4 KiB page written
 * once, up to --mib MiB, and holds it. Its pages are 4 KiB (MADV_NOHUGEPAGE):
 * a THP fault does not wake kswapd (Debian's defrag=madvise), it takes a
 * slow-node THP at once. A 4 KiB allocation under this policy first tries
 * the preferred node only, and when that node is below its low watermark it
 * wakes the node's kswapd before it falls back to another node: on a full
 * fast node this keeps the kernel's own reclaim running, which is what a
 * host with a full fast node sees; with no swap and demotion_enabled off
 * kswapd finds nothing to reclaim and the cache spills to the slow node.
 *
 * Prints "READY <pid>" once the policy is set, "G <secs> kib <n>" after
 * every 16 steps, and on SIGTERM "FINAL <secs> kib <n> fast_pct <p>" (the
 * share of its pages on --prefer, move_pages(2) query) and exits 0.
 */
#include <getopt.h>
#include <numaif.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "payload.h"

#define PAGE 4096UL

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* The share of the n pages at buf that are on node, in %. */
static double on_node_pct(char *buf, size_t n, int node)
{
	void **pages = calloc(n ? n : 1, sizeof(*pages));
	int *status = calloc(n ? n : 1, sizeof(*status));
	size_t on = 0;

	if (!pages || !status)
		exit(1);
	for (size_t i = 0; i < n; i++)
		pages[i] = buf + i * PAGE;
	if (n && move_pages(0, n, pages, NULL, status, 0) < 0) {
		perror("grower: move_pages query");
		exit(1);
	}
	for (size_t i = 0; i < n; i++)
		on += status[i] == node;
	free(pages);
	free(status);
	return n ? 100.0 * on / n : 0.0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mib", 1, NULL, 'm' }, { "step-kb", 1, NULL, 's' },
		{ "every-ms", 1, NULL, 'e' }, { "prefer", 1, NULL, 'p' }, {}
	};
	unsigned long mib = 0, step_kb = 1024, mask;
	long every_ms = 250;
	int prefer = 0, c;
	size_t cap, used = 0, step, steps = 0;
	double t0;
	char *buf;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'm': mib = strtoul(optarg, NULL, 0); break;
		case 's': step_kb = strtoul(optarg, NULL, 0); break;
		case 'e': every_ms = atol(optarg); break;
		case 'p': prefer = atoi(optarg); break;
		default: mib = 0; break;
		}
	}
	if (!mib || step_kb < 4 || every_ms <= 0 || prefer < 0 || prefer > 63) {
		fprintf(stderr, "usage: grower --mib N [--step-kb K] [--every-ms MS] [--prefer NODE]\n");
		return 2;
	}
	cap = mib << 20;
	step = step_kb / 4 * PAGE;
	buf = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("grower: mmap");
		return 1;
	}
	madvise(buf, cap, MADV_NOHUGEPAGE);
	mask = 1UL << prefer;
	if (set_mempolicy(MPOL_PREFERRED_MANY, &mask, sizeof(mask) * 8)) {
		perror("grower: set_mempolicy(MPOL_PREFERRED_MANY)");
		return 1;
	}
	signal(SIGTERM, on_term);
	printf("READY %d\n", getpid());
	fflush(stdout);
	t0 = now_s();
	while (!stop) {
		for (size_t off = 0; used < cap && off < step; off += PAGE, used += PAGE)
			buf[used] = 1;
		if (++steps % 16 == 0) {
			printf("G %.1f kib %zu\n", now_s() - t0, used >> 10);
			fflush(stdout);
		}
		usleep(every_ms * 1000);
	}
	printf("FINAL %.1f kib %zu fast_pct %.1f\n", now_s() - t0, used >> 10,
	       on_node_pct(buf, used / PAGE, prefer));
	return 0;
}
