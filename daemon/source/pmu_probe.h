/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pmu_probe.h - which PMU gives the sampling source data addresses: Intel
 * PEBS load-latency sampling (cpu/mem-loads/), AMD IBS op sampling
 * (ibs_op//), or neither, when the software page-fault event stands in.
 *
 * Reads sysfs only (<sys_root>/bus/event_source/devices/...), never opens a
 * perf event, never logs: errors are returned for the caller to log. What
 * the probe finds is what perf mem would use; whether perf_event_open()
 * accepts it is only known when the caller opens it.
 */
#ifndef TIERINGD_PMU_PROBE_H
#define TIERINGD_PMU_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/perf_event.h>

#include "pmu.h"

/* Load-latency threshold in cycles for Intel mem-loads: perf mem's default. */
#define TD_PMU_PROBE_LDLAT	30

enum td_pmu_source {
	TD_PMU_SOURCE_SW_PAGE_FAULTS = 0,	/* fallback: no PMU memory sampling */
	TD_PMU_SOURCE_INTEL_PEBS,		/* cpu/mem-loads,ldlat=30/ */
	TD_PMU_SOURCE_AMD_IBS_OP,		/* ibs_op// */
};

struct td_pmu_probe {
	enum td_pmu_source source;
	/* Static string: "intel-pebs-mem-loads", "amd-ibs-op" or "none". */
	const char *name;
	/* sysfs PMU: "cpu", "cpu_core" (hybrid), "ibs_op"; "" for none. */
	char pmu[32];
	/* perf_event_attr.type and config words. */
	uint32_t type;
	struct td_pmu_config config;
	/*
	 * perf_event_attr.precise_ip. Intel: 2 (zero-skid IP, accepted by every
	 * PEBS PMU with LBR or PEBS format >= 2), or 1 when caps/max_precise
	 * says 1. Not 3 as `perf mem`'s :P may reach: 3 needs PEBS precise
	 * distribution and fails with EOPNOTSUPP elsewhere; if 2 fails with
	 * EOPNOTSUPP, retry with 1. AMD ibs_op and the fallback: 0.
	 */
	uint8_t precise_ip;
	/* PERF_SAMPLE_ADDR gives the data address (IBS op: Linux 6.1+). */
	bool sample_addr;
	/*
	 * PERF_SAMPLE_DATA_SRC is meaningful. Reported only: fill_attr does not
	 * request it (a BPF perf_event program sees the address, not the
	 * data source), and with has_aux the kernel then demands the aux
	 * leader (-ENODATA).
	 */
	bool sample_data_src;
	/* exclude_kernel and exclude_hv are set: user-mode accesses only. */
	bool exclude_kernel;
	/* sample_period is rounded up to a multiple of this (IBS: 16). */
	uint64_t period_align;
	/*
	 * The PMU needs cpu/mem-loads-aux/ running as group leader for
	 * mem-loads to work right (Sapphire Rapids and later, hybrid big
	 * cores): open td_pmu_probe_fill_aux_attr()'s event first and pass its
	 * fd as group_fd of the sampling event, on each CPU.
	 */
	bool has_aux;
	struct td_pmu_config aux_config;
	/* The PMU's cpus file ("0-7" on hybrid); "" means every CPU. */
	char cpus[256];
	/* One line for the log and tieringctl. */
	char description[256];
};

/*
 * Finds hardware memory-access sampling under sys_root (NULL for "/sys"):
 * cpu/events/mem-loads, then cpu_core/events/mem-loads (hybrid Intel), then
 * the ibs_op PMU (AMD). Intel's event is parsed through the PMU's format
 * files with ldlat overridden to TD_PMU_PROBE_LDLAT.
 * Returns 0 when found, -ENOENT when the PMU offers none, or another
 * negative errno when sysfs is malformed or unreadable (-EINVAL for text
 * that does not parse, including an event term without a format file).
 * *ret is always filled: with the source found on 0, otherwise with the
 * software page-fault event, so the caller can fall back directly.
 */
int td_pmu_probe_mem_sampling(const char *sys_root, struct td_pmu_probe *ret);

/* Fills ret with the fallback: the software page-fault event. */
void td_pmu_probe_fallback(struct td_pmu_probe *ret);

/*
 * Fills *attr (zeroed first) for the sampling event of p: type, config
 * words, sample_period (at least 1, rounded up to p->period_align),
 * sample_type PERF_SAMPLE_ADDR, precise_ip, and exclude_kernel/exclude_hv
 * when p->exclude_kernel.
 */
void td_pmu_probe_fill_attr(const struct td_pmu_probe *p, uint64_t sample_period,
			    struct perf_event_attr *attr);

/*
 * Fills *ret (zeroed first) for the counting, non-sampling aux group leader
 * when p->has_aux. Returns 0, or -ENOENT when p needs no aux event.
 */
int td_pmu_probe_fill_aux_attr(const struct td_pmu_probe *p, struct perf_event_attr *ret);

#endif
