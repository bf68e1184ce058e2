// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <signal.h>

#include "hotness.h"
#include "source/reap.h"

bool td_reap_alive_kill(void *ctx, uint32_t tgid)
{
	return kill((pid_t)tgid, 0) == 0 || errno != ESRCH;
}

struct reap {
	td_reap_alive_fn alive;
	void *ctx;
	struct td_hotness *h;
	size_t forgotten;
};

static int reap_one(uint32_t tgid, uint32_t entries, void *userdata)
{
	struct reap *r = userdata;

	if (!r->alive(r->ctx, tgid) && td_hotness_forget_process(r->h, tgid) == 0)
		r->forgotten++;
	return 0;
}

size_t td_reap_dead(struct td_hotness *h, td_reap_alive_fn alive, void *ctx)
{
	struct reap r = { .alive = alive, .ctx = ctx, .h = h };

	td_hotness_foreach_process(h, reap_one, &r);
	return r.forgotten;
}
