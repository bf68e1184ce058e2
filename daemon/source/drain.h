/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * drain.h - the budget of one ring-buffer drain: how many events one wake-up
 * of the ring buffer's event source may handle before the loop's other
 * sources (the tick, the control socket, signals, the watchdog ping) get a
 * turn. Pure: the clock is a parameter.
 *
 * The budget is time, not an event count: what must stay bounded is how long
 * the other sources wait, and the cost of one event varies by an order of
 * magnitude (a hotness insert or an eviction, cold caches, hardware or an
 * emulated guest, a daemon preempted on a busy host), so no count is right
 * everywhere. The clock is read once every TD_DRAIN_CLOCK_EVERY events, so a
 * drain may run past its deadline by that many events less one.
 */
#ifndef TIERINGD_DRAIN_H
#define TIERINGD_DRAIN_H

#include <stdbool.h>
#include <stdint.h>

/* One turn of the loop: the tick, the socket and the watchdog wait at most
 * this long behind the ring buffer (the next epoll_wait() costs microseconds,
 * so the price of the extra turns is well under 1 %). */
#define TD_DRAIN_TURN_NS	(5 * 1000 * 1000ULL)
/* At stop, with the programs detached: what is left, for at most this long. */
#define TD_DRAIN_STOP_NS	(1000 * 1000 * 1000ULL)
/* clock_gettime() through the vDSO is ~20 ns: < 1 ns per event. */
#define TD_DRAIN_CLOCK_EVERY	64

typedef uint64_t (*td_drain_clock_fn)(void *ud);

struct td_drain {
	td_drain_clock_fn clock;
	void *ud;
	uint64_t deadline_ns;
	uint64_t events;	/* handled in this drain */
	bool capped;		/* stopped at the deadline */
};

/* Starts a drain of at most budget_ns from clock(ud) now. */
void td_drain_start(struct td_drain *d, uint64_t budget_ns, td_drain_clock_fn clock, void *ud);

/*
 * Counts one handled event. Returns true when the drain must stop after it
 * (the deadline has passed; d->capped is set), false to go on. The clock is
 * read on every TD_DRAIN_CLOCK_EVERY-th event only.
 */
bool td_drain_event(struct td_drain *d);

#endif
