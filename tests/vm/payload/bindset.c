// SPDX-License-Identifier: GPL-2.0-only
/*
 * bindset - a hot set whose memory area keeps an explicit MPOL_BIND policy.
 *
 *   bindset [--mb MiB] [--bind NODE[,NODE...]] [--fast N] [--seconds S]
 *           [--interval-ms MS] [--no-balancing] [--nohuge] [--linger S]
 *
 * Maps --mb MiB of anonymous memory, mbind()s the whole area MPOL_BIND to
 * the --bind nodes (with MPOL_F_NUMA_BALANCING unless --no-balancing: the
 * kernel's NUMA balancing then keeps scanning the area, so its accesses
 * fault and are seen, but the kernel never migrates outside the bind set),
 * touches every page and keeps the policy. THP is left as the kernel has
 * it unless --nohuge. Then it reads one word of every page in a loop for
 * --seconds and, every --interval-ms, queries its own placement with
 * move_pages(2) (one address per 4 KiB page):
 *   T <secs> fast_pct <p> fast_pages <n> off_bind <n> pages <n> max_off_bind <n> mono <t>
 * off_bind: pages on a node outside the bind set (the policy broken),
 * fast_pages: pages on --fast. "FINAL ..." at the end has the same fields.
 * Before the loop:
 *   READY <pid> addr 0x<start> bytes <n> policy <numa_maps policy word>
 * Exit 0 unless setup fails (the bind not in force, a page off its nodes).
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

#ifndef MPOL_F_NUMA_BALANCING
#define MPOL_F_NUMA_BALANCING (1 << 13)
#endif

#define PAGE 4096UL

struct opts {
	unsigned long mb;
	unsigned long bind;	/* node mask */
	int fast;
	double seconds, linger;
	long interval_ms;
	int balancing, nohuge;
};

static int parse_nodes(const char *s, unsigned long *mask)
{
	char *e;

	*mask = 0;
	for (;;) {
		unsigned long n = strtoul(s, &e, 10);

		if (e == s || n >= 64)
			return -1;
		*mask |= 1UL << n;
		if (*e != ',')
			break;
		s = e + 1;
	}
	return *e ? -1 : 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "mb", 1, NULL, 'm' }, { "bind", 1, NULL, 'b' }, { "fast", 1, NULL, 'f' },
		{ "seconds", 1, NULL, 's' }, { "interval-ms", 1, NULL, 'i' },
		{ "no-balancing", 0, NULL, 'B' }, { "nohuge", 0, NULL, 'H' },
		{ "linger", 1, NULL, 'l' }, {}
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'm': o->mb = strtoul(optarg, NULL, 0); break;
		case 'b': if (parse_nodes(optarg, &o->bind)) return -1; break;
		case 'f': o->fast = atoi(optarg); break;
		case 's': o->seconds = atof(optarg); break;
		case 'i': o->interval_ms = atol(optarg); break;
		case 'B': o->balancing = 0; break;
		case 'H': o->nohuge = 1; break;
		case 'l': o->linger = atof(optarg); break;
		default: return -1;
		}
	}
	return !o->mb || !o->bind || o->interval_ms <= 0 || o->seconds <= 0 ? -1 : 0;
}

/* The policy word of the numa_maps line of the area at start ("bind=balancing:1"). */
static void policy_of(void *start, char *buf, size_t len)
{
	char line[4096], want[32];
	FILE *f = fopen("/proc/self/numa_maps", "re");

	snprintf(buf, len, "unknown");
	snprintf(want, sizeof(want), "%lx ", (unsigned long)start);
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, want, strlen(want)))
			continue;
		sscanf(line + strlen(want), "%31s", buf);
		break;
	}
	if (f)
		fclose(f);
}

struct place {
	long fast, off, max_off;
};

