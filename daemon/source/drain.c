// SPDX-License-Identifier: GPL-2.0-only
/* drain.c - the time budget of one ring-buffer drain (see drain.h). */
#include "source/drain.h"

void td_drain_start(struct td_drain *d, uint64_t budget_ns, td_drain_clock_fn clock, void *ud)
{
	uint64_t now = clock(ud);

	*d = (struct td_drain){ .clock = clock, .ud = ud, .deadline_ns = now + budget_ns };
	if (d->deadline_ns < now)	/* a budget that wraps: no deadline */
		d->deadline_ns = UINT64_MAX;
}

bool td_drain_event(struct td_drain *d)
{
	d->events++;
	if (d->events % TD_DRAIN_CLOCK_EVERY)
		return false;
	d->capped = d->clock(d->ud) >= d->deadline_ns;
	return d->capped;
}
