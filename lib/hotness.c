// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * hotness.c - bounded hotness table.
 *
 * Layout: open addressing with linear probing over 1.25 slots per entry of
 * capacity (load factor <= 0.8), at least one slot always empty so probes
 * terminate. A slot is an 8-byte key in keys[] and a 20-byte value in vals[]:
 * probes scan 8 keys per cache line and touch one value (a line, or two for
 * a quarter of them) at the end, where 28-byte slots would cost ~2.5x the
 * lines on a long probe. Deletion
 * is by backward shift, so there are no tombstones. The home slot of a key is
 * the high part of mix64(key) * nslots, so nslots need not be a power of two.
 *
 * Key: a process index (19 bits, into a small side table of (tgid,
 * start_time)) above the 45-bit virtual page number. Interning the process
 * instead of packing the tgid keeps the key in one u64 for 57-bit addresses
 * and makes PID reuse cheap: the old process's index is marked dead, a new
 * index is handed out, and the old entries can never match a lookup again.
 * They stay in the array as stale entries until eviction or td_hotness_sweep()
 * drops them; a dead index is only reused once no entry carries it.
 *
 * Folios: an entry of order k has the key of its base (the address aligned
 * down to 2^k pages) and its order in the value. The live entries of one
 * process never overlap (a split drops the large entry, a collapse absorbs
 * the small ones), so (process, base) is unique without the order in the key
 * and an order-0 access to a known base page costs one probe as before. The
 * entry covering an address is found by one probe per order that has entries
 * (order_mask), order 0 first. A new entry of order k > 0 probes for smaller
 * entries inside its range, one key per possible base; for orders below 9
 * a counting Bloom filter of (process, 2 MiB region, order) (two saturating
 * byte counts per key, 1 byte per 8 entries of capacity, built at the first
 * collapse probe) skips the probes where there are none. Entries are counted
 * per order globally and per process, so live_by_order stays exact when a
 * process's entries turn stale at once.
 *
 * Accessing node: a Boyer-Moore majority vote per entry (a node and a
 * saturating count, 0..TD_HOTNESS_VOTES_MAX): an access from the voted node
 * adds one, from another node takes one away, and at 0 the next access's
 * node takes the vote. Whatever node has more than half of the accesses
 * holds the vote once the count has had time to climb: a page read 3:1 from
 * two sockets is voted to the majority's node (the minority holds it with
 * probability ~(1/3)^count at saturation). It is a byte pair in the spare
 * room of a 20-byte value, not a per-node count array: 4 bytes more per
 * slot than the 16 before.
 *
 * Memcg ids (u64 inode numbers) are interned the same way into a refcounted
 * side table and stored as 16-bit indexes; index 0 means unknown.
 *
 * Time: slots keep 32-bit ticks of 2^tick_shift ns, with tick_shift chosen
 * so that one half-life is 128..256 ticks. Frequencies are decayed lazily:
 * shift right by whole half-lives, then multiply by 2^(-k/256) from a table
 * for the fraction. Whole half-lives and the fraction come from one multiply
 * by a precomputed reciprocal; it is exact for the ranges used (see decay()).
 *
 * Eviction: when the table is full, the victim is the coldest of the first
 * TD_HOTNESS_EVICT_SAMPLE occupied slots from the new key's home slot on: a
 * sample of ~8 entries, whose keys the probe for the new key has just read,
 * where exact global LFU would be O(n) or need a heap. A stale entry in the
 * window is taken at once. A hot entry is only evicted if every entry in its
 * window is at least as hot.
 *
 * Batches: td_hotness_record_batch() resolves each access's key and
 * prefetches its slot PREFETCH_AHEAD accesses early. With 1 M entries the
 * arrays are ~30 MB, so a cold access is a cache and TLB miss; overlapping
 * them is worth ~1.5-2x over td_hotness_record() one by one.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hotness.h"

#define VPN_BITS	(TD_HOTNESS_ADDR_BITS - TD_HOTNESS_PAGE_SHIFT)
#define VPN_MASK	((UINT64_C(1) << VPN_BITS) - 1)
#define PROC_BITS	(64 - VPN_BITS)
/* val.bits: node (7) | dir (2) << 7 | retries (3) << 9 | order (4) << 12 */
#define NODE_MASK	0x7f
#define SLOT_NODE_UNKNOWN NODE_MASK
#define DIR_SHIFT	7
#define DIR_MASK	0x3
#define RETRY_SHIFT	9
#define RETRY_MASK	0x7
#define ORDER_SHIFT	12
#define NORDERS		(TD_HOTNESS_ORDER_MAX + 1)
#define ORDER_NONE	UINT32_MAX
/* The small-entry filter counts entries below this order per region of as many pages. */
#define REGION_ORDER	9
#define FILTER_SAT	UINT8_MAX
#define FRAC_BITS	8
#define H_TICKS_MIN	128
#define PROC_DEAD	(UINT32_C(1) << 31)
/* Ages beyond this are clamped by the sweep; keeps tick_diff() unambiguous. */
#define AGE_CLAMP	(UINT32_C(1) << 30)
#define PROC_CACHE	1024

_Static_assert(TD_HOTNESS_PROCESSES_MAX < (UINT32_C(1) << PROC_BITS),
	       "process index must fit the key");
_Static_assert(TD_HOTNESS_TGID_MAX < PROC_DEAD, "tgid must leave the dead bit free");
_Static_assert(TD_MAX_NODES <= NODE_MASK, "nodes and 'unknown' must fit 7 bits");
_Static_assert(TD_HOTNESS_RETRIES_MAX <= RETRY_MASK, "retries must fit 3 bits");
_Static_assert(NORDERS <= 16 && TD_HOTNESS_ORDER_UNKNOWN > TD_HOTNESS_ORDER_MAX,
	       "orders must fit 4 bits");

/* The value half of a slot; the key (proc << VPN_BITS | vpn, 0: empty) is in keys[]. */
struct val {
	uint32_t freq;		/* as of tick 'last', TD_HOTNESS_ONE units */
	uint32_t last;		/* last access, ticks */
	uint32_t moved;		/* last move attempt, ticks */
	uint16_t memcg;		/* memcg side table index, 0: unknown */
	uint16_t bits;		/* node, enum td_hotness_dir, retries, order */
	uint8_t vote_node;	/* the accessing node in the majority vote */
	uint8_t votes;		/* its count, 0..TD_HOTNESS_VOTES_MAX; 0: no vote */
	uint8_t shared;		/* an access from another node took a vote away */
	uint8_t __pad;
};

_Static_assert(sizeof(struct val) + sizeof(uint64_t) == 28,
	       "slot must stay 28 bytes (<= 36 per entry at load 0.8)");
_Static_assert(TD_HOTNESS_VOTES_MAX <= UINT8_MAX && TD_MAX_NODES <= UINT8_MAX,
	       "the vote must fit its bytes");

struct proc {
	uint64_t start_time;	/* 0: unknown; on the free list: next free index */
	uint32_t tgid;		/* 0: free; | PROC_DEAD once forgotten or reused */
	uint32_t nentries;	/* slots whose key carries this index */
};

