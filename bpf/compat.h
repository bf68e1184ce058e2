/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * compat.h - kernel-version drift, in one place. Each shim names the kernel
 * that made it necessary. Everything here uses CO-RE so one object runs on
 * 6.1, 6.12 and newer.
 */
#ifndef TIERINGD_BPF_COMPAT_H
#define TIERINGD_BPF_COMPAT_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tier_abi.h"

/*
 * Node id from page->flags / folio->flags. The flags word is the first
 * member of both structs on every supported kernel; since 6.18-ish it is a
 * memdesc_flags_t wrapper of the same word, so read it raw rather than by
 * field name. Where the node bits sit depends on the build: the daemon
 * passes the shift and mask (Debian: SPARSEMEM_VMEMMAP, NODES_SHIFT=10, so
 * the node is in the top 10 bits: shift 54, mask 0x3ff).
 */
const volatile __u32 nodes_pgshift = 54;
const volatile __u32 nodes_mask = 0x3ff;

static __always_inline int td_page_nid(const void *page_or_folio)
{
	unsigned long flags = 0;

	if (bpf_probe_read_kernel(&flags, sizeof(flags), page_or_folio))
		return -1;
	return (int)((flags >> nodes_pgshift) & nodes_mask);
}

/*
 * The scan time tiering mode keeps in a slow folio's last_cpupid bits
 * (6.12: folio_xchg_access_time(), stored as jiffies_to_msecs(jiffies)
 * masked to the field's width). The bits sit below the node and zone bits
 * of the flags word when the build has room there (the daemon computes
 * shift and width from BTF and sets width 0 when they live elsewhere).
 */
const volatile __u32 last_cpupid_pgshift = 0;
const volatile __u32 last_cpupid_width = 0;

static __always_inline __u32 td_cpupid_mask(void)
{
	return last_cpupid_width ? (__u32)((1ULL << last_cpupid_width) - 1) : 0;
}

/* The raw last_cpupid bits of page_or_folio, or -1. */
static __always_inline long td_flags_last_cpupid(const void *page_or_folio)
{
	unsigned long flags = 0;

	if (!last_cpupid_width || last_cpupid_pgshift >= 64 ||
	    bpf_probe_read_kernel(&flags, sizeof(flags), page_or_folio))
		return -1;
	return (long)((flags >> last_cpupid_pgshift) & td_cpupid_mask());
}

/*
 * Whether stored (bits just written by the kernel) is jiffies_to_msecs()
 * of the current jiffies, masked: true for HZ 250, 100 or 1000 (1000 / HZ
 * ms per jiffy, tried in turn; up to two jiffies behind). So the bits are
 * known to hold a time, without knowing HZ or trusting the layout.
 */
static __always_inline bool td_is_now_ms(__u32 stored)
{
	static const __u32 ms_per_jiffy[3] = { 4, 10, 1 };
	__u64 j = bpf_jiffies64();
	__u32 mask = td_cpupid_mask();

	for (int i = 0; i < 3; i++) {
		__u32 now = (__u32)(j * ms_per_jiffy[i]) & mask;

		if (((now - stored) & mask) <= 2 * ms_per_jiffy[i])
			return true;
	}
	return false;
}

/*
 * 6.1 passes a struct page that may be a THP tail page; memcg_data lives on
 * the head. compound_head has bit 0 set on tail pages (all versions).
 */
static __always_inline const struct page *td_compound_head(const struct page *page)
{
	unsigned long head = BPF_CORE_READ(page, compound_head);

	if (head & 1)
		return (const struct page *)(head - 1);
	return page;
}

/*
 * memcg_data low bits are flags (6.1: OBJCGS|KMEM; 6.12: OBJEXTS|KMEM);
 * MEMCG_DATA_KMEM means it points at an obj_cgroup, not a mem_cgroup: user
 * pages never have it, and we give up rather than guess.
 */
#define TD_MEMCG_DATA_KMEM 0x2UL
#define TD_MEMCG_DATA_FLAGS 0x7UL

static __always_inline __u64 td_memcg_data_to_id(unsigned long memcg_data)
{
	struct mem_cgroup *memcg;

	if (!memcg_data || (memcg_data & TD_MEMCG_DATA_KMEM))
		return 0;
	memcg = (struct mem_cgroup *)(memcg_data & ~TD_MEMCG_DATA_FLAGS);
	return BPF_CORE_READ(memcg, css.cgroup, kn, id);
}

/* 6.12+: struct folio has memcg_data (an alias of page->memcg_data). */
static __always_inline __u64 td_folio_memcg_id(const struct folio *folio)
{
	return td_memcg_data_to_id(BPF_CORE_READ(folio, memcg_data));
}

/* 6.1: struct page, possibly a tail. */
static __always_inline __u64 td_page_memcg_id(const struct page *page)
{
	return td_memcg_data_to_id(BPF_CORE_READ(td_compound_head(page), memcg_data));
}

/*
 * Folio orders. PG_head's bit moved (6.1: 16, 6.12: 6), so it is a CO-RE
 * enum value; the flags word is read raw as in td_page_nid().
 */
static __always_inline bool td_flags_head(const void *page_or_folio)
{
	unsigned long flags = 0;

	if (bpf_probe_read_kernel(&flags, sizeof(flags), page_or_folio))
		return false;
	return flags & (1UL << bpf_core_enum_value(enum pageflags, PG_head));
}

/* 6.1's first tail page kept the order in a byte of its own; 6.12's struct
 * page has no such field (a flavour, so the 6.12 vmlinux.h compiles it). */
struct page___6_1 {
	unsigned char compound_order;
} __attribute__((preserve_access_index));

/*
 * 6.12+ (numa_migrate_check's folio): a large folio has PG_head, and its
 * order is the low byte of _flags_1 (folio_order(), 6.6+; the word is a
 * memdesc_flags_t on 7.x, so it is read raw at the field's offset). 0 for
 * a small folio, TD_ORDER_UNKNOWN if the kernel has no _flags_1 (6.1 has
 * _folio_order instead, but 6.1 has no numa_migrate_check either).
 */
static __always_inline __u8 td_folio_order(const struct folio *folio)
{
	unsigned long f1 = 0;

	if (!td_flags_head(folio))
		return 0;
	if (!bpf_core_field_exists(folio->_flags_1))
		return TD_ORDER_UNKNOWN;
	if (bpf_probe_read_kernel(&f1, sizeof(f1),
				  (const char *)folio + bpf_core_field_offset(folio->_flags_1)))
		return TD_ORDER_UNKNOWN;
	return f1 & 0xff;
}

/*
 * 6.1 (numa_migrate_prep's page, the head page of a PMD THP, or any page
 * of a PTE-mapped one): the head's first tail page holds compound_order.
 * 0 for a page that is not compound, TD_ORDER_UNKNOWN without the field.
 */
static __always_inline __u8 td_page_order(const struct page *page)
{
	const struct page *head = td_compound_head(page);
	const struct page___6_1 *tail1;

	if (!td_flags_head(head))
		return 0;
	if (!bpf_core_field_exists(((struct page___6_1 *)0)->compound_order))
		return TD_ORDER_UNKNOWN;
	tail1 = (const void *)((const char *)head + bpf_core_type_size(struct page));
	return BPF_CORE_READ(tail1, compound_order);
}

/* The thread group leader's start time of task (ns since boot), 0 if unreadable. */
static __always_inline __u64 td_task_start_time(const struct task_struct *task)
{
	return BPF_CORE_READ(task, group_leader, start_boottime);
}

#endif /* TIERINGD_BPF_COMPAT_H */
