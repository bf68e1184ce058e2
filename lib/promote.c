// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "movepool.h"
#include "promote.h"
#include "tier_abi.h"
#include "units.h"

static const int slot_errno[TD_ERR__MAX] = {
	[TD_ERR_ENOENT] = ENOENT, [TD_ERR_EBUSY] = EBUSY, [TD_ERR_EFAULT] = EFAULT,
	[TD_ERR_EINVAL] = EINVAL, [TD_ERR_ENOMEM] = ENOMEM, [TD_ERR_EACCES] = EACCES,
	[TD_ERR_ESRCH] = ESRCH, [TD_ERR_EIO] = EIO, [TD_ERR_E2BIG] = E2BIG,
	[TD_ERR_EPERM] = EPERM, [TD_ERR_WRONG_NODE] = 0, [TD_ERR_OTHER] = -1,
};

const char *const td_errno_slot_names[TD_ERR__MAX] = {
	[TD_ERR_ENOENT] = "ENOENT", [TD_ERR_EBUSY] = "EBUSY", [TD_ERR_EFAULT] = "EFAULT",
	[TD_ERR_EINVAL] = "EINVAL", [TD_ERR_ENOMEM] = "ENOMEM", [TD_ERR_EACCES] = "EACCES",
	[TD_ERR_ESRCH] = "ESRCH", [TD_ERR_EIO] = "EIO", [TD_ERR_E2BIG] = "E2BIG",
	[TD_ERR_EPERM] = "EPERM", [TD_ERR_WRONG_NODE] = "wrong_node", [TD_ERR_OTHER] = "other",
};

int td_errno_slot(int err)
{
	for (int i = 0; i < TD_ERR_OTHER; i++)
		if (slot_errno[i] == err)
			return i;
	return TD_ERR_OTHER;
}

const char *td_errno_slot_name(int slot)
{
	if (slot < 0 || slot >= TD_ERR__MAX)
		return "invalid";
	return td_errno_slot_names[slot];
}

static int cmp_candidate(const void *a, const void *b)
{
	const struct td_candidate *x = a, *y = b;

	if (x->memcg_id != y->memcg_id)
		return x->memcg_id < y->memcg_id ? -1 : 1;
	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	if (x->dst_nid != y->dst_nid)
		return x->dst_nid < y->dst_nid ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return 0;
}

/* What status (one page's) means; whole: the call itself failed. */
static enum td_move_outcome outcome_of(int status, int dst, bool whole)
{
	if (status == dst)
		return TD_MOVE_DONE;
	switch (-status) {
	case ENOENT:
	case EBUSY:
	case EAGAIN:
		return TD_MOVE_RETRY;
	case EFAULT:
	case EINVAL:
		return TD_MOVE_DROP;
	case ESRCH:
		return TD_MOVE_GONE;
	case ENOMEM:
		return TD_MOVE_FULL;
	case EACCES:
		return whole ? TD_MOVE_FAILED : TD_MOVE_SHARED;
	default:
		return TD_MOVE_FAILED;
	}
}

/* One call of a round: its candidates and the buffers move_pages fills. */
struct slot {
	struct td_candidate *batch;	/* [batch_pages] */
	size_t len;
	bool refused;		/* before_call said no: no call, -ESRCH */
	uint64_t call_ns;
	struct td_move_job job;
};

struct run_state {
	const struct td_promote_params *p;
	struct td_promote_totals *t;
	uint64_t full_nodes;	/* bit N: node N reported -ENOMEM this run */
	uint32_t gone_tgid;	/* process found gone (0: none) */
	uint64_t round_bytes;	/* planned by the round's earlier calls */
	struct td_candidate *batch;	/* the call being built (a slot's) */
	size_t used;		/* candidates the last batch_len() consumed */
	struct slot *slots;	/* [nslots]: the calls of one round */
	unsigned nslots;
};

