// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

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

struct run_state {
	const struct td_promote_params *p;
	struct td_promote_totals *t;
	uint64_t full_nodes;	/* bit N: node N reported -ENOMEM this run */
	uint32_t gone_tgid;	/* process found gone (0: none) */
	struct td_candidate *batch;	/* [batch_pages]: the call being built */
	size_t used;		/* candidates the last batch_len() consumed */
	void **pages;
	int *nodes;
	int *status;
};

static void report_page(struct run_state *st, const struct td_candidate *c,
			enum td_move_outcome o, int status)
{
	if (o == TD_MOVE_SKIPPED)
		st->t->skipped++;
	if (st->p->on_page)
		st->p->on_page(c, o, status, st->p->userdata);
}

/* One move_pages call for cands[0..n): same memcg, tgid and target node. */
static void move_batch(struct run_state *st, const struct td_candidate *c, size_t n)
{
	const struct td_promote_params *p = st->p;
	struct td_batch_result b = {
		.memcg_id = c[0].memcg_id, .tgid = c[0].tgid,
		.src_nid = c[0].src_nid, .dst_nid = c[0].dst_nid, .pages = n,
	};
	long r;

	for (size_t i = 0; i < n; i++) {
		st->pages[i] = (void *)(uintptr_t)c[i].addr;
		st->nodes[i] = c[i].dst_nid;
		st->status[i] = -EINPROGRESS;
	}
	r = p->ops->move_pages(p->ops->ctx, c[0].tgid, n, st->pages, st->nodes, st->status, p->flags);
	st->t->calls++;
	st->t->tried += n;
	if (r < 0) {
		/* the whole call failed: every page shares the call's errno */
		b.call_err = (int)r;
		for (size_t i = 0; i < n; i++)
			st->status[i] = (int)r;
		if (r == -ESRCH)
			st->gone_tgid = c[0].tgid;
	}
	for (size_t i = 0; i < n; i++) {
		enum td_move_outcome o = outcome_of(st->status[i], c[i].dst_nid, r < 0);
		uint64_t bytes = td_folio_bytes(c[i].order);
		int slot;

		st->t->tried_bytes += bytes;
		if (o == TD_MOVE_DONE) {
			b.moved++;
			b.moved_bytes += bytes;
		} else {
			b.failed++;
			b.failed_bytes += bytes;
			/* a non-negative status that is not the target: wrong node */
			slot = st->status[i] >= 0 ? TD_ERR_WRONG_NODE : td_errno_slot(-st->status[i]);
			b.errors[slot]++;
			st->t->errors[slot]++;
			if (o == TD_MOVE_SHARED)
				st->t->shared_bytes += bytes;
			if (o == TD_MOVE_FULL && c[i].dst_nid >= 0 && c[i].dst_nid < TD_MAX_NODES)
				st->full_nodes |= 1ULL << c[i].dst_nid;
		}
		report_page(st, &c[i], o, st->status[i]);
	}
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
	free(st->pages);
	free(st->nodes);
	free(st->status);
	free(st->batch);
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
	if (same_folio(prev, c)) {
		st->t->duplicates++;
		return TD_MOVE_SKIPPED;
	}
	if (node_full(st, c->dst_nid) ||
	    st->t->tried_bytes + planned + td_folio_bytes(c->order) > st->p->budget_bytes)
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

int td_promote(const struct td_promote_params *p, struct td_candidate *cands, size_t n,
	       struct td_promote_totals *ret)
{
	struct run_state st = { .p = p, .t = ret };
	size_t i = 0;

	if (!p || !p->ops || !p->ops->move_pages || p->batch_pages == 0 || !ret ||
	    (n && !cands))
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	if (n == 0)
		return 0;
	st.pages = calloc(p->batch_pages, sizeof(*st.pages));
	st.nodes = calloc(p->batch_pages, sizeof(*st.nodes));
	st.status = calloc(p->batch_pages, sizeof(*st.status));
	st.batch = calloc(p->batch_pages, sizeof(*st.batch));
	if (!st.pages || !st.nodes || !st.status || !st.batch) {
		free_run(&st);
		return -ENOMEM;
	}
	qsort(cands, n, sizeof(*cands), cmp_candidate);

	while (i < n) {
		size_t len = batch_len(&st, cands + i, n - i);

		if (len)
			move_batch(&st, st.batch, len);
		i += st.used;
	}
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
