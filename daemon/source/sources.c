// SPDX-License-Identifier: GPL-2.0-only
/*
 * sources.c - BPF loading with hook fallbacks.
 *
 * Phases: open -> probe (BTF: which hooks does this kernel have?) ->
 * configure (rodata, map sizes) -> load -> attach (first hook of each chain
 * that attaches wins) -> ring buffer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "ops/log.h"
#include "source/drain.h"
#include "source/pmu_probe.h"
#include "source/sources.h"
#include "tieringd.skel.h"

#define MAX_CPUS 1024

struct td_sources {
	struct tieringd_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *hint_links[2];
	struct bpf_link *proc_links[2];	/* sched_process_exec, _exit */
	struct bpf_link *lat_links[2];	/* should_numa_migrate_memory entry, exit */
	bool latency;			/* scan-to-fault latency: loaded (with hook 0) */
	uint32_t cpupid_shift, cpupid_width;
	bool lifecycle_btf;		/* the kernel has both tracepoints' BTF */
	bool lifecycle;			/* both attached */
	char lifecycle_why[96];
	struct bpf_link *sample_links[MAX_CPUS];
	int perf_fds[MAX_CPUS];
	int aux_fds[MAX_CPUS];
	int n_perf, n_aux;
	int ncpus;
	uint64_t bad_events;
	uint64_t capped_drains;
	struct td_drain drain;	/* the one under way in td_sources_consume() */
	td_event_fn on_event;
	void *userdata;
	struct td_source_status status[TD_SOURCE__MAX];
};

/* One link of the hint-fault chain: programs that together form the source. */
struct hint_hook {
	const char *label;
	const char *btf_funcs[2];	/* all must exist in vmlinux BTF */
	int nprogs;
};

static const struct hint_hook hint_chain[] = {
	{ "fexit/numa_migrate_check", { "numa_migrate_check" }, 1 },
	{ "fexit/numa_migrate_prep", { "numa_migrate_prep" }, 1 },
	{ "fentry/task_numa_fault+handle_mm_fault", { "task_numa_fault", "handle_mm_fault" }, 2 },
};

static struct bpf_program **hint_progs(struct tieringd_bpf *skel, size_t i)
{
	static struct bpf_program *progs[3][2];

	progs[0][0] = skel->progs.hint_migrate_check;
	progs[1][0] = skel->progs.hint_migrate_prep;
	progs[2][0] = skel->progs.hint_task_numa_fault;
	progs[2][1] = skel->progs.hint_fault_addr;
	return progs[i];
}

static bool btf_has_func(const struct btf *btf, const char *name)
{
	return btf && btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) >= 0;
}

static bool hook_available(const struct btf *btf, const struct hint_hook *h)
{
	for (size_t j = 0; j < 2 && h->btf_funcs[j]; j++)
		if (!btf_has_func(btf, h->btf_funcs[j]))
			return false;
	return true;
}

#define N_HINT_HOOKS ((int)(sizeof(hint_chain) / sizeof(hint_chain[0])))

/* Switches on the programs of hint hook `which` (-1: none) and no other. */
static void select_hint_hook(struct td_sources *s, int which)
{
	for (int i = 0; i < N_HINT_HOOKS; i++) {
		struct bpf_program **p = hint_progs(s->skel, i);

		for (int j = 0; j < hint_chain[i].nprogs; j++)
			bpf_program__set_autoload(p[j], i == which);
	}
}

static void destroy_links(struct bpf_link **links, int n)
{
	for (int i = 0; i < n; i++) {
		bpf_link__destroy(links[i]);
		links[i] = NULL;
	}
}

/* Attaches the programs of hint hook i. 0 or negative errno. */
static int attach_hint(struct td_sources *s, int i)
{
	struct bpf_program **p = hint_progs(s->skel, i);
	int j;

	for (j = 0; j < hint_chain[i].nprogs; j++) {
		s->hint_links[j] = bpf_program__attach(p[j]);
		if (!s->hint_links[j]) {
			int err = -errno;

			destroy_links(s->hint_links, j);
			return err;
		}
	}
	return 0;
}

