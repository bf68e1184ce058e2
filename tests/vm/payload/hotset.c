// SPDX-License-Identifier: GPL-2.0-only
/*
 * hotset - a workload with a scattered hot set on a slow node.
 *
 *   hotset [--total MiB] [--hot MiB] [--node N] [--fast N] [--seconds S]
 *          [--interval-ms MS] [--seed X] [--linger S] [--until-pct P --hold S]
 *
 * Places --total MiB of anonymous memory on --node (mbind MPOL_BIND, touch,
 * then MPOL_DEFAULT again so the pages may move), picks --hot MiB of pages
 * scattered over it, and reads one word of every hot page in a loop for
 * --seconds. Every --interval-ms it checks placement itself with the
 * move_pages(2) query and prints
 *   T <secs> hot_fast_pct <p> cold_moved <n> hot_pages <n> cold_pages <n>
 * and at the end "FINAL ..." with the same fields. "READY <pid>" is printed
 * once the memory is placed. With --until-pct the run ends --hold seconds
 * (default 10) after the first report with at least P % of the hot set on
 * --fast, if that comes before --seconds. Exit 0 unless setup fails.
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

#include "payload.h"

#define PAGE 4096UL

struct opts {
	unsigned long total_mb, hot_mb;
	int node, fast;
	double seconds;
	long interval_ms;
	unsigned long seed;
	double linger;
	struct until until;
};

/* Per hot page: last seen node and placement changes, to count hot pages
 * taken off the fast node (demoted) and pages that went back and forth. */
static int *hot_last;
static unsigned char *hot_moves;
static unsigned long hot_demoted, max_moves;

static void track_hot(int *status, size_t nhot, int fast)
{
	for (size_t i = 0; i < nhot; i++) {
		if (status[i] < 0 || status[i] == hot_last[i])
			continue;
		if (hot_last[i] == fast)
			hot_demoted++;
		hot_last[i] = status[i];
		if (hot_moves[i] < 255 && ++hot_moves[i] > max_moves)
			max_moves = hot_moves[i];
	}
}