static void report_page(struct run_state *st, const struct td_candidate *c,
			enum td_move_outcome o, int status)
{
	if (o == TD_MOVE_SKIPPED)
		st->t->skipped++;
	if (st->p->on_page)
		st->p->on_page(c, o, status, st->p->userdata);
}

/* The call for the slot's candidates (same memcg, tgid and target node). */
static void prepare_call(struct run_state *st, struct slot *s)
{
	const struct td_promote_params *p = st->p;
	const struct td_candidate *c = s->batch;

	for (size_t i = 0; i < s->len; i++) {
		s->job.pages[i] = (void *)(uintptr_t)c[i].addr;
		((int *)s->job.nodes)[i] = c[i].dst_nid;
		s->job.status[i] = -EINPROGRESS;
	}
	s->job.pid = (pid_t)c[0].tgid;
	s->job.count = s->len;
	s->job.flags = p->flags;
	s->job.ret = 0;
	s->refused = p->before_call && p->before_call(p->userdata, c[0].tgid) < 0;
	if (s->refused) {
		/* known now: the round's later batches hold the process's pages */
		s->job.ret = -ESRCH;
		st->gone_tgid = c[0].tgid;
	}
}

/* The outcome of one folio of a call, counted into the batch and totals. */
static void count_page(struct run_state *st, struct td_batch_result *b,
		       const struct td_candidate *c, int status, bool whole)
{
	enum td_move_outcome o = outcome_of(status, c->dst_nid, whole);
	uint64_t bytes = td_folio_bytes(c->order);
	int slot;

	st->t->tried_bytes += bytes;
	if (o == TD_MOVE_DONE) {
		b->moved++;
		b->moved_bytes += bytes;
	} else {
		b->failed++;
		b->failed_bytes += bytes;
		/* a non-negative status that is not the target: wrong node */
		slot = status >= 0 ? TD_ERR_WRONG_NODE : td_errno_slot(-status);
		b->errors[slot]++;
		st->t->errors[slot]++;
		if (o == TD_MOVE_SHARED)
			st->t->shared_bytes += bytes;
		if (o == TD_MOVE_FULL && c->dst_nid >= 0 && c->dst_nid < TD_MAX_NODES)
			st->full_nodes |= 1ULL << c->dst_nid;
	}
	report_page(st, c, o, status);
}

/* What a made (or refused) call's statuses say, in the caller's thread. */
static void finish_call(struct run_state *st, struct slot *s)
{
	const struct td_promote_params *p = st->p;
	const struct td_candidate *c = s->batch;
	struct td_batch_result b = {
		.memcg_id = c[0].memcg_id, .tgid = c[0].tgid,
		.src_nid = c[0].src_nid, .dst_nid = c[0].dst_nid, .pages = s->len,
		.call_ns = s->call_ns,
	};
	long r = s->job.ret;

	if (!s->refused)
		st->t->calls++;
	st->t->tried += s->len;
	if (r < 0) {
		/* the whole call failed: every page shares the call's errno */
		b.call_err = (int)r;
		for (size_t i = 0; i < s->len; i++)
			s->job.status[i] = (int)r;
		if (r == -ESRCH)
			st->gone_tgid = c[0].tgid;
	}
	for (size_t i = 0; i < s->len; i++)
		count_page(st, &b, &c[i], s->job.status[i], r < 0);
	st->t->moved += b.moved;
	st->t->failed += b.failed;
	st->t->moved_bytes += b.moved_bytes;
	st->t->failed_bytes += b.failed_bytes;
	if (p->on_batch)
		p->on_batch(&b, p->userdata);
}

static bool node_full(const struct run_state *st, int nid)
{
	return nid >= 0 && nid < TD_MAX_NODES && (st->full_nodes & (1ULL << nid));
}

static void free_run(struct run_state *st)
{
	for (unsigned k = 0; st->slots && k < st->nslots; k++) {
		free(st->slots[k].batch);
		free(st->slots[k].job.pages);
		free((int *)st->slots[k].job.nodes);
		free(st->slots[k].job.status);
	}
	free(st->slots);
}

