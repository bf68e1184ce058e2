// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>

#include "move/kernel.h"
#include "ops/log.h"

#define SYSCTL_NB "/proc/sys/kernel/numa_balancing"
#define SYSCTL_NB_RATE "/proc/sys/kernel/numa_balancing_promote_rate_limit_MBps"

/* Reads an integer sysctl; -errno on failure. */
static int sysctl_read(const char *path)
{
	FILE *f = fopen(path, "re");
	int v, r;

	if (!f)
		return -errno;
	r = fscanf(f, "%d", &v) == 1 ? v : -EIO;
	fclose(f);
	return r;
}

static int sysctl_write(const char *path, int v)
{
	FILE *f = fopen(path, "we");
	int r = 0;

	if (!f)
		return -errno;
	if (fprintf(f, "%d\n", v) < 0)
		r = -EIO;
	if (fclose(f) && !r)
		r = -errno;
	return r;
}

void td_kernel_settings_apply(const struct td_daemon_config *cfg, struct td_kernel_settings *ret)
{
	ret->saved_numa_balancing = ret->saved_rate_limit = -1;
	if (cfg->numa_balancing != TD_KEEP) {
		ret->saved_numa_balancing = sysctl_read(SYSCTL_NB);
		if (sysctl_write(SYSCTL_NB, cfg->numa_balancing) < 0)
			td_warn("cannot set kernel.numa_balancing=%d, ignoring", cfg->numa_balancing);
	}
	if (cfg->kernel_promote_rate_limit_mbps != TD_KEEP) {
		ret->saved_rate_limit = sysctl_read(SYSCTL_NB_RATE);
		if (sysctl_write(SYSCTL_NB_RATE, (int)cfg->kernel_promote_rate_limit_mbps) < 0)
			td_warn("cannot set kernel.numa_balancing_promote_rate_limit_MBps, ignoring");
	}
	td_info("kernel: numa_balancing=%d (was %d), promote_rate_limit_MBps=%d (was %d)",
		sysctl_read(SYSCTL_NB), ret->saved_numa_balancing,
		sysctl_read(SYSCTL_NB_RATE), ret->saved_rate_limit);
}

void td_kernel_settings_restore(const struct td_kernel_settings *s)
{
	if (s->saved_numa_balancing >= 0)
		sysctl_write(SYSCTL_NB, s->saved_numa_balancing);
	if (s->saved_rate_limit >= 0)
		sysctl_write(SYSCTL_NB_RATE, s->saved_rate_limit);
}

int td_kernel_numa_balancing(void)
{
	return sysctl_read(SYSCTL_NB);
}