struct td_hotness {
	uint64_t *keys;		/* [nslots] */
	struct val *vals;	/* [nslots] */
	uint32_t nslots;
	uint32_t capacity;
	uint32_t used;		/* occupied slots: live + stale */
	uint32_t stale;
	uint32_t sweep_cursor;
	uint32_t h_ticks;	/* one half-life in ticks, 128..256 */
	uint32_t h_recip;	/* ceil(2^32 / h_ticks) */
	unsigned int tick_shift;

	struct proc *procs;	/* [1..max_procs]; [0] unused */
	uint32_t *proc_index;	/* tgid hash -> live proc index, 0: empty */
	uint32_t proc_mask;
	uint32_t max_procs;
	uint32_t procs_unused;	/* next never-used index */
	uint32_t proc_free;	/* free list head, 0: empty */
	uint32_t nprocs;
	/* tgid % PROC_CACHE -> proc index; a hit is checked against procs[]. */
	uint32_t proc_cache[PROC_CACHE];

	uint64_t *memcg_ids;	/* [1..max_memcgs]; [0] = 0, unknown */
	uint32_t *memcg_refs;	/* free entries: next free index */
	uint16_t *memcg_index;	/* id hash -> memcg index, 0: empty */
	uint32_t memcg_mask;
	uint32_t max_memcgs;
	uint32_t memcgs_unused;
	uint32_t memcg_free;
	uint32_t nmemcgs;

	/* Folio orders: occupied slots (live + stale) and stale ones, per order. */
	uint32_t occupied[NORDERS];
	uint32_t stale_by[NORDERS];
	uint32_t order_mask;	/* bit o: some slot has order o */
	uint32_t *proc_orders;	/* [p * TD_HOTNESS_ORDER_MAX + o - 1]: entries of order o >= 1 */
	uint8_t *filter;	/* hashed (process, region, order) -> entries, saturating */
	uint32_t filter_mask;
	bool filter_live;	/* built (at the first collapse probe) and kept since */
	td_hotness_order_fn order_fn;
	void *order_ctx;

	uint64_t inserts, updates, evictions, stale_dropped, pid_reuses, memcg_overflows;
	uint64_t splits, collapses;
	size_t bytes;
	uint32_t frac[1 << FRAC_BITS];	/* 2^31 * 2^(-k/256) */
};

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 32;
	x *= UINT64_C(0xd6e8feb86659fd93);
	x ^= x >> 32;
	x *= UINT64_C(0xd6e8feb86659fd93);
	x ^= x >> 32;
	return x;
}

static inline uint32_t home_of(const struct td_hotness *t, uint64_t key)
{
	return (uint32_t)(((unsigned __int128)mix64(key) * t->nslots) >> 64);
}

static inline uint32_t next_slot(const struct td_hotness *t, uint32_t i)
{
	return ++i == t->nslots ? 0 : i;
}

/* Signed a - b for 32-bit ticks, without relying on implementation-defined casts. */
static inline int64_t tick_diff(uint32_t a, uint32_t b)
{
	uint32_t d = a - b;

	return d <= INT32_MAX ? (int64_t)d : -(int64_t)(uint32_t)(b - a);
}

static inline uint32_t now_tick(const struct td_hotness *t, uint64_t now_ns)
{
	return (uint32_t)(now_ns >> t->tick_shift);
}

/*
 * f * 2^(-elapsed / h_ticks). q = elapsed * 256 / h_ticks is computed as
 * (x * ceil(2^32 / h)) >> 32 with x = elapsed * 256 < 2^21: the error is below
 * x / 2^32 < 2^-11, and the fraction of x / h is at most 1 - 1/h <= 1 - 2^-8,
 * so the floor is exact.
 */
static inline uint32_t decay(const struct td_hotness *t, uint32_t f, uint32_t elapsed)
{
	uint32_t q;

	if (!f || !elapsed)
		return f;
	if (elapsed >= t->h_ticks * 32)
		return 0;
	q = (uint32_t)(((uint64_t)(elapsed << FRAC_BITS) * t->h_recip) >> 32);
	f >>= q >> FRAC_BITS;
	return (uint32_t)(((uint64_t)f * t->frac[q & ((1 << FRAC_BITS) - 1)]) >> 31);
}

static inline uint32_t val_hotness(const struct td_hotness *t, const struct val *v, uint32_t now)
{
	int64_t d = tick_diff(now, v->last);

	return d <= 0 ? v->freq : decay(t, v->freq, (uint32_t)d);
}

static inline unsigned int val_node(const struct val *v)
{
	return v->bits & NODE_MASK;
}

static inline unsigned int val_dir(const struct val *v)
{
	return (v->bits >> DIR_SHIFT) & DIR_MASK;
}

static inline unsigned int val_retries(const struct val *v)
{
	return (v->bits >> RETRY_SHIFT) & RETRY_MASK;
}

static inline unsigned int val_order(const struct val *v)
{
	return v->bits >> ORDER_SHIFT;
}

static inline uint16_t pack_bits(unsigned int node, unsigned int dir, unsigned int retries,
				 unsigned int order)
{
	return (uint16_t)(node | dir << DIR_SHIFT | retries << RETRY_SHIFT | order << ORDER_SHIFT);
}

static inline void val_set_node(struct val *v, int node)
{
	v->bits = (uint16_t)((v->bits & ~NODE_MASK) | (node < 0 ? SLOT_NODE_UNKNOWN : (unsigned int)node));
}

/* One access from @node (< 0: unknown, no vote) into the majority vote. */
static inline void vote_add(struct val *v, int node)
{
	if (node < 0 || node >= TD_MAX_NODES)
		return;
	if (v->votes == 0) {
		v->vote_node = (uint8_t)node;
		v->votes = 1;
	} else if (v->vote_node == node) {
		v->votes += v->votes < TD_HOTNESS_VOTES_MAX;
	} else {
		v->votes--;
		v->shared = 1;
	}
}

/* Two votes as one (a collapse): equal nodes add, else the larger count
 * keeps its node with the difference, as the vote over both streams would. */
static inline void vote_merge(uint8_t *node, uint8_t *votes, uint8_t *shared, uint8_t onode,
			      uint8_t ovotes, uint8_t oshared)
{
	*shared |= oshared;
	if (!ovotes)
		return;
	if (*votes && *node != onode)
		*shared = 1;
	if (!*votes || *node == onode) {
		unsigned int sum = *votes + ovotes;

		*node = onode;
		*votes = (uint8_t)(sum > TD_HOTNESS_VOTES_MAX ? TD_HOTNESS_VOTES_MAX : sum);
	} else if (ovotes > *votes) {
		*node = onode;
		*votes = (uint8_t)(ovotes - *votes);
	} else {
		*votes = (uint8_t)(*votes - ovotes);
	}
}

static inline uint64_t order_base(uint64_t addr, unsigned int order)
{
	return addr >> (TD_HOTNESS_PAGE_SHIFT + order) << (TD_HOTNESS_PAGE_SHIFT + order);
}

