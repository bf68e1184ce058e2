/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * threshold.h - the hotness a slow-tier page of a policy group needs to be
 * promoted, chosen per tick from what the group's candidates look like and
 * what the fast tier can afford. Pure: no clock reads, no allocation, no
 * floating point in td_threshold_update(); the caller passes the tick's
 * histogram, the room and the time.
 *
 * Why not a fixed value: NUMA hint faults arrive at most once per scan per
 * folio, so a page read continuously faults on every scan, while a page of a
 * region swept in full every S seconds faults once per S. Their decayed
 * frequencies differ by about S / scan period, and a fixed threshold of one
 * access promotes both. When fast memory is scarce a page is hot when it
 * faults on most scans, i.e. its frequency is close to that of the group's
 * most accessed pages, and the bytes above the threshold must fit what the
 * fast tier can afford.
 *
 * The rules, per td_threshold_update() (one call per group and tick):
 *
 *   plenty (every fast node has more free memory than the kernel's cut-off
 *   for promoting freely, max(1 GiB, node size / 16)):
 *	value = floor, why FREE, at once (the kernel promotes freely there too).
 *
 *   scarce:
 *	ref    = max(the hottest level with >= 4 MiB at or above it (see
 *		 below), ref decayed by half_life_ns since last_ns)
 *	T_rel  = ref / 4			(faults on at least about a quarter of the
 *						 scans: TD_THRESHOLD_REL_SHIFT; a half held
 *						 truly hot pages that the scanner had not
 *						 reached as often yet, and cost throughput)
 *	T_room = the lowest bucket boundary with the bytes at or above it
 *		 <= afford_bytes (0 when everything fits); when even the hottest
 *		 non-empty bucket alone exceeds afford_bytes, that bucket's lower
 *		 boundary (the promoter's room limit takes its hottest first);
 *		 when afford_bytes is 0, max_hotness + 1 (nothing fits)
 *	target = max(floor, T_rel, T_room); why FLOOR when neither automatic
 *		 value exceeds the floor, else ROOM when T_room > T_rel, else
 *		 RELATIVE.
 *
 *   warm-up (scarce only): until the group's candidates have been seen for
 *	warmup_ns, nothing passes (value above max_hotness, why WARMUP): a page
 *	read continuously and one of a region swept every few seconds both
 *	have one access at first sight, and only time tells them apart.
 *
 *   hysteresis (scarce only): the value rises to the target at once (being
 *   selective late costs fast memory that is hard to get back), falls by at
 *   most 1/8 of itself per update (at least one unit), and does not move at
 *   all while the target is within 1/10 of it, up or down; so it settles
 *   within 10 % above a falling target and does not flap between ticks. It is
 *   never below the floor.
 *
 * ref is the group's hottest frequency, taken near the maximum, not at a
 * byte quantile: the hottest level with at least TD_THRESHOLD_REF_MIN_BYTES
 * (4 MiB) at or above it, so that a few pages the scanner happened to reach
 * more often than the rest (measured under a loaded TCG host: a policy's
 * whole 128 MiB hot set held below a quarter of such a level) cannot hold
 * every page back; the maximum itself when the tick has fewer bytes. Not a
 * quantile: a hint-fault frequency saturates at "faults on every scan", so
 * the maximum is the continuously-read level and cannot be an outlier above
 * it; a quantile by bytes (say the 99th) would fall into a large swept
 * region whenever the hot set is under 1 % of the candidates' bytes, the very
 * case this rule is for. ref is tracked in plenty too, so the first scarce
 * tick starts from it, and decays like an unaccessed page's frequency once
 * the hottest pages leave the candidates.
 */
#ifndef TIERINGD_THRESHOLD_H
#define TIERINGD_THRESHOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Log-spaced hotness buckets, two per octave: bucket 0 is [0, 2^8) (below a
 * quarter access), then boundaries 2^e and 3 * 2^(e-1) for e = 8..27
 * (1/4, 3/8, 1/2, 3/4, 1, 3/2, 2, 3, 4, 6, ... accesses); bucket 39 is
 * [2^27, UINT32_MAX] (131072 accesses and more). Whole and one-and-a-half
 * access counts are exact boundaries.
 */
#define TD_THRESHOLD_BUCKETS	40