/* Queries every page's node; counts pages on --fast and off the bind set. */
static void query(void **pages, int *status, size_t n, const struct opts *o, struct place *p)
{
	p->fast = p->off = 0;
	query_nodes(pages, status, n, "bindset");
	for (size_t i = 0; i < n; i++) {
		p->fast += status[i] == o->fast;
		p->off += status[i] >= 0 && status[i] < 64 && !(o->bind & (1UL << status[i]));
	}
	if (p->off > p->max_off)
		p->max_off = p->off;
}

static void report(const char *tag, double t, size_t n, const struct place *p)
{
	printf("%s %.1f fast_pct %.1f fast_pages %ld off_bind %ld pages %zu max_off_bind %ld mono %.3f\n",
	       tag, t, 100.0 * p->fast / n, p->fast, p->off, n, p->max_off, now_s());
	fflush(stdout);
}

/* Maps, binds and touches the area; NULL (after a message) on failure. */
static char *place_area(const struct opts *o, size_t len)
{
	int mode = MPOL_BIND | (o->balancing ? MPOL_F_NUMA_BALANCING : 0);
	char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int pol = -1;
	unsigned long got = 0;

	if (buf == MAP_FAILED) {
		perror("bindset: mmap");
		return NULL;
	}
	if (o->nohuge)
		madvise(buf, len, MADV_NOHUGEPAGE);
	if (mbind(buf, len, mode, &o->bind, sizeof(o->bind) * 8, 0)) {
		perror("bindset: mbind MPOL_BIND");
		return NULL;
	}
	for (size_t i = 0; i < len; i += PAGE)
		buf[i] = (char)i;
	/* the mode comes back with its flags (MPOL_F_NUMA_BALANCING) above 0xff */
	if (get_mempolicy(&pol, &got, sizeof(got) * 8, buf, MPOL_F_ADDR) ||
	    (pol & 0xff) != MPOL_BIND || got != o->bind) {
		fprintf(stderr, "bindset: policy of the area is %d mask 0x%lx, not MPOL_BIND 0x%lx\n",
			pol, got, o->bind);
		return NULL;
	}
	return buf;
}

int main(int argc, char **argv)
{
	struct opts o = { .mb = 64, .bind = 2, .fast = 0, .seconds = 30,
			  .interval_ms = 1000, .balancing = 1 };
	struct place p = { 0 };
	size_t n, len;
	char *buf, pol[64];
	void **pages;
	int *status;
	double t0, next;
	volatile uint64_t sink = 0;

	if (parse(argc, argv, &o)) {
		fprintf(stderr, "usage: bindset [--mb MiB] [--bind NODE[,NODE...]] [--fast N] "
				"[--seconds S] [--interval-ms MS] [--no-balancing] [--nohuge] [--linger S]\n");
		return 2;
	}
	len = o.mb << 20;
	n = len / PAGE;
	buf = place_area(&o, len);
	pages = calloc(n, sizeof(*pages));
	status = calloc(n, sizeof(*status));
	if (!buf || !pages || !status)
		return 1;
	for (size_t i = 0; i < n; i++)
		pages[i] = buf + i * PAGE;
	query(pages, status, n, &o, &p);
	if (p.off) {
		fprintf(stderr, "bindset: %ld pages off the bind set after placing\n", p.off);
		return 1;
	}
	policy_of(buf, pol, sizeof(pol));
	printf("READY %d addr %p bytes %zu policy %s\n", getpid(), (void *)buf, len, pol);
	report("T", 0, n, &p);
	t0 = now_s();
	next = t0 + o.interval_ms / 1000.0;
	for (double t = t0; t - t0 < o.seconds; t = now_s()) {
		for (size_t i = 0; i < len; i += PAGE)
			sink += *(volatile uint64_t *)(buf + i);
		if (t >= next) {
			query(pages, status, n, &o, &p);
			report("T", t - t0, n, &p);
			next += o.interval_ms / 1000.0;
		}
	}
	query(pages, status, n, &o, &p);
	report("FINAL", now_s() - t0, n, &p);
	if (o.linger > 0)
		usleep((useconds_t)(o.linger * 1e6));
	return sink == 1 ? 3 : 0;	/* use sink so the loads stay */
}