static inline bool key_stale(const struct td_hotness *t, uint64_t key)
{
	return t->procs[key >> VPN_BITS].tgid & PROC_DEAD;
}

static bool key_args_valid(uint32_t tgid, uint64_t addr)
{
	return tgid && tgid <= TD_HOTNESS_TGID_MAX && addr < (UINT64_C(1) << TD_HOTNESS_ADDR_BITS);
}

static bool node_valid(int node)
{
	return node >= TD_HOTNESS_NODE_UNKNOWN && node < TD_MAX_NODES;
}

/* ---- memcg side table ---- */

static inline uint32_t memcg_home(const struct td_hotness *t, uint64_t id)
{
	return (uint32_t)mix64(id) & t->memcg_mask;
}

/* Returns the index of @id with one more reference, 0 if @id is 0 or no room. */
static uint16_t memcg_get(struct td_hotness *t, uint64_t id)
{
	uint32_t i, m;

	if (!id)
		return 0;
	for (i = memcg_home(t, id); (m = t->memcg_index[i]); i = (i + 1) & t->memcg_mask) {
		if (t->memcg_ids[m] == id) {
			t->memcg_refs[m]++;
			return (uint16_t)m;
		}
	}
	if (t->memcg_free) {
		m = t->memcg_free;
		t->memcg_free = t->memcg_refs[m];
	} else if (t->memcgs_unused <= t->max_memcgs) {
		m = t->memcgs_unused++;
	} else {
		t->memcg_overflows++;
		return 0;
	}
	t->memcg_index[i] = (uint16_t)m;
	t->memcg_ids[m] = id;
	t->memcg_refs[m] = 1;
	t->nmemcgs++;
	return (uint16_t)m;
}

static void memcg_put(struct td_hotness *t, uint16_t m)
{
	uint32_t i, j, h, mask = t->memcg_mask;

	if (!m || --t->memcg_refs[m])
		return;
	for (i = memcg_home(t, t->memcg_ids[m]); t->memcg_index[i] != m; i = (i + 1) & mask)
		;
	/* Backward-shift deletion: pull later entries of the cluster forward. */
	for (j = i;;) {
		j = (j + 1) & mask;
		if (!t->memcg_index[j])
			break;
		h = memcg_home(t, t->memcg_ids[t->memcg_index[j]]);
		if (((j - h) & mask) >= ((j - i) & mask)) {
			t->memcg_index[i] = t->memcg_index[j];
			i = j;
		}
	}
	t->memcg_index[i] = 0;
	t->memcg_ids[m] = 0;
	t->memcg_refs[m] = t->memcg_free;
	t->memcg_free = m;
	t->nmemcgs--;
}

/* ---- process side table ---- */

static inline uint32_t proc_home(const struct td_hotness *t, uint32_t tgid)
{
	return (uint32_t)mix64(tgid) & t->proc_mask;
}

/* Position of live @tgid in proc_index, or of the empty slot ending its probe. */
static uint32_t proc_pos(const struct td_hotness *t, uint32_t tgid)
{
	uint32_t i, p;

	for (i = proc_home(t, tgid); (p = t->proc_index[i]); i = (i + 1) & t->proc_mask)
		if (t->procs[p].tgid == tgid)
			break;
	return i;
}

/* Live process index of @tgid, or 0. */
static inline uint32_t proc_find(const struct td_hotness *t, uint32_t tgid)
{
	uint32_t p = t->proc_cache[tgid % PROC_CACHE];

	/* Dead or released entries carry another tgid value: no invalidation needed. */
	if (t->procs[p].tgid == tgid)
		return p;
	return t->proc_index[proc_pos(t, tgid)];
}

static void proc_release(struct td_hotness *t, uint32_t p)
{
	t->procs[p].tgid = 0;
	t->procs[p].start_time = t->proc_free;
	t->proc_free = p;
	t->nprocs--;
}

/* Process @p's entries turned stale: count them as stale per order. */
static void proc_orders_stale(struct td_hotness *t, uint32_t p)
{
	const uint32_t *c = &t->proc_orders[(size_t)p * TD_HOTNESS_ORDER_MAX];
	uint32_t large = 0;

	for (unsigned int o = 1; o < NORDERS; o++) {
		t->stale_by[o] += c[o - 1];
		large += c[o - 1];
	}
	t->stale_by[0] += t->procs[p].nentries - large;
}

/* Mark live process @p dead: its entries turn stale. */
static void proc_kill(struct td_hotness *t, uint32_t p)
{
	uint32_t i, j, h, mask = t->proc_mask;

	i = proc_pos(t, t->procs[p].tgid);
	for (j = i;;) {
		j = (j + 1) & mask;
		if (!t->proc_index[j])
			break;
		h = proc_home(t, t->procs[t->proc_index[j]].tgid);
		if (((j - h) & mask) >= ((j - i) & mask)) {
			t->proc_index[i] = t->proc_index[j];
			i = j;
		}
	}
	t->proc_index[i] = 0;
	if (!t->procs[p].nentries) {
		proc_release(t, p);
		return;
	}
	t->procs[p].tgid |= PROC_DEAD;
	t->stale += t->procs[p].nentries;
	proc_orders_stale(t, p);
}

/*
 * Resolve (@tgid, @start) to a live process index, registering it if needed.
 * Returns 0 if known, 1 if registered, -ENOSPC if the process table is full.
 */
static int proc_resolve(struct td_hotness *t, uint32_t tgid, uint64_t start, uint32_t *ret)
{
	uint32_t pos, p;
	int r = 0;

	pos = proc_pos(t, tgid);
	p = t->proc_index[pos];
	if (p) {
		if (!start || t->procs[p].start_time == start)
			goto found;
		if (!t->procs[p].start_time) {
			t->procs[p].start_time = start;
			goto found;
		}
		proc_kill(t, p);
		t->pid_reuses++;
		pos = proc_pos(t, tgid);
	}
	if (t->proc_free) {
		p = t->proc_free;
		t->proc_free = (uint32_t)t->procs[p].start_time;
	} else if (t->procs_unused <= t->max_procs) {
		p = t->procs_unused++;
	} else {
		return -ENOSPC;
	}
	t->procs[p] = (struct proc){ .start_time = start, .tgid = tgid };
	t->proc_index[pos] = p;
	t->nprocs++;
	r = 1;
found:
	t->proc_cache[tgid % PROC_CACHE] = p;
	*ret = p;
	return r;
}

/* ---- slots ---- */

static inline uint64_t make_key(uint32_t p, uint64_t addr)
{
	return (uint64_t)p << VPN_BITS | addr >> TD_HOTNESS_PAGE_SHIFT;
}

/* Slot index of @key, or UINT32_MAX. */
static inline uint32_t key_find(const struct td_hotness *t, uint64_t key)
{
	uint32_t i;

	for (i = home_of(t, key); t->keys[i]; i = next_slot(t, i))
		if (t->keys[i] == key)
			return i;
	return UINT32_MAX;
}

/*
 * Slot of process @p's entry covering @addr, or UINT32_MAX; probes the keys
 * of the orders in @mask, lowest first. A key found covers @addr when the
 * address aligned to the entry's own order is its base.
 */
