// SPDX-License-Identifier: GPL-2.0-only
#include "ratelimit.h"

#define NSEC_PER_SEC 1000000000ULL

void td_ratelimit_init(struct td_ratelimit *r, uint64_t mbps)
{
	r->mbps = mbps;
	r->bytes = 0;
}

uint64_t td_ratelimit_refill(struct td_ratelimit *r, uint64_t elapsed_ns)
{
	uint64_t per_s, add;

	if (!r->mbps)
		return UINT64_MAX;
	per_s = r->mbps << 20;
	if (elapsed_ns > NSEC_PER_SEC)
		elapsed_ns = NSEC_PER_SEC;
	/* in KiB first: mbps < 2^21 and elapsed <= 2^30 keep this below 2^61 */
	add = ((r->mbps << 10) * elapsed_ns / NSEC_PER_SEC) << 10;
	r->bytes = r->bytes + add > per_s ? per_s : r->bytes + add;
	return r->bytes;
}

void td_ratelimit_spend(struct td_ratelimit *r, uint64_t used)
{
	r->bytes = used < r->bytes ? r->bytes - used : 0;
}
