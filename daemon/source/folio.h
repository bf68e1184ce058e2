/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * folio.h - the folio order of a sampled address. Sampling (perf_event)
 * sees an address, never the page: the order comes from /proc/PID/pagemap
 * (the PFN; the kernel zeroes it without CAP_SYS_ADMIN) and
 * /proc/kpageflags (KPF_COMPOUND_HEAD/TAIL, KPF_THP) of the 2 MiB-aligned
 * block of PFNs around it: the compound's head and its length give the
 * order, any order up to 9, so mTHP sizes (orders 2..8) come out as
 * themselves and a PMD THP as 9.
 *
 * pagemap fds are cached for a few processes (least recently used out);
 * one is closed when its process is forgotten, and reopened once when a
 * read fails or finds nothing (the process exec'd or exited: the fd still
 * reads the old mm, or nothing).
 */
#ifndef TIERINGD_FOLIO_H
#define TIERINGD_FOLIO_H

#include <stdint.h>

/* kpageflags bits (include/uapi/linux/kernel-page-flags.h) */
#define TD_KPF_COMPOUND_HEAD	15
#define TD_KPF_COMPOUND_TAIL	16
#define TD_KPF_HUGE		17
#define TD_KPF_THP		22

/* Largest order resolved: a PMD THP on x86-64 (512 pages). */
#define TD_FOLIO_ORDER_MAX	9

/* pagemap fds kept open. */
#define TD_FOLIO_FDS		8

struct td_folio;

struct td_folio_params {
	const char *proc_root;		/* "/proc": PID/pagemap under it */
	const char *kpageflags;		/* "/proc/kpageflags" */
};

struct td_folio_stats {
	uint64_t resolved;	/* td_folio_order() calls that found an order */
	uint64_t unresolved;	/* those that did not (not present, no PFN, ...) */
};

/* Opens kpageflags. 0, -ENOMEM, or the open's negative errno. */
int td_folio_new(const struct td_folio_params *p, struct td_folio **ret);
void td_folio_free(struct td_folio *f);

/*
 * The order (0..TD_FOLIO_ORDER_MAX) of the folio mapped at addr in process
 * tgid, or a negative errno: -ENOENT not present (or swapped), -EPERM no
 * PFN (no CAP_SYS_ADMIN), -EOPNOTSUPP hugetlb, -ERANGE a compound larger
 * than TD_FOLIO_ORDER_MAX or not a power of two (split under way), -ESRCH
 * no such process, other read errors. Counted in td_folio_get_stats().
 */
int td_folio_order(struct td_folio *f, uint32_t tgid, uint64_t addr);

/* td_folio_order() as a td_hotness_order_fn (ctx: the struct td_folio). */
int td_folio_resolve(void *ctx, uint32_t tgid, uint64_t addr);

/* Closes tgid's cached pagemap fd, if any (exec, exit, reaped). */
void td_folio_forget(struct td_folio *f, uint32_t tgid);

void td_folio_get_stats(const struct td_folio *f, struct td_folio_stats *ret);

#endif