static uint32_t cover_find(const struct td_hotness *t, uint32_t p, uint64_t addr, uint32_t mask)
{
	uint32_t i;

	for (; mask; mask &= mask - 1) {
		unsigned int o = (unsigned int)__builtin_ctz(mask);
		uint64_t key = make_key(p, order_base(addr, o));

		i = key_find(t, key);
		if (i != UINT32_MAX &&
		    order_base(addr, val_order(&t->vals[i])) >> TD_HOTNESS_PAGE_SHIFT == (key & VPN_MASK))
			return i;
	}
	return UINT32_MAX;
}

/* Slot index of the live entry of @tgid covering @addr, or UINT32_MAX. */
static uint32_t slot_find(const struct td_hotness *t, uint32_t tgid, uint64_t addr)
{
	uint32_t p = proc_find(t, tgid);

	return p ? cover_find(t, p, addr, t->order_mask) : UINT32_MAX;
}

/* The filter's hash of (process, region of @key, @order); two positions in it. */
static inline uint64_t filter_hash(uint64_t key, unsigned int order)
{
	return mix64((key >> REGION_ORDER) << 4 | order);
}

/* May the region of @key hold entries of @order (< REGION_ORDER)? */
static inline bool filter_maybe(const struct td_hotness *t, uint64_t key, unsigned int order)
{
	uint64_t h = filter_hash(key, order);

	return t->filter[h & t->filter_mask] && t->filter[(h >> 32) & t->filter_mask];
}

static inline void filter_add(struct td_hotness *t, uint64_t key, unsigned int order, int delta)
{
	uint64_t h = filter_hash(key, order);
	uint8_t *a = &t->filter[h & t->filter_mask], *b = &t->filter[(h >> 32) & t->filter_mask];

	/* A saturated count stays: it may only say "maybe" too often. */
	if (*a != FILTER_SAT)
		*a = (uint8_t)(*a + delta);
	if (*b != FILTER_SAT)
		*b = (uint8_t)(*b + delta);
}

/* Count one more (@delta 1) or one less (-1) slot of @key with @order. */
static void slot_account(struct td_hotness *t, uint64_t key, unsigned int order, int delta)
{
	uint32_t p = (uint32_t)(key >> VPN_BITS);

	t->occupied[order] += (uint32_t)delta;
	if (t->occupied[order])
		t->order_mask |= UINT32_C(1) << order;
	else
		t->order_mask &= ~(UINT32_C(1) << order);
	if (order)
		t->proc_orders[(size_t)p * TD_HOTNESS_ORDER_MAX + order - 1] += (uint32_t)delta;
	if (order < REGION_ORDER && t->filter_live)
		filter_add(t, key, order, delta);
}

/*
 * Only collapses read the filter: a table that never saw a large folio does
 * not pay for it. Built from the slots once, at the first collapse probe.
 */
static void filter_build(struct td_hotness *t)
{
	for (uint32_t i = 0; i < t->nslots; i++)
		if (t->keys[i] && val_order(&t->vals[i]) < REGION_ORDER)
			filter_add(t, t->keys[i], val_order(&t->vals[i]), 1);
	t->filter_live = true;
}

static inline uint32_t slot_dist(const struct td_hotness *t, uint32_t from, uint32_t to)
{
	return to >= from ? to - from : to + t->nslots - from;
}

/* Release what the entry in slot @i references; the slot itself is left as is. */
static void slot_release(struct td_hotness *t, uint32_t i)
{
	uint32_t p = (uint32_t)(t->keys[i] >> VPN_BITS);

	memcg_put(t, t->vals[i].memcg);
	slot_account(t, t->keys[i], val_order(&t->vals[i]), -1);
	t->procs[p].nentries--;
	if (t->procs[p].tgid & PROC_DEAD) {
		t->stale--;
		t->stale_by[val_order(&t->vals[i])]--;
		t->stale_dropped++;
		if (!t->procs[p].nentries)
			proc_release(t, p);
	}
	t->used--;
}

/* Drop the entry in slot @i: release it, backward-shift the rest of its cluster. */
static void slot_drop(struct td_hotness *t, uint32_t i)
{
	uint32_t j;

	slot_release(t, i);
	for (j = i;;) {
		j = next_slot(t, j);
		if (!t->keys[j])
			break;
		/* Move slot j to i unless its home lies cyclically in (i, j]. */
		if (slot_dist(t, home_of(t, t->keys[j]), j) >= slot_dist(t, i, j)) {
			t->keys[i] = t->keys[j];
			t->vals[i] = t->vals[j];
			i = j;
		}
	}
	t->keys[i] = 0;
	memset(&t->vals[i], 0, sizeof(t->vals[i]));
}

/*
 * The table is full and a new key with home slot @home must go in; its probe
 * stopped at the empty slot @end. Evict the coldest of the first
 * TD_HOTNESS_EVICT_SAMPLE occupied slots from @home on (a stale one at once)
 * and return the slot the new key goes to. A victim in [home, end) is simply
 * overwritten: it lies on the new key's probe path, so lookups still work and
 * nothing has to shift. Any other victim is dropped with a backward shift.
 */
static uint32_t make_room(struct td_hotness *t, uint32_t home, uint32_t end, uint32_t now)
{
	uint32_t i = home, victim = UINT32_MAX, best = 0, h, k;
	int seen = 0;

	for (k = 0; k < t->nslots && seen < TD_HOTNESS_EVICT_SAMPLE; k++, i = next_slot(t, i)) {
		if (!t->keys[i])
			continue;
		seen++;
		if (key_stale(t, t->keys[i])) {
			victim = i;
			break;
		}
		h = val_hotness(t, &t->vals[i], now);
		if (victim == UINT32_MAX || h < best) {
			best = h;
			victim = i;
		}
	}
	if (!key_stale(t, t->keys[victim]))
		t->evictions++;
	if (slot_dist(t, home, victim) < slot_dist(t, home, end)) {
		slot_release(t, victim);
		return victim;
	}
	/*
	 * The backward shift may pull entries of the new key's own cluster
	 * back (the window can wrap around to before @home): probe again.
	 */
	slot_drop(t, victim);
	for (i = home; t->keys[i]; i = next_slot(t, i))
		;
	return i;
}

static void slot_decode(const struct td_hotness *t, uint32_t i, uint64_t now_ns,
			struct td_hotness_info *ret)
{
	const struct val *s = &t->vals[i];
	uint64_t tick = now_ns >> t->tick_shift, key = t->keys[i];
	uint32_t now = (uint32_t)tick;
	int64_t age;

