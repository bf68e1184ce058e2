// SPDX-License-Identifier: GPL-2.0-only
/*
 * thpset - a hot set of large folios (2 MiB THPs by default, or mTHP) on a
 * slow node, with THP left as the kernel has it (no MADV_NOHUGEPAGE), and
 * optionally a region swept in full every few seconds beside it.
 *
 *   thpset [--hot MiB] [--total MiB] [--folio-kb K] [--node N] [--fast N]
 *          [--seconds S] [--interval-ms MS] [--sweep MiB] [--sweep-every S]
 *          [--seed X] [--linger S] [--until-pct P --hold S]
 *
 * Maps --total MiB (default: --hot) aligned to the folio size (--folio-kb,
 * default 2048) and to 2 MiB, places it on --node (mbind MPOL_BIND, touch
 * every 4 KiB page, then MPOL_DEFAULT so it may move), and picks --hot MiB of
 * whole chunks (one folio each) at random as the hot set; the rest is cold,
 * never read again. The hot set is read continuously, one word at a random
 * offset inside each hot chunk per pass. With --sweep, a second region of
 * that size, placed the same way, is read in full (one word per 4 KiB page)
 * once every --sweep-every seconds (default 4).
 *
 * Placement is queried from the workload's side with move_pages(2) (nodes
 * NULL), one address per chunk (its first byte, i.e. the folio's head), every
 * --interval-ms (default 1000), and printed as
 *   T <secs> hot_fast_pct <p> hot_fast_bytes <b> cold_fast_bytes <b>
 *     sweep_fast_pct <p> sweep_fast_bytes <b> sweeps <n>
 *     hot_bytes <b> cold_bytes <b> sweep_bytes <b> mono <secs>
 * (a chunk counts with all its bytes where its head is; mono: CLOCK_MONOTONIC
 * at the query, to line up several payloads' reports), and at the end as
 * "FINAL ..." with the same fields plus "whole_folios <n> chunks <n>".
 * With --until-pct the run ends --hold seconds (default 10) after the first
 * report with at least P % of the hot set on --fast, if before --seconds.
 *
 * Before the first T line: "FOLIOS region hot|sweep chunks <n> whole <n>
 * thp <n> folio_kb <k>", from /proc/self/pagemap and /proc/kpageflags (root):
 * a chunk is whole when its first page is a compound head, its second and
 * last pages are tails and the next chunk's first page is not a tail (one
 * folio of exactly the chunk's size); thp counts heads with KPF_THP. Then
 * "READY <pid>". Exit 0 unless setup fails (1) or usage (2).
 */
#include <fcntl.h>
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
#define MIB (1UL << 20)
#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16
#define KPF_THP 22

struct opts {
	unsigned long hot_mb, total_mb, folio_kb, sweep_mb, seed;
	int node, fast;
	double seconds, sweep_every, linger;
	long interval_ms;
	struct until until;
};

/* One placed region: its chunks (one folio each) and their head addresses. */
struct region {
	char *base;
	size_t chunk, nchunks;
	void **heads;
	int *status;
};

/* Maps len bytes aligned to align, on node (bound while touched, every
 * 4 KiB page written), policy back to default. */
