// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaspray - page faults at more distinct addresses than there are pages:
 * one shared memory file of --mib MiB mapped --maps times, so --maps x
 * (--mib x 256) distinct page addresses share --mib MiB of memory. Filling
 * a 1 M-entry hotness table from the sampling source (one software page
 * fault sample per first touch of an address) without gigabytes of RAM.
 *
 *   vaspray [--mib N] [--maps N] [--node N] [--seconds S] [--once] [--rate R]
 *
 * The file's pages are placed on --node (default 1, the slow node: entries
 * of pages on a fast node are not kept for long).
 * Prints "READY <pid> addresses <n>", then in passes writes one byte of
 * every page of every mapping (a minor fault for each: a read fault would
 * map up to 16 neighbours at once, fault-around) and zaps the page
 * tables (MADV_DONTNEED: the file keeps its pages) so the next pass faults
 * again, until --seconds pass or SIGTERM. --once: one pass, the page
 * tables kept (every address stays mapped: a placement query finds its
 * page), "TOUCHED <faults>", then idle until the end. --rate: at most R
 * faults a second (the software event's samples are rate-limited by the
 * kernel). Prints "FINAL passes <n> faults <n>" at the end. Exit 0 unless
 * setup fails.
 */
#include <getopt.h>
#include <numaif.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "payload.h"

#define PAGE 4096UL
#define MAX_MAPS 1024

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mib", 1, NULL, 'm' }, { "maps", 1, NULL, 'n' }, { "seconds", 1, NULL, 's' },
		{ "node", 1, NULL, 'N' }, { "once", 0, NULL, 'o' }, { "rate", 1, NULL, 'r' }, {}
	};
	unsigned long rate = 0;
	int once = 0;
	unsigned long mask = 1UL << 1;
	unsigned long mib = 64, maps = 72, passes = 0, faults = 0;
	double seconds = 120, t0;
	char *map[MAX_MAPS];
	size_t len, pages;
	int fd, c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'm': mib = strtoul(optarg, NULL, 0); break;
		case 'n': maps = strtoul(optarg, NULL, 0); break;
		case 's': seconds = atof(optarg); break;
		case 'N': mask = 1UL << atoi(optarg); break;
		case 'o': once = 1; break;
		case 'r': rate = strtoul(optarg, NULL, 0); break;
		default: return 2;
		}
	}
	if (!mib || !maps || maps > MAX_MAPS)
		return 2;
	len = mib << 20;
	pages = len / PAGE;
	fd = memfd_create("vaspray", 0);
	if (fd < 0 || ftruncate(fd, (off_t)len)) {
		perror("vaspray: memfd");
		return 1;
	}
	for (unsigned long m = 0; m < maps; m++) {
		map[m] = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map[m] == MAP_FAILED) {
			perror("vaspray: mmap");
			return 1;
		}
		madvise(map[m], len, MADV_NOHUGEPAGE);
	}
	/* the file's pages, once, on --node (the file's shared policy) */
	if (mbind(map[0], len, MPOL_BIND, &mask, 64, 0)) {
		perror("vaspray: mbind");
		return 1;
	}
	memset(map[0], 1, len);
	madvise(map[0], len, MADV_DONTNEED);
	signal(SIGTERM, on_term);
	printf("READY %d addresses %lu\n", getpid(), maps * pages);
	fflush(stdout);
	t0 = now_s();
	while (!stop && now_s() - t0 < seconds) {
		for (unsigned long m = 0; m < maps && !stop; m++) {
			for (size_t p = 0; p < pages; p++) {
				/* a write: read faults on a file map their neighbours too */
				*(volatile char *)(map[m] + p * PAGE) = 2;
				if (rate && ++faults % 1024 == 0)
					while (faults > rate * (now_s() - t0))
						usleep(1000);
			}
			faults += rate ? 0 : pages;
			if (!once)
				madvise(map[m], len, MADV_DONTNEED);
		}
		passes++;
		if (once) {
			printf("TOUCHED %lu\n", faults);
			fflush(stdout);
			while (!stop && now_s() - t0 < seconds)
				usleep(100000);
		}
	}
	printf("FINAL passes %lu faults %lu\n", passes, faults);
	return 0;
}
