// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * tieringd.bpf.c - access sources for tieringd.
 *
 * Design. Every program here turns one observed access into one fixed-size
 * struct td_event (lib/tier_abi.h) in the ring buffer "td_events", after
 * filtering in the kernel: the daemon's own accesses, pages already on a
 * fast node, and cgroups the policy does not manage never leave the kernel.
 * A failed reserve counts TD_STAT_DROPPED in the per-CPU "td_stats" array,
 * so nothing is lost silently.
 *
 * Sources, of which the daemon loads only those the running kernel has
 * (it probes BTF and switches the others off before load):
 *
 *   hint faults  - NUMA balancing's hint faults, one hook per kernel era:
 *     fexit/numa_migrate_check   6.12+: folio, address, and the kernel's
 *                                own decision (target node or NUMA_NO_NODE)
 *     fexit/numa_migrate_prep    6.1: page, address, page node, target node
 *     fentry/task_numa_fault +   anything else with NUMA balancing: the
 *     fentry/handle_mm_fault     address of the fault under way is kept per
 *                                thread from handle_mm_fault's entry, for
 *                                user-mode faults only, and paired with the
 *                                node task_numa_fault reports inside it
 *   sampling     - perf_event program on every CPU: PMU memory sampling
 *                  with data addresses, or the software page-fault event
 *                  with PERF_SAMPLE_ADDR; the page's node and folio are
 *                  not known here (the daemon resolves the order).
 *   lifecycle    - tp_btf/sched_process_exec and _exit: the process's
 *                  image or the process itself is gone (not accesses).
 *
 * Every event carries the thread group leader's start time, and the hint
 * faults of the first two hooks the folio's order, addr aligned to it.
 *
 *   latency      - with numa_migrate_check (6.12+), fentry and fexit on
 *                  should_numa_migrate_memory(), which it calls: in tiering
 *                  mode, for a slow folio, the kernel swaps the scan time
 *                  it stored for the fault's time there; the two values
 *                  give the scan-to-fault latency, kept per CPU until the
 *                  fexit of numa_migrate_check (same fault, same CPU, under
 *                  the page table lock) puts it into the event.
 *
 * Known before load (rodata): the daemon's tgid, the page->flags node and
 * last_cpupid bits.
 * Changed at run time (maps): the fast-node mask, managed cgroups.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "compat.h"
#include "tier_abi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define NUMA_NO_NODE (-1)
/* x86-64 user space ends below 2^47 (2^56 with 5-level paging) */
#define TD_USER_ADDR_END (1ULL << 56)

const volatile __u32 self_tgid = 0;
const volatile bool filter_cgroups = false;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);	/* resized by the daemon before load */
} td_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TD_STAT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} td_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct td_runtime);
} td_runtime SEC(".maps");

/*
 * Cgroups whose mode differs from the default (td_runtime.default_managed).
 * The daemon writes an entry for each such cgroup its walks see, stamped
 * with the walk, and deletes, when a walk completes, every entry that walk
 * did not see: removed cgroups leave, so the map holds the live ones only.
 * A plain hash, not an LRU one: an LRU map would evict live entries under
 * pressure, silently giving a Mode=off cgroup the default.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct td_cgroup_filter);
} td_managed_cgroups SEC(".maps");

/* tid -> address of the user-mode fault under way (hint_fault_addr), for
 * the task_numa_fault pairing; ts_ns is when it began. */
struct td_last_fault {
	__u64 addr;
	__u64 ts_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct td_last_fault);
} td_fault_addr SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&td_stats, &idx);

	if (v)
		*v += 1;
}

static __always_inline struct td_runtime *runtime(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&td_runtime, &zero);
}

static __always_inline bool cgroup_managed(const struct td_runtime *rt, __u64 id)
{
	struct td_cgroup_filter *f;

	if (!filter_cgroups)
		return true;
	f = bpf_map_lookup_elem(&td_managed_cgroups, &id);
	if (!f)
		return rt->default_managed;
	return f->managed;
}

/* One event into the ring buffer: reserve -> fill -> submit. */
struct td_emit {
	__u64 addr;
	__u64 memcg_id;
	__u64 start_time;
	__u32 tgid;
	__u32 tid;
	int page_nid;
	int target_nid;
	__u16 flags;
	__u16 latency_ms;
	__u8 source;
	__u8 order;
};