static int perf_open(struct perf_event_attr *attr, int cpu, int group_fd)
{
	return syscall(__NR_perf_event_open, attr, -1, cpu, group_fd, PERF_FLAG_FD_CLOEXEC);
}

/* Opens the sampling event on one CPU (with the aux leader when the PMU
 * needs one). Returns the sampling fd or a negative errno. */
static int open_sample_cpu(struct td_sources *s, const struct td_pmu_probe *pr,
			   struct perf_event_attr *attr, int cpu)
{
	int leader = -1, fd;

	if (pr->has_aux) {
		struct perf_event_attr aux;

		if (td_pmu_probe_fill_aux_attr(pr, &aux) == 0) {
			leader = perf_open(&aux, cpu, -1);
			if (leader < 0)
				return -errno;
			s->aux_fds[s->n_aux++] = leader;
		}
	}
	fd = perf_open(attr, cpu, leader);
	if (fd < 0 && errno == EOPNOTSUPP && attr->precise_ip > 1) {
		attr->precise_ip = 1;	/* the PMU cannot do zero skid */
		fd = perf_open(attr, cpu, leader);
	}
	return fd < 0 ? -errno : fd;
}

static void close_sampling(struct td_sources *s)
{
	destroy_links(s->sample_links, s->n_perf);
	for (int i = 0; i < s->n_perf; i++)
		close(s->perf_fds[i]);
	for (int i = 0; i < s->n_aux; i++)
		close(s->aux_fds[i]);
	s->n_perf = s->n_aux = 0;
}

/* Opens and attaches the event described by pr on every online CPU. */
static int attach_sample_with(struct td_sources *s, const struct td_pmu_probe *pr, uint64_t period)
{
	struct perf_event_attr attr;

	td_pmu_probe_fill_attr(pr, period ? period : 1, &attr);
	for (int cpu = 0; cpu < s->ncpus && cpu < MAX_CPUS; cpu++) {
		int fd = open_sample_cpu(s, pr, &attr, cpu);

		if (fd == -ENODEV)	/* CPU offline, or not one of this PMU's */
			continue;
		if (fd < 0) {
			close_sampling(s);
			return fd;
		}
		s->perf_fds[s->n_perf] = fd;
		s->sample_links[s->n_perf] = bpf_program__attach_perf_event(s->skel->progs.sample_access, fd);
		s->n_perf++;
		if (!s->sample_links[s->n_perf - 1]) {
			int err = -errno;

			close_sampling(s);
			return err;
		}
	}
	return s->n_perf ? 0 : -ENODEV;
}

/*
 * Sampling: PMU memory-access sampling with data addresses (Intel PEBS
 * mem-loads, AMD IBS op) when the PMU offers it, else the software
 * page-fault event with PERF_SAMPLE_ADDR.
 */
static void attach_sample(struct td_sources *s, uint64_t period)
{
	struct td_source_status *st = &s->status[TD_SOURCE_SAMPLE];
	struct td_pmu_probe pr;
	int r;

	r = td_pmu_probe_mem_sampling("/sys", &pr);	/* pr is the fallback on error */
	if (r && r != -ENOENT)
		td_warn("PMU probe failed (%s), using software page faults", strerror(-r));
	r = attach_sample_with(s, &pr, period);
	if (r && pr.source != TD_PMU_SOURCE_SW_PAGE_FAULTS) {
		td_warn("%s: %s, using software page faults", pr.description, strerror(-r));
		td_pmu_probe_fallback(&pr);
		r = attach_sample_with(s, &pr, period);
	}
	if (r) {
		snprintf(st->hook, sizeof(st->hook), "none (perf_event: %s)", strerror(-r));
		return;
	}
	st->attached = true;
	snprintf(st->hook, sizeof(st->hook), "perf_event/%s period=%llu cpus=%d",
		 pr.source == TD_PMU_SOURCE_SW_PAGE_FAULTS ? "sw-page-faults" : pr.name,
		 (unsigned long long)(period ? period : 1), s->n_perf);
}

/*
 * A negative return ends ring_buffer__consume(): in libbpf 1.1 (ringbuf.c,
 * ringbuf_process_ring) the record that returned it is consumed all the
 * same (consumer_pos is stored past it first), and consume returns that
 * value. So the event that spends the budget is handled once, never again.
 */
