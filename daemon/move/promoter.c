// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops/log.h"
#include "move/promoter.h"
#include "ratelimit.h"

struct td_promoter {
	struct td_promoter_config c;
	const struct td_move_ops *ops;
	struct td_hotness *h;
	struct td_hotness_info *infos;
	struct td_candidate *cands;
	uint64_t now_ns;
	struct td_ratelimit rate;
	uint32_t full_ticks;	/* ticks to wait after the kernel said -ENOMEM */
	struct td_promoter_counters cnt;
	/* this tick's policy groups */
	struct td_policy_group *pg;
	size_t ng;
	uint32_t min_threshold;
	struct td_policy_cand *pcands;
	uint8_t *take;
	uint64_t *tried;	/* per group, this tick */
};

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* True when pid no longer exists or is exiting (zombie, dead). */
static bool process_gone(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	bool gone = true;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT;
	/* "pid (comm) S ...": the state follows the last ')' */
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] == ' ')
		gone = p[2] == 'Z' || p[2] == 'X';
	fclose(f);
	return gone;
}

static long sys_move_pages(void *ctx, pid_t pid, unsigned long count, void **pages,
			   const int *nodes, int *status, int flags)
{
	long r = move_pages(pid, count, pages, nodes, status, flags);

	if (r >= 0)
		return r;
	r = -errno;
	/* a process killed mid-batch has no mm while it exits: EINVAL, not ESRCH */
	if (r == -EINVAL && process_gone(pid))
		r = -ESRCH;
	return r;
}

static const struct td_move_ops syscall_ops = { .move_pages = sys_move_pages };

const struct td_move_ops *td_move_ops_syscall(void)
{
	return &syscall_ops;
}

int td_promoter_new(const struct td_promoter_config *c, const struct td_move_ops *ops,
		    struct td_hotness *h, struct td_promoter **ret)
{
	struct td_promoter *p;

	if (!c->batch_pages || !c->max_candidates)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->c = *c;
	p->ops = ops;
	td_ratelimit_init(&p->rate, c->rate_limit_mbps);
	p->h = h;
	p->infos = calloc(c->max_candidates, sizeof(*p->infos));
	p->cands = calloc(c->max_candidates, sizeof(*p->cands));
	p->pcands = calloc(c->max_candidates, sizeof(*p->pcands));
	p->take = calloc(c->max_candidates, sizeof(*p->take));
	if (!p->infos || !p->cands || !p->pcands || !p->take) {
		td_promoter_free(p);
		return -ENOMEM;
	}
	*ret = p;
	return 0;
}

void td_promoter_reconfigure(struct td_promoter *p, const struct td_promoter_config *c)
{
	p->c.batch_pages = c->batch_pages;
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
	free(p);
}

const struct td_promoter_counters *td_promoter_counters(const struct td_promoter *p)
{
	return &p->cnt;
}

/* Candidates: on a slow node, and not inside their retry backoff. */
static bool candidate_filter(const struct td_hotness_info *i, void *userdata)
{
	struct td_promoter *p = userdata;
	uint64_t backoff;
	int g;

	if (i->node < 0 || i->node >= 64 || !(p->c.slow_mask & (1ULL << i->node)))
		return false;
	g = p->c.group_of ? p->c.group_of(p->c.hook_ctx, i->memcg_id) : -1;
	if (g < 0 || (size_t)g >= p->ng || p->pg[g].mode != TD_MODE_PROMOTE || p->pg[g].paused ||
	    i->hotness < p->pg[g].hot_threshold)
		return false;
	if (p->c.recently_demoted && i->hotness < 2 * p->pg[g].hot_threshold &&
	    p->c.recently_demoted(p->c.hook_ctx, i->memcg_id, p->now_ns)) {
		p->cnt.pingpong_held++;
		return false;
	}
	if (i->move_retries) {
		/* exponential: base << retries, capped at 2^10 bases */
		backoff = p->c.retry_backoff_ns << (i->move_retries < 10 ? i->move_retries : 10);
		if (p->now_ns < i->last_move_ns + backoff)
			return false;
	}
	return true;
}

/* The fast node nearest to src (by SLIT distance) with room; -1 if none. */
static int pick_target(const struct td_promoter *p, int src, const int64_t *room)
{
	int best = -1, bestd = 0;

	for (int n = 0; n < 64; n++) {
		int d;

		if (!(p->c.fast_mask & (1ULL << n)) || room[n] <= 0)
			continue;
		d = numa_distance(src, n);
		if (best < 0 || (d > 0 && d < bestd)) {
			best = n;
			bestd = d;
		}
	}
	return best;
}

