// SPDX-License-Identifier: GPL-2.0-only
/*
 * threshold.c - the automatic hotness threshold (see threshold.h for the
 * rules). Integer arithmetic only in the update; describe() prints with
 * doubles.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hotness.h"
#include "threshold.h"

/* 2^(-i/16) in Q16 rounded up, i = 0..16; between entries the decay is
 * interpolated linearly (error below 0.1 %, on the high side: ref decays a
 * little slower than exactly, never faster). */
static const uint32_t exp2_neg16[17] = {
	65536, 62758, 60097, 57549, 55109, 52773, 50536, 48393, 46341,
	44377, 42495, 40694, 38968, 37316, 35734, 34219, 32768,
};

static const char *const why_names[TD_THRESHOLD__MAX] = {
	[TD_THRESHOLD_FREE] = "free",
	[TD_THRESHOLD_FLOOR] = "floor",
	[TD_THRESHOLD_RELATIVE] = "relative",
	[TD_THRESHOLD_ROOM] = "room",
	[TD_THRESHOLD_WARMUP] = "warmup",
};

unsigned td_threshold_bucket(uint32_t hotness)
{
	unsigned e, i;

	if (hotness < (1u << TD_THRESHOLD_LOW_SHIFT))
		return 0;
	e = 31 - (unsigned)__builtin_clz(hotness);
	/* the bit below the leading one picks the upper half of the octave */
	i = 1 + 2 * (e - TD_THRESHOLD_LOW_SHIFT) + ((hotness >> (e - 1)) & 1);
	return i < TD_THRESHOLD_BUCKETS ? i : TD_THRESHOLD_BUCKETS - 1;
}

uint32_t td_threshold_bucket_low(unsigned i)
{
	unsigned e;

	if (i >= TD_THRESHOLD_BUCKETS)
		return UINT32_MAX;
	if (i == 0)
		return 0;
	e = TD_THRESHOLD_LOW_SHIFT + (i - 1) / 2;
	return (i - 1) & 1 ? 3u << (e - 1) : 1u << e;
}