static int on_ring_event(void *ctx, void *data, size_t size)
{
	struct td_sources *s = ctx;
	const struct td_event *e = data;

	if (size < sizeof(*e) || e->version != TD_ABI_VERSION)
		s->bad_events++;
	else if (s->on_event)
		s->on_event(e, s->userdata);
	return td_drain_event(&s->drain) ? -EAGAIN : 0;
}

static uint32_t order_base_2(uint64_t n)
{
	return n <= 1 ? 0 : 64 - (uint32_t)__builtin_clzll(n - 1);
}

/* Whether struct `name` has a member `member` at its top level. */
static bool struct_has_member(const struct btf *btf, const char *name, const char *member)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);
	const struct btf_type *t = id < 0 ? NULL : btf__type_by_id(btf, id);
	const struct btf_member *m = t ? btf_members(t) : NULL;

	for (int i = 0; t && i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, m[i].name_off), member))
			return true;
	return false;
}

/* The value of enumerator `name` of enum `type`, or -1. */
static long long enum_value(const struct btf *btf, const char *type, const char *name)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
	const struct btf_type *t = id < 0 ? NULL : btf__type_by_id(btf, id);
	const struct btf_enum *e = t ? btf_enum(t) : NULL;

	for (int i = 0; t && i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, e[i].name_off), name))
			return e[i].val;
	return -1;
}

/*
 * Where tiering mode's scan time sits in page->flags (include/linux/
 * page-flags-layout.h: | NODE | ZONE | LAST_CPUPID | KASAN_TAG | LRU_GEN
 * | ...), from BTF: ZONES_WIDTH = order_base_2(__MAX_NR_ZONES),
 * LAST_CPUPID_WIDTH = LAST__PID_SHIFT (8) + order_base_2(NR_CPUS), NR_CPUS
 * from struct cpumask's size. A struct page with _last_cpupid keeps it
 * there instead (no room in flags): -ENOENT, as without the hook's
 * function. The BPF side takes the bits only when they read as the
 * current time, so a wrong layout costs the latency, not a wrong one.
 */
static int latency_bits(struct td_sources *s, const struct btf *btf, uint32_t nodes_pgshift)
{
	int cm = btf__find_by_name_kind(btf, "cpumask", BTF_KIND_STRUCT);
	long long zones = enum_value(btf, "zone_type", "__MAX_NR_ZONES");
	long long cpus = cm < 0 ? -1 : btf__resolve_size(btf, cm) * 8;
	uint32_t zw, w;

	if (!btf_has_func(btf, "should_numa_migrate_memory") ||
	    struct_has_member(btf, "page", "_last_cpupid") || zones <= 0 || cpus <= 0)
		return -ENOENT;
	zw = order_base_2((uint64_t)zones);
	w = 8 + order_base_2((uint64_t)cpus);
	if (w >= 32 || nodes_pgshift < zw + w)
		return -ERANGE;
	s->cpupid_shift = nodes_pgshift - zw - w;
	s->cpupid_width = w;
	return 0;
}

/* Attaches the latency pair; without it the hint hook runs on, latency unknown. */
static void attach_latency(struct td_sources *s)
{
	struct bpf_program *progs[2] = { s->skel->progs.lat_enter, s->skel->progs.lat_exit };

	for (int j = 0; s->latency && j < 2; j++) {
		s->lat_links[j] = bpf_program__attach(progs[j]);
		if (!s->lat_links[j]) {
			td_warn("scan-to-fault latency: %s: attach: %s, latency unknown",
				bpf_program__section_name(progs[j]), strerror(errno));
			destroy_links(s->lat_links, j);
			s->latency = false;
		}
	}
	if (s->latency)
		td_info("scan-to-fault latency: should_numa_migrate_memory, page->flags "
			"last_cpupid bits %u..%u", s->cpupid_shift,
			s->cpupid_shift + s->cpupid_width - 1);
}

/*
 * Process lifecycle: tp_btf programs need the tracepoints' BTF
 * (btf_trace_<name> typedefs); without them the object loads without the
 * two, and the reaper (source/reap.c) still finds exits, later.
 */
