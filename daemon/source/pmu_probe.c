// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pmu.h"
#include "source/pmu_probe.h"

#define PMU_DIR_MAX	512

/*
 * Reads a small sysfs file into buf and strips the newline sysfs appends.
 * Returns 0, -errno from open/read (-ENOENT: no such file), or -EINVAL when
 * it does not fit in buf.
 */
static int read_attr(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf + len, size - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == size) {
			r = -EINVAL;
			break;
		}
	}
	close(fd);
	if (r < 0)
		return r;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	return 0;
}

/* Reads <dir>/<name>. */
static int read_pmu_attr(const char *dir, const char *name, char *buf, size_t size)
{
	char path[PMU_DIR_MAX + 128];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	return read_attr(path, buf, size);
}

static int read_pmu_type(const char *dir, uint32_t *ret)
{
	char buf[32];
	uint64_t v;
	int r;

	r = read_pmu_attr(dir, "type", buf, sizeof(buf));
	if (r < 0)
		return r;
	r = td_pmu_parse_value(buf, &v);
	if (r < 0)
		return -EINVAL;
	if (v > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

/* td_pmu_lookup_fn over <dir>/format/<term>; lib/pmu.c vets term for the path. */
static int lookup_format(const char *term, struct td_pmu_format *ret, void *userdata)
{
	const char *dir = userdata;
	char name[TD_PMU_TERM_MAX + 8], spec[128];
	int r;

	snprintf(name, sizeof(name), "format/%s", term);
	r = read_pmu_attr(dir, name, spec, sizeof(spec));
	if (r < 0)
		return r;
	return td_pmu_format_parse(spec, ret);
}

/*
 * Parses <dir>/events/<event> with overrides. Returns 0, -ENOENT when the
 * event file is missing, -EINVAL for a malformed event or a term the PMU
 * has no format file for, or another negative errno.
 */
static int parse_pmu_event(const char *dir, const char *event, const char *overrides,
			   struct td_pmu_config *ret)
{
	char name[128], desc[256];
	int r;

	snprintf(name, sizeof(name), "events/%s", event);
	r = read_pmu_attr(dir, name, desc, sizeof(desc));
	if (r < 0)
		return r;
	r = td_pmu_event_parse(desc, overrides, lookup_format, (void *)dir, ret);
	/* The event exists; a term without a format is broken sysfs, not "no event". */
	return r == -ENOENT ? -EINVAL : r;
}

static int pmu_dir(const char *sys_root, const char *pmu, char *buf)
{
	if ((size_t)snprintf(buf, PMU_DIR_MAX, "%s/bus/event_source/devices/%s", sys_root, pmu) >=
	    PMU_DIR_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* Appends to a description; a long line is cut, which is fine for a log line. */
__attribute__((format(printf, 2, 3)))
static void describe(struct td_pmu_probe *p, const char *fmt, ...)
{
	size_t len = strlen(p->description);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->description + len, sizeof(p->description) - len, fmt, ap);
	va_end(ap);
}

void td_pmu_probe_fallback(struct td_pmu_probe *p)
{
	*p = (struct td_pmu_probe){
		.source = TD_PMU_SOURCE_SW_PAGE_FAULTS,
		.name = "none",
		.type = PERF_TYPE_SOFTWARE,
		.config = { .config = PERF_COUNT_SW_PAGE_FAULTS },
		.sample_addr = true,
		.period_align = 1,
	};
	describe(p, "software page-fault event (no PMU memory-access sampling)");
}

/*
 * precise_ip for PEBS. caps/max_precise, where present, is x86_pmu_max_precise(),
 * which can read 0 until an x86 perf event has reserved the DS buffers, so
 * 0 or a missing file means "unknown": use 2, as mem-loads is only listed
 * when the PMU has PEBS.
 */
static int pebs_precise_ip(const char *dir, uint8_t *ret)
{
	char buf[32];
	uint64_t v;
	int r;

	r = read_pmu_attr(dir, "caps/max_precise", buf, sizeof(buf));
	if (r == -ENOENT) {
		*ret = 2;
		return 0;
	}
	if (r < 0)
		return r;
	if (td_pmu_parse_value(buf, &v) < 0)
		return -EINVAL;
	*ret = v == 1 ? 1 : 2;
	return 0;
}

static void describe_intel(struct td_pmu_probe *p)
{
	describe(p, "Intel PEBS %s/mem-loads,ldlat=%d/ precise_ip=%u (type %u, config 0x%llx, config1 0x%llx)",
		 p->pmu, TD_PMU_PROBE_LDLAT, p->precise_ip, p->type,
		 (unsigned long long)p->config.config, (unsigned long long)p->config.config1);
	if (p->has_aux)
		describe(p, ", mem-loads-aux leader (config 0x%llx)",
			 (unsigned long long)p->aux_config.config);
	if (p->cpus[0])
		describe(p, ", cpus %s", p->cpus);
}

/* Intel PEBS mem-loads on PMU pmu. Returns 0, -ENOENT (no mem-loads) or an error. */
static int probe_intel(const char *sys_root, const char *pmu, struct td_pmu_probe *p)
{
	char dir[PMU_DIR_MAX], overrides[32];
	int r;

	r = pmu_dir(sys_root, pmu, dir);
	if (r < 0)
		return r;
	snprintf(overrides, sizeof(overrides), "ldlat=%d", TD_PMU_PROBE_LDLAT);
	r = parse_pmu_event(dir, "mem-loads", overrides, &p->config);
	if (r < 0)
		return r;
	r = read_pmu_type(dir, &p->type);
	if (r < 0)
		return r == -ENOENT ? -EINVAL : r;
	r = parse_pmu_event(dir, "mem-loads-aux", NULL, &p->aux_config);
	if (r < 0 && r != -ENOENT)
		return r;
	p->has_aux = r == 0;
	r = pebs_precise_ip(dir, &p->precise_ip);
	if (r < 0)
		return r;
	r = read_pmu_attr(dir, "cpus", p->cpus, sizeof(p->cpus));
	if (r < 0 && r != -ENOENT)
		return r;

	p->source = TD_PMU_SOURCE_INTEL_PEBS;
	p->name = "intel-pebs-mem-loads";
	snprintf(p->pmu, sizeof(p->pmu), "%s", pmu);
	p->sample_addr = true;
	p->sample_data_src = true;
	p->exclude_kernel = true;
	p->period_align = 1;
	describe_intel(p);
	return 0;
}

/*
 * AMD IBS op. config 0: count cycles (cnt_ctl=0), as `perf mem` does with
 * ibs_op//. IBS fills PERF_SAMPLE_ADDR from IbsDcLinAd, for ops whose
 * linear address is valid, since Linux 6.1 (0 otherwise and before). The
 * kernel rejects exclude_kernel on IBS unless config2's swfilt bit (format
 * "swfilt", recent kernels) asks it to filter in software.
 */
static int probe_amd(const char *sys_root, struct td_pmu_probe *p)
{
	char dir[PMU_DIR_MAX];
	int r;

	r = pmu_dir(sys_root, "ibs_op", dir);
	if (r < 0)
		return r;
	r = read_pmu_type(dir, &p->type);
	if (r < 0)
		return r;
	/* On -ENOENT (no swfilt format) p->config stays all zero. */
	r = td_pmu_event_parse("swfilt", NULL, lookup_format, dir, &p->config);
	if (r < 0 && r != -ENOENT)
		return r;
	p->exclude_kernel = r == 0;

	p->source = TD_PMU_SOURCE_AMD_IBS_OP;
	p->name = "amd-ibs-op";
	snprintf(p->pmu, sizeof(p->pmu), "ibs_op");
	p->precise_ip = 0;
	p->sample_addr = true;
	p->sample_data_src = true;
	p->period_align = 16;	/* IbsOpMaxCnt counts in 16s; the kernel rejects low bits */
	describe(p, "AMD IBS ibs_op// (type %u, config 0x%llx, config2 0x%llx), %s; data address needs Linux 6.1+",
		 p->type, (unsigned long long)p->config.config, (unsigned long long)p->config.config2,
		 p->exclude_kernel ? "user mode only (swfilt)" : "kernel samples included (no swfilt)");
	return 0;
}

int td_pmu_probe_mem_sampling(const char *sys_root, struct td_pmu_probe *ret)
{
	static const char *const intel_pmus[] = { "cpu", "cpu_core" };
	struct td_pmu_probe p;
	int r = -ENOENT;

	if (!sys_root)
		sys_root = "/sys";
	for (size_t i = 0; i < sizeof(intel_pmus) / sizeof(intel_pmus[0]) && r == -ENOENT; i++) {
		p = (struct td_pmu_probe){ 0 };
		r = probe_intel(sys_root, intel_pmus[i], &p);
	}
	if (r == -ENOENT) {
		p = (struct td_pmu_probe){ 0 };
		r = probe_amd(sys_root, &p);
	}
	if (r < 0)
		td_pmu_probe_fallback(&p);
	*ret = p;
	return r;
}

void td_pmu_probe_fill_attr(const struct td_pmu_probe *p, uint64_t sample_period,
			    struct perf_event_attr *attr)
{
	uint64_t align = p->period_align ? p->period_align : 1;
	uint64_t period = sample_period ? sample_period : 1;

	if (period % align)
		period = period > UINT64_MAX - align ? period - period % align :
						       period + align - period % align;
	memset(attr, 0, sizeof(*attr));
	attr->size = sizeof(*attr);
	attr->type = p->type;
	attr->config = p->config.config;
	attr->config1 = p->config.config1;
	attr->config2 = p->config.config2;
	attr->sample_period = period;
	attr->sample_type = p->sample_addr ? PERF_SAMPLE_ADDR : 0;
	attr->precise_ip = p->precise_ip;
	attr->exclude_kernel = p->exclude_kernel;
	attr->exclude_hv = p->exclude_kernel;
}

int td_pmu_probe_fill_aux_attr(const struct td_pmu_probe *p, struct perf_event_attr *ret)
{
	if (!p->has_aux)
		return -ENOENT;
	memset(ret, 0, sizeof(*ret));
	ret->size = sizeof(*ret);
	ret->type = p->type;
	ret->config = p->aux_config.config;
	ret->config1 = p->aux_config.config1;
	ret->config2 = p->aux_config.config2;
	/* Same privilege filter as the sampling event, so the group schedules as one. */
	ret->exclude_kernel = p->exclude_kernel;
	ret->exclude_hv = p->exclude_kernel;
	return 0;
}
