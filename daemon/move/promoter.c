// SPDX-License-Identifier: GPL-2.0-only
/*
 * promoter.c - a tick: take the state (budgets, room), decide every hot page
 * with td_decide(), share the limits between the groups (td_policy_select),
 * pick each page's target node, move (lib/promote.c) and feed the outcome
 * back into the table. The machine is read through struct td_node_ops.
 */
#include <errno.h>
#include <inttypes.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "move/promoter.h"
#include "movepool.h"
#include "ops/log.h"
#include "ratelimit.h"

#define QUERY_BATCH 512		/* pages per node query of sampled pages */
#define GROUP_MEMO 64		/* memcgs whose group a tick remembers (a power of 2) */

/* One memcg's group as the group_of hook gave it, for one generation. */
struct group_memo {
	uint64_t memcg_id;
	int group;
	uint32_t gen;
};

/* What the last tick did with a page it looked at (for explain). */
struct record {
	uint64_t addr;
	uint32_t tgid;
	uint16_t reason;	/* enum td_reason */
	int8_t dst;		/* the target it was given, -1: none */
	uint8_t kind;		/* enum td_target_kind; TD_TARGET__MAX: none chosen */
};

struct td_promoter {
	struct td_promoter_config c;
	const struct td_move_ops *ops;
	const struct td_node_ops *nodes;
	struct td_hotness *h;
	struct td_hotness_info *infos;
	struct td_candidate *cands;
	struct td_ratelimit rate;
	uint32_t full_ticks;	/* ticks to wait after the kernel said -ENOMEM */
	struct td_promoter_counters cnt;
	/* this tick: its state, its groups, what became of its candidates */
	struct td_decide_env env;
	int64_t room[TD_MAX_NODES];	/* bytes */
	uint64_t short_of[TD_MAX_NODES];	/* bytes under the watermark, this tick */
	struct td_policy_group *pg;
	struct td_threshold_hist *hist;	/* per group, this tick's viable candidates */
	size_t ng;
	uint32_t min_threshold;
	struct td_policy_cand *pcands;
	size_t cap_groups;	/* entries of tried[] and hist[] */
	uint64_t *allowed;	/* per candidate: the fast nodes it may go to */
	uint64_t warned[64];	/* tgid hash: named for a placement that allows no fast node */
	bool plenty;		/* this tick: free fast memory above the kernel's cut-off */
	uint8_t *take;
	uint64_t *tried;	/* per group, this tick */
	struct record *rec;	/* the last tick's candidates, sorted by (tgid, addr) */
	size_t nrec;
	/* the group_of hook's answers, asked once per memcg and tick (the
	 * tick asks for every candidate at each stage and for every page
	 * moved; the groups are the tick's throughout) */
	struct group_memo gmemo[GROUP_MEMO];
	uint32_t gmemo_gen;	/* bumped by each tick and each explain */
	uint64_t batch_now;	/* the clock after the batch's call; 0: not read */
	struct td_movepool *pool;	/* MoveWorkers= > 1: calls made at once */
};

int td_promoter_new(const struct td_promoter_config *c, const struct td_move_ops *ops,
		    const struct td_node_ops *nodes, struct td_hotness *h,
		    struct td_promoter **ret)
{
	struct td_promoter *p;

	if (!c->batch_pages || !c->max_candidates || !ops || !nodes)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->c = *c;
	p->gmemo_gen = 1;
	p->ops = ops;
	p->nodes = nodes;
	td_ratelimit_init(&p->rate, c->rate_limit_mbps);
	p->h = h;
	p->env = (struct td_decide_env){
		.fast_mask = c->fast_mask, .slow_mask = c->slow_mask,
		.retry_backoff_ns = c->retry_backoff_ns, .budget_bytes = TD_POLICY_NO_LIMIT,
		.budget_full = TD_POLICY_NO_LIMIT,
	};
	p->infos = calloc(c->max_candidates, sizeof(*p->infos));
	p->cands = calloc(c->max_candidates, sizeof(*p->cands));
	p->pcands = calloc(c->max_candidates, sizeof(*p->pcands));
	p->take = calloc(c->max_candidates, sizeof(*p->take));
	p->rec = calloc(c->max_candidates, sizeof(*p->rec));
	p->allowed = calloc(c->max_candidates, sizeof(*p->allowed));
	if (!p->infos || !p->cands || !p->pcands || !p->take || !p->rec || !p->allowed) {
		td_promoter_free(p);
		return -ENOMEM;
	}
	*ret = p;
	return 0;
}