static void probe_lifecycle(struct td_sources *s)
{
	struct btf *btf = btf__load_vmlinux_btf();

	s->lifecycle_btf = btf &&
		btf__find_by_name_kind(btf, "btf_trace_sched_process_exec", BTF_KIND_TYPEDEF) >= 0 &&
		btf__find_by_name_kind(btf, "btf_trace_sched_process_exit", BTF_KIND_TYPEDEF) >= 0;
	snprintf(s->lifecycle_why, sizeof(s->lifecycle_why), "%s",
		 btf ? "sched_process_exec/exit not in kernel BTF" : "no kernel BTF");
	btf__free(btf);
}

/* Attaches both lifecycle programs, or neither (the reason in lifecycle_why). */
static void attach_lifecycle(struct td_sources *s)
{
	struct bpf_program *progs[2] = { s->skel->progs.proc_exec, s->skel->progs.proc_exit };

	if (!s->lifecycle_btf)
		return;
	for (int j = 0; j < 2; j++) {
		s->proc_links[j] = bpf_program__attach(progs[j]);
		if (!s->proc_links[j]) {
			snprintf(s->lifecycle_why, sizeof(s->lifecycle_why), "%s: attach: %s",
				 bpf_program__section_name(progs[j]), strerror(errno));
			destroy_links(s->proc_links, j);
			return;
		}
	}
	s->lifecycle = true;
	snprintf(s->lifecycle_why, sizeof(s->lifecycle_why),
		 "tp_btf/sched_process_exec+sched_process_exit");
}

static int configure(struct td_sources *s, const struct td_sources_params *p, int hint)
{
	struct tieringd_bpf *skel = s->skel;
	int r;

	skel->rodata->self_tgid = p->self_tgid;
	skel->rodata->filter_cgroups = p->filter_cgroups;
	r = bpf_map__set_max_entries(skel->maps.td_events, p->ringbuf_bytes);
	if (r)
		return td_err(r, "ring buffer size %u", p->ringbuf_bytes);
	select_hint_hook(s, hint);
	bpf_program__set_autoload(skel->progs.lat_enter, hint == 0 && s->latency);
	bpf_program__set_autoload(skel->progs.lat_exit, hint == 0 && s->latency);
	skel->rodata->last_cpupid_pgshift = s->cpupid_shift;
	skel->rodata->last_cpupid_width = hint == 0 && s->latency ? s->cpupid_width : 0;
	bpf_program__set_autoload(skel->progs.sample_access, p->sampling);
	bpf_program__set_autoload(skel->progs.proc_exec, s->lifecycle_btf);
	bpf_program__set_autoload(skel->progs.proc_exit, s->lifecycle_btf);
	return 0;
}

/*
 * Opens, configures and loads the object with hint hook `hint` (-1: none)
 * and attaches that hook. On failure the object is destroyed again and the
 * reason is left in why.
 */
static int load_with_hint(struct td_sources *s, const struct td_sources_params *p,
			  int hint, char *why, size_t whylen)
{
	int r;

	s->skel = tieringd_bpf__open();
	if (!s->skel)
		return td_err(errno, "opening BPF object");
	r = configure(s, p, hint);
	if (r)
		goto fail;
	r = tieringd_bpf__load(s->skel);
	if (r) {
		r = -errno;
		snprintf(why, whylen, "%s: load: %s", hint >= 0 ? hint_chain[hint].label : "object",
			 strerror(-r));
		goto fail;
	}
	if (hint >= 0) {
		r = attach_hint(s, hint);
		if (r) {
			snprintf(why, whylen, "%s: attach: %s", hint_chain[hint].label, strerror(-r));
			goto fail;
		}
	}
	s->latency = s->latency && hint == 0;
	attach_latency(s);
	return 0;
fail:
	tieringd_bpf__destroy(s->skel);
	s->skel = NULL;
	return r;
}

/*
 * Walks the hint-fault chain: the first hook present in kernel BTF that
 * loads and attaches wins. Some kernels load fexit programs but refuse to
 * attach them (lockdown), others refuse the load: both fall through to the
 * next hook, and finally to an object without hint programs.
 */