/* T_rel = ref >> TD_THRESHOLD_REL_SHIFT (see the rules above). */
#define TD_THRESHOLD_REL_SHIFT	2
/* ref: the hottest level with this many bytes of candidates at or above it. */
#define TD_THRESHOLD_REF_MIN_BYTES	(4ULL << 20)
#define TD_THRESHOLD_LOW_SHIFT	8

/* Bytes of candidates by hotness bucket, for one group and tick. */
struct td_threshold_hist {
	uint64_t bytes[TD_THRESHOLD_BUCKETS];
	uint64_t total_bytes;
	uint32_t max_hotness;		/* of the entries added with bytes > 0 */
};

/* Empties @h. */
void td_threshold_hist_reset(struct td_threshold_hist *h);

/* Adds @bytes (a folio's size) at @hotness; 0 bytes adds nothing. Sums saturate. */
void td_threshold_hist_add(struct td_threshold_hist *h, uint32_t hotness, uint64_t bytes);

/* The bucket of @hotness, 0..TD_THRESHOLD_BUCKETS-1. */
unsigned td_threshold_bucket(uint32_t hotness);

/* The lowest hotness of bucket @i (0 for bucket 0); UINT32_MAX for @i out of range. */
uint32_t td_threshold_bucket_low(unsigned i);

enum td_threshold_why {
	TD_THRESHOLD_FREE,	/* fast memory above the kernel's cut-off: promote freely (the floor) */
	TD_THRESHOLD_FLOOR,	/* scarce, but the automatic value is below the operator's floor */
	TD_THRESHOLD_RELATIVE,	/* scarce: a fraction of the group's hottest pages' frequency */
	TD_THRESHOLD_ROOM,	/* scarce: what the room can afford binds */
	TD_THRESHOLD_WARMUP,	/* scarce, and the group's frequencies not known long enough yet */
	TD_THRESHOLD__MAX,
};

/* One per policy group; td_threshold_init() before the first update. */
struct td_threshold_state {
	uint32_t value;			/* in force: hotness units (TD_HOTNESS_ONE = one access) */
	uint32_t ref;			/* the group's hottest frequency, decayed */
	enum td_threshold_why why;	/* the rule that bound the target */
	uint64_t last_ns;		/* time of the last update (ref's decay) */
	uint32_t target;		/* the last update's target, before hysteresis */
	uint64_t seen_ns;		/* first update with candidates (warm-up); 0: none yet */
};

struct td_threshold_input {
	uint32_t floor;			/* HotThreshold, hotness units; 0 is taken as 1 */
	bool plenty;			/* every fast node has free memory above the kernel's cut-off */
	uint64_t afford_bytes;		/* what the fast tier can take now: room + what demotion may take */
	const struct td_threshold_hist *hist;	/* this tick's slow-tier candidates of the group; NULL: none */
	uint64_t now_ns;
	uint64_t half_life_ns;		/* ref's decay half-life; 0: ref is not carried over */
	/* how long the group's candidates must have been seen before the
	 * relative rule may promote under scarcity (one half-life of the
	 * table: before that, one access and a hundred look alike); 0: none */
	uint64_t warmup_ns;
};

/* Starts at @floor (0 is taken as 1), why FLOOR, ref 0, last_ns 0. */
void td_threshold_init(struct td_threshold_state *s, uint32_t floor);

/*
 * Applies the rules above for one tick and returns the new s->value. Sets
 * ref, why, target and last_ns (= @in->now_ns; a clock that went back does
 * not decay ref).
 */
uint32_t td_threshold_update(struct td_threshold_state *s, const struct td_threshold_input *in);

/* "free", "floor", "relative", "room", "warmup"; NULL out of range. */
const char *td_threshold_why_name(enum td_threshold_why w);

/*
 * One sentence for `tieringctl why` and status, e.g. "automatic: a quarter of the
 * hottest pages' frequency (12.3 accesses); fast memory is scarce", with
 * ", falling towards X" while hysteresis holds the value above its target.
 * Returns the sentence's length as snprintf(3) does (it is truncated to
 * @len - 1 characters), -EINVAL if @s->why is out of range or @buf is NULL
 * with @len > 0.
 */
int td_threshold_describe(const struct td_threshold_state *s, char *buf, size_t len);

#endif
