/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * numastat.h - the text of a cgroup v2 memory.numa_stat file, parsed into
 * per-node byte counts of the lines tieringd uses:
 *
 *	anon N0=1234 N1=5678
 *	file N0=8192 N1=0
 *	kernel_stack N0=16384 N1=0
 *	...
 *
 * One line per statistic, "KEY" then " N<node>=<bytes>" per node with
 * memory (6.1 and 6.12 alike; anon and file come first). Lines with other
 * keys are skipped, as are malformed lines; nodes at or above TD_MAX_NODES
 * are ignored. A cgroup v1 memory.numa_stat ("anon=12 N0=12", in pages)
 * has no "anon" line in this sense and is refused.
 *
 * Pure code: parses a buffer the caller read.
 */
#ifndef TIERINGD_NUMASTAT_H
#define TIERINGD_NUMASTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tier_abi.h"

struct td_numastat {
	uint64_t anon[TD_MAX_NODES];	/* bytes per node; 0 where not listed */
	uint64_t file[TD_MAX_NODES];
	uint64_t anon_nodes;		/* bit N: the anon line listed node N */
	uint64_t file_nodes;		/* bit N: the file line listed node N */
};

/*
 * Parses @len bytes of @text (need not be NUL-terminated; a last line
 * without a newline counts) into *@ret, zeroed first. The first well-formed
 * "anon" and "file" lines are used. A line is well-formed when every token
 * after the key is N<decimal>=<decimal fitting 64 bits>, separated by spaces
 * or tabs. Returns 0; -EINVAL if there was no well-formed anon line (a file
 * line is optional). *@ret is zeroed on error too.
 */
int td_numastat_parse(const char *text, size_t len, struct td_numastat *ret);

/*
 * Bytes on the nodes in @node_mask (bit N: node N): anon, plus file unless
 * @anon_only. Saturates at UINT64_MAX.
 */
uint64_t td_numastat_bytes_on(const struct td_numastat *s, uint64_t node_mask, bool anon_only);

#endif