static __always_inline int submit(const struct td_emit *a)
{
	struct td_event *e = bpf_ringbuf_reserve(&td_events, sizeof(*e), 0);
	__u64 addr = a->addr & TD_PAGE_MASK;

	if (!e) {
		stat_inc(TD_STAT_DROPPED);
		return 0;
	}
	/* head-aligned: a folio is naturally aligned in the address space
	 * unless mremap moved it by less than its size (then this is the
	 * aligned block holding the address, still one entry per folio) */
	if (a->order <= TD_ORDER_MAX)
		addr &= ~((1ULL << (TD_PAGE_SHIFT + a->order)) - 1);
	e->ts_ns = bpf_ktime_get_ns();
	e->addr = addr;
	e->memcg_id = a->memcg_id;
	e->tgid = a->tgid;
	e->tid = a->tid;
	e->page_nid = a->page_nid;
	e->target_nid = a->target_nid;
	e->source = a->source;
	e->version = TD_ABI_VERSION;
	e->flags = a->flags | (a->page_nid < 0 ? TD_EVF_NID_UNKNOWN : 0);
	e->cpu = bpf_get_smp_processor_id();
	e->order = a->order;
	e->__pad0 = 0;
	e->latency_ms = a->latency_ms;
	e->start_time = a->start_time;
	bpf_ringbuf_submit(e, 0);
	stat_inc(TD_STAT_SUBMITTED);
	return 0;
}

/*
 * Filters, then submit. page_nid < 0 means unknown: the fast-node filter
 * cannot apply and the daemon resolves the node itself. order is the
 * folio's (TD_ORDER_UNKNOWN when the hook cannot see it).
 */
static __always_inline int emit_lat(__u8 source, __u64 addr, int page_nid,
				    int target_nid, __u64 memcg_id, __u16 flags, __u8 order,
				    __u16 latency_ms)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct td_emit a = {
		.addr = addr, .tgid = pid_tgid >> 32, .tid = (__u32)pid_tgid,
		.page_nid = page_nid, .target_nid = target_nid, .flags = flags,
		.source = source, .order = order, .latency_ms = latency_ms,
	};
	struct td_runtime *rt;

	stat_inc(TD_STAT_HOOK_HITS);
	rt = runtime();
	if (!rt || !rt->enabled || a.tgid == 0)
		return 0;
	if (a.tgid == self_tgid) {
		stat_inc(TD_STAT_FILTERED_SELF);
		return 0;
	}
	if (page_nid >= 0 && page_nid < TD_MAX_NODES &&
	    (rt->fast_node_mask & (1ULL << page_nid))) {
		stat_inc(TD_STAT_FILTERED_FAST);
		return 0;
	}
	if (!memcg_id)
		memcg_id = bpf_get_current_cgroup_id();
	else
		a.flags |= TD_EVF_PAGE_MEMCG;
	if (!cgroup_managed(rt, memcg_id)) {
		stat_inc(TD_STAT_FILTERED_CGROUP);
		return 0;
	}
	a.memcg_id = memcg_id;
	a.start_time = td_task_start_time((struct task_struct *)bpf_get_current_task());
	return submit(&a);
}

/* emit_lat() without a latency (every source but numa_migrate_check). */
static __always_inline int emit(__u8 source, __u64 addr, int page_nid,
				int target_nid, __u64 memcg_id, __u16 flags, __u8 order)
{
	return emit_lat(source, addr, page_nid, target_nid, memcg_id, flags, order,
			TD_LATENCY_UNKNOWN);
}

/*
 * Process lifecycle (TD_SRC_EXEC, TD_SRC_EXIT) of task's thread group:
 * the self filter only. No cgroup filter: a process forgotten that was
 * never learned costs a lookup, and a process that moved to an unmanaged
 * cgroup must be forgotten all the same. Not counted as hook hits.
 */