int td_promoter_start_workers(struct td_promoter *p)
{
	int r;

	if (p->c.move_workers < 2 || p->pool)
		return 0;
	r = td_movepool_new(p->c.move_workers, p->ops, &p->pool);
	if (r)
		return td_err(r, "starting %u move_pages(2) workers", p->c.move_workers);
	td_info("promoter: %u move_pages(2) calls at once (MoveWorkers=)", p->c.move_workers);
	return 0;
}

void td_promoter_reconfigure(struct td_promoter *p, const struct td_promoter_config *c)
{
	p->c.batch_pages = c->batch_pages;
	p->c.override_placement = c->override_placement;
	p->c.watermark_bytes = c->watermark_bytes;
	if (c->rate_limit_mbps != p->c.rate_limit_mbps) {
		p->c.rate_limit_mbps = c->rate_limit_mbps;
		td_ratelimit_init(&p->rate, c->rate_limit_mbps);
	}
}

void td_promoter_free(struct td_promoter *p)
{
	if (!p)
		return;
	free(p->infos);
	free(p->cands);
	free(p->pcands);
	free(p->take);
	free(p->tried);
	free(p->hist);
	free(p->rec);
	free(p->allowed);
	td_movepool_free(p->pool);
	free(p);
}

const struct td_promoter_counters *td_promoter_counters(const struct td_promoter *p)
{
	return &p->cnt;
}

/* The group of memcg_id among ng (-1: none), through the memo. */
static int group_of(struct td_promoter *p, uint64_t memcg_id, size_t ng)
{
	struct group_memo *m = &p->gmemo[(memcg_id * UINT64_C(0x9e3779b97f4a7c15)) >>
					 (64 - __builtin_ctz(GROUP_MEMO))];
	int g;

	if (m->gen == p->gmemo_gen && m->memcg_id == memcg_id) {
		g = m->group;
	} else {
		g = p->c.group_of ? p->c.group_of(p->c.hook_ctx, memcg_id) : -1;
		*m = (struct group_memo){ .memcg_id = memcg_id, .group = g, .gen = p->gmemo_gen };
	}
	return g >= 0 && (size_t)g < ng ? g : -1;
}

/* A new generation of the memo: the hook is asked again. Generation 0 is
 * never current, so the zeroed memo starts empty. */
static void forget_groups(struct td_promoter *p)
{
	if (++p->gmemo_gen == 0)
		p->gmemo_gen = 1;
}

/* td_decide() for page i in the tick's state (env, the groups pg[0..ng)). */
static enum td_reason decide(struct td_promoter *p, const struct td_decide_env *env,
			     const struct td_hotness_info *i, const struct td_policy_group *pg,
			     size_t ng, struct td_decision *ret, int *ret_group)
{
	int g = group_of(p, i->memcg_id, ng);
	bool rd = g >= 0 && p->c.recently_demoted &&
		  p->c.recently_demoted(p->c.hook_ctx, i->memcg_id, env->now_ns);

	if (ret_group)
		*ret_group = g;
	return td_decide(env, i, g < 0 ? NULL : &pg[g], rd, ret);
}

/* Candidates: pages td_decide() lets through, or holds only by a limit of
 * the tick (the policy shares those). Every page looked at is counted. */
static bool candidate_filter(const struct td_hotness_info *i, void *userdata)
{
	struct td_promoter *p = userdata;
	struct td_decision d;
	enum td_reason r = decide(p, &p->env, i, p->pg, p->ng, &d, NULL);

	if (r == TD_REASON_PROMOTE || td_reason_is_limit(r))
		return true;
	p->cnt.decided[r]++;
	return false;
}

