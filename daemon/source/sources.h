/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sources.h - the BPF access sources: open, configure, load, attach, and
 * read events and counters. Owns the skeleton, the ring buffer and the
 * perf_event fds.
 */
#ifndef TIERINGD_SOURCES_H
#define TIERINGD_SOURCES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tier_abi.h"

struct td_sources;

/* Called for every valid event from the ring buffer. */
typedef void (*td_event_fn)(const struct td_event *e, void *userdata);

struct td_sources_params {
	bool hint_faults;		/* NUMA balancing hint-fault hooks */
	int hint_hook;			/* 0: walk the chain; N: only its Nth hook */
	bool sampling;			/* perf_event sampling on every CPU */
	uint64_t sample_period;		/* events per sample */
	uint32_t ringbuf_bytes;		/* power of two, >= page size */
	uint64_t fast_node_mask;	/* bit N: node N is fast (filtered) */
	pid_t self_tgid;		/* excluded in the kernel */
	bool filter_cgroups;		/* consult td_managed_cgroups in the kernel */
	bool default_managed;		/* cgroups missing from that map */
	td_event_fn on_event;
	void *userdata;
};

/* What one source ended up as, for status and logs. */
struct td_source_status {
	const char *name;	/* "hint-faults" or "sampling" */
	bool enabled;		/* asked for by config */
	bool attached;
	char hook[96];		/* what is attached, or why nothing is */
};

enum { TD_SOURCE_HINT = 0, TD_SOURCE_SAMPLE, TD_SOURCE__MAX };

/*
 * Opens the BPF object, switches off programs the running kernel cannot
 * load (BTF probe), loads, and attaches each enabled source by its fallback
 * chain. Returns 0 when at least one enabled source is attached, -ENOENT when
 * none could be (details in td_sources_status()), or another negative errno
 * (load failure, -ENOMEM). *ret is set on 0 and on -ENOENT so the caller can
 * report what happened; free it in both cases.
 */
int td_sources_new(const struct td_sources_params *p, struct td_sources **ret);
void td_sources_free(struct td_sources *s);

/* The ring buffer's epoll fd. */
int td_sources_fd(const struct td_sources *s);

/*
 * Drains the ring buffer, calling on_event, for at most budget_ns
 * (source/drain.h: TD_DRAIN_TURN_NS for one loop turn). Returns 1 when it
 * stopped at the budget, so events may be pending (the ring buffer's fd stays
 * readable: call again on a later turn), 0 when the ring buffer is empty, or a
 * negative errno.
 */
int td_sources_consume(struct td_sources *s, uint64_t budget_ns);

/*
 * Whether the process lifecycle programs (exec and exit events,
 * TD_SRC_EXEC/TD_SRC_EXIT) are attached; *what (if not NULL) says which
 * hooks, or why not. Not a source of its own: it rides with the others.
 */
bool td_sources_lifecycle(const struct td_sources *s, const char **what);

/* Drains that stopped at their budget (td_sources_consume() returned 1). */
uint64_t td_sources_capped_drains(const struct td_sources *s);

/*
 * Detaches every program: no new event is submitted after it returns but
 * those already under way, so a drain after it ends. td_sources_status()
 * keeps saying what was attached. For the stop; there is no re-attach.
 */
void td_sources_detach(struct td_sources *s);

/*
 * Each loaded BPF program's run time and runs (bpf_prog_info run_time_ns,
 * run_cnt: the kernel counts them only while kernel.bpf_stats_enabled=1),
 * by names[i] (bpf_program__name()); 0 for a program not loaded.
 */
void td_sources_prog_runtime(const struct td_sources *s, const char *const *names, unsigned n,
			     uint64_t *ret_ns, uint64_t *ret_runs);

/* Events rejected by td_sources_consume (bad size or ABI version). */
uint64_t td_sources_bad_events(const struct td_sources *s);

/* Sums the per-CPU counters into ret[TD_STAT__MAX]. 0 or negative errno. */
int td_sources_stats(const struct td_sources *s, uint64_t ret[TD_STAT__MAX]);

/* Status of source idx (TD_SOURCE_*). */
const struct td_source_status *td_sources_status(const struct td_sources *s, int idx);

/* Enables/disables all programs and sets the fast-node mask at run time. */
int td_sources_set_runtime(struct td_sources *s, bool enabled, uint64_t fast_node_mask,
			   bool default_managed);

/* Marks cgroup id managed (events pass) or not, in the kernel's map, as
 * seen by cgroup walk @walk. 0 or negative errno (-E2BIG: the map is full). */
int td_sources_set_cgroup(struct td_sources *s, uint64_t id, bool managed, uint32_t walk);

/* Deletes from the kernel's map every cgroup not marked by walk @walk (a
 * walk that completed: the others are gone). Returns how many, or a
 * negative errno. */
int td_sources_prune_cgroups(struct td_sources *s, uint32_t walk);

#endif
