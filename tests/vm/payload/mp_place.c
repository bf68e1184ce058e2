// SPDX-License-Identifier: GPL-2.0-only
/*
 * mp_place — guest payload for tests/vm/suites/move_pages.sh.
 *
 * Places an anonymous buffer on node 1 with mbind(MPOL_BIND), checks with the
 * move_pages(2) query that every page is there, resets the policy, moves the
 * first half to node 0 with move_pages(2) in batches, checks every per-page
 * status, then queries again: first half on node 0, second half on node 1.
 * With -w it then prints "mp_place: READY pid=N addr=0x..." and waits for
 * SIGTERM/SIGINT/SIGHUP so that the suite can look at the process from
 * outside (numastat -p, /proc/PID/numa_maps).
 *
 *   mp_place [-s MIB] [-b BATCH] [-w] [-H]
 *     -s MIB    buffer size in MiB (default 64)
 *     -b BATCH  pages per move_pages(2) call when moving (default 512)
 *     -w        wait for a signal after the checks
 *     -H        leave transparent huge pages allowed (default: MADV_NOHUGEPAGE,
 *               so that placement is decided per 4 KiB page)
 *
 * Exit status: 0 all checks passed, 1 a placement or status mismatch,
 * 2 usage or set-up error (fewer than two nodes, mmap or mbind failed).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ALIGN_2M (2UL << 20)
#define QUERY_TRIES 20

struct histo {
	long on_node[2];
	long other_node;
	long by_errno[5]; /* EBUSY, ENOENT, ENOMEM, EFAULT, other */
};

static const char *const errno_names[] = { "EBUSY", "ENOENT", "ENOMEM", "EFAULT", "other" };

static void histo_add(struct histo *h, int status)
{
	if (status == 0 || status == 1)
		h->on_node[status]++;
	else if (status >= 0)
		h->other_node++;
	else if (status == -EBUSY)
		h->by_errno[0]++;
	else if (status == -ENOENT)
		h->by_errno[1]++;
	else if (status == -ENOMEM)
		h->by_errno[2]++;
	else if (status == -EFAULT)
		h->by_errno[3]++;
	else
		h->by_errno[4]++;
}

static void histo_print(const char *what, const struct histo *h)
{
	printf("mp_place: %s: node0=%ld node1=%ld other-node=%ld", what,
	       h->on_node[0], h->on_node[1], h->other_node);
	for (size_t i = 0; i < 5; i++)
		if (h->by_errno[i])
			printf(" %s=%ld", errno_names[i], h->by_errno[i]);
	printf("\n");
}

/*
 * Queries the node of every page (nodes == NULL). Pages that report -ENOENT
 * may be armed by the NUMA balancing scanner (seen on 6.1): they are queried
 * again a few times before being counted.
 */
static int query(void **pages, long n, int *status)
{
	long rc = move_pages(getpid(), n, pages, NULL, status, 0);

	if (rc < 0) {
		perror("mp_place: move_pages query");
		return -1;
	}
	for (int t = 0; t < QUERY_TRIES; t++) {
		long retry = 0;

		for (long i = 0; i < n; i++) {
			if (status[i] != -ENOENT)
				continue;
			retry++;
			if (move_pages(getpid(), 1, &pages[i], NULL, &status[i], 0) < 0)
				return -1;
		}
		if (!retry)
			break;
		usleep(100 * 1000);
	}
	return 0;
}

/* Returns the number of pages whose queried node differs from the expected one. */
static long check_placement(const char *what, void **pages, long n, int *status,
			    long half, int first_node, int second_node)
{
	struct histo h = { 0 };
	long bad = 0;

	if (query(pages, n, status) < 0)
		return n;
	for (long i = 0; i < n; i++) {
		int want = i < half ? first_node : second_node;

		histo_add(&h, status[i]);
		if (status[i] != want) {
			if (bad < 5)
				printf("mp_place: %s: page %ld at %p: status %d, want node %d\n",
				       what, i, pages[i], status[i], want);
			bad++;
		}
	}
	histo_print(what, &h);
	if (bad)
		printf("mp_place: FAIL %s: %ld of %ld pages misplaced\n", what, bad, n);
	return bad;
}