static void on_page(const struct td_candidate *c, enum td_move_outcome o, int status, void *ud)
{
	struct td_promoter *p = ud;
	int g = p->c.group_of ? p->c.group_of(p->c.hook_ctx, c->memcg_id) : -1;

	if (o != TD_MOVE_SKIPPED && g >= 0 && (size_t)g < p->ng) {
		p->tried[g]++;
		if (p->c.page_done)
			p->c.page_done(p->c.hook_ctx, g, o, status);
	}

	switch (o) {
	case TD_MOVE_DONE:
		/*
		 * Stamped with the time the batch finished, not the tick's start:
		 * events raised while the batch ran predate the move and must not
		 * undo its node (td_hotness_record keeps it for older events).
		 */
		td_hotness_note_move(p->h, c->tgid, c->addr, TD_HOTNESS_DIR_PROMOTE, c->dst_nid,
				     monotonic_ns());
		break;
	case TD_MOVE_DROP:
		td_hotness_remove(p->h, c->tgid, c->addr);
		break;
	case TD_MOVE_GONE:
		td_hotness_forget_process(p->h, c->tgid);
		break;
	case TD_MOVE_SKIPPED:
		break;
	default:
		/* the page may sit elsewhere now (status >= 0): remember where */
		if (status >= 0)
			td_hotness_set_node(p->h, c->tgid, c->addr, status);
		td_hotness_note_move_failed(p->h, c->tgid, c->addr, TD_HOTNESS_DIR_PROMOTE, p->now_ns);
		break;
	}
}

static void on_batch(const struct td_batch_result *b, void *ud)
{
	struct td_promoter *p = ud;

	p->cnt.batches++;
	if (b->moved && p->c.promoted)
		p->c.promoted(p->c.hook_ctx, b->memcg_id, b->moved, p->now_ns);
	if (p->c.batch_done)
		p->c.batch_done(p->c.hook_ctx, b);
}

/*
 * The kernel's own reserve per node, in pages: the sum over the node's zones
 * of the larger of the high and promo watermarks (/proc/zoneinfo). Migration
 * into a node below its watermarks fails with -ENOMEM even while
 * numa_node_size64() still reports free memory.
 */
static void kernel_reserves(uint64_t ret[64])
{
	unsigned long long high = 0;
	char line[256];
	int node = -1;
	FILE *f;

	memset(ret, 0, 64 * sizeof(*ret));
	f = fopen("/proc/zoneinfo", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;
		int n;

		if (sscanf(line, "Node %d, zone", &n) == 1) {
			node = n >= 0 && n < 64 ? n : -1;
			continue;
		}
		if (node < 0)
			continue;
		/* "high" comes first; a later "promo" (6.1+) replaces it if larger */
		if (sscanf(line, " high %llu", &v) == 1) {
			ret[node] += v;
			high = v;
		} else if (sscanf(line, " promo %llu", &v) == 1 && v > high) {
			ret[node] += v - high;
		}
	}
	fclose(f);
}

/* Pages the fast nodes can take above the kernel's reserve and our
 * watermark, per node. */