static void on_page(const struct td_candidate *c, enum td_move_outcome o, int status, void *ud)
{
	struct td_promoter *p = ud;
	int g = group_of(p, c->memcg_id, p->ng);

	if (o != TD_MOVE_SKIPPED && g >= 0) {
		/* a shared folio costs its group no budget (account()) */
		if (o != TD_MOVE_SHARED)
			p->tried[g] += td_folio_bytes(c->order);
		/* the cap counts what was just put on the fast node, until the
		 * next refresh of the group's usage */
		if (o == TD_MOVE_DONE)
			p->pg[g].fast_bytes += td_folio_bytes(c->order);
		if (p->c.page_done)
			p->c.page_done(p->c.hook_ctx, g, c, o, status);
	}

	switch (o) {
	case TD_MOVE_DONE:
		if (c->order < TD_FOLIO_ORDERS)
			p->cnt.folios_promoted[c->order]++;
		/*
		 * Stamped with the time the batch finished, not the tick's start:
		 * events raised while the batch ran predate the move and must not
		 * undo its node (td_hotness_record keeps it for older events).
		 * The clock read once per call, at its first page.
		 */
		if (!p->batch_now)
			p->batch_now = p->nodes->now_ns(p->nodes->ctx);
		td_hotness_note_move(p->h, c->tgid, c->addr, TD_HOTNESS_DIR_PROMOTE, c->dst_nid,
				     p->batch_now);
		break;
	case TD_MOVE_DROP:
		td_hotness_remove(p->h, c->tgid, c->addr);
		break;
	case TD_MOVE_GONE:
		td_hotness_forget_process(p->h, c->tgid);
		break;
	case TD_MOVE_SKIPPED:
		break;
	case TD_MOVE_SHARED:
		/* held TD_DECIDE_SHARED_HOLD_NS by td_decide() */
		p->cnt.shared_held++;
		td_hotness_note_move_failed(p->h, c->tgid, c->addr, TD_HOTNESS_DIR_SHARED,
					    p->env.now_ns);
		break;
	default:
		/* the page may sit elsewhere now (status >= 0): remember where */
		if (status >= 0)
			td_hotness_set_node(p->h, c->tgid, c->addr, status);
		td_hotness_note_move_failed(p->h, c->tgid, c->addr, TD_HOTNESS_DIR_PROMOTE,
					    p->env.now_ns);
		break;
	}
}

static void on_batch(const struct td_batch_result *b, void *ud)
{
	struct td_promoter *p = ud;

	p->batch_now = 0;
	p->cnt.move_ns += b->call_ns;
	p->cnt.batches++;
	if (b->moved && p->c.promoted)
		p->c.promoted(p->c.hook_ctx, b->memcg_id, b->moved_bytes, p->env.now_ns);
	if (p->c.batch_done)
		p->c.batch_done(p->c.hook_ctx, b);
}

/*
 * Bytes the fast nodes can take above the kernel's reserve and our
 * watermark, per node (p->room) and in all. *plenty: every fast node has
 * more free than the kernel's cut-off for promoting freely.
 */
static uint64_t fast_room(struct td_promoter *p, bool *plenty)
{
	uint64_t total = 0, free_b[TD_MAX_NODES];

	memset(p->room, 0, sizeof(p->room));
	memset(p->short_of, 0, sizeof(p->short_of));
	*plenty = false;
	if (p->nodes->free_bytes(p->nodes->ctx, p->c.fast_mask, free_b) < 0)
		return 0;
	*plenty = p->c.fast_mask != 0;
	for (int n = 0; n < TD_MAX_NODES; n++) {
		if (!td_node_in(p->c.fast_mask, n))
			continue;
		if (free_b[n] <= TD_PROMOTER_PLENTY_BYTES)
			*plenty = false;
		if (free_b[n] <= p->c.watermark_bytes) {
			p->short_of[n] = p->c.watermark_bytes - free_b[n];
			continue;
		}
		p->room[n] = (int64_t)(free_b[n] - p->c.watermark_bytes);
		total += p->room[n];
	}
	if (p->full_ticks) {
		/* the kernel found a target full lately: let reclaim catch up */
		p->full_ticks--;
		memset(p->room, 0, sizeof(p->room));
		total = 0;
		*plenty = false;
	}
	return total;
}

