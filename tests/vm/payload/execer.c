// SPDX-License-Identifier: GPL-2.0-only
/*
 * execer - a process whose memory at one address changes meaning by exec.
 *
 *   execer [--mib N] [--node N] [--fast N] [--addr A] [--seconds S]
 *          [--quiet S] [--interval-ms MS]
 *
 * Old image: maps --mib MiB at the fixed --addr (MAP_FIXED, MADV_HUGEPAGE:
 * 2 MiB folios with THP on), places it on --node (mbind, touch, policy
 * back to default) and prints "OLD READY <pid>"; then reads one word of
 * every 4 KiB page in a loop, in a scattered order (a hot set), until SIGUSR1 (or --seconds), prints
 * "OLD FINAL on_fast <n> pages <n>" and execs itself as the new image.
 *
 * New image (same pid, same start time): maps the same size at the same
 * address, places it on --node the same way (each page written once) and
 * prints "NEW READY <pid>"; it does not touch it for --quiet seconds, then
 * reads it like the old image did for the rest of --seconds. Every
 * --interval-ms it queries placement (move_pages(2), no move) and prints
 *   T <secs> phase quiet|hot on_fast <n> pages <n> fast_pct <p>
 * and at the end
 *   FINAL quiet_max_on_fast <n> on_fast <n> pages <n> fast_pct <p>
 * where quiet_max_on_fast is the most pages seen on --fast while quiet.
 */
#include <errno.h>
#include <getopt.h>
#include <numaif.h>
#include <signal.h>
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
	unsigned long mib, addr;
	int node, fast;
	double seconds, quiet;
	long interval_ms;
	int new_image;
};

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	go = 1;
}

/* Maps and places the region; exits on failure. */
static volatile char *place(const struct opts *o, size_t len)
{
	unsigned long mask = 1UL << o->node;
	char *p = mmap((void *)o->addr, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	if (p == MAP_FAILED) {
		perror("execer: mmap");
		exit(1);
	}
	madvise(p, len, MADV_HUGEPAGE);
	if (mbind(p, len, MPOL_BIND, &mask, sizeof(mask) * 8, 0)) {
		perror("execer: mbind");
		exit(1);
	}
	for (size_t off = 0; off < len; off += PAGE)
		p[off] = 1;
	if (mbind(p, len, MPOL_DEFAULT, NULL, 0, 0)) {
		perror("execer: mbind default");
		exit(1);
	}
	return p;
}

static long on_node(volatile char *p, size_t len, int node)
{
	size_t n = len / PAGE;
	void **pages = malloc(n * sizeof(*pages));
	int *status = malloc(n * sizeof(*status));
	long on = 0;

	if (!pages || !status)
		exit(1);
	for (size_t i = 0; i < n; i++)
		pages[i] = (char *)p + i * PAGE;
	if (move_pages(0, n, pages, NULL, status, 0) < 0) {
		perror("execer: move_pages query");
		exit(1);
	}
	for (size_t i = 0; i < n; i++)
		on += status[i] == node;
	free(pages);
	free(status);
	return on;
}

static unsigned long sum, rounds;

/* One word of every page, in a scattered order (a stride of 97 pages,
 * coprime with the power-of-two page count; another start each round), so
 * the first access to a 2 MiB folio after a scan is at any offset in it. */
static void read_all(volatile char *p, size_t len)
{
	size_t n = len / PAGE, start = rounds++ * 7919;

	for (size_t i = 0; i < n; i++)
		sum += p[((start + i * 97) % n) * PAGE];
}

static void old_image(const struct opts *o, size_t len, char **argv)
{
	volatile char *p = place(o, len);
	double t0 = now_s();

	signal(SIGUSR1, on_usr1);
	printf("OLD READY %d\n", (int)getpid());
	fflush(stdout);
	while (!go && now_s() - t0 < o->seconds)
		read_all(p, len);
	printf("OLD FINAL on_fast %ld pages %zu\n", on_node(p, len, o->fast), len / PAGE);
	fflush(stdout);
	argv[0] = "execer";
	execv("/proc/self/exe", argv);	/* the new image gets --new first */
	perror("execer: exec");
	exit(1);
}

static void new_image(const struct opts *o, size_t len)
{
	volatile char *p = place(o, len);
	double t0 = now_s(), next = t0;
	long quiet_max = 0, on = 0;

	printf("NEW READY %d\n", (int)getpid());
	fflush(stdout);
	while (now_s() - t0 < o->seconds) {
		int hot = now_s() - t0 >= o->quiet;

		if (hot)
			read_all(p, len);
		else
			usleep(10000);
		if (now_s() < next)
			continue;
		next += o->interval_ms / 1000.0;
		on = on_node(p, len, o->fast);
		if (!hot && on > quiet_max)
			quiet_max = on;
		printf("T %.1f phase %s on_fast %ld pages %zu fast_pct %.1f\n", now_s() - t0,
		       hot ? "hot" : "quiet", on, len / PAGE, 100.0 * on / (len / PAGE));
		fflush(stdout);
	}
	on = on_node(p, len, o->fast);
	printf("FINAL quiet_max_on_fast %ld on_fast %ld pages %zu fast_pct %.1f\n", quiet_max, on,
	       len / PAGE, 100.0 * on / (len / PAGE));
}

int main(int argc, char **argv)
{
	struct opts o = { .mib = 64, .addr = 0x600000000000UL, .node = 1, .fast = 0,
			  .seconds = 60, .quiet = 15, .interval_ms = 500 };
	static const struct option lo[] = {
		{ "mib", 1, 0, 'm' }, { "node", 1, 0, 'n' }, { "fast", 1, 0, 'f' },
		{ "addr", 1, 0, 'a' }, { "seconds", 1, 0, 's' }, { "quiet", 1, 0, 'q' },
		{ "interval-ms", 1, 0, 'i' }, { "new", 0, 0, 'N' }, { 0 },
	};
	char **nargv = calloc(argc + 2, sizeof(*nargv));
	int c;

	if (!nargv)
		return 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'm': o.mib = strtoul(optarg, NULL, 0); break;
		case 'n': o.node = atoi(optarg); break;
		case 'f': o.fast = atoi(optarg); break;
		case 'a': o.addr = strtoul(optarg, NULL, 0); break;
		case 's': o.seconds = atof(optarg); break;
		case 'q': o.quiet = atof(optarg); break;
		case 'i': o.interval_ms = atol(optarg); break;
		case 'N': o.new_image = 1; break;
		default: return 2;
		}
	}
	if (o.new_image) {
		new_image(&o, o.mib << 20);
		return 0;
	}
	/* argv for the new image: execer --new <the same options> */
	nargv[0] = argv[0];
	nargv[1] = "--new";
	for (c = 1; c < argc; c++)
		nargv[c + 1] = argv[c];
	nargv[argc + 1] = NULL;
	old_image(&o, o.mib << 20, nargv);
	return 0;
}