static int alloc_run(struct run_state *st, unsigned nslots, size_t batch)
{
	st->slots = calloc(nslots, sizeof(*st->slots));
	if (!st->slots)
		return -ENOMEM;
	st->nslots = nslots;
	for (unsigned k = 0; k < nslots; k++) {
		struct slot *s = &st->slots[k];

		s->batch = calloc(batch, sizeof(*s->batch));
		s->job.pages = calloc(batch, sizeof(*s->job.pages));
		s->job.nodes = calloc(batch, sizeof(*s->job.nodes));
		s->job.status = calloc(batch, sizeof(*s->job.status));
		if (!s->batch || !s->job.pages || !s->job.nodes || !s->job.status)
			return -ENOMEM;
	}
	return 0;
}

/* c lies inside the folio of prev (same process): a second address of it. */
static bool same_folio(const struct td_candidate *prev, const struct td_candidate *c)
{
	return prev && prev->tgid == c->tgid && prev->memcg_id == c->memcg_id &&
	       c->addr >= prev->addr && c->addr - prev->addr < td_folio_bytes(prev->order);
}

/* Why c is not tried now (TD_MOVE__MAX: it is tried). */
static enum td_move_outcome hold_of(struct run_state *st, const struct td_candidate *c,
				    uint64_t planned, const struct td_candidate *prev)
{
	uint64_t tried = st->t->tried_bytes + st->round_bytes + planned;

	if (same_folio(prev, c)) {
		st->t->duplicates++;
		return TD_MOVE_SKIPPED;
	}
	if (node_full(st, c->dst_nid) || tried + td_folio_bytes(c->order) > st->p->budget_bytes)
		return TD_MOVE_SKIPPED;
	if (st->gone_tgid && st->gone_tgid == c->tgid)
		return TD_MOVE_GONE;
	return TD_MOVE__MAX;
}

/*
 * The next batch from c[0..n): one memcg, process and target node, at most
 * batch_pages folios and the budget's bytes, no folio twice. Copies it to
 * st->batch and returns its length; st->used is how many of c[] it
 * consumed (those held are reported here).
 */
static size_t batch_len(struct run_state *st, const struct td_candidate *c, size_t n)
{
	const struct td_candidate *prev = NULL;
	uint64_t planned = 0;
	size_t len = 0, i;

	for (i = 0; i < n && len < st->p->batch_pages; i++) {
		enum td_move_outcome o;

		if (len && (c[i].memcg_id != st->batch[0].memcg_id || c[i].tgid != st->batch[0].tgid ||
			    c[i].dst_nid != st->batch[0].dst_nid))
			break;
		o = hold_of(st, &c[i], planned, prev);
		prev = &c[i];
		if (o != TD_MOVE__MAX) {
			report_page(st, &c[i], o, o == TD_MOVE_GONE ? -ESRCH : 0);
			continue;
		}
		planned += td_folio_bytes(c[i].order);
		st->batch[len++] = c[i];
	}
	st->used = i;
	return len;
}

static uint64_t now(const struct td_promote_params *p)
{
	return p->now_ns ? p->now_ns(p->userdata) : 0;
}

/* The round's calls jobs[0..nj): on the pool, at once, the round's time
 * shared out among them; else one after the other, each timed. */
static void make_calls(struct run_state *st, struct td_move_job *jobs, uint64_t *ns, unsigned nj)
{
	const struct td_promote_params *p = st->p;
	uint64_t t0 = now(p), t1;

	if (p->pool && nj > 1) {
		td_movepool_run(p->pool, jobs, nj);
		t1 = now(p);
		for (unsigned j = 0; j < nj; j++)
			ns[j] = (t1 - t0) / nj + (j == 0 ? (t1 - t0) % nj : 0);
		return;
	}
	for (unsigned j = 0; j < nj; j++, t0 = t1) {
		jobs[j].ret = p->ops->move_pages(p->ops->ctx, jobs[j].pid, jobs[j].count, jobs[j].pages,
						 jobs[j].nodes, jobs[j].status, jobs[j].flags);
		t1 = now(p);
		ns[j] = t1 - t0;
	}
}