static __always_inline int emit_process(__u8 source, struct task_struct *task)
{
	struct td_emit a = {
		.tgid = BPF_CORE_READ(task, tgid), .tid = BPF_CORE_READ(task, pid),
		.page_nid = -1, .target_nid = -1, .source = source,
		.order = TD_ORDER_UNKNOWN, .latency_ms = TD_LATENCY_UNKNOWN,
	};
	struct td_runtime *rt = runtime();

	if (!rt || !rt->enabled || a.tgid == 0)
		return 0;
	if (a.tgid == self_tgid) {
		stat_inc(TD_STAT_FILTERED_SELF);
		return 0;
	}
	a.memcg_id = bpf_get_current_cgroup_id();
	a.start_time = td_task_start_time(task);
	return submit(&a);
}

/*
 * Scan-to-fault latency of the fault under way on this CPU: the folio
 * should_numa_migrate_memory() was asked about, the stored bits before it
 * ran, and the latency once it returned (TD_LATENCY_UNKNOWN until then).
 */
struct td_latency_slot {
	__u64 folio;
	__u32 before;
	__u16 latency_ms;
	__u16 armed;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct td_latency_slot);
} td_latency SEC(".maps");

static __always_inline struct td_latency_slot *latency_slot(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&td_latency, &zero);
}

/* 6.12+: before the kernel swaps the scan time for the fault's time. */
SEC("fentry/should_numa_migrate_memory")
int BPF_PROG(lat_enter, struct task_struct *p, struct folio *folio, int src_nid, int dst_cpu)
{
	struct td_latency_slot *ls = latency_slot();
	long before = td_flags_last_cpupid(folio);

	if (!ls)
		return 0;
	ls->folio = (__u64)folio;
	ls->before = (__u32)before;
	ls->latency_ms = TD_LATENCY_UNKNOWN;
	ls->armed = before >= 0;
	return 0;
}

/*
 * After it: in tiering mode, for a slow folio, the kernel has stored the
 * fault's time (numa_hint_fault_latency()), unless the fast node had room
 * enough to promote without asking. Only bits that now read as the current
 * time are taken for one: the other paths store a cpupid or nothing (a
 * cpupid, (cpu << 8) | pid's low byte, reads as the time only while the
 * masked ms are that small: a fraction of a second every ~35 minutes).
 */
SEC("fexit/should_numa_migrate_memory")
int BPF_PROG(lat_exit, struct task_struct *p, struct folio *folio, int src_nid, int dst_cpu,
	     bool ret)
{
	struct td_latency_slot *ls = latency_slot();
	long after = td_flags_last_cpupid(folio);
	__u32 lat;

	if (!ls || !ls->armed || ls->folio != (__u64)folio || after < 0)
		return 0;
	ls->armed = 0;
	if (!td_is_now_ms((__u32)after))
		return 0;
	lat = ((__u32)after - ls->before) & td_cpupid_mask();
	ls->latency_ms = lat > TD_LATENCY_MAX ? TD_LATENCY_MAX : lat;
	return 0;
}

/* The latency measured for folio in this fault, once. */
static __always_inline __u16 take_latency(const struct folio *folio)
{
	struct td_latency_slot *ls = latency_slot();
	__u16 lat;

	if (!ls || ls->folio != (__u64)folio)
		return TD_LATENCY_UNKNOWN;
	lat = ls->latency_ms;
	ls->folio = 0;
	ls->armed = 0;
	ls->latency_ms = TD_LATENCY_UNKNOWN;
	return lat;
}

/* 6.12+: numa_migrate_check() returns the node the kernel will move to. */
SEC("fexit/numa_migrate_check")
int BPF_PROG(hint_migrate_check, struct folio *folio, struct vm_fault *vmf,
	     unsigned long addr, int *flags, bool writable, int *last_cpupid, int ret)
{
	__u16 evf = ret != NUMA_NO_NODE ? TD_EVF_KERNEL_MIGRATES : 0;
	int target = ret != NUMA_NO_NODE ? ret : (int)bpf_get_numa_node_id();

	return emit_lat(TD_SRC_HINT_FAULT, addr, td_page_nid(folio), target,
			td_folio_memcg_id(folio), evf, td_folio_order(folio),
			take_latency(folio));
}