static int cmp_tgid(const void *a, const void *b)
{
	const struct td_hotness_info *x = a, *y = b;

	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

static bool unknown_node_filter(const struct td_hotness_info *i, void *userdata)
{
	return i->node < 0;
}

/*
 * Sampled events (perf_event) do not know the page's node. Ask the kernel
 * for the hottest such pages (move_pages with no target is a query), in
 * batches per process, so they can become candidates.
 */
static void resolve_unknown_nodes(struct td_promoter *p, uint64_t now_ns)
{
	void *pages[QUERY_BATCH];
	int status[QUERY_BATCH];
	int r, i = 0;

	r = td_hotness_hottest(p->h, now_ns, p->min_threshold, unknown_node_filter, p,
			       p->c.max_candidates, p->infos);
	if (r > 0)
		qsort(p->infos, r, sizeof(*p->infos), cmp_tgid);
	while (i < r) {
		uint32_t tgid = p->infos[i].tgid;
		int n = 0, first = i;
		long q;

		while (i < r && p->infos[i].tgid == tgid && n < QUERY_BATCH)
			pages[n++] = (void *)(uintptr_t)p->infos[i++].addr;
		q = p->ops->move_pages(p->ops->ctx, tgid, n, pages, NULL, status, 0);
		p->cnt.node_queries++;
		for (int j = 0; j < n; j++) {
			const struct td_hotness_info *e = &p->infos[first + j];

			if (q == -ESRCH)
				td_hotness_forget_process(p->h, e->tgid);
			else if (q < 0 || status[j] == -EFAULT || status[j] == -EINVAL)
				td_hotness_remove(p->h, e->tgid, e->addr);
			else if (status[j] >= 0)
				td_hotness_set_node(p->h, e->tgid, e->addr, status[j]);
		}
		if (q == -ESRCH)
			while (i < r && p->infos[i].tgid == tgid)
				i++;
	}
}

/* The lowest floor (HotThreshold) of the groups that may promote;
 * UINT32_MAX if none. Candidates are read down to it; the automatic
 * thresholds are set from what was read (set_thresholds). */
static uint32_t min_floor(struct td_policy_group *pg, size_t ng)
{
	uint32_t m = UINT32_MAX;

	for (size_t i = 0; i < ng; i++) {
		pg[i].threshold = pg[i].hot_threshold;
		if (pg[i].mode == TD_MODE_PROMOTE && !pg[i].paused && pg[i].hot_threshold < m)
			m = pg[i].hot_threshold;
	}
	return m;
}

/* Per-group arrays for ng groups. */
static int size_groups(struct td_promoter *p, size_t ng)
{
	size_t n = ng ? ng : 1;

	if (n > p->cap_groups) {
		uint64_t *t = realloc(p->tried, n * sizeof(*t));
		struct td_threshold_hist *h;

		if (!t)
			return -ENOMEM;
		p->tried = t;
		h = realloc(p->hist, n * sizeof(*h));
		if (!h)
			return -ENOMEM;
		p->hist = h;
		p->cap_groups = n;
	}
	memset(p->tried, 0, n * sizeof(*p->tried));
	for (size_t i = 0; i < n; i++)
		td_threshold_hist_reset(&p->hist[i]);
	return 0;
}

/* The tick's state: groups, budgets, room. */
static int begin_tick(struct td_promoter *p, uint64_t now_ns, uint64_t tick_ns, bool paused,
		      struct td_policy_group *pg, size_t ng)
{
	uint64_t budget;
	int r = size_groups(p, ng);

	if (r)
		return r;
	p->pg = pg;
	p->ng = ng;
	forget_groups(p);
	p->batch_now = 0;
	p->cnt.waiting_bytes = 0;
	memset(p->cnt.waiting_node_bytes, 0, sizeof(p->cnt.waiting_node_bytes));
	p->min_threshold = min_floor(pg, ng);
	td_policy_refill(pg, ng, tick_ns);
	budget = td_ratelimit_refill(&p->rate, tick_ns);
	p->env.now_ns = now_ns;
	p->env.paused = paused;
	p->env.fast_mask = p->c.fast_mask;
	p->env.slow_mask = p->c.slow_mask;
	p->env.retry_backoff_ns = p->c.retry_backoff_ns;
	p->env.budget_bytes = budget == UINT64_MAX ? TD_POLICY_NO_LIMIT : budget;
	p->env.budget_full = td_policy_bucket_bytes(&p->rate);
	p->env.room_bytes = paused ? 0 : fast_room(p, &p->plenty);
	p->nrec = 0;
	return 0;
}

/* What the fast tier can afford this tick: its room, plus what demotion
 * may take from colder pages (the demotable hook; unknown: no bound). */
static uint64_t afford_bytes(const struct td_promoter *p)
{
	uint64_t d;

	if (!p->c.demotable_bytes)
		return TD_POLICY_NO_LIMIT;
	d = p->c.demotable_bytes(p->c.hook_ctx);
	return d > TD_POLICY_NO_LIMIT - p->env.room_bytes ? TD_POLICY_NO_LIMIT
							  : d + p->env.room_bytes;
}

/* Each group's threshold in force, from the candidates read (their
 * histogram) and the fast tier's state; the lowest goes to the counters. */
static void set_thresholds(struct td_promoter *p)
{
	struct td_threshold_input in = {
		.plenty = p->plenty, .afford_bytes = afford_bytes(p),
		.now_ns = p->env.now_ns,
		/* the reference (the group's hottest) outlives its pages: once
		 * promoted they leave the candidates, and the kernel does not
		 * scan the fast tier, so they send no more evidence */
		.half_life_ns = p->c.half_life_ns * TD_PROMOTER_REF_HALF_LIVES,
		.warmup_ns = p->c.half_life_ns < TD_PROMOTER_WARMUP_NS ? p->c.half_life_ns
								  : TD_PROMOTER_WARMUP_NS,
	};
	uint32_t low = UINT32_MAX;

	for (size_t g = 0; g < p->ng; g++) {
		struct td_policy_group *pg = &p->pg[g];

		if (pg->mode != TD_MODE_PROMOTE)
			continue;
		in.floor = pg->hot_threshold ? pg->hot_threshold : 1;
		in.hist = &p->hist[g];
		pg->threshold = td_threshold_update(&pg->thr, &in);
		/* the gauge: the lowest of the groups that had candidates */
		if (p->hist[g].total_bytes && pg->threshold < low)
			low = pg->threshold;
	}
	p->cnt.hot_threshold = low == UINT32_MAX ? p->min_threshold : low;
}

static int cmp_record(const void *a, const void *b)
{
	const struct record *x = a, *y = b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void record(struct td_promoter *p, const struct td_hotness_info *i, enum td_reason r)
{
	p->rec[p->nrec++] = (struct record){
		.addr = i->addr, .tgid = i->tgid, .reason = (uint16_t)r, .dst = -1,
		.kind = TD_TARGET__MAX,
	};
	p->cnt.decided[r]++;
}

/* Where a folio's target is looked for from: the node of the CPUs that
 * access it (the entry's vote), else (no vote) the node it is on. */
static int target_from(const struct td_hotness_info *i)
{
	return i->cpu_node >= 0 ? i->cpu_node : i->node;
}

/* A folio no fast node has room for: counted as waiting, for the node it
 * wants (the demoter makes room there). */
static void count_wait(struct td_promoter *p, const struct td_hotness_info *i)
{
	int from = target_from(i);

	p->cnt.targets[TD_TARGET_WAIT]++;
	if (from >= 0 && from < TD_MAX_NODES)
		p->cnt.waiting_node_bytes[from] += td_folio_bytes(i->order);
}

static int distance(void *ctx, int a, int b)
{
	const struct td_node_ops *nodes = ctx;

	return nodes->distance ? nodes->distance(nodes->ctx, a, b) : 0;
}

/* Candidate i's target (td_target_node) in this tick's room, counted by
 * kind; a folio that waits is counted for the node it wants. */
static int choose_target(struct td_promoter *p, const struct td_hotness_info *i, uint64_t allowed,
			 enum td_target_kind *ret_kind)
{
	uint64_t bytes = td_folio_bytes(i->order);
	int from = target_from(i);
	int dst = td_target_node(p->room, allowed, from, bytes, distance, (void *)p->nodes, ret_kind);

	if (dst < 0)
		count_wait(p, i);
	else
		p->cnt.targets[*ret_kind]++;
	return dst;
}

/* Policy: which of the nc hottest candidates go, and why the others wait. */
static int select_candidates(struct td_promoter *p, int nc, struct td_policy_result *res)
{
	bool rate_binds = p->env.budget_bytes < p->env.room_bytes;
	uint64_t limit = rate_binds ? p->env.budget_bytes : p->env.room_bytes;
	int r;

	for (int i = 0; i < nc; i++)
		p->pcands[i] = (struct td_policy_cand){
			.group = group_of(p, p->infos[i].memcg_id, p->ng),
			.hotness = p->infos[i].hotness,
			.bytes = td_folio_bytes(p->infos[i].order),
		};
	r = td_policy_select(p->pg, p->ng, p->pcands, nc, limit,
			     rate_binds ? p->env.budget_full : TD_POLICY_NO_LIMIT, p->take, res);
	if (r < 0)
		return r;
	for (int i = 0; i < nc; i++) {
		int g = p->pcands[i].group;
		enum td_reason why;

		if (p->take[i])
			continue;
		why = g < 0 ? TD_REASON_NO_GROUP
			    : td_reason_held(&p->pg[g], &p->env, p->pcands[i].bytes);
		record(p, &p->infos[i], why);
		if (why == TD_REASON_ROOM)
			count_wait(p, &p->infos[i]);
	}
	return r;
}

/* The room a node with waiting folios must make first: what it is short of
 * its watermark (the demoter is asked for both); a few stray pages
 * (under TD_PROMOTER_SHORTFALL_MIN) do not free a watermark's worth. */
static void add_shortfalls(struct td_promoter *p)
{
	for (int n = 0; n < TD_MAX_NODES; n++)
		if (p->cnt.waiting_node_bytes[n] >= TD_PROMOTER_SHORTFALL_MIN)
			p->cnt.waiting_node_bytes[n] += p->short_of[n];
}

/* The taken candidates with their target nodes; a folio no node has room
 * for is held by the room. */
static size_t place_candidates(struct td_promoter *p, int nc, uint64_t *ret_bytes)
{
	size_t n = 0;

	*ret_bytes = 0;
	for (int i = 0; i < nc; i++) {
		const struct td_hotness_info *in = &p->infos[i];
		uint64_t bytes = td_folio_bytes(in->order);
		enum td_target_kind kind;
		int dst;

		if (!p->take[i])
			continue;
		dst = choose_target(p, in, p->allowed[i], &kind);
		if (dst < 0) {
			record(p, in, TD_REASON_ROOM);
			p->rec[p->nrec - 1].kind = (uint8_t)kind;
			continue;
		}
		p->room[dst] -= (int64_t)bytes;
		*ret_bytes += bytes;
		record(p, in, TD_REASON_PROMOTE);
		p->rec[p->nrec - 1].dst = (int8_t)dst;
		p->rec[p->nrec - 1].kind = (uint8_t)kind;
		p->cands[n++] = (struct td_candidate){
			.memcg_id = in->memcg_id, .addr = in->addr, .tgid = in->tgid,
			.src_nid = in->node, .dst_nid = dst, .order = in->order,
		};
	}
	return n;
}

static void account(struct td_promoter *p, const struct td_promote_totals *t)
{
	/* refused shared folios are not charged: they are held, not retried */
	td_ratelimit_spend(&p->rate, t->tried_bytes - t->shared_bytes);
	for (size_t g = 0; g < p->ng; g++)
		td_policy_spend(&p->pg[g], p->tried[g]);
	if (t->errors[TD_ERR_ENOMEM])
		p->full_ticks = 2;
	p->cnt.pages_promoted += td_bytes_to_pages(t->moved_bytes);
	p->cnt.bytes_promoted += t->moved_bytes;
	p->cnt.pages_failed += td_bytes_to_pages(t->failed_bytes);
	p->cnt.pages_skipped += t->skipped;
	p->cnt.duplicates += t->duplicates;
	p->cnt.calls += t->calls;
	for (int i = 0; i < TD_ERR__MAX; i++)
		p->cnt.errors[i] += t->errors[i];
}

/* Names a process whose pages no fast node is allowed for, once (a
 * tgid hash collision skips a warning, never repeats one). */
static void warn_not_allowed(struct td_promoter *p, const struct td_hotness_info *i, uint64_t m)
{
	uint32_t bit = i->tgid % (sizeof(p->warned) * 8);

	if (p->warned[bit / 64] & (UINT64_C(1) << (bit % 64)))
		return;
	p->warned[bit / 64] |= UINT64_C(1) << (bit % 64);
	td_warn("pid %u: its cpuset or memory policy allows no fast node (allowed nodes 0x%" PRIx64
		"); its pages stay where they are", i->tgid, m);
}

/* The fast nodes candidate i may go to (its cpuset and NUMA policy), into
 * *ret (0: none); a negative errno when they cannot be read now (a process
 * that is gone is forgotten). */
static int allowed_fast(struct td_promoter *p, const struct td_hotness_info *i, uint64_t *ret)
{
	uint64_t m = UINT64_MAX;
	int r;

	*ret = p->c.fast_mask;
	if (p->c.override_placement || !p->nodes->allowed_nodes)
		return 0;
	r = p->nodes->allowed_nodes(p->nodes->ctx, i->tgid, i->addr, p->env.now_ns, &m);
	/* not ours to read (no CAP_SYS_PTRACE for another user's process):
	 * move_pages(2) needs the same access and will refuse (EPERM, counted) */
	if (r == -EACCES || r == -EPERM)
		return 0;
	if (r == -ENOENT || r == -ESRCH)
		td_hotness_forget_process(p->h, i->tgid);
	else if (r < 0)
		p->cnt.placement_errors++;
	if (r < 0)
		return r;
	if (!(m & p->c.fast_mask))
		warn_not_allowed(p, i, m);
	*ret = m & p->c.fast_mask;
	return 0;
}

/* More than one fast node allowed, and the accessing node not clear yet
 * (no vote: the node it is on decides, as before). */
static bool vote_unclear(const struct td_hotness_info *i, uint64_t allowed)
{
	if (!(allowed & (allowed - 1)) || (i->cpu_node < 0 && !i->cpu_shared))
		return false;
	return i->cpu_votes < (i->cpu_shared ? TD_PROMOTER_SHARED_VOTES : TD_PROMOTER_TARGET_VOTES);
}

/* Drops the candidates no fast node is allowed for (recorded not_allowed)
 * and those used from several nodes whose majority is not clear yet
 * (recorded threshold, target shared), before the thresholds and the
 * shares, which they must neither set nor take budget from, and those
 * whose rules cannot be read now; keeps the others' allowed fast nodes.
 * Returns how many are left, in order. */
static int drop_not_allowed(struct td_promoter *p, int nc)
{
	int n = 0;

	for (int i = 0; i < nc; i++) {
		uint64_t m;

		if (allowed_fast(p, &p->infos[i], &m) < 0)
			continue;
		if (!m) {
			record(p, &p->infos[i], TD_REASON_NOT_ALLOWED);
			continue;
		}
		if (vote_unclear(&p->infos[i], m)) {
			/* evidence still to come, as under the threshold */
			record(p, &p->infos[i], TD_REASON_THRESHOLD);
			p->rec[p->nrec - 1].kind = TD_TARGET_UNCLEAR;
			p->cnt.targets[TD_TARGET_UNCLEAR]++;
			continue;
		}
		p->allowed[n] = m;
		p->infos[n++] = p->infos[i];
	}
	return n;
}

/* The automatic thresholds' evidence: the candidates left, by group. */
static void fill_histograms(struct td_promoter *p, int nc)
{
	for (int i = 0; i < nc; i++) {
		int g = group_of(p, p->infos[i].memcg_id, p->ng);

		if (g >= 0)
			td_threshold_hist_add(&p->hist[g], p->infos[i].hotness,
					      td_folio_bytes(p->infos[i].order));
	}
}

/* Drops the candidates below their group's threshold in force (the floor
 * let them through). Returns how many are left, in order. */
static int cut_at_thresholds(struct td_promoter *p, int nc)
{
	int n = 0;

	for (int i = 0; i < nc; i++) {
		int g = group_of(p, p->infos[i].memcg_id, p->ng);

		if (g >= 0 && p->infos[i].hotness < p->pg[g].threshold) {
			p->cnt.decided[TD_REASON_THRESHOLD]++;
			continue;
		}
		p->allowed[n] = p->allowed[i];
		p->infos[n++] = p->infos[i];
	}
	return n;
}

/* Reads the candidates of the tick: down to the lowest floor, then each
 * group's threshold in force. Returns how many, or a negative errno. */
static int read_candidates(struct td_promoter *p, uint64_t now_ns)
{
	int nc;

	if (p->c.resolve_nodes)
		resolve_unknown_nodes(p, now_ns);
	nc = td_hotness_hottest(p->h, now_ns, p->min_threshold, candidate_filter, p,
				p->c.max_candidates, p->infos);
	if (nc > 0)
		nc = drop_not_allowed(p, nc);
	if (nc > 0)
		fill_histograms(p, nc);
	set_thresholds(p);
	return nc > 0 ? cut_at_thresholds(p, nc) : nc;
}

/*
 * Only the process the table learnt the pages from is moved: the PID's
 * start time is checked right before each call (a PID reused since its
 * events is another process, maybe in a Mode=off cgroup). A mismatch moves
 * nothing: -ESRCH, so td_promote() reports the batch's pages gone and
 * on_page() forgets the process's entries. In this thread, also with
 * MoveWorkers= (the table is not for the workers).
 */
static uint64_t clock_now(void *ud)
{
	const struct td_promoter *p = ud;

	return p->nodes->now_ns(p->nodes->ctx);
}

static int still_same_process(void *ud, uint32_t tgid)
{
	struct td_promoter *p = ud;
	uint64_t start = 0;
	int r;

	if (!p->nodes->same_process || !tgid || td_hotness_process_start(p->h, tgid, &start) ||
	    !start)
		return 0;
	r = p->nodes->same_process(p->nodes->ctx, tgid, start);
	if (r == 0)
		p->cnt.moves_pid_reused++;
	return r == 0 || r == -ESRCH ? -ESRCH : 0;
}

int td_promoter_tick(struct td_promoter *p, uint64_t now_ns, uint64_t tick_ns, bool paused,
		     struct td_policy_group *pg, size_t ng)
{
	struct td_promote_params pp = {
		.ops = p->ops, .batch_pages = p->c.batch_pages, .flags = MPOL_MF_MOVE,
		.on_page = on_page, .on_batch = on_batch, .before_call = still_same_process,
		.now_ns = clock_now, .userdata = p, .pool = p->pool,
	};
	struct td_promote_totals t;
	struct td_policy_result res;
	uint64_t wanted, placed, t0;
	size_t n;
	int r, nc;

	r = begin_tick(p, now_ns, tick_ns, paused, pg, ng);
	if (r || paused || p->min_threshold == UINT32_MAX)
		return r;
	nc = read_candidates(p, now_ns);
	if (nc <= 0) {
		/* the tick's record (not_allowed) is looked up by explain */
		qsort(p->rec, p->nrec, sizeof(*p->rec), cmp_record);
		return nc;
	}
	if (p->env.room_bytes == 0)
		p->cnt.ticks_no_room++;
	r = select_candidates(p, nc, &res);
	if (r < 0)
		return r;
	n = place_candidates(p, nc, &placed);
	add_shortfalls(p);
	qsort(p->rec, p->nrec, sizeof(*p->rec), cmp_record);
	/* hot bytes the room (not a rate) kept out: these wait for the demoter */
	wanted = res.demand < p->env.budget_bytes ? res.demand : p->env.budget_bytes;
	p->cnt.waiting_bytes = wanted > placed ? wanted - placed : 0;
	if (p->c.dry_run) {
		p->cnt.dry_run_pages += td_bytes_to_pages(placed);
		td_debug("dry-run: would promote %zu folios (%" PRIu64 " bytes)", n, placed);
		return 0;
	}
	/* what the policy took, the one-folio exception included */
	pp.budget_bytes = placed;
	t0 = p->nodes->now_ns(p->nodes->ctx);
	r = td_promote(&pp, p->cands, n, &t);
	p->cnt.run_ns += p->nodes->now_ns(p->nodes->ctx) - t0;
	if (r)
		return r;
	account(p, &t);
	return (int)(td_bytes_to_pages(t.moved_bytes) > INT32_MAX ? INT32_MAX
								   : td_bytes_to_pages(t.moved_bytes));
}

enum td_reason td_promoter_explain(struct td_promoter *p, const struct td_hotness_info *i,
				   const struct td_policy_group *pg, size_t ng,
				   struct td_decision *ret, int *ret_group)
{
	struct td_decide_env env = p->env;
	struct record key = { .addr = i->addr, .tgid = i->tgid }, *rec;
	enum td_reason r;

	env.now_ns = p->nodes->now_ns(p->nodes->ctx);
	/* explain answers from the groups in force now, not the tick's */
	forget_groups(p);
	r = decide(p, &env, i, pg, ng, ret, ret_group);
	if (r != TD_REASON_PROMOTE && !td_reason_is_limit(r))
		return r;
	/* the tick looked at it: what the sharing and the room made of it */
	rec = bsearch(&key, p->rec, p->nrec, sizeof(*p->rec), cmp_record);
	if (rec)
		ret->reason = r = rec->reason;
	return r;
}

int td_promoter_target(struct td_promoter *p, const struct td_hotness_info *i,
		       enum td_target_kind *ret_kind)
{
	struct record key = { .addr = i->addr, .tgid = i->tgid }, *rec;
	uint64_t allowed;

	rec = bsearch(&key, p->rec, p->nrec, sizeof(*p->rec), cmp_record);
	if (rec && rec->dst >= 0) {
		*ret_kind = (enum td_target_kind)rec->kind;
		return rec->dst;
	}
	*ret_kind = TD_TARGET__MAX;
	if (!td_node_in(p->c.slow_mask, i->node) || allowed_fast(p, i, &allowed) < 0)
		return -1;
	if (vote_unclear(i, allowed)) {
		*ret_kind = TD_TARGET_UNCLEAR;
		return -1;
	}
	return td_target_node(p->room, allowed, target_from(i), td_folio_bytes(i->order), distance,
			      (void *)p->nodes, ret_kind);
}