/* Prints one report line; returns the hot set's percentage on fast. */
static double report(const char *tag, double t, void **hot, size_t nhot, void **cold,
		     size_t ncold, int *status, int fast, long cold_fast0)
{
	long hf = (long)count_on(hot, status, nhot, fast, "hotset");
	long cf;

	track_hot(status, nhot, fast);
	cf = count_on(cold, status, ncold, fast, "hotset");
	printf("%s %.1f hot_fast_pct %.1f cold_moved %ld hot_pages %zu cold_pages %zu"
	       " hot_demoted %lu max_moves %lu\n",
	       tag, t, 100.0 * hf / nhot, cf - cold_fast0, nhot, ncold, hot_demoted, max_moves);
	fflush(stdout);
	return nhot ? 100.0 * hf / nhot : 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "total", 1, NULL, 't' }, { "hot", 1, NULL, 'h' }, { "node", 1, NULL, 'n' },
		{ "fast", 1, NULL, 'f' }, { "seconds", 1, NULL, 's' },
		{ "interval-ms", 1, NULL, 'i' }, { "seed", 1, NULL, 'S' },
		{ "linger", 1, NULL, 'l' }, { "until-pct", 1, NULL, 'u' },
		{ "hold", 1, NULL, 'H' }, {}
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 't': o->total_mb = strtoul(optarg, NULL, 0); break;
		case 'h': o->hot_mb = strtoul(optarg, NULL, 0); break;
		case 'n': o->node = atoi(optarg); break;
		case 'f': o->fast = atoi(optarg); break;
		case 's': o->seconds = atof(optarg); break;
		case 'i': o->interval_ms = atol(optarg); break;
		case 'S': o->seed = strtoul(optarg, NULL, 0); break;
		case 'l': o->linger = atof(optarg); break;
		case 'u': o->until.pct = atof(optarg); break;
		case 'H': o->until.hold = atof(optarg); break;
		default: return -1;
		}
	}
	if (!o->total_mb || o->hot_mb > o->total_mb || o->interval_ms <= 0 || o->seconds <= 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .total_mb = 512, .hot_mb = 200, .node = 1, .fast = 0,
			  .seconds = 20, .interval_ms = 1000, .seed = 42,
			  .until = { .hold = 10, .at = -1 } };
	size_t npages, nhot, ncold = 0, h = 0;
	unsigned long mask;
	uint64_t s;
	char *buf, *is_hot;
	void **hot, **cold;
	int *status;
	long cold_fast0;
	double t0, next;
	volatile uint64_t sink = 0;

	if (parse(argc, argv, &o)) {
		fprintf(stderr, "usage: hotset [--total MiB] [--hot MiB] [--node N] [--fast N] "
				"[--seconds S] [--interval-ms MS] [--seed X] [--linger S] "
				"[--until-pct P --hold S]\n");
		return 2;
	}
	npages = o.total_mb * 256;
	nhot = o.hot_mb * 256;
	buf = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("hotset: mmap");
		return 1;
	}
	/* no THP: the test is about 4 KiB pages the daemon sees one by one */
	madvise(buf, npages * PAGE, MADV_NOHUGEPAGE);
	mask = 1UL << o.node;
	if (mbind(buf, npages * PAGE, MPOL_BIND, &mask, sizeof(mask) * 8, 0)) {
		perror("hotset: mbind");
		return 1;
	}
	for (size_t i = 0; i < npages; i++)
		buf[i * PAGE] = (char)i;
	if (mbind(buf, npages * PAGE, MPOL_DEFAULT, NULL, 0, 0)) {
		perror("hotset: mbind default");
		return 1;
	}

	is_hot = calloc(npages, 1);
	hot = calloc(nhot ? nhot : 1, sizeof(*hot));
	cold = calloc(npages - nhot + 1, sizeof(*cold));
	status = calloc(npages, sizeof(*status));
	hot_last = calloc(nhot ? nhot : 1, sizeof(*hot_last));
	hot_moves = calloc(nhot ? nhot : 1, 1);
	if (!is_hot || !hot || !cold || !status || !hot_last || !hot_moves)
		return 1;
	for (size_t i = 0; i < nhot; i++)
		hot_last[i] = o.node;
	s = o.seed | 1;
	while (h < nhot) {
		size_t p = rng(&s) % npages;

		if (!is_hot[p]) {
			is_hot[p] = 1;
			h++;
		}
	}
	h = 0;
	for (size_t i = 0; i < npages; i++) {
		if (is_hot[i])
			hot[h++] = buf + i * PAGE;
		else
			cold[ncold++] = buf + i * PAGE;
	}
	cold_fast0 = count_on(cold, status, ncold, o.fast, "hotset");
	if (count_on(hot, status, nhot, o.node, "hotset") != nhot) {
		fprintf(stderr, "hotset: hot set not all on node %d after mbind\n", o.node);
		return 1;
	}
	printf("READY %d\n", getpid());
	report("T", 0, hot, nhot, cold, ncold, status, o.fast, cold_fast0);

	t0 = now_s();
	next = t0 + o.interval_ms / 1000.0;
	for (;;) {
		double t;

		for (size_t i = 0; i < nhot; i++)
			sink += *(volatile uint64_t *)hot[i];
		t = now_s();
		if (t >= next) {
			double pct = report("T", t - t0, hot, nhot, cold, ncold, status, o.fast, cold_fast0);

			next += o.interval_ms / 1000.0;
			if (until_done(&o.until, pct, t - t0))
				break;
		}
		if (t - t0 >= o.seconds)
			break;
	}
	report("FINAL", now_s() - t0, hot, nhot, cold, ncold, status, o.fast, cold_fast0);
	/* stay alive (memory mapped, idle) so others can inspect placement */
	if (o.linger > 0)
		usleep((useconds_t)(o.linger * 1e6));
	return sink == 1 ? 3 : 0;	/* use sink so the loads stay */
}
