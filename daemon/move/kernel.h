/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kernel.h - the kernel's own balancing settings, which tieringd owns while
 * it runs (kernel.numa_balancing and its promotion rate limit): set at
 * start from the configuration, restored on exit. This is their one owner.
 * (demotion_enabled belongs to the demoter, which needs it to make room.)
 */
#ifndef TIERINGD_KERNEL_H
#define TIERINGD_KERNEL_H

#include "config.h"

struct td_kernel_settings {
	int saved_numa_balancing;	/* to restore; -1: not changed */
	int saved_rate_limit;
};

/* Sets what cfg asks for (TD_KEEP: leaves it) and remembers the values it
 * replaced. Failures are logged and ignored: tieringd still runs. */
void td_kernel_settings_apply(const struct td_daemon_config *cfg, struct td_kernel_settings *ret);

/* Puts back what td_kernel_settings_apply() replaced. */
void td_kernel_settings_restore(const struct td_kernel_settings *s);

/* kernel.numa_balancing now, or a negative errno. */
int td_kernel_numa_balancing(void);

#endif