static char *place(size_t len, size_t align, int node)
{
	unsigned long mask = 1UL << node;
	char *raw = mmap(NULL, len + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *buf;

	if (raw == MAP_FAILED) {
		perror("thpset: mmap");
		exit(1);
	}
	buf = (char *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	if (buf > raw)
		munmap(raw, buf - raw);
	munmap(buf + len, raw + align - buf);
	if (mbind(buf, len, MPOL_BIND, &mask, sizeof(mask) * 8, 0)) {
		perror("thpset: mbind");
		exit(1);
	}
	for (size_t off = 0; off < len; off += PAGE)
		buf[off] = (char)(off / PAGE) | 1;
	if (mbind(buf, len, MPOL_DEFAULT, NULL, 0, 0)) {
		perror("thpset: mbind default");
		exit(1);
	}
	return buf;
}

static void region_init(struct region *r, size_t len, size_t chunk, int node)
{
	r->chunk = chunk;
	r->nchunks = len / chunk;
	r->base = place(len, chunk > 2 * MIB ? chunk : 2 * MIB, node);
	r->heads = calloc(r->nchunks + 1, sizeof(*r->heads));
	r->status = calloc(r->nchunks + 1, sizeof(*r->status));
	if (!r->heads || !r->status)
		exit(1);
	for (size_t i = 0; i < r->nchunks; i++)
		r->heads[i] = r->base + i * chunk;
}

/* Queries the node of every chunk's head into r->status. */
static void query(struct region *r)
{
	query_nodes(r->heads, r->status, r->nchunks, "thpset");
}

/* kpageflags of the page at addr, or 0 when unknown (not present, no PFN). */
static uint64_t kflags(int pm, int kpf, const void *addr)
{
	uint64_t ent, fl;

	if (pread(pm, &ent, sizeof(ent), (uintptr_t)addr / PAGE * sizeof(ent)) != sizeof(ent))
		return 0;
	if (!(ent >> 63) || !(ent & ((1ULL << 55) - 1)))
		return 0;
	if (pread(kpf, &fl, sizeof(fl), (ent & ((1ULL << 55) - 1)) * sizeof(fl)) != sizeof(fl))
		return 0;
	return fl;
}

/* Chunks that are exactly one folio of the chunk's size; *ret_thp: heads
 * with KPF_THP. -1 when pagemap or kpageflags cannot be read. */
static long whole_folios(const struct region *r, long *ret_thp)
{
	int pm = open("/proc/self/pagemap", O_RDONLY), kpf = open("/proc/kpageflags", O_RDONLY);
	long whole = -1, thp = 0;

	if (pm >= 0 && kpf >= 0) {
		whole = 0;
		for (size_t i = 0; i < r->nchunks; i++) {
			char *c = r->base + i * r->chunk;
			uint64_t head = kflags(pm, kpf, c);
			int ok = head >> KPF_COMPOUND_HEAD & 1;

			ok = ok && kflags(pm, kpf, c + PAGE) >> KPF_COMPOUND_TAIL & 1;
			ok = ok && kflags(pm, kpf, c + r->chunk - PAGE) >> KPF_COMPOUND_TAIL & 1;
			if (ok && i + 1 < r->nchunks)
				ok = !(kflags(pm, kpf, c + r->chunk) >> KPF_COMPOUND_TAIL & 1);
			whole += ok;
			thp += ok && (head >> KPF_THP & 1);
		}
	}
	if (pm >= 0)
		close(pm);
	if (kpf >= 0)
		close(kpf);
	*ret_thp = thp;
	return whole;
}

static void print_folios(const char *name, const struct region *r, unsigned long folio_kb)
{
	long thp, whole = whole_folios(r, &thp);

	printf("FOLIOS region %s chunks %zu whole %ld thp %ld folio_kb %lu\n",
	       name, r->nchunks, whole, thp, folio_kb);
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "hot", 1, NULL, 'h' }, { "total", 1, NULL, 't' }, { "folio-kb", 1, NULL, 'k' },
		{ "node", 1, NULL, 'n' }, { "fast", 1, NULL, 'f' }, { "seconds", 1, NULL, 's' },
		{ "interval-ms", 1, NULL, 'i' }, { "sweep", 1, NULL, 'w' },
		{ "sweep-every", 1, NULL, 'e' }, { "seed", 1, NULL, 'S' }, { "linger", 1, NULL, 'l' },
		{ "until-pct", 1, NULL, 'u' }, { "hold", 1, NULL, 'H' }, {}
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'h': o->hot_mb = strtoul(optarg, NULL, 0); break;
		case 't': o->total_mb = strtoul(optarg, NULL, 0); break;
		case 'k': o->folio_kb = strtoul(optarg, NULL, 0); break;
		case 'n': o->node = atoi(optarg); break;
		case 'f': o->fast = atoi(optarg); break;
		case 's': o->seconds = atof(optarg); break;
		case 'i': o->interval_ms = atol(optarg); break;
		case 'w': o->sweep_mb = strtoul(optarg, NULL, 0); break;
		case 'e': o->sweep_every = atof(optarg); break;
		case 'S': o->seed = strtoul(optarg, NULL, 0); break;
		case 'l': o->linger = atof(optarg); break;
		case 'u': o->until.pct = atof(optarg); break;
		case 'H': o->until.hold = atof(optarg); break;
		default: return -1;
		}
	}
	if (!o->total_mb)
		o->total_mb = o->hot_mb;
	/* a power-of-two folio of at least 8 KiB that divides 1 MiB or is a multiple of it */
	if (!o->hot_mb || o->hot_mb > o->total_mb || o->folio_kb < 8 ||
	    (o->folio_kb & (o->folio_kb - 1)) || o->interval_ms <= 0 || o->seconds <= 0 ||
	    o->sweep_every <= 0 || (o->total_mb * 1024) % o->folio_kb || (o->sweep_mb * 1024) % o->folio_kb)
		return -1;
	return 0;
}

struct run {
	struct region a, sweep;
	char *is_hot;
	char **hot;
	size_t nhot;
	unsigned long sweeps;
	int fast;
};