static int load_sources(struct td_sources *s, const struct td_sources_params *p)
{
	struct td_source_status *st = &s->status[TD_SOURCE_HINT];
	char why[80] = "no hook in kernel BTF";
	struct btf *btf = NULL;
	int r;

	probe_lifecycle(s);
	if (p->hint_faults) {
		btf = btf__load_vmlinux_btf();
		if (!btf)
			snprintf(why, sizeof(why), "no kernel BTF: %s", strerror(errno));
		/* 54: compat.h's nodes_pgshift, which the daemon leaves as built */
		s->latency = btf && latency_bits(s, btf, 54) == 0;
	}
	for (int i = 0; btf && i < N_HINT_HOOKS; i++) {
		if (p->hint_hook && i != p->hint_hook - 1)
			continue;
		if (!hook_available(btf, &hint_chain[i])) {
			snprintf(why, sizeof(why), "%s: not in kernel BTF", hint_chain[i].label);
			continue;
		}
		td_log_libbpf_quiet(true);
		r = load_with_hint(s, p, i, why, sizeof(why));
		if (r && r != -ENOMEM && i == 0 && s->latency) {
			td_warn("hint-fault hook %s with the latency programs, trying without", why);
			s->latency = false;
			r = load_with_hint(s, p, i, why, sizeof(why));
		}
		td_log_libbpf_quiet(false);
		if (r == -ENOMEM)
			break;
		if (!r) {
			st->attached = true;
			snprintf(st->hook, sizeof(st->hook), "%s", hint_chain[i].label);
			btf__free(btf);
			return 0;
		}
		td_warn("hint-fault hook %s, trying the next one", why);
	}
	btf__free(btf);
	if (p->hint_faults)
		snprintf(st->hook, sizeof(st->hook), "none (%s)", why);
	r = load_with_hint(s, p, -1, why, sizeof(why));
	if (r && r != -ENOMEM && s->lifecycle_btf) {
		/* last resort: without the lifecycle programs (the reaper remains) */
		s->lifecycle_btf = false;
		snprintf(s->lifecycle_why, sizeof(s->lifecycle_why), "not loaded (%s)", why);
		r = load_with_hint(s, p, -1, why, sizeof(why));
	}
	if (r)
		return td_err(r, "loading BPF programs (%s)", why);
	return 0;
}

int td_sources_new(const struct td_sources_params *p, struct td_sources **ret)
{
	struct td_sources *s;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->on_event = p->on_event;
	s->userdata = p->userdata;
	s->ncpus = libbpf_num_possible_cpus();
	s->status[TD_SOURCE_HINT] = (struct td_source_status){ .name = "hint-faults", .enabled = p->hint_faults };
	s->status[TD_SOURCE_SAMPLE] = (struct td_source_status){ .name = "sampling", .enabled = p->sampling };
	snprintf(s->status[TD_SOURCE_HINT].hook, sizeof(s->status[0].hook), "off");
	snprintf(s->status[TD_SOURCE_SAMPLE].hook, sizeof(s->status[0].hook), "off");

	r = load_sources(s, p);
	if (r)
		goto fail;
	r = td_sources_set_runtime(s, true, p->fast_node_mask, p->default_managed);
	if (r)
		goto fail;
	if (p->sampling)
		attach_sample(s, p->sample_period);
	attach_lifecycle(s);
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.td_events), on_ring_event, s, NULL);
	if (!s->rb) {
		r = td_err(errno, "creating ring buffer");
		goto fail;
	}
	*ret = s;
	for (int i = 0; i < TD_SOURCE__MAX; i++)
		if (s->status[i].attached)
			return 0;
	return -ENOENT;
fail:
	td_sources_free(s);
	return r;
}

void td_sources_free(struct td_sources *s)
{
	if (!s)
		return;
	ring_buffer__free(s->rb);
	destroy_links(s->hint_links, 2);
	destroy_links(s->proc_links, 2);
	destroy_links(s->lat_links, 2);
	close_sampling(s);
	tieringd_bpf__destroy(s->skel);
	free(s);
}

int td_sources_fd(const struct td_sources *s)
{
	return ring_buffer__epoll_fd(s->rb);
}