static uint64_t fast_room(const struct td_promoter *p, int64_t room[64])
{
	uint64_t total = 0, reserve[64];
	long pagesz = numa_pagesize();

	kernel_reserves(reserve);
	for (int n = 0; n < 64; n++) {
		long long free_b = 0, keep;

		room[n] = 0;
		if (!(p->c.fast_mask & (1ULL << n)))
			continue;
		if (numa_node_size64(n, &free_b) < 0)
			continue;
		keep = (long long)p->c.watermark_bytes + (long long)reserve[n] * pagesz;
		if (free_b > keep)
			room[n] = (free_b - keep) / pagesz;
		total += room[n];
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
	void *pages[512];
	int status[512];
	int r, i = 0;

	r = td_hotness_hottest(p->h, now_ns, p->min_threshold, unknown_node_filter, p,
			       p->c.max_candidates, p->infos);
	if (r > 0)
		qsort(p->infos, r, sizeof(*p->infos), cmp_tgid);
	while (i < r) {
		uint32_t tgid = p->infos[i].tgid;
		int n = 0, first = i;
		long q;

		while (i < r && p->infos[i].tgid == tgid && n < 512)
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

/* The lowest threshold of the groups that may promote; UINT32_MAX if none. */
static uint32_t min_threshold(const struct td_policy_group *pg, size_t ng)
{
	uint32_t m = UINT32_MAX;

	for (size_t i = 0; i < ng; i++)
		if (pg[i].mode == TD_MODE_PROMOTE && !pg[i].paused && pg[i].hot_threshold < m)
			m = pg[i].hot_threshold;
	return m;
}

static int begin_tick(struct td_promoter *p, uint64_t now_ns, uint64_t tick_ns,
		      struct td_policy_group *pg, size_t ng)
{
	if (ng > p->ng || !p->tried) {
		uint64_t *t = realloc(p->tried, (ng ? ng : 1) * sizeof(*t));

		if (!t)
			return -ENOMEM;
		p->tried = t;
	}
	memset(p->tried, 0, (ng ? ng : 1) * sizeof(*p->tried));
	p->pg = pg;
	p->ng = ng;
	p->now_ns = now_ns;
	p->cnt.waiting = p->cnt.pingpong_held = 0;
	p->min_threshold = min_threshold(pg, ng);
	td_policy_refill(pg, ng, tick_ns, 4096);
	return 0;
}

/* Policy: which of the r hottest candidates go, within limit pages. */
static int select_candidates(struct td_promoter *p, int r, uint64_t limit,
			     struct td_policy_result *res)
{
	for (int i = 0; i < r; i++)
		p->pcands[i] = (struct td_policy_cand){
			.group = p->c.group_of(p->c.hook_ctx, p->infos[i].memcg_id),
			.hotness = p->infos[i].hotness,
		};
	r = td_policy_select(p->pg, p->ng, p->pcands, r, limit, p->take, res);
	for (size_t g = 0; g < p->ng; g++) {
		p->cnt.held_rate += p->pg[g].held_rate;
		p->cnt.held_cap += p->pg[g].held_cap;
	}
	return r;
}

int td_promoter_tick(struct td_promoter *p, uint64_t now_ns, uint64_t tick_ns,
		     struct td_policy_group *pg, size_t ng)
{
	struct td_promote_params pp = {
		.ops = p->ops, .batch_pages = p->c.batch_pages, .flags = MPOL_MF_MOVE,
		.on_page = on_page, .on_batch = on_batch, .userdata = p,
	};
	struct td_promote_totals t;
	struct td_policy_result res;
	int64_t room[64];
	uint64_t budget, total_room, wanted;
	size_t n = 0;
	int r, nc;

	r = begin_tick(p, now_ns, tick_ns, pg, ng);
	if (r)
		return r;
	if (p->min_threshold == UINT32_MAX)
		return 0;
	if (p->c.resolve_nodes)
		resolve_unknown_nodes(p, now_ns);
	budget = td_ratelimit_refill(&p->rate, tick_ns);
	budget = budget == UINT64_MAX ? UINT64_MAX : budget / 4096;
	r = td_hotness_hottest(p->h, now_ns, p->min_threshold, candidate_filter, p,
			       p->c.max_candidates, p->infos);
	if (r <= 0)
		return r;
	total_room = fast_room(p, room);
	if (p->full_ticks) {
		/* the kernel found a target full lately: let reclaim catch up */
		p->full_ticks--;
		total_room = 0;
		memset(room, 0, sizeof(room));
	}
	if (total_room == 0)
		p->cnt.ticks_no_room++;
	nc = r;
	r = select_candidates(p, nc, budget < total_room ? budget : total_room, &res);
	if (r < 0)
		return r;
	for (int i = 0; i < nc; i++) {
		int dst;

		if (!p->take[i])
			continue;
		dst = pick_target(p, p->infos[i].node, room);
		if (dst < 0)
			break;
		room[dst]--;
		p->cands[n++] = (struct td_candidate){
			.memcg_id = p->infos[i].memcg_id, .addr = p->infos[i].addr,
			.tgid = p->infos[i].tgid, .src_nid = p->infos[i].node, .dst_nid = dst,
		};
	}
	/* hot pages the room (not a rate) kept out: these wait for the demoter */
	wanted = res.demand < budget ? res.demand : budget;
	p->cnt.waiting = wanted > n ? wanted - n : 0;
	if (p->c.dry_run) {
		p->cnt.dry_run_pages += n;
		td_debug("dry-run: would promote %zu pages", n);
		return 0;
	}
	pp.budget_pages = budget;
	r = td_promote(&pp, p->cands, n, &t);
	if (r)
		return r;
	td_ratelimit_spend(&p->rate, t.tried * 4096);
	for (size_t g = 0; g < ng; g++)
		td_policy_spend(&pg[g], p->tried[g], 4096);
	if (t.errors[TD_ERR_ENOMEM])
		p->full_ticks = 2;
	p->cnt.pages_promoted += t.moved;
	p->cnt.pages_failed += t.failed;
	p->cnt.pages_skipped += t.skipped;
	p->cnt.calls += t.calls;
	for (int i = 0; i < TD_ERR__MAX; i++)
		p->cnt.errors[i] += t.errors[i];
	return (int)t.moved;
}
