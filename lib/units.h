/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * units.h - the units every module counts in, defined once: the base page,
 * the node limit, node masks and the hotness threshold.
 *
 *   pages     base pages of TD_PAGE_SIZE bytes (tier_abi.h's TD_PAGE_SHIFT), the
 *             unit the kernel counts in (pgpromote_success, numa_stat);
 *   folios    what is moved and keyed: 2^order base pages (td_folio_bytes());
 *   bytes     what rates, rooms, caps and shares are counted in;
 *   nodes     0..TD_MAX_NODES-1, sets of them as one uint64_t mask;
 *   hotness   decayed accesses in TD_HOTNESS_ONE fixed point (hotness.h).
 *
 * A threshold is a hotness: HotThreshold=N (accesses) becomes
 * td_threshold_of(N), and every output shows thresholds and hotness alike
 * through td_hotness_accesses(), so the same number has the same name
 * everywhere.
 */
#ifndef TIERINGD_UNITS_H
#define TIERINGD_UNITS_H

#include <stdbool.h>
#include <stdint.h>

#include "hotness.h"
#include "tier_abi.h"

#define TD_PAGE_SIZE	(UINT64_C(1) << TD_PAGE_SHIFT)

static inline uint64_t td_pages_to_bytes(uint64_t pages)
{
	return pages > (UINT64_MAX >> TD_PAGE_SHIFT) ? UINT64_MAX : pages << TD_PAGE_SHIFT;
}

/* Whole pages in bytes (rounded down); UINT64_MAX stays "no limit". */
static inline uint64_t td_bytes_to_pages(uint64_t bytes)
{
	return bytes == UINT64_MAX ? UINT64_MAX : bytes >> TD_PAGE_SHIFT;
}

/* Folio orders counted by size: 0 (a base page) .. TD_FOLIO_ORDERS - 1 (x86-64's PMD). */
#define TD_FOLIO_ORDERS	10

/* The bytes of a folio of @order (TD_PAGE_SIZE << order); orders past the
 * table's largest are taken as that. */
static inline uint64_t td_folio_bytes(unsigned int order)
{
	return TD_PAGE_SIZE << (order > TD_HOTNESS_ORDER_MAX ? TD_HOTNESS_ORDER_MAX : order);
}

static inline bool td_node_valid(int node)
{
	return node >= 0 && node < TD_MAX_NODES;
}

static inline bool td_node_in(uint64_t mask, int node)
{
	return td_node_valid(node) && (mask & (UINT64_C(1) << node));
}

/*
 * HotThreshold=N accesses as a hotness: N accesses within one half-life
 * decay to between N/2 and N, so the threshold is N/2 accesses' worth.
 * Saturates instead of overflowing.
 */
static inline uint32_t td_threshold_of(uint32_t accesses)
{
	uint64_t t = (uint64_t)accesses * (TD_HOTNESS_ONE / 2);

	return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

/* A hotness (or threshold) in decayed accesses, for every output. */
static inline double td_hotness_accesses(uint32_t hotness)
{
	return (double)hotness / TD_HOTNESS_ONE;
}

#endif