/* Prints one report line; returns the hot set's percentage on the fast node. */
static double report(const char *tag, double t, struct run *w)
{
	size_t hf = 0, cf = 0, sf = 0, ncold = w->a.nchunks - w->nhot;
	size_t ch = w->a.chunk;

	query(&w->a);
	for (size_t i = 0; i < w->a.nchunks; i++) {
		if (w->a.status[i] != w->fast)
			continue;
		if (w->is_hot[i])
			hf++;
		else
			cf++;
	}
	if (w->sweep.nchunks) {
		query(&w->sweep);
		for (size_t i = 0; i < w->sweep.nchunks; i++)
			sf += w->sweep.status[i] == w->fast;
	}
	printf("%s %.1f hot_fast_pct %.1f hot_fast_bytes %zu cold_fast_bytes %zu"
	       " sweep_fast_pct %.2f sweep_fast_bytes %zu sweeps %lu"
	       " hot_bytes %zu cold_bytes %zu sweep_bytes %zu mono %.2f",
	       tag, t, 100.0 * hf / w->nhot, hf * ch, cf * ch,
	       w->sweep.nchunks ? 100.0 * sf / w->sweep.nchunks : 0.0, sf * ch, w->sweeps,
	       w->nhot * ch, ncold * ch, w->sweep.nchunks * ch, now_s());
	if (!strcmp(tag, "FINAL")) {
		long thp;

		printf(" whole_folios %ld chunks %zu", whole_folios(&w->a, &thp), w->a.nchunks);
	}
	printf("\n");
	fflush(stdout);
	return 100.0 * hf / w->nhot;
}

/* Picks nhot of a's chunks at random as the hot set. */
static void pick_hot(struct run *w, uint64_t *s)
{
	size_t h = 0;

	w->is_hot = calloc(w->a.nchunks, 1);
	w->hot = calloc(w->nhot, sizeof(*w->hot));
	if (!w->is_hot || !w->hot)
		exit(1);
	while (h < w->nhot) {
		size_t c = rng(s) % w->a.nchunks;

		if (!w->is_hot[c]) {
			w->is_hot[c] = 1;
			h++;
		}
	}
	h = 0;
	for (size_t i = 0; i < w->a.nchunks; i++)
		if (w->is_hot[i])
			w->hot[h++] = w->a.base + i * w->a.chunk;
}

int main(int argc, char **argv)
{
	struct opts o = { .hot_mb = 200, .folio_kb = 2048, .node = 1, .fast = 0, .seconds = 20,
			  .interval_ms = 1000, .sweep_every = 4, .seed = 42,
			  .until = { .hold = 10, .at = -1 } };
	struct run w = { 0 };
	volatile uint64_t sink = 0;
	double t0, next, next_sweep;
	size_t chunk, words;
	uint64_t s;

	if (parse(argc, argv, &o)) {
		fprintf(stderr, "usage: thpset [--hot MiB] [--total MiB] [--folio-kb K] [--node N] "
				"[--fast N] [--seconds S] [--interval-ms MS] [--sweep MiB] "
				"[--sweep-every S] [--seed X] [--linger S] [--until-pct P --hold S]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	chunk = o.folio_kb * 1024;
	words = chunk / sizeof(uint64_t);
	w.fast = o.fast;
	w.nhot = o.hot_mb * MIB / chunk;
	region_init(&w.a, o.total_mb * MIB, chunk, o.node);
	if (o.sweep_mb)
		region_init(&w.sweep, o.sweep_mb * MIB, chunk, o.node);
	s = o.seed | 1;
	pick_hot(&w, &s);
	print_folios("hot", &w.a, o.folio_kb);
	if (o.sweep_mb)
		print_folios("sweep", &w.sweep, o.folio_kb);
	printf("READY %d\n", getpid());
	report("T", 0, &w);
	t0 = now_s();
	next = t0 + o.interval_ms / 1000.0;
	next_sweep = t0 + o.sweep_every;
	for (;;) {
		double t;

		for (size_t i = 0; i < w.nhot; i++)
			sink += ((volatile uint64_t *)w.hot[i])[rng(&s) % words];
		t = now_s();
		if (o.sweep_mb && t >= next_sweep) {
			for (size_t off = 0; off < w.sweep.nchunks * chunk; off += PAGE)
				sink += ((volatile char *)w.sweep.base)[off];
			w.sweeps++;
			next_sweep += o.sweep_every;
		}
		if (t >= next) {
			double pct = report("T", t - t0, &w);

			next += o.interval_ms / 1000.0;
			if (until_done(&o.until, pct, t - t0))
				break;
		}
		if (t - t0 >= o.seconds)
			break;
	}
	report("FINAL", now_s() - t0, &w);
	if (o.linger > 0)
		usleep((useconds_t)(o.linger * 1e6));
	return sink == 1 ? 3 : 0;	/* use sink so the loads stay */
}
