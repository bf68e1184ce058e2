// SPDX-License-Identifier: GPL-2.0-only
/*
 * shmset - hot memory shared by two processes, beside private hot memory.
 *
 *   shmset [--mib N] [--node 1] [--fast 0] [--seconds S] [--interval-ms MS]
 *
 * Three regions of N MiB (default 16), each placed on --node (mbind
 * MPOL_BIND while it is written, then MPOL_DEFAULT so its pages may move):
 *   private  anonymous, MADV_DONTFORK: the parent's alone
 *   forked   anonymous MAP_PRIVATE written before fork(2) and only read
 *            after it: every page mapped by parent and child (copy-on-write
 *            shared, mapcount 2)
 *   shmem    a memfd mapped MAP_SHARED, written before fork(2): the same
 *            shmem pages in both
 * Then parent and child read one word of every page of the regions they map
 * every 50 ms (all hot). Every --interval-ms (default 1000) the parent
 * queries placement (move_pages(2) without nodes, one address per 4 KiB) and
 * prints
 *   T <secs> private_fast_pct <p> forked_fast_pct <p> shmem_fast_pct <p> mono <s>
 * and at the end "FINAL" with the same fields. Once, after the fork:
 *   SHARED private_mapped2_pct <p> forked_mapped2_pct <p> shmem_mapped2_pct <p>
 * the pages whose /proc/kpagecount (through /proc/self/pagemap) is >= 2. "READY <pid> <child pid>"
 * once the memory is placed. Exit 0 unless setup fails.
 */
#include <getopt.h>
#include <numaif.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "payload.h"

#define PAGE 4096UL

enum { R_PRIVATE, R_FORKED, R_SHMEM, R__MAX };
static const char *const rname[R__MAX] = { "private", "forked", "shmem" };

/* Writes every page of r on node, then lets its pages move again. */
static int place(char *r, size_t len, int node)
{
	unsigned long mask = 1UL << node;

	if (mbind(r, len, MPOL_BIND, &mask, sizeof(mask) * 8, 0)) {
		perror("shmset: mbind");
		return -1;
	}
	for (size_t o = 0; o < len; o += PAGE)
		r[o] = (char)(o / PAGE);
	return mbind(r, len, MPOL_DEFAULT, NULL, 0, 0);
}

static volatile unsigned long sink;

static void read_all(char *const *r, int nr, size_t len)
{
	unsigned long s = 0;

	for (int i = 0; i < nr; i++)
		for (size_t o = 0; o < len; o += PAGE)
			s += (unsigned char)((volatile char *)r[i])[o];
	sink = s;
}

/* Percentage of r's pages on fast. */
static double fast_pct(char *r, size_t len, int fast, void **pages, int *status)
{
	size_t n = len / PAGE, on = 0;

	for (size_t i = 0; i < n; i++)
		pages[i] = r + i * PAGE;
	if (move_pages(0, n, pages, NULL, status, 0))
		return -1;
	for (size_t i = 0; i < n; i++)
		on += status[i] == fast;
	return 100.0 * on / n;
}

static void report(const char *tag, char *const *r, size_t len, int fast, double t0,
		   void **pages, int *status)
{
	double t = now_s();

	printf("%s %.1f", tag, t - t0);
	for (int i = 0; i < R__MAX; i++)
		printf(" %s_fast_pct %.1f", rname[i], fast_pct(r[i], len, fast, pages, status));
	printf(" mono %.3f\n", t);
	fflush(stdout);
}

/* Percentage of r's pages mapped at least twice (kpagecount). */
static double mapped2_pct(char *r, size_t len)
{
	FILE *pm = fopen("/proc/self/pagemap", "re"), *kc = fopen("/proc/kpagecount", "re");
	size_t n = len / PAGE, two = 0;

	for (size_t i = 0; pm && kc && i < n; i++) {
		uint64_t e, cnt;

		if (fseeko(pm, (off_t)(((uintptr_t)r / PAGE + i) * 8), SEEK_SET) ||
		    fread(&e, 8, 1, pm) != 1 || !(e >> 63))
			continue;
		e &= (1ULL << 55) - 1;
		if (!fseeko(kc, (off_t)(e * 8), SEEK_SET) && fread(&cnt, 8, 1, kc) == 1)
			two += cnt >= 2;
	}
	if (pm)
		fclose(pm);
	if (kc)
		fclose(kc);
	return 100.0 * two / n;
}

static int setup(char **r, size_t len, int node)
{
	int fd = memfd_create("shmset", 0);

	if (fd < 0 || ftruncate(fd, (off_t)len)) {
		perror("shmset: memfd");
		return -1;
	}
	r[R_PRIVATE] = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r[R_FORKED] = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r[R_SHMEM] = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	for (int i = 0; i < R__MAX; i++)
		if (r[i] == MAP_FAILED || place(r[i], len, node)) {
			fprintf(stderr, "shmset: cannot place %s\n", rname[i]);
			return -1;
		}
	return madvise(r[R_PRIVATE], len, MADV_DONTFORK);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mib", 1, 0, 'm' }, { "node", 1, 0, 'n' }, { "fast", 1, 0, 'f' },
		{ "seconds", 1, 0, 's' }, { "interval-ms", 1, 0, 'i' }, { 0 },
	};
	size_t len = 16UL << 20;
	int node = 1, fast = 0, ch;
	double secs = 30, ival = 1, t0, last;
	char *r[R__MAX];
	void **pages;
	int *status;
	pid_t child;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'm': len = strtoul(optarg, NULL, 0) << 20; break;
		case 'n': node = atoi(optarg); break;
		case 'f': fast = atoi(optarg); break;
		case 's': secs = atof(optarg); break;
		case 'i': ival = atol(optarg) / 1000.0; break;
		default: return 2;
		}
	}
	pages = calloc(len / PAGE, sizeof(*pages));
	status = calloc(len / PAGE, sizeof(*status));
	if (!len || !pages || !status || setup(r, len, node))
		return 1;
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		/* the child reads the two shared regions until killed */
		for (;;) {
			read_all(r + R_FORKED, 2, len);
			usleep(50000);
		}
	}
	usleep(200000);
	printf("SHARED");
	for (int i = 0; i < R__MAX; i++)
		printf(" %s_mapped2_pct %.1f", rname[i], mapped2_pct(r[i], len));
	printf("\nREADY %d %d\n", (int)getpid(), (int)child);
	fflush(stdout);
	t0 = last = now_s();
	report("T", r, len, fast, t0, pages, status);
	while (now_s() - t0 < secs) {
		read_all(r, R__MAX, len);
		usleep(50000);
		if (now_s() - last >= ival) {
			last = now_s();
			report("T", r, len, fast, t0, pages, status);
		}
	}
	report("FINAL", r, len, fast, t0, pages, status);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return 0;
}
