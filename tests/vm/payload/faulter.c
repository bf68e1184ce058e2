// SPDX-License-Identifier: GPL-2.0-only
/*
 * faulter - many threads touching pages on a slow node as fast as they can,
 * so that NUMA balancing's hint faults (one per scanned page) arrive at the
 * highest rate the machine allows: an event flood for tieringd.
 *
 *   faulter [--threads N] [--mb MiB] [--node N] [--seconds S]
 *
 * Places --mb MiB of anonymous 4 KiB pages on --node and keeps them there:
 * mbind MPOL_BIND | MPOL_F_NUMA_BALANCING, so NUMA balancing scans them and
 * takes its hint faults (the flag sets MPOL_F_MOF) but, the CPUs' node not
 * being in the mask, migrates none (mpol_misplaced) and the flood lasts: in
 * tiering mode the kernel promotes on its own whenever the fast node has
 * ample free memory, whatever its rate limit. Then --threads threads each read
 * one word of every page of their own slice in a loop for --seconds, or until
 * SIGTERM (the suite ends the flood when it has what it needs). Prints
 * "READY <pid>" once the memory is placed, and at the end
 *   FINAL threads <n> pages <n> passes <n> reads_per_s <r> on_node_pct <p>
 * (on_node_pct: pages still on --node, queried with move_pages(2)). Exit 0
 * unless setup fails.
 */
#include <getopt.h>
#include <numaif.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "payload.h"

struct slice {
	pthread_t th;
	volatile char *start;
	size_t npages;
	unsigned long passes;
	uint64_t sink;
};

static size_t page_size;
static double deadline;
static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void *run(void *arg)
{
	struct slice *sl = arg;

	while (!stop && now_s() < deadline) {
		for (size_t i = 0; i < sl->npages; i++)
			sl->sink += sl->start[i * page_size];
		sl->passes++;
	}
	return NULL;
}

/* Percentage of the n pages at buf that are on node. */
static double on_node_pct(char *buf, size_t n, int node)
{
	void **pages = calloc(n, sizeof(*pages));
	int *status = calloc(n, sizeof(*status));
	size_t on = 0;

	if (!pages || !status)
		exit(1);
	for (size_t i = 0; i < n; i++)
		pages[i] = buf + i * page_size;
	if (move_pages(0, n, pages, NULL, status, 0) < 0) {
		perror("faulter: move_pages query");
		exit(1);
	}
	for (size_t i = 0; i < n; i++)
		on += status[i] == node;
	free(pages);
	free(status);
	return 100.0 * on / n;
}

static char *place(size_t npages, int node)
{
	unsigned long mask = 1UL << node;
	char *buf = mmap(NULL, npages * page_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED) {
		perror("faulter: mmap");
		exit(1);
	}
	/* no THP: one hint fault per 4 KiB page, not per 2 MiB folio */
	madvise(buf, npages * page_size, MADV_NOHUGEPAGE);
	if (mbind(buf, npages * page_size, MPOL_BIND | MPOL_F_NUMA_BALANCING, &mask,
		  sizeof(mask) * 8, 0)) {
		perror("faulter: mbind MPOL_BIND|MPOL_F_NUMA_BALANCING");
		exit(1);
	}
	for (size_t i = 0; i < npages; i++)
		buf[i * page_size] = (char)i;
	return buf;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "threads", 1, NULL, 't' }, { "mb", 1, NULL, 'm' }, { "node", 1, NULL, 'n' },
		{ "seconds", 1, NULL, 's' }, {}
	};
	int nthreads = 8, node = 1, c;
	unsigned long mb = 128, passes = 0;
	double seconds = 20, t0;
	size_t npages, per;
	struct slice *sl;
	char *buf;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 't': nthreads = atoi(optarg); break;
		case 'm': mb = strtoul(optarg, NULL, 0); break;
		case 'n': node = atoi(optarg); break;
		case 's': seconds = atof(optarg); break;
		default: goto usage;
		}
	}
	if (nthreads < 1 || nthreads > 256 || !mb || seconds <= 0)
		goto usage;
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	npages = mb * (1UL << 20) / page_size;
	per = npages / nthreads;
	if (!per)
		goto usage;
	buf = place(npages, node);
	sl = calloc(nthreads, sizeof(*sl));
	if (!sl)
		return 1;
	signal(SIGTERM, on_term);
	printf("READY %d\n", getpid());
	fflush(stdout);
	t0 = now_s();
	deadline = t0 + seconds;
	for (int i = 0; i < nthreads; i++) {
		sl[i].start = buf + (size_t)i * per * page_size;
		sl[i].npages = per;
		if (pthread_create(&sl[i].th, NULL, run, &sl[i])) {
			fprintf(stderr, "faulter: pthread_create failed\n");
			return 1;
		}
	}
	for (int i = 0; i < nthreads; i++) {
		pthread_join(sl[i].th, NULL);
		passes += sl[i].passes;
	}
	printf("FINAL threads %d pages %zu passes %lu reads_per_s %.0f on_node_pct %.1f\n",
	       nthreads, per * nthreads, passes, (double)passes * per / (now_s() - t0),
	       on_node_pct(buf, per * nthreads, node));
	return 0;
usage:
	fprintf(stderr, "usage: faulter [--threads N] [--mb MiB] [--node N] [--seconds S]\n");
	return 2;
}
