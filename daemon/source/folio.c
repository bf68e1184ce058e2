// SPDX-License-Identifier: GPL-2.0-only
/*
 * folio.c - folio orders of sampled addresses from pagemap and kpageflags
 * (folio.h). One pread of pagemap and one of kpageflags for the page; for
 * a compound page one more, of the aligned block of 1 << TD_FOLIO_ORDER_MAX
 * PFNs (folios are naturally aligned in PFN space, so a folio of order <= 9
 * lies inside one such block).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "source/folio.h"
#include "tier_abi.h"

#define PM_PRESENT	(1ULL << 63)
#define PM_SWAP		(1ULL << 62)
#define PM_PFN_MASK	((1ULL << 55) - 1)
#define BLOCK		(1u << TD_FOLIO_ORDER_MAX)

#define KPF(bit)	(1ULL << (bit))

struct fd_slot {
	uint32_t tgid;		/* 0: free */
	int fd;
	uint64_t used;		/* LRU clock */
};

struct td_folio {
	char proc_root[PATH_MAX - 32];	/* room for /PID/pagemap */
	int kpf_fd;
	struct fd_slot fds[TD_FOLIO_FDS];
	uint64_t clock;
	struct td_folio_stats stats;
};

int td_folio_new(const struct td_folio_params *p, struct td_folio **ret)
{
	struct td_folio *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	snprintf(f->proc_root, sizeof(f->proc_root), "%s", p->proc_root);
	f->kpf_fd = open(p->kpageflags, O_RDONLY | O_CLOEXEC);
	if (f->kpf_fd < 0) {
		int r = -errno;

		free(f);
		return r;
	}
	*ret = f;
	return 0;
}

static void slot_close(struct fd_slot *sl)
{
	if (sl->tgid)
		close(sl->fd);
	sl->tgid = 0;
	sl->fd = -1;
}

void td_folio_free(struct td_folio *f)
{
	if (!f)
		return;
	for (int i = 0; i < TD_FOLIO_FDS; i++)
		slot_close(&f->fds[i]);
	close(f->kpf_fd);
	free(f);
}

void td_folio_forget(struct td_folio *f, uint32_t tgid)
{
	for (int i = 0; i < TD_FOLIO_FDS; i++)
		if (f->fds[i].tgid == tgid)
			slot_close(&f->fds[i]);
}

/* tgid's pagemap fd: cached, or opened into the least recently used slot. */
static int pagemap_fd(struct td_folio *f, uint32_t tgid)
{
	struct fd_slot *victim = &f->fds[0];
	char path[PATH_MAX];

	for (int i = 0; i < TD_FOLIO_FDS; i++) {
		struct fd_slot *sl = &f->fds[i];

		if (sl->tgid == tgid) {
			sl->used = ++f->clock;
			return sl->fd;
		}
		if (!sl->tgid || (victim->tgid && sl->used < victim->used))
			victim = sl;
	}
	slot_close(victim);
	if (snprintf(path, sizeof(path), "%s/%u/pagemap", f->proc_root, tgid) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	victim->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (victim->fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	victim->tgid = tgid;
	victim->used = ++f->clock;
	return victim->fd;
}

/* tgid's pagemap entry for addr; a stale fd (exec, exit, PID reused) reads
 * nothing or fails: reopened once. 0 or negative errno. */
static int pagemap_entry(struct td_folio *f, uint32_t tgid, uint64_t addr, uint64_t *ret)
{
	off_t off = (off_t)(addr >> TD_PAGE_SHIFT) * (off_t)sizeof(*ret);

	for (int attempt = 0; attempt < 2; attempt++) {
		int fd = pagemap_fd(f, tgid);
		ssize_t n;

		if (fd < 0)
			return fd;
		n = pread(fd, ret, sizeof(*ret), off);
		if (n == (ssize_t)sizeof(*ret))
			return 0;
		td_folio_forget(f, tgid);
		if (attempt)
			return n < 0 ? -errno : -ESRCH;
	}
	return -ESRCH;
}

/* Order of the compound page at index i of the block's flags ent[0..n). */
static int compound_order(const uint64_t *ent, size_t n, size_t i)
{
	size_t h = i, len = 1;

	while (h > 0 && !(ent[h] & KPF(TD_KPF_COMPOUND_HEAD)) && (ent[h] & KPF(TD_KPF_COMPOUND_TAIL)))
		h--;
	if (!(ent[h] & KPF(TD_KPF_COMPOUND_HEAD)))
		return -ERANGE;	/* the head is outside the block: larger than order 9 */
	while (h + len < n && (ent[h + len] & KPF(TD_KPF_COMPOUND_TAIL)) &&
	       !(ent[h + len] & KPF(TD_KPF_COMPOUND_HEAD)))
		len++;
	if (h + len <= i || (len & (len - 1)))
		return -ERANGE;
	return __builtin_ctzll(len);
}

/* The order the flags @fl of one page say, or 1 for "compound: ask the block". */
static int flags_order(uint64_t fl)
{
	if (fl & KPF(TD_KPF_HUGE))
		return -EOPNOTSUPP;
	if (!(fl & (KPF(TD_KPF_COMPOUND_HEAD) | KPF(TD_KPF_COMPOUND_TAIL))))
		return 0;
	if (!(fl & KPF(TD_KPF_THP)))
		return -EOPNOTSUPP;	/* compound but neither THP nor hugetlb */
	return 1;
}

/*
 * Order of the page at pfn from kpageflags: the page's own flags first,
 * the block only for a compound page. The kernel computes the flags of
 * every PFN read, and most sampled pages are small: in a 6.12 guest under
 * TCG a block read took ~250 us, one entry ~3 us, and tieringd's CPU per
 * new sampled entry fell from ~90 to ~40 us (the scale_table suite).
 */
static int pfn_order(struct td_folio *f, uint64_t pfn)
{
	uint64_t ent[BLOCK], block = pfn & ~(uint64_t)(BLOCK - 1);
	size_t i = pfn - block, n;
	ssize_t got = pread(f->kpf_fd, ent, sizeof(ent[0]), (off_t)(pfn * sizeof(ent[0])));
	int r;

	if (got < 0)
		return -errno;
	if (got != sizeof(ent[0]))
		return -ERANGE;
	r = flags_order(ent[0]);
	if (r != 1)
		return r;
	got = pread(f->kpf_fd, ent, sizeof(ent), (off_t)(block * sizeof(ent[0])));
	if (got < 0)
		return -errno;
	n = (size_t)got / sizeof(ent[0]);
	if (i >= n)
		return -ERANGE;
	r = flags_order(ent[i]);	/* it may have changed since */
	return r != 1 ? r : compound_order(ent, n, i);
}

static int order_of(struct td_folio *f, uint32_t tgid, uint64_t addr)
{
	uint64_t pm;
	int r = pagemap_entry(f, tgid, addr, &pm);

	if (r)
		return r;
	if (!(pm & PM_PRESENT) || (pm & PM_SWAP))
		return -ENOENT;
	if (!(pm & PM_PFN_MASK))
		return -EPERM;
	return pfn_order(f, pm & PM_PFN_MASK);
}

int td_folio_order(struct td_folio *f, uint32_t tgid, uint64_t addr)
{
	int r = order_of(f, tgid, addr);

	if (r < 0)
		f->stats.unresolved++;
	else
		f->stats.resolved++;
	return r;
}

int td_folio_resolve(void *ctx, uint32_t tgid, uint64_t addr)
{
	return td_folio_order(ctx, tgid, addr);
}

void td_folio_get_stats(const struct td_folio *f, struct td_folio_stats *ret)
{
	*ret = f->stats;
}
