/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * slowbuf.h - the payloads' slow-node buffer (burst, manyhot): anonymous
 * 4 KiB pages (MADV_NOHUGEPAGE) placed on a node with mbind, touched, and
 * the policy reset so the pages may move (how many sit on a node:
 * payload.h's count_on()).
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

#endif
