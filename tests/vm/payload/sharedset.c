// SPDX-License-Identifier: GPL-2.0-only
/*
 * sharedset - one hot set read by two threads on two CPUs, at a skew.
 *
 *   sharedset [--total MiB] [--hot MiB] [--node N] [--cpu-a C] [--cpu-b C|-1]
 *             [--skew K] [--seconds S] [--interval-ms MS] [--seed X]
 *             [--until-node N --until-pct P --hold S]
 *
 * Places --total MiB of anonymous 4 KiB pages on --node (mbind MPOL_BIND,
 * touch, then MPOL_DEFAULT so they may move) and picks --hot MiB of them,
 * scattered. Thread A (pinned to --cpu-a) reads one word of every hot page
 * in a loop; thread B (pinned to --cpu-b; -1: no thread B) does the same
 * but starts its n-th pass only once A has made n * K (--skew, default 3),
 * so A reads the set K times (or more) for each time B does, idle between. Every
 * --interval-ms the main thread queries the hot pages' nodes (move_pages)
 * and prints
 *   T <secs> node0 <pct> node1 <pct> node2 <pct> node3 <pct> passes_a <n> passes_b <n>
 * (percent of the hot set on each node), and at the end "FINAL ..." with
 * the same fields. "READY <pid>" once the memory is placed. With
 * --until-node the run ends --hold seconds (default 10) after the first
 * report with at least --until-pct P % of the hot set on node N, if that
 * comes before --seconds. Exit 0 unless setup fails.
 */
#include <errno.h>
#include <getopt.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "payload.h"

#define PAGE 4096UL
#define NODES 4

struct opts {
	unsigned long total_mb, hot_mb, seed;
	int node, cpu_a, cpu_b, skew;
	double seconds;
	long interval_ms;
	int until_node;
	struct until until;
};

static void **hot;
static size_t nhot;
static atomic_bool stop;
static atomic_ulong passes[2];

struct reader {
	int cpu;
	int skew;	/* B: at most one pass for each skew passes of A */
	int which;	/* 0: A, 1: B */
};

static void *read_loop(void *arg)
{
	const struct reader *r = arg;
	volatile uint64_t sink = 0;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set)) {
		fprintf(stderr, "sharedset: cannot pin to CPU %d\n", r->cpu);
		exit(1);
	}
	while (!atomic_load(&stop)) {
		/* B waits for A's skew passes: the ratio holds however the
		 * CPUs are shared */
		if (r->which && (atomic_load(&passes[1]) + 1) * r->skew > atomic_load(&passes[0])) {
			usleep(1000);
			continue;
		}
		for (size_t i = 0; i < nhot; i++)
			sink += *(volatile uint64_t *)hot[i];
		atomic_fetch_add(&passes[r->which], 1);
	}
	return (void *)(uintptr_t)(sink == 1);
}

/* Prints one report line; returns the hot set's percentage on node (0 if
 * node is not one of the NODES). */
static double report(const char *tag, double t, int *status, int node)
{
	long on[NODES] = { 0 };

	query_nodes(hot, status, nhot, "sharedset");
	for (size_t i = 0; i < nhot; i++)
		if (status[i] >= 0 && status[i] < NODES)
			on[status[i]]++;
	printf("%s %.1f", tag, t);
	for (int n = 0; n < NODES; n++)
		printf(" node%d %.1f", n, 100.0 * on[n] / nhot);
	printf(" passes_a %lu passes_b %lu\n", atomic_load(&passes[0]), atomic_load(&passes[1]));
	fflush(stdout);
	return node >= 0 && node < NODES ? 100.0 * on[node] / nhot : 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "total", 1, NULL, 't' }, { "hot", 1, NULL, 'h' }, { "node", 1, NULL, 'n' },
		{ "cpu-a", 1, NULL, 'a' }, { "cpu-b", 1, NULL, 'b' }, { "skew", 1, NULL, 'k' },
		{ "seconds", 1, NULL, 's' }, { "interval-ms", 1, NULL, 'i' },
		{ "seed", 1, NULL, 'S' }, { "until-node", 1, NULL, 'N' },
		{ "until-pct", 1, NULL, 'u' }, { "hold", 1, NULL, 'H' }, {}
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 't': o->total_mb = strtoul(optarg, NULL, 0); break;
		case 'h': o->hot_mb = strtoul(optarg, NULL, 0); break;
		case 'n': o->node = atoi(optarg); break;
		case 'a': o->cpu_a = atoi(optarg); break;
		case 'b': o->cpu_b = atoi(optarg); break;
		case 'k': o->skew = atoi(optarg); break;
		case 's': o->seconds = atof(optarg); break;
		case 'i': o->interval_ms = atol(optarg); break;
		case 'S': o->seed = strtoul(optarg, NULL, 0); break;
		case 'N': o->until_node = atoi(optarg); break;
		case 'u': o->until.pct = atof(optarg); break;
		case 'H': o->until.hold = atof(optarg); break;
		default: return -1;
		}
	}
	if (!o->hot_mb || o->hot_mb > o->total_mb || o->interval_ms <= 0 || o->seconds <= 0 ||
	    o->skew < 1 || o->node < 0 || o->node >= NODES ||
	    (o->until.pct > 0 && (o->until_node < 0 || o->until_node >= NODES)))
		return -1;
	return 0;
}