void td_threshold_hist_reset(struct td_threshold_hist *h)
{
	memset(h, 0, sizeof(*h));
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

void td_threshold_hist_add(struct td_threshold_hist *h, uint32_t hotness, uint64_t bytes)
{
	unsigned b = td_threshold_bucket(hotness);

	if (!bytes)
		return;
	h->bytes[b] = add_sat(h->bytes[b], bytes);
	h->total_bytes = add_sat(h->total_bytes, bytes);
	if (hotness > h->max_hotness)
		h->max_hotness = hotness;
}

void td_threshold_init(struct td_threshold_state *s, uint32_t floor)
{
	memset(s, 0, sizeof(*s));
	s->value = s->target = floor ? floor : 1;
	s->why = TD_THRESHOLD_FLOOR;
}

/* v * 2^(-elapsed / half_life). */
static uint32_t decay(uint32_t v, uint64_t elapsed, uint64_t half_life)
{
	uint64_t whole, rem, pos, lo, hi;

	if (!v || !elapsed)
		return v;
	if (!half_life)
		return 0;
	whole = elapsed / half_life;
	if (whole >= 32)
		return 0;
	rem = elapsed % half_life;
	/* keep rem << 20 in 64 bits; the ratio rem / half_life is what counts */
	while (half_life >= (1ull << 43)) {
		half_life >>= 1;
		rem >>= 1;
	}
	pos = (rem << 20) / half_life;		/* fraction of a half-life, Q20 */
	lo = exp2_neg16[pos >> 16];
	hi = exp2_neg16[(pos >> 16) + 1];
	/* Q16 factor: lo - (lo - hi) * (pos mod 2^16) / 2^16, rounded up */
	lo -= ((lo - hi) * (pos & 0xffff)) >> 16;
	return (uint32_t)((((uint64_t)v >> whole) * lo + 0xffff) >> 16);
}

/* The lowest bucket boundary whose bytes at and above fit in afford (see threshold.h). */
static uint32_t room_threshold(const struct td_threshold_hist *h, uint64_t afford)
{
	uint64_t above = 0;
	int i, top = -1;

	if (!afford)
		return h->max_hotness < UINT32_MAX ? h->max_hotness + 1 : UINT32_MAX;
	for (i = TD_THRESHOLD_BUCKETS - 1; i >= 0; i--) {
		if (!h->bytes[i])
			continue;
		if (top < 0)
			top = i;
		above = add_sat(above, h->bytes[i]);
		if (above > afford)
			/* bucket i does not fit; the one above does (or i is the top) */
			return td_threshold_bucket_low(i == top ? (unsigned)i : (unsigned)i + 1);
	}
	return 0;
}

/* The tick's hottest level with at least TD_THRESHOLD_REF_MIN_BYTES at or
 * above it: the top of the bucket where they add up (never above the
 * maximum); the maximum itself when the tick has fewer bytes. */
static uint32_t hist_ref(const struct td_threshold_hist *h)
{
	uint64_t above = 0;

	for (int i = TD_THRESHOLD_BUCKETS - 1; i > 0; i--) {
		uint32_t top;

		above = add_sat(above, h->bytes[i]);
		if (above < TD_THRESHOLD_REF_MIN_BYTES)
			continue;
		top = i + 1 < TD_THRESHOLD_BUCKETS ? td_threshold_bucket_low(i + 1) - 1 : UINT32_MAX;
		return top < h->max_hotness ? top : h->max_hotness;
	}
	return h->max_hotness;
}

/* Rises at once; falls by at most 1/8 per update; a 10 % dead band both ways. */
static uint32_t smooth(uint32_t old, uint32_t target)
{
	uint32_t band = old / 10, step = old / 8 ? old / 8 : 1;

	if (target >= old)
		return target - old <= band ? old : target;
	if (old - target <= band)
		return old;
	return old - target > step ? old - step : target;
}

uint32_t td_threshold_update(struct td_threshold_state *s, const struct td_threshold_input *in)
{
	static const struct td_threshold_hist empty;
	const struct td_threshold_hist *h = in->hist ? in->hist : &empty;
	uint32_t floor = in->floor ? in->floor : 1, rel, room, ref, top = hist_ref(h);
	bool warm;

	ref = in->now_ns > s->last_ns ? decay(s->ref, in->now_ns - s->last_ns, in->half_life_ns) :
					 s->ref;
	s->ref = ref > top ? ref : top;
	s->last_ns = in->now_ns;
	if (!s->seen_ns && h->total_bytes)
		s->seen_ns = in->now_ns ? in->now_ns : 1;
	if (in->plenty) {
		s->why = TD_THRESHOLD_FREE;
		s->value = s->target = floor;
		return s->value;
	}
	rel = s->ref >> TD_THRESHOLD_REL_SHIFT;
	room = room_threshold(h, in->afford_bytes);
	if (in->warmup_ns && (!s->seen_ns || in->now_ns - s->seen_ns < in->warmup_ns)) {
		/* nothing passes yet; the first value after it is not smoothed */
		s->why = TD_THRESHOLD_WARMUP;
		s->target = h->max_hotness == UINT32_MAX ? UINT32_MAX : h->max_hotness + 1;
		if (s->target < floor)
			s->target = floor;
		s->value = s->target;
		return s->value;
	}
	warm = s->why == TD_THRESHOLD_WARMUP;
	if (rel <= floor && room <= floor) {
		s->why = TD_THRESHOLD_FLOOR;
		s->target = floor;
	} else if (room > rel) {
		s->why = TD_THRESHOLD_ROOM;
		s->target = room;
	} else {
		s->why = TD_THRESHOLD_RELATIVE;
		s->target = rel;
	}
	s->value = warm ? s->target : smooth(s->value, s->target);
	if (s->value < floor)
		s->value = floor;
	return s->value;
}

const char *td_threshold_why_name(enum td_threshold_why w)
{
	return (unsigned)w < TD_THRESHOLD__MAX ? why_names[w] : NULL;
}

int td_threshold_describe(const struct td_threshold_state *s, char *buf, size_t len)
{
	/* the sentence is pre[why] <value> accesses post[why] [easing] */
	static const char *const pre[TD_THRESHOLD__MAX] = {
		[TD_THRESHOLD_FREE] = "floor: ",
		[TD_THRESHOLD_FLOOR] = "floor: ",
		[TD_THRESHOLD_RELATIVE] = "automatic: a quarter of the hottest pages' frequency (",
		[TD_THRESHOLD_ROOM] = "automatic: ",
		[TD_THRESHOLD_WARMUP] = "warming up: ",
	};
	static const char *const post[TD_THRESHOLD__MAX] = {
		[TD_THRESHOLD_FREE] = " (HotThreshold); fast memory is plentiful: promoting freely, "
				      "as the kernel does",
		[TD_THRESHOLD_FLOOR] = " (HotThreshold); fast memory is scarce, the automatic value "
				       "is below the floor",
		[TD_THRESHOLD_RELATIVE] = "); fast memory is scarce",
		[TD_THRESHOLD_ROOM] = ", the most the fast tier can afford; fast memory is scarce",
		[TD_THRESHOLD_WARMUP] = " (nothing yet): fast memory is scarce and the pages have not "
					"been seen for a half-life yet",
	};
	const double one = TD_HOTNESS_ONE;
	char easing[64] = "";

	if ((unsigned)s->why >= TD_THRESHOLD__MAX || (!buf && len))
		return -EINVAL;
	if (s->value > s->target)
		snprintf(easing, sizeof(easing), "; easing towards %.1f accesses", s->target / one);
	return snprintf(buf, len, "%s%.1f accesses%s%s", pre[s->why], s->value / one, post[s->why],
			easing);
}