/* 6.1: numa_migrate_prep() gets the page's node and returns the target. */
SEC("fexit/numa_migrate_prep")
int BPF_PROG(hint_migrate_prep, struct page *page, struct vm_area_struct *vma,
	     unsigned long addr, int page_nid, int *flags, int ret)
{
	__u16 evf = ret != NUMA_NO_NODE ? TD_EVF_KERNEL_MIGRATES : 0;
	int target = ret != NUMA_NO_NODE ? ret : (int)bpf_get_numa_node_id();

	return emit(TD_SRC_HINT_FAULT, addr, page_nid, target,
		    td_page_memcg_id(page), evf, td_page_order(page));
}

/*
 * Fallback pair. Every hint fault reaches task_numa_fault() from
 * do_numa_page() inside handle_mm_fault() (its only caller's only caller),
 * whatever took the fault: user code, the kernel touching user memory
 * (copy_to_user, an rseq or signal-frame write on the way back to user
 * space) or get_user_pages. So handle_mm_fault's entry, for every fault,
 * sets the thread's saved address when the fault is the user's own
 * (FAULT_FLAG_USER: do_user_addr_fault() sets it only for a fault in user
 * mode) and clears it otherwise: task_numa_fault() pairs only with the
 * fault it runs in. A kernel-mode hint fault names no user access of the
 * program at that address (and a stale address from the thread's previous
 * user fault is not that fault's), so it is not an event.
 */
SEC("fentry/handle_mm_fault")
int BPF_PROG(hint_fault_addr, struct vm_area_struct *vma, unsigned long address,
	     unsigned int flags, struct pt_regs *regs)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct td_last_fault lf = {
		.addr = address,
		.ts_ns = bpf_ktime_get_ns(),
	};

	if (!(flags & bpf_core_enum_value(enum fault_flag, FAULT_FLAG_USER))) {
		bpf_map_delete_elem(&td_fault_addr, &tid);
		return 0;
	}
	bpf_map_update_elem(&td_fault_addr, &tid, &lf, BPF_ANY);
	return 0;
}

/* ... and pair it with the node task_numa_fault() reports for that fault,
 * once (the entry goes with it). */
SEC("fentry/task_numa_fault")
int BPF_PROG(hint_task_numa_fault, int last_cpupid, int mem_node, int pages, int flags)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct td_last_fault *lf = bpf_map_lookup_elem(&td_fault_addr, &tid);
	__u64 addr;

	if (!lf)
		return 0;
	addr = lf->addr;
	bpf_map_delete_elem(&td_fault_addr, &tid);
	/* TNF_MIGRATED (0x01 on 6.1..7.x): the kernel already moved it */
	return emit(TD_SRC_HINT_FAULT, addr, mem_node,
		    (int)bpf_get_numa_node_id(), 0,
		    (flags & 0x01) ? TD_EVF_KERNEL_MIGRATES : 0, TD_ORDER_UNKNOWN);
}

/* Sampling: PMU memory samples or software page faults with an address. */
SEC("perf_event")
int sample_access(struct bpf_perf_event_data *ctx)
{
	__u64 addr = ctx->addr;

	/* no data address (IBS on < 6.1, some op types), or a kernel address
	 * (IBS without swfilt samples kernel mode too): not ours to move */
	if (!addr || addr >= TD_USER_ADDR_END)
		return 0;
	return emit(TD_SRC_SAMPLE, addr, -1, (int)bpf_get_numa_node_id(), 0, 0,
		    TD_ORDER_UNKNOWN);
}

/*
 * Process lifecycle. exec: the old image's addresses mean nothing now
 * (the tracepoint fires after the new mm is installed, for the task that
 * exec'd, which de_thread() made the thread group leader: its tgid is the
 * process's). Fires also for a leader of one thread.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(proc_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return emit_process(TD_SRC_EXEC, p);
}

/*
 * exit: fires for every exiting thread, after do_exit() decremented
 * signal->live (6.1 and 6.12 alike; 6.16+ pass that result as group_dead,
 * which the counter equals). So the thread that sees live == 0 is the last
 * one of its group: the process is gone, whichever thread that was (the
 * leader may exit first and linger as a zombie while others run).
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(proc_exit, struct task_struct *p)
{
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	return emit_process(TD_SRC_EXIT, p);
}