/* The memory on o->node, the hot pages picked; 0 or -1. */
static int place(const struct opts *o)
{
	size_t npages = o->total_mb * 256, h = 0;
	unsigned long mask = 1UL << o->node;
	char *buf, *is_hot;
	uint64_t s = o->seed | 1;

	buf = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return -1;
	madvise(buf, npages * PAGE, MADV_NOHUGEPAGE);
	if (mbind(buf, npages * PAGE, MPOL_BIND, &mask, sizeof(mask) * 8, 0))
		return -1;
	for (size_t i = 0; i < npages; i++)
		buf[i * PAGE] = (char)i;
	if (mbind(buf, npages * PAGE, MPOL_DEFAULT, NULL, 0, 0))
		return -1;
	nhot = o->hot_mb * 256;
	is_hot = calloc(npages, 1);
	hot = calloc(nhot, sizeof(*hot));
	if (!is_hot || !hot)
		return -1;
	while (h < nhot) {
		size_t p = rng(&s) % npages;

		if (!is_hot[p]) {
			is_hot[p] = 1;
			hot[h++] = buf + p * PAGE;
		}
	}
	free(is_hot);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .total_mb = 64, .hot_mb = 32, .node = 2, .cpu_a = 0, .cpu_b = 1,
			  .skew = 3, .seconds = 20, .interval_ms = 1000, .seed = 42,
			  .until_node = -1, .until = { .hold = 10, .at = -1 } };
	struct reader ra, rb;
	pthread_t ta, tb;
	double t0, next;
	int *status;

	if (parse(argc, argv, &o)) {
		fprintf(stderr, "usage: sharedset [--total MiB] [--hot MiB] [--node N] [--cpu-a C] "
				"[--cpu-b C|-1] [--skew K] [--seconds S] [--interval-ms MS] [--seed X] "
				"[--until-node N --until-pct P --hold S]\n");
		return 2;
	}
	if (place(&o)) {
		perror("sharedset: placing the memory");
		return 1;
	}
	status = calloc(nhot, sizeof(*status));
	if (!status)
		return 1;
	report("T", 0, status, -1);
	for (size_t i = 0; i < nhot; i++)
		if (status[i] != o.node) {
			fprintf(stderr, "sharedset: hot set not all on node %d after mbind\n", o.node);
			return 1;
		}
	printf("READY %d\n", getpid());
	fflush(stdout);
	ra = (struct reader){ .cpu = o.cpu_a, .skew = o.skew, .which = 0 };
	rb = (struct reader){ .cpu = o.cpu_b, .skew = o.skew, .which = 1 };
	if (pthread_create(&ta, NULL, read_loop, &ra) ||
	    (o.cpu_b >= 0 && pthread_create(&tb, NULL, read_loop, &rb)))
		return 1;
	t0 = now_s();
	next = t0 + o.interval_ms / 1000.0;
	while (now_s() - t0 < o.seconds) {
		usleep(20000);
		if (now_s() >= next) {
			double t = now_s() - t0, pct = report("T", t, status, o.until_node);

			next += o.interval_ms / 1000.0;
			if (until_done(&o.until, pct, t))
				break;
		}
	}
	atomic_store(&stop, true);
	pthread_join(ta, NULL);
	if (o.cpu_b >= 0)
		pthread_join(tb, NULL);
	report("FINAL", now_s() - t0, status, -1);
	return 0;
}
