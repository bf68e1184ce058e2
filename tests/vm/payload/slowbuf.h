/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * slowbuf.h - the payloads' slow-node buffer (burst, manyhot): anonymous
 * 4 KiB pages (MADV_NOHUGEPAGE) placed on a node with mbind, touched, and
 * the policy reset so the pages may move; and the move_pages(2) query of
 * how many of them sit on a node.
 */
#ifndef TIERINGD_PAYLOAD_SLOWBUF_H
#define TIERINGD_PAYLOAD_SLOWBUF_H

#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define SLOWBUF_PAGE 4096UL

/* n pages on node, every one touched; NULL when a call fails. */
static inline char *slowbuf_place(size_t n, int node)
{
	unsigned long mask = 1UL << node;
	char *buf = mmap(NULL, n * SLOWBUF_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);

	if (buf == MAP_FAILED)
		return NULL;
	madvise(buf, n * SLOWBUF_PAGE, MADV_NOHUGEPAGE);
	if (mbind(buf, n * SLOWBUF_PAGE, MPOL_BIND, &mask, 64, 0))
		return NULL;
	memset(buf, 1, n * SLOWBUF_PAGE);
	mbind(buf, n * SLOWBUF_PAGE, MPOL_DEFAULT, NULL, 0, 0);
	return buf;
}

/* Pages of pages[0..n) on node (queried in chunks); exits on a failed query. */
static inline size_t slowbuf_count_on(void **pages, int *status, size_t n, int node)
{
	size_t on = 0;

	for (size_t off = 0; off < n; off += 4096) {
		size_t c = n - off < 4096 ? n - off : 4096;

		if (move_pages(0, c, pages + off, NULL, status + off, 0) < 0) {
			perror("move_pages query");
			exit(1);
		}
	}
	for (size_t i = 0; i < n; i++)
		on += status[i] == node;
	return on;
}

#endif