	*ret = (struct td_hotness_info){
		.addr = (key & VPN_MASK) << TD_HOTNESS_PAGE_SHIFT,
		.memcg_id = t->memcg_ids[s->memcg],
		.tgid = t->procs[key >> VPN_BITS].tgid & ~PROC_DEAD,
		.hotness = val_hotness(t, s, now),
		.node = val_node(s) == SLOT_NODE_UNKNOWN ? TD_HOTNESS_NODE_UNKNOWN : (int16_t)val_node(s),
		.last_move_dir = (uint8_t)val_dir(s),
		.move_retries = (uint8_t)val_retries(s),
		.order = (uint8_t)val_order(s),
		.cpu_votes = s->votes,
		.cpu_node = s->votes ? (int8_t)s->vote_node : TD_HOTNESS_NODE_UNKNOWN,
		.cpu_shared = s->shared,
	};
	age = tick_diff(now, s->last);
	ret->last_access_ns = age > (int64_t)tick ? 0 : (tick - (uint64_t)age) << t->tick_shift;
	if (ret->last_move_dir != TD_HOTNESS_DIR_NONE) {
		age = tick_diff(now, s->moved);
		ret->last_move_ns = age > (int64_t)tick ? 0 : (tick - (uint64_t)age) << t->tick_shift;
	}
}

/* ---- public ---- */