/* One round from c[0..n): up to nslots calls, made at once (the pool) or
 * one after the other; returns the candidates it consumed. */
static size_t run_round(struct run_state *st, const struct td_candidate *c, size_t n)
{
	struct td_move_job jobs[TD_MOVEPOOL_MAX];
	uint64_t ns[TD_MOVEPOOL_MAX];
	unsigned k = 0, nj = 0;
	size_t i = 0;

	st->round_bytes = 0;
	while (i < n && k < st->nslots) {
		struct slot *s = &st->slots[k];

		st->batch = s->batch;
		s->len = batch_len(st, c + i, n - i);
		i += st->used;
		if (!s->len)
			continue;
		for (size_t j = 0; j < s->len; j++)
			st->round_bytes += td_folio_bytes(s->batch[j].order);
		prepare_call(st, s);
		k++;
	}
	for (unsigned j = 0; j < k; j++)
		if (!st->slots[j].refused)
			jobs[nj++] = st->slots[j].job;
	make_calls(st, jobs, ns, nj);
	nj = 0;
	for (unsigned j = 0; j < k; j++) {
		struct slot *s = &st->slots[j];

		s->call_ns = 0;
		if (!s->refused) {
			s->job.ret = jobs[nj].ret;
			s->call_ns = ns[nj++];
		}
		finish_call(st, s);
	}
	st->round_bytes = 0;
	return i;
}

int td_promote(const struct td_promote_params *p, struct td_candidate *cands, size_t n,
	       struct td_promote_totals *ret)
{
	struct run_state st = { .p = p, .t = ret };
	unsigned nslots = p && p->pool ? td_movepool_workers(p->pool) : 1;
	size_t i = 0;

	if (!p || !p->ops || !p->ops->move_pages || p->batch_pages == 0 || !ret ||
	    (n && !cands))
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	if (n == 0)
		return 0;
	if (alloc_run(&st, nslots, p->batch_pages) < 0) {
		free_run(&st);
		return -ENOMEM;
	}
	qsort(cands, n, sizeof(*cands), cmp_candidate);
	while (i < n)
		i += run_round(&st, cands + i, n - i);
	free_run(&st);
	return 0;
}

/* d ranks before best (known distances before unknown ones). */
static bool nearer(int d, int best)
{
	if (d <= 0)
		return false;
	return best <= 0 || d < best;
}

int td_target_node(const int64_t room[TD_MAX_NODES], uint64_t allowed, int from, uint64_t bytes,
		   td_distance_fn dist, void *ctx, enum td_target_kind *ret_kind)
{
	bool known = from >= 0 && from < TD_MAX_NODES;
	int best = -1, bestd = 0;

	if (known && (allowed & (UINT64_C(1) << from)) && room[from] >= (int64_t)bytes) {
		if (ret_kind)
			*ret_kind = TD_TARGET_LOCAL;
		return from;
	}
	for (int n = 0; n < TD_MAX_NODES; n++) {
		int d;

		if (!(allowed & (UINT64_C(1) << n)) || room[n] < (int64_t)bytes)
			continue;
		d = known && dist ? dist(ctx, from, n) : 0;
		if (best < 0 || nearer(d, bestd)) {
			best = n;
			bestd = d;
		}
	}
	if (ret_kind)
		*ret_kind = best < 0 ? TD_TARGET_WAIT : TD_TARGET_NEAREST;
	return best;
}

const char *td_target_kind_name(int kind)
{
	static const char *const names[TD_TARGET__MAX] = {
		[TD_TARGET_LOCAL] = "local", [TD_TARGET_NEAREST] = "nearest",
		[TD_TARGET_WAIT] = "wait", [TD_TARGET_UNCLEAR] = "unclear",
	};

	return kind >= 0 && kind < TD_TARGET__MAX ? names[kind] : "none";
}