/* Moves pages[0..count) to node 0, batch pages per call; returns the number of bad statuses. */
static long move_first_half(void **pages, long count, long batch, int *nodes, int *status)
{
	struct histo h = { 0 };
	long calls = 0, bad = 0;

	for (long i = 0; i < count; i += batch) {
		long cnt = count - i < batch ? count - i : batch;
		long rc;

		for (long j = 0; j < cnt; j++)
			status[i + j] = INT32_MIN;
		rc = move_pages(getpid(), cnt, pages + i, nodes + i, status + i, MPOL_MF_MOVE);
		calls++;
		if (rc < 0) {
			printf("mp_place: FAIL move_pages(batch at page %ld, %ld pages): %s\n",
			       i, cnt, strerror(errno));
			return count;
		}
		if (rc > 0)
			printf("mp_place: move_pages(batch at page %ld): %ld pages not moved\n", i, rc);
		for (long j = 0; j < cnt; j++) {
			histo_add(&h, status[i + j]);
			if (status[i + j] != 0) {
				if (bad < 5)
					printf("mp_place: move: page %ld: status %d, want 0\n",
					       i + j, status[i + j]);
				bad++;
			}
		}
	}
	printf("mp_place: moved %ld pages to node0 in %ld move_pages calls (batch %ld)\n",
	       count, calls, batch);
	histo_print("move statuses", &h);
	if (bad)
		printf("mp_place: FAIL move: %ld of %ld per-page statuses are not node 0\n", bad, count);
	return bad;
}

static long check_contents(char *buf, long n, long page)
{
	long bad = 0;

	for (long i = 0; i < n; i++)
		if (*(long *)(buf + i * page) != i)
			bad++;
	if (bad)
		printf("mp_place: FAIL contents: %ld pages lost their data\n", bad);
	return bad;
}

static int wait_for_signal(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return sigwait(&set, &sig) ? -1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: mp_place [-s MIB] [-b BATCH] [-w] [-H]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long mib = 64, batch = 512, page = sysconf(_SC_PAGESIZE);
	int wait = 0, allow_thp = 0, opt;

	while ((opt = getopt(argc, argv, "s:b:wH")) != -1) {
		switch (opt) {
		case 's': mib = strtol(optarg, NULL, 10); break;
		case 'b': batch = strtol(optarg, NULL, 10); break;
		case 'w': wait = 1; break;
		case 'H': allow_thp = 1; break;
		default: usage();
		}
	}
	if (mib <= 0 || batch <= 0 || optind != argc)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (numa_available() < 0 || numa_max_node() < 1) {
		printf("mp_place: needs NUMA nodes 0 and 1 (numa_max_node=%d)\n", numa_max_node());
		return 2;
	}

	size_t len = (size_t)mib << 20;
	long n = len / page, half = n / 2;
	/* 2 MiB-aligned so that no huge page could straddle the two halves. */
	char *raw = mmap(NULL, len + ALIGN_2M, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) {
		perror("mp_place: mmap");
		return 2;
	}
	char *buf = (char *)(((uintptr_t)raw + ALIGN_2M - 1) & ~(ALIGN_2M - 1));
	if (buf > raw)
		munmap(raw, buf - raw);
	munmap(buf + len, raw + ALIGN_2M - buf);
	if (!allow_thp && madvise(buf, len, MADV_NOHUGEPAGE) < 0)
		perror("mp_place: madvise(MADV_NOHUGEPAGE), ignoring");

	unsigned long node1_mask = 1UL << 1;
	if (mbind(buf, len, MPOL_BIND, &node1_mask, sizeof(node1_mask) * 8, 0) < 0) {
		perror("mp_place: mbind(MPOL_BIND, node1)");
		return 2;
	}
	for (long i = 0; i < n; i++)
		*(long *)(buf + i * page) = i;

	void **pages = calloc(n, sizeof(*pages));
	int *nodes = calloc(n, sizeof(*nodes));
	int *status = calloc(n, sizeof(*status));
	if (!pages || !nodes || !status) {
		perror("mp_place: calloc");
		return 2;
	}
	for (long i = 0; i < n; i++)
		pages[i] = buf + i * page; /* nodes[] stays 0: the target of the move */

	printf("mp_place: pid=%d buffer %ld MiB at %p, %ld pages, batch %ld\n",
	       getpid(), mib, (void *)buf, n, batch);
	long bad = check_placement("after mbind", pages, n, status, half, 1, 1);

	if (mbind(buf, len, MPOL_DEFAULT, NULL, 0, 0) < 0) {
		perror("mp_place: mbind(MPOL_DEFAULT)");
		return 2;
	}
	bad += move_first_half(pages, half, batch, nodes, status);
	bad += check_placement("after move", pages, n, status, half, 0, 1);
	bad += check_contents(buf, n, page);
	if (bad) {
		printf("mp_place: FAIL (%ld mismatches)\n", bad);
		return 1;
	}
	printf("mp_place: OK %ld pages on node0, %ld pages on node1\n", half, n - half);
	if (!wait)
		return 0;
	printf("mp_place: READY pid=%d addr=%p\n", getpid(), (void *)buf);
	if (wait_for_signal() < 0) {
		perror("mp_place: sigwait");
		return 2;
	}
	return 0;
}