static uint32_t clamp_u32(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static uint32_t pow2_at_least(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

static void *alloc_counted(struct td_hotness *t, size_t n, size_t size)
{
	t->bytes += n * size;
	return calloc(n, size);
}

int td_hotness_new(const struct td_hotness_params *p, struct td_hotness **ret)
{
	struct td_hotness *t;
	uint32_t max_procs, max_memcgs, k;
	unsigned int shift = 0;

	if (!p || !ret || !p->capacity || p->capacity > TD_HOTNESS_CAPACITY_MAX ||
	    p->half_life_ns < TD_HOTNESS_HALF_LIFE_MIN_NS ||
	    p->half_life_ns > TD_HOTNESS_HALF_LIFE_MAX_NS ||
	    p->max_processes > TD_HOTNESS_PROCESSES_MAX || p->max_memcgs > TD_HOTNESS_MEMCGS_MAX)
		return -EINVAL;

	max_procs = p->max_processes ?: clamp_u32(p->capacity / 64, 64, 16384);
	max_memcgs = p->max_memcgs ?: clamp_u32(p->capacity / 256, 64, 4u << 10);

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->bytes = sizeof(*t);
	t->capacity = p->capacity;
	t->nslots = p->capacity + p->capacity / 4 + 1;
	t->max_procs = max_procs;
	t->procs_unused = 1;
	t->proc_mask = pow2_at_least(max_procs * 2) - 1;
	t->max_memcgs = max_memcgs;
	t->memcgs_unused = 1;
	t->memcg_mask = pow2_at_least(max_memcgs * 2) - 1;

	t->keys = alloc_counted(t, t->nslots, sizeof(*t->keys));
	t->vals = alloc_counted(t, t->nslots, sizeof(*t->vals));
	t->procs = alloc_counted(t, max_procs + 1, sizeof(*t->procs));
	t->proc_index = alloc_counted(t, t->proc_mask + 1, sizeof(*t->proc_index));
	t->memcg_ids = alloc_counted(t, max_memcgs + 1, sizeof(*t->memcg_ids));
	t->memcg_refs = alloc_counted(t, max_memcgs + 1, sizeof(*t->memcg_refs));
	t->memcg_index = alloc_counted(t, t->memcg_mask + 1, sizeof(*t->memcg_index));
	t->proc_orders = alloc_counted(t, (size_t)(max_procs + 1) * TD_HOTNESS_ORDER_MAX,
				       sizeof(*t->proc_orders));
	t->filter_mask = pow2_at_least(clamp_u32(p->capacity / 8, 64, UINT32_MAX)) - 1;
	t->filter = alloc_counted(t, t->filter_mask + 1, sizeof(*t->filter));
	if (!t->keys || !t->vals || !t->procs || !t->proc_index || !t->memcg_ids || !t->memcg_refs ||
	    !t->memcg_index || !t->proc_orders || !t->filter) {
		td_hotness_free(t);
		return -ENOMEM;
	}

	/* Largest tick with >= 128 ticks per half-life; rounding keeps h <= 256. */
	while ((p->half_life_ns >> (shift + 1)) >= H_TICKS_MIN)
		shift++;
	t->tick_shift = shift;
	t->h_ticks = (uint32_t)((p->half_life_ns + (UINT64_C(1) << shift >> 1)) >> shift);
	t->h_recip = (uint32_t)(((UINT64_C(1) << 32) + t->h_ticks - 1) / t->h_ticks);
	for (k = 0; k < (1u << FRAC_BITS); k++)
		t->frac[k] = (uint32_t)lround(ldexp(exp2(-(double)k / (1 << FRAC_BITS)), 31));

	*ret = t;
	return 0;
}

void td_hotness_free(struct td_hotness *t)
{
	if (!t)
		return;
	free(t->keys);
	free(t->vals);
	free(t->procs);
	free(t->proc_index);
	free(t->memcg_ids);
	free(t->memcg_refs);
	free(t->memcg_index);
	free(t->proc_orders);
	free(t->filter);
	free(t);
}

void td_hotness_set_order_resolver(struct td_hotness *t, td_hotness_order_fn fn, void *ctx)
{
	t->order_fn = fn;
	t->order_ctx = ctx;
}

static void val_touch(struct td_hotness *t, struct val *s, const struct td_hotness_access *a,
		      uint32_t now)
{
	int64_t d = tick_diff(now, s->last);
	uint32_t f = s->freq;

	/* An event older than the last one (per-CPU ordering) only adds its count. */
	if (d > 0) {
		f = decay(t, f, (uint32_t)d);
		s->last = now;
	}
	s->freq = f > TD_HOTNESS_MAX - TD_HOTNESS_ONE ? TD_HOTNESS_MAX : f + TD_HOTNESS_ONE;
	/*
	 * The node an event reports is as of the access. An event from the
	 * same tick as our last move (or older) was raised before the move
	 * landed: keep the node the move put there, or the page would look
	 * slow again and be moved (and counted) twice.
	 */
	if (a->node >= 0 && (val_dir(s) == TD_HOTNESS_DIR_NONE || tick_diff(now, s->moved) > 0))
		val_set_node(s, a->node);
	vote_add(s, a->cpu_node);
	if (a->memcg_id && a->memcg_id != t->memcg_ids[s->memcg]) {
		memcg_put(t, s->memcg);
		s->memcg = memcg_get(t, a->memcg_id);
	}
}

static int touch(struct td_hotness *t, uint32_t i, const struct td_hotness_access *a, uint32_t now)
{
	val_touch(t, &t->vals[i], a, now);
	t->updates++;
	return 0;
}

/* What a new entry takes over from the smaller entries it absorbs. */
struct merge {
	uint64_t hotness;	/* sum of theirs, decayed to now */
	uint64_t memcg_id;	/* of the latest accessed one */
	uint32_t last;		/* latest last access */
	int node;		/* of the latest accessed one */
	uint32_t n;		/* absorbed so far */
	uint8_t vote_node, votes, shared;	/* their votes merged (vote_merge) */
};

/* If @key has an entry, add it to @m and drop it. */
static void absorb(struct td_hotness *t, uint64_t key, uint32_t now, struct merge *m)
{
	uint32_t i = key_find(t, key);
	const struct val *v;

	if (i == UINT32_MAX)
		return;
	v = &t->vals[i];
	m->hotness += val_hotness(t, v, now);
	if (!m->n || tick_diff(v->last, m->last) >= 0) {
		m->last = v->last;
		m->node = val_node(v) == SLOT_NODE_UNKNOWN ? TD_HOTNESS_NODE_UNKNOWN : (int)val_node(v);
		m->memcg_id = t->memcg_ids[v->memcg];
	}
	vote_merge(&m->vote_node, &m->votes, &m->shared, v->vote_node, v->votes, v->shared);
	m->n++;
	t->collapses++;
	slot_drop(t, i);
}

/* Absorb the entries whose keys are the @n bases of order @o from @key on. */
static void absorb_run(struct td_hotness *t, uint64_t key, unsigned int o, uint32_t n, uint32_t now,
		       struct merge *m)
{
	enum { CHUNK = 16 };

	/* Prefetch a chunk of homes first: the probes' misses overlap. */
	for (uint32_t j = 0; j < n; j += CHUNK) {
		uint32_t k, end = n - j < CHUNK ? n - j : CHUNK;

		for (k = 0; k < end; k++)
			__builtin_prefetch(&t->keys[home_of(t, key + ((uint64_t)(j + k) << o))]);
		for (k = 0; k < end; k++)
			absorb(t, key + ((uint64_t)(j + k) << o), now, m);
	}
}

/*
 * A new entry of order @k has base key @key: absorb its process's entries of
 * smaller orders inside its range. Orders without entries cost nothing;
 * below REGION_ORDER, regions the filter says hold none are skipped.
 */
static void collapse(struct td_hotness *t, uint64_t key, unsigned int k, uint32_t now,
		     struct merge *m)
{
	unsigned int top = k < REGION_ORDER ? k : REGION_ORDER;
	uint32_t small = t->order_mask & ((UINT32_C(1) << top) - 1);
	uint32_t large = t->order_mask & ((UINT32_C(1) << k) - 1) & ~small;
	uint64_t nreg = UINT64_C(1) << (k - top);

	if (small && !t->filter_live)
		filter_build(t);
	for (uint64_t r = 0; small && r < nreg; r++) {
		uint64_t rkey = key + (r << REGION_ORDER);

		for (uint32_t mask = small; mask; mask &= mask - 1) {
			unsigned int o = (unsigned int)__builtin_ctz(mask);

			if (filter_maybe(t, rkey, o))
				absorb_run(t, rkey, o, UINT32_C(1) << (top - o), now, m);
		}
	}
	for (; large; large &= large - 1) {
		unsigned int o = (unsigned int)__builtin_ctz(large);

		absorb_run(t, key, o, UINT32_C(1) << (k - o), now, m);
	}
}

/*
 * Insert @key (home slot @home, probe ended at the empty slot @i) of order
 * @k for live process @p, with what @m (may be NULL) absorbed.
 */
static int insert_key(struct td_hotness *t, const struct td_hotness_access *a, uint32_t p,
		      uint64_t key, uint32_t home, uint32_t i, unsigned int k, uint32_t now,
		      const struct merge *m)
{
	uint64_t memcg = a->memcg_id, f = TD_HOTNESS_ONE;
	uint32_t last = now;
	uint8_t vnode = 0, votes = 0, shared = 0;
	int node = a->node;

	if (t->used >= t->capacity)
		i = make_room(t, home, i, now);
	if (m && m->n) {
		f += m->hotness;
		memcg = memcg ? memcg : m->memcg_id;
		node = node >= 0 ? node : m->node;
		last = tick_diff(m->last, now) > 0 ? m->last : now;
		vnode = m->vote_node;
		votes = m->votes;
		shared = m->shared;
	}
	t->keys[i] = key;
	t->vals[i] = (struct val){
		.freq = f > TD_HOTNESS_MAX ? TD_HOTNESS_MAX : (uint32_t)f,
		.last = last,
		.memcg = memcg_get(t, memcg),
		.bits = pack_bits(node < 0 ? SLOT_NODE_UNKNOWN : (unsigned int)node, 0, 0, k),
		.vote_node = vnode,
		.votes = votes,
		.shared = shared,
	};
	vote_add(&t->vals[i], a->cpu_node);
	slot_account(t, key, k, 1);
	t->procs[p].nentries++;
	t->used++;
	t->inserts++;
	return 1;
}

/* A new entry of order @k for @a, which no live entry covers: collapse, then insert. */
static int insert_folio(struct td_hotness *t, const struct td_hotness_access *a, uint32_t p,
			unsigned int k, uint32_t now)
{
	uint64_t key = make_key(p, order_base(a->addr, k));
	struct merge m = { 0 };
	uint32_t home, i;

	if (k && (t->order_mask & ((UINT32_C(1) << k) - 1)))
		collapse(t, key, k, now, &m);
	home = home_of(t, key);
	for (i = home; t->keys[i]; i = next_slot(t, i))
		if (t->keys[i] == key)	/* defensive: live entries never overlap */
			return touch(t, i, a, now);
	return insert_key(t, a, p, key, home, i, k, now, &m);
}

static unsigned int resolve_order(struct td_hotness *t, const struct td_hotness_access *a)
{
	int r = t->order_fn ? t->order_fn(t->order_ctx, a->tgid, a->addr) : -ENOENT;

	return r >= 0 && r <= TD_HOTNESS_ORDER_MAX ? (unsigned int)r : 0;
}

/*
 * @a of live process @p found no entry of its own order at its key. Of
 * unknown order (its order-0 key missed): the entry covering it, or a new
 * one of the resolved order. Of order k: a larger entry covering it was
 * split; drop it, then insert.
 */
static int record_slow(struct td_hotness *t, const struct td_hotness_access *a, uint32_t p,
		       uint32_t now)
{
	unsigned int k = a->order;
	uint32_t i;

	if (k == TD_HOTNESS_ORDER_UNKNOWN) {
		i = cover_find(t, p, a->addr, t->order_mask & ~UINT32_C(1));
		if (i != UINT32_MAX)
			return touch(t, i, a, now);
		return insert_folio(t, a, p, resolve_order(t, a), now);
	}
	i = cover_find(t, p, a->addr, t->order_mask & ~((UINT32_C(2) << k) - 1));
	if (i != UINT32_MAX) {
		slot_drop(t, i);
		t->splits++;
	}
	return insert_folio(t, a, p, k, now);
}

/*
 * Update or insert @key (home slot @home) of live process @p: the base of
 * @a's order (order 0 when unknown). The common cases, an access to an entry
 * of its order or a new key where no other order has entries, take one probe.
 */
static int record_key(struct td_hotness *t, const struct td_hotness_access *a, uint32_t p,
		      uint64_t key, uint32_t home, uint32_t now)
{
	unsigned int k = a->order;
	uint32_t i;

	for (i = home; t->keys[i]; i = next_slot(t, i)) {
		if (t->keys[i] != key)
			continue;
		/* Any entry at the page of an address covers it. */
		if (k == TD_HOTNESS_ORDER_UNKNOWN || val_order(&t->vals[i]) == k)
			return touch(t, i, a, now);
		return record_slow(t, a, p, now);
	}
	if (k == TD_HOTNESS_ORDER_UNKNOWN) {
		if (t->order_fn || (t->order_mask & ~UINT32_C(1)))
			return record_slow(t, a, p, now);
		k = 0;
	} else if (t->order_mask & ~(UINT32_C(1) << k)) {
		return record_slow(t, a, p, now);
	}
	return insert_key(t, a, p, key, home, i, k, now, NULL);
}

static bool access_valid(const struct td_hotness_access *a)
{
	return key_args_valid(a->tgid, a->addr) && node_valid(a->node) && node_valid(a->cpu_node) &&
	       (a->order <= TD_HOTNESS_ORDER_MAX || a->order == TD_HOTNESS_ORDER_UNKNOWN);
}

/* The key of @a's order in process @p (order 0 when unknown). */
static inline uint64_t access_key(uint32_t p, const struct td_hotness_access *a)
{
	return make_key(p, a->order == TD_HOTNESS_ORDER_UNKNOWN ? a->addr : order_base(a->addr, a->order));
}

static int record_one(struct td_hotness *t, const struct td_hotness_access *a, uint32_t now)
{
	uint32_t p, home;
	uint64_t key;
	int r;

	if (!access_valid(a))
		return -EINVAL;
	p = t->proc_cache[a->tgid % PROC_CACHE];
	if (t->procs[p].tgid != a->tgid ||
	    (a->start_time && a->start_time != t->procs[p].start_time)) {
		r = proc_resolve(t, a->tgid, a->start_time, &p);
		if (r < 0)
			return r;
	}
	key = access_key(p, a);
	home = home_of(t, key);
	/* Start the value load now; it overlaps the probe of the keys. */
	__builtin_prefetch(&t->vals[home], 1);
	return record_key(t, a, p, key, home, now);
}

int td_hotness_record(struct td_hotness *t, const struct td_hotness_access *a, uint64_t now_ns)
{
	return record_one(t, a, now_tick(t, now_ns));
}

/* How far td_hotness_record_batch() looks ahead; 8..32 measure alike. */
#define PREFETCH_AHEAD 16

struct ahead {
	uint64_t key;
	uint32_t home;
	uint32_t p;		/* 0: resolve again when recording */
};

/* Resolve @a to a key of an already known process and prefetch its home slot. */
static inline void look_ahead(const struct td_hotness *t, const struct td_hotness_access *a,
			      struct ahead *ret)
{
	uint32_t p, h;

	ret->p = 0;
	if (!access_valid(a))
		return;
	p = proc_find(t, a->tgid);
	if (!p)
		return;
	ret->p = p;
	ret->key = access_key(p, a);
	ret->home = h = home_of(t, ret->key);
	__builtin_prefetch(&t->keys[h], 1);
	__builtin_prefetch(&t->vals[h], 1);
	/* a 20-byte value may end on the next line */
	__builtin_prefetch((const char *)&t->vals[h] + sizeof(struct val) - 1, 1);
	/* The next lines too: a probe for a new key and its eviction window run on. */
	__builtin_prefetch(&t->keys[h + 8 < t->nslots ? h + 8 : h], 1);
	__builtin_prefetch(&t->vals[h + 4 < t->nslots ? h + 4 : h], 1);
}

int td_hotness_record_batch(struct td_hotness *t, const struct td_hotness_access *a, size_t n,
			    uint64_t now_ns)
{
	struct ahead ring[PREFETCH_AHEAD];
	uint32_t now = now_tick(t, now_ns);
	size_t i, rejected = 0;
	int r;

	for (i = 0; i < n && i < PREFETCH_AHEAD; i++)
		look_ahead(t, &a[i], &ring[i]);
	for (i = 0; i < n; i++) {
		struct ahead *ah = &ring[i % PREFETCH_AHEAD];
		const struct proc *pr = &t->procs[ah->p];

		/* Records in between may have killed or replaced the process. */
		if (ah->p && pr->tgid == a[i].tgid &&
		    (!a[i].start_time || a[i].start_time == pr->start_time))
			r = record_key(t, &a[i], ah->p, ah->key, ah->home, now);
		else
			r = record_one(t, &a[i], now);
		rejected += r < 0;
		if (i + PREFETCH_AHEAD < n)
			look_ahead(t, &a[i + PREFETCH_AHEAD], ah);
	}
	return rejected > INT_MAX ? INT_MAX : (int)rejected;
}

int td_hotness_process_seen(struct td_hotness *t, uint32_t tgid, uint64_t start_time)
{
	uint32_t p;

	if (!key_args_valid(tgid, 0) || !start_time)
		return -EINVAL;
	return proc_resolve(t, tgid, start_time, &p);
}

int td_hotness_forget_process(struct td_hotness *t, uint32_t tgid)
{
	uint32_t p;

	if (!key_args_valid(tgid, 0))
		return -EINVAL;
	p = proc_find(t, tgid);
	if (!p)
		return -ENOENT;
	proc_kill(t, p);
	return 0;
}

int td_hotness_process_start(const struct td_hotness *t, uint32_t tgid, uint64_t *ret)
{
	uint32_t p;

	if (!key_args_valid(tgid, 0))
		return -EINVAL;
	p = proc_find(t, tgid);
	if (!p)
		return -ENOENT;
	*ret = t->procs[p].start_time;
	return 0;
}

int td_hotness_sweep(struct td_hotness *t, uint64_t now_ns, uint32_t max_slots)
{
	uint32_t now = now_tick(t, now_ns), i = t->sweep_cursor, k;
	int dropped = 0;

	if (max_slots > t->nslots)
		max_slots = t->nslots;
	for (k = 0; k < max_slots; k++, i = next_slot(t, i)) {
		struct val *s = &t->vals[i];

		/* The backward shift may pull another stale entry into slot i. */
		while (t->keys[i] && key_stale(t, t->keys[i])) {
			slot_drop(t, i);
			dropped++;
		}
		if (!t->keys[i])
			continue;
		if (tick_diff(now, s->last) > AGE_CLAMP) {
			s->last = now - AGE_CLAMP;
			s->freq = 0;
		}
		if (val_dir(s) && tick_diff(now, s->moved) > AGE_CLAMP)
			s->moved = now - AGE_CLAMP;
	}
	t->sweep_cursor = i;
	return dropped;
}

int td_hotness_get(const struct td_hotness *t, uint32_t tgid, uint64_t addr, uint64_t now_ns,
		   struct td_hotness_info *ret_info)
{
	uint32_t i;

	if (!key_args_valid(tgid, addr))
		return -EINVAL;
	i = slot_find(t, tgid, addr);
	if (i == UINT32_MAX)
		return -ENOENT;
	slot_decode(t, i, now_ns, ret_info);
	return 0;
}

int td_hotness_remove(struct td_hotness *t, uint32_t tgid, uint64_t addr)
{
	uint32_t i;

	if (!key_args_valid(tgid, addr))
		return -EINVAL;
	i = slot_find(t, tgid, addr);
	if (i == UINT32_MAX)
		return -ENOENT;
	slot_drop(t, i);
	return 0;
}

/* The live entry covering (tgid, addr) into *ret: 0, -EINVAL, -ENOENT. */
static int live_val(struct td_hotness *t, uint32_t tgid, uint64_t addr, struct val **ret)
{
	uint32_t i;

	if (!key_args_valid(tgid, addr))
		return -EINVAL;
	i = slot_find(t, tgid, addr);
	if (i == UINT32_MAX)
		return -ENOENT;
	*ret = &t->vals[i];
	return 0;
}

int td_hotness_set_node(struct td_hotness *t, uint32_t tgid, uint64_t addr, int node)
{
	struct val *s;
	int r = node_valid(node) ? live_val(t, tgid, addr, &s) : -EINVAL;

	if (!r)
		val_set_node(s, node);
	return r;
}

int td_hotness_note_node(struct td_hotness *t, uint32_t tgid, uint64_t addr, int node,
			 uint64_t event_ns)
{
	struct val *s;
	int r = node_valid(node) ? live_val(t, tgid, addr, &s) : -EINVAL;

	if (!r && (val_dir(s) == TD_HOTNESS_DIR_NONE ||
		   tick_diff(now_tick(t, event_ns), s->moved) > 0))
		val_set_node(s, node);
	return r;
}

static bool dir_valid(enum td_hotness_dir dir)
{
	return dir == TD_HOTNESS_DIR_PROMOTE || dir == TD_HOTNESS_DIR_DEMOTE ||
	       dir == TD_HOTNESS_DIR_SHARED;
}

int td_hotness_note_move(struct td_hotness *t, uint32_t tgid, uint64_t addr,
			 enum td_hotness_dir dir, int node, uint64_t now_ns)
{
	struct val *s;
	int r = node_valid(node) && dir_valid(dir) ? live_val(t, tgid, addr, &s) : -EINVAL;

	if (r)
		return r;
	s->moved = now_tick(t, now_ns);
	s->bits = pack_bits(0, (unsigned int)dir, 0, val_order(s));
	val_set_node(s, node);
	return 0;
}

int td_hotness_note_move_failed(struct td_hotness *t, uint32_t tgid, uint64_t addr,
				enum td_hotness_dir dir, uint64_t now_ns)
{
	unsigned int retries;
	struct val *s;
	int r = dir_valid(dir) ? live_val(t, tgid, addr, &s) : -EINVAL;

	if (r)
		return r;
	retries = val_retries(s);
	if (retries < TD_HOTNESS_RETRIES_MAX)
		retries++;
	s->moved = now_tick(t, now_ns);
	s->bits = pack_bits(val_node(s), (unsigned int)dir, retries, val_order(s));
	return (int)retries;
}

/* Min-heap on hotness over the caller's array: the root is the coldest kept. */
static void heap_down(struct td_hotness_info *h, size_t n, size_t i)
{
	struct td_hotness_info tmp;
	size_t c;

	for (; (c = 2 * i + 1) < n; i = c) {
		if (c + 1 < n && h[c + 1].hotness < h[c].hotness)
			c++;
		if (h[i].hotness <= h[c].hotness)
			return;
		tmp = h[i];
		h[i] = h[c];
		h[c] = tmp;
	}
}

static void heap_up(struct td_hotness_info *h, size_t i)
{
	struct td_hotness_info tmp;
	size_t parent;

	for (; i && h[parent = (i - 1) / 2].hotness > h[i].hotness; i = parent) {
		tmp = h[i];
		h[i] = h[parent];
		h[parent] = tmp;
	}
}

int td_hotness_hottest(const struct td_hotness *t, uint64_t now_ns, uint32_t threshold,
		       td_hotness_filter_t filter, void *userdata,
		       size_t max, struct td_hotness_info *ret)
{
	uint32_t now = now_tick(t, now_ns), i, h;
	struct td_hotness_info info, tmp;
	size_t n = 0, k;

	if (!ret && max)
		return -EINVAL;
	if (max > INT_MAX)
		max = INT_MAX;
	if (!max)
		return 0;
	for (i = 0; i < t->nslots; i++) {
		if (!t->keys[i] || key_stale(t, t->keys[i]))
			continue;
		h = val_hotness(t, &t->vals[i], now);
		if (h < threshold || (n == max && h <= ret[0].hotness))
			continue;
		slot_decode(t, i, now_ns, &info);
		if (filter && !filter(&info, userdata))
			continue;
		if (n < max) {
			ret[n] = info;
			heap_up(ret, n++);
		} else {
			ret[0] = info;
			heap_down(ret, n, 0);
		}
	}
	/* Heap sort: moving each minimum to the end leaves the array hottest first. */
	for (k = n; k > 1; k--) {
		tmp = ret[0];
		ret[0] = ret[k - 1];
		ret[k - 1] = tmp;
		heap_down(ret, k - 1, 0);
	}
	return (int)n;
}

int td_hotness_foreach(const struct td_hotness *t, uint64_t now_ns, td_hotness_foreach_t cb,
		       void *userdata)
{
	struct td_hotness_info info;
	uint32_t i;
	int r;

	if (!cb)
		return -EINVAL;
	for (i = 0; i < t->nslots; i++) {
		if (!t->keys[i] || key_stale(t, t->keys[i]))
			continue;
		slot_decode(t, i, now_ns, &info);
		r = cb(&info, userdata);
		if (r)
			return r;
	}
	return 0;
}

int td_hotness_foreach_process(struct td_hotness *t, td_hotness_process_t cb, void *userdata)
{
	if (!cb)
		return -EINVAL;
	for (uint32_t p = 1; p < t->procs_unused; p++) {
		uint32_t tgid = t->procs[p].tgid;
		int r;

		/* free slots have tgid 0; forgotten ones carry PROC_DEAD */
		if (!tgid || (tgid & PROC_DEAD))
			continue;
		r = cb(tgid, t->procs[p].nentries, userdata);
		if (r)
			return r;
	}
	return 0;
}

void td_hotness_get_stats(const struct td_hotness *t, struct td_hotness_stats *ret)
{
	*ret = (struct td_hotness_stats){
		.capacity = t->capacity,
		.live = t->used - t->stale,
		.stale = t->stale,
		.inserts = t->inserts,
		.updates = t->updates,
		.evictions = t->evictions,
		.stale_dropped = t->stale_dropped,
		.processes = t->nprocs,
		.pid_reuses = t->pid_reuses,
		.memcgs = t->nmemcgs,
		.memcg_overflows = t->memcg_overflows,
		.splits = t->splits,
		.collapses = t->collapses,
	};
	for (unsigned int o = 0; o < NORDERS; o++) {
		ret->live_by_order[o] = t->occupied[o] - t->stale_by[o];
		ret->live_bytes += ret->live_by_order[o] << (TD_HOTNESS_PAGE_SHIFT + o);
	}
}

size_t td_hotness_bytes(const struct td_hotness *t)
{
	return t->bytes;
}
