// SPDX-License-Identifier: GPL-2.0-only
/*
 * manyhot - many small processes in many cgroups, each with a tiny hot set
 * on a slow node: the scale workload of issue 12.
 *
 *   manyhot --procs N --cgroups G --root DIR [--kib K] [--node N] [--fast N]
 *           [--seconds S] [--sleep-ms MS] [--linger]
 *
 * Forks N children; child i joins cgroup DIR/g<i % G> (writes its pid to
 * cgroup.procs), places K KiB of 4 KiB pages (MADV_NOHUGEPAGE) on --node
 * (mbind, touch, MPOL_DEFAULT again) and reads every page of it, then sleeps
 * --sleep-ms, in a loop for --seconds. Mostly asleep, so the daemon is not
 * starved and NUMA balancing still scans each child when a tick finds it
 * running. At the end each child queries its pages' nodes (move_pages(2))
 * and reports to the parent. The parent prints "READY <pid> procs <n>" once
 * every child has placed its memory, and once all have reported
 *   FINAL procs <n> pages <n> on_fast <n> on_fast_pct <p> procs_promoted <n>
 *         cgroups_promoted <n> wall_ms <ms> failed_children <n>
 * (procs_promoted: children with any page on --fast; cgroups_promoted:
 * cgroups with one). With --linger the children then keep their memory,
 * idle, until the parent's stdin ends (for the cgroups' memory.numa_stat).
 * When they have exited: "CPU children_cpu_ns <ns>" (their user + system
 * time, getrusage RUSAGE_CHILDREN). Exit 0 unless setup fails.
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
#include <sys/resource.h>
#include <sys/wait.h>

#include "payload.h"
#include "slowbuf.h"

#define PAGE 4096UL
#define MAX_PAGES 1024

struct opts {
	unsigned long procs, cgroups, kib, sleep_ms;
	const char *root;
	int node, fast;
	double seconds;
	int linger;
};

/* what a child tells the parent, in one atomic pipe write */
struct result {
	uint32_t index, pages, on_fast, ok;
};

static double now_ms(void)
{
	return now_s() * 1e3;
}

static int join_cgroup(const struct opts *o, unsigned long i)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/g%lu/cgroup.procs", o->root, i % o->cgroups);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%d\n", getpid());
	return fclose(f) ? -1 : 0;
}

static void child(const struct opts *o, unsigned long i, int ready_fd, int res_fd, int linger_fd,
		  int linger_wfd)
{
	size_t n = o->kib * 1024 / PAGE;
	struct result r = { .index = (uint32_t)i, .pages = (uint32_t)n };
	void *pages[MAX_PAGES];
	int status[MAX_PAGES];
	double t0;
	char *buf;

	close(linger_wfd);	/* the parent's alone: its close is the children's EOF */
	buf = join_cgroup(o, i) ? NULL : slowbuf_place(n, o->node);
	r.ok = buf != NULL;
	if (write(ready_fd, "x", 1) != 1 || !buf)
		goto out;
	t0 = now_ms();
	while (now_ms() - t0 < o->seconds * 1e3) {
		for (int k = 0; k < 64; k++)
			for (size_t p = 0; p < n; p++)
				(void)*(volatile char *)(buf + p * PAGE);
		usleep((useconds_t)o->sleep_ms * 1000);
	}
	for (size_t p = 0; p < n; p++)
		pages[p] = buf + p * PAGE;
	if (move_pages(0, n, pages, NULL, status, 0) < 0)
		r.ok = 0;
	for (size_t p = 0; p < n; p++)
		r.on_fast += status[p] == o->fast;
out:
	if (write(res_fd, &r, sizeof(r)) != sizeof(r))
		_exit(1);
	close(res_fd);
	/* memory kept, for the cgroups' numa_stat, until the parent says */
	while (read(linger_fd, &r, 1) > 0)
		;
	_exit(0);
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "procs", 1, NULL, 'p' }, { "cgroups", 1, NULL, 'g' }, { "root", 1, NULL, 'r' },
		{ "kib", 1, NULL, 'k' }, { "node", 1, NULL, 'n' }, { "fast", 1, NULL, 'f' },
		{ "seconds", 1, NULL, 's' }, { "sleep-ms", 1, NULL, 'S' }, { "linger", 0, NULL, 'l' }, {}
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'p': o->procs = strtoul(optarg, NULL, 0); break;
		case 'g': o->cgroups = strtoul(optarg, NULL, 0); break;
		case 'r': o->root = optarg; break;
		case 'k': o->kib = strtoul(optarg, NULL, 0); break;
		case 'n': o->node = atoi(optarg); break;
		case 'f': o->fast = atoi(optarg); break;
		case 's': o->seconds = atof(optarg); break;
		case 'S': o->sleep_ms = strtoul(optarg, NULL, 0); break;
		case 'l': o->linger = 1; break;
		default: return -1;
		}
	}
	return o->procs && o->cgroups && o->root && o->kib >= 4 && o->kib * 1024 / PAGE <= MAX_PAGES ?
	       0 : -1;
}

int main(int argc, char **argv)
{
	struct opts o = { .kib = 32, .node = 1, .fast = 0, .seconds = 30, .sleep_ms = 50 };
	int ready[2], res[2], linger[2];
	unsigned long procs_promoted = 0, cgs_promoted = 0, pages = 0, on = 0, bad = 0;
	unsigned char *cg_hit;
	struct rusage ru;
	struct result r;
	double t0;
	char x;

	if (parse(argc, argv, &o)) {
		fprintf(stderr, "usage: manyhot --procs N --cgroups G --root DIR [--kib K] ...\n");
		return 2;
	}
	cg_hit = calloc(o.cgroups, 1);
	if (!cg_hit || pipe(ready) || pipe(res) || pipe(linger))
		return 1;
	t0 = now_ms();
	for (unsigned long i = 0; i < o.procs; i++) {
		pid_t p = fork();

		if (p < 0) {
			perror("manyhot: fork");
			return 1;
		}
		if (p == 0)
			child(&o, i, ready[1], res[1], linger[0], linger[1]);
	}
	close(ready[1]);
	close(res[1]);
	close(linger[0]);
	for (unsigned long i = 0; i < o.procs; i++)
		if (read(ready[0], &x, 1) != 1)
			return 1;
	printf("READY %d procs %lu\n", getpid(), o.procs);
	fflush(stdout);
	while (read(res[0], &r, sizeof(r)) == sizeof(r)) {
		bad += !r.ok;
		pages += r.pages;
		on += r.on_fast;
		if (r.on_fast) {
			procs_promoted++;
			cgs_promoted += !cg_hit[r.index % o.cgroups];
			cg_hit[r.index % o.cgroups] = 1;
		}
	}
	getrusage(RUSAGE_CHILDREN, &ru);	/* the children's own time: only reaped ones count */
	printf("FINAL procs %lu pages %lu on_fast %lu on_fast_pct %.1f procs_promoted %lu"
	       " cgroups_promoted %lu wall_ms %.0f failed_children %lu\n",
	       o.procs, pages, on, pages ? 100.0 * on / pages : 0.0, procs_promoted, cgs_promoted,
	       now_ms() - t0, bad);
	fflush(stdout);
	/* the children keep their memory until stdin ends (or at once without --linger) */
	if (o.linger)
		while (read(0, &x, 1) > 0)
			;
	close(linger[1]);
	while (wait(NULL) > 0)
		;
	getrusage(RUSAGE_CHILDREN, &ru);
	printf("CPU children_cpu_ns %llu\n",
	       (unsigned long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
	       (unsigned long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL);
	return bad ? 1 : 0;
}
