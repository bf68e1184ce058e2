// SPDX-License-Identifier: GPL-2.0-only
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <systemd/sd-daemon.h>

#include "ops/notify.h"

void td_notify_ready_status(const char *status)
{
	sd_notifyf(/* unset_environment= */ false, "READY=1\nSTATUS=%s", status);
}

void td_notify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(/* unset_environment= */ false, "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=%" PRIu64,
		   (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

void td_notify_status(const char *status)
{
	sd_notifyf(/* unset_environment= */ false, "STATUS=%s", status);
}

void td_notify_stopping(void)
{
	sd_notify(/* unset_environment= */ false, "STOPPING=1\nSTATUS=stopping");
}