static uint64_t monotonic_ns(void *ud)
{
	struct timespec ts;

	(void)ud;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int td_sources_consume(struct td_sources *s, uint64_t budget_ns)
{
	int r;

	td_drain_start(&s->drain, budget_ns, monotonic_ns, NULL);
	r = ring_buffer__consume(s->rb);
	if (s->drain.capped) {	/* our -EAGAIN, not an error */
		s->capped_drains++;
		return 1;
	}
	return r < 0 ? r : 0;
}

void td_sources_detach(struct td_sources *s)
{
	destroy_links(s->lat_links, 2);
	destroy_links(s->hint_links, 2);
	destroy_links(s->proc_links, 2);
	close_sampling(s);
}

bool td_sources_lifecycle(const struct td_sources *s, const char **what)
{
	if (what)
		*what = s->lifecycle_why;
	return s->lifecycle;
}

uint64_t td_sources_capped_drains(const struct td_sources *s)
{
	return s->capped_drains;
}

uint64_t td_sources_bad_events(const struct td_sources *s)
{
	return s->bad_events;
}

void td_sources_prog_runtime(const struct td_sources *s, const char *const *names, unsigned n,
			     uint64_t *ret_ns, uint64_t *ret_runs)
{
	struct bpf_program *prog;

	memset(ret_ns, 0, n * sizeof(*ret_ns));
	memset(ret_runs, 0, n * sizeof(*ret_runs));
	bpf_object__for_each_program(prog, s->skel->obj) {
		struct bpf_prog_info info = { 0 };
		uint32_t len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		for (unsigned i = 0; i < n; i++) {
			if (strcmp(names[i], bpf_program__name(prog)))
				continue;
			ret_ns[i] = info.run_time_ns;
			ret_runs[i] = info.run_cnt;
		}
	}
}

int td_sources_stats(const struct td_sources *s, uint64_t ret[TD_STAT__MAX])
{
	uint64_t *vals;
	int fd = bpf_map__fd(s->skel->maps.td_stats);

	vals = calloc(s->ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (uint32_t k = 0; k < TD_STAT__MAX; k++) {
		ret[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < s->ncpus; c++)
			ret[k] += vals[c];
	}
	free(vals);
	return 0;
}

const struct td_source_status *td_sources_status(const struct td_sources *s, int idx)
{
	if (idx < 0 || idx >= TD_SOURCE__MAX)
		return NULL;
	return &s->status[idx];
}

int td_sources_set_runtime(struct td_sources *s, bool enabled, uint64_t fast_node_mask,
			   bool default_managed)
{
	struct td_runtime rt = {
		.fast_node_mask = fast_node_mask,
		.enabled = enabled,
		.default_managed = default_managed,
	};
	uint32_t zero = 0;
	int r;

	r = bpf_map__update_elem(s->skel->maps.td_runtime, &zero, sizeof(zero), &rt, sizeof(rt), BPF_ANY);
	if (r)
		return td_err(r, "updating td_runtime map");
	return 0;
}

int td_sources_set_cgroup(struct td_sources *s, uint64_t id, bool managed, uint32_t walk)
{
	struct td_cgroup_filter f = { .managed = managed, .walk = walk };

	return bpf_map__update_elem(s->skel->maps.td_managed_cgroups, &id, sizeof(id),
				    &f, sizeof(f), BPF_ANY);
}

/* Keys are read ahead of the deletes: deleting the key get_next_key was
 * given would restart the iteration from the first key. */
int td_sources_prune_cgroups(struct td_sources *s, uint32_t walk)
{
	const struct bpf_map *m = s->skel->maps.td_managed_cgroups;
	uint64_t key, next, *cur = NULL;
	struct td_cgroup_filter f;
	int pruned = 0, r;

	for (;;) {
		r = bpf_map__get_next_key(m, cur, &next, sizeof(next));
		if (cur && bpf_map__lookup_elem(m, &key, sizeof(key), &f, sizeof(f), 0) == 0 &&
		    f.walk != walk && bpf_map__delete_elem(m, &key, sizeof(key), 0) == 0)
			pruned++;
		if (r)
			break;
		key = next;
		cur = &key;
	}
	return r == -ENOENT ? pruned : r;
}
