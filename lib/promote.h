/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * promote.h - the promoter's pure core: groups candidate pages per memcg,
 * then per process and target node, moves them in batches through an
 * injected move_pages(2) ops table, checks every per-page status and counts
 * the outcome. The real syscall lives in daemon/; tests script a fake.
 */
#ifndef TIERINGD_PROMOTE_H
#define TIERINGD_PROMOTE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tier_abi.h"

struct td_movepool;

/* One folio to move (a base page is a folio of order 0). */
struct td_candidate {
	uint64_t memcg_id;
	uint64_t addr;		/* aligned to the folio's size */
	uint32_t tgid;
	int16_t src_nid;	/* where the page is believed to be (-1 unknown) */
	int16_t dst_nid;	/* where it should go */
	uint8_t order;		/* the folio's order: td_folio_bytes(order) bytes */
};

/*
 * move_pages(2) semantics: moves count pages of pid to nodes[i], fills
 * status[i] with the node or a negative errno, returns 0, the number of
 * pages not moved (> 0), or a negative errno for the whole call.
 */
struct td_move_ops {
	long (*move_pages)(void *ctx, pid_t pid, unsigned long count, void **pages,
			   const int *nodes, int *status, int flags);
	void *ctx;
};

/* What became of one page (td_page_fn). */
enum td_move_outcome {
	TD_MOVE_DONE = 0,	/* on the target node now */
	TD_MOVE_RETRY,		/* -ENOENT, -EBUSY, -EAGAIN: try later, with backoff */
	TD_MOVE_DROP,		/* -EFAULT, -EINVAL: not a movable page, forget it */
	TD_MOVE_GONE,		/* the process is gone (ESRCH): forget the process */
	TD_MOVE_FULL,		/* -ENOMEM: target node full */
	TD_MOVE_FAILED,		/* anything else (-EACCES, -EIO, -E2BIG, ...) */
	/* -EACCES for one page of a call that went through: the page is mapped
	 * by more than one process, which MPOL_MF_MOVE does not move (only
	 * MPOL_MF_MOVE_ALL, with CAP_SYS_NICE; see tieringd(8)). A whole call
	 * refused with -EACCES (a cpuset) is TD_MOVE_FAILED. */
	TD_MOVE_SHARED,
	TD_MOVE_SKIPPED,	/* not tried: budget spent, target found full, or an
				 * address of a folio already in the batch */
	TD_MOVE__MAX,
};

/* Per-errno failure counters, indexed by td_errno_slot(). */
enum {
	TD_ERR_ENOENT, TD_ERR_EBUSY, TD_ERR_EFAULT, TD_ERR_EINVAL, TD_ERR_ENOMEM,
	TD_ERR_EACCES, TD_ERR_ESRCH, TD_ERR_EIO, TD_ERR_E2BIG, TD_ERR_EPERM,
	TD_ERR_WRONG_NODE,	/* status said success but not the target node */
	TD_ERR_OTHER,
	TD_ERR__MAX,
};

/* Counter slot for a positive errno (or TD_ERR_WRONG_NODE for 0). */
int td_errno_slot(int err);

/* The slots' names, indexed like the slots (the counter registry's labels). */
extern const char *const td_errno_slot_names[TD_ERR__MAX];

/* Name of a slot, e.g. "ENOENT"; "other" for TD_ERR_OTHER. */
const char *td_errno_slot_name(int slot);

/* The result of one move_pages call. Counts are folios (one address
 * each), sizes are bytes. */
struct td_batch_result {
	uint64_t memcg_id;
	uint32_t tgid;
	int src_nid;		/* the first page's believed node */
	int dst_nid;
	uint32_t pages;		/* folios (addresses) in the call */
	uint32_t moved;		/* folios on the target node afterwards */
	uint32_t failed;	/* everything else */
	uint64_t moved_bytes;
	uint64_t failed_bytes;
	int call_err;		/* negative errno of the whole call, or 0 */
	uint64_t call_ns;	/* the call's time by now_ns (a round's calls made at
				 * once share the round's: their sum is wall time) */
	uint32_t errors[TD_ERR__MAX];
};

/* Called once per page after its batch, and once per batch. */
typedef void (*td_page_fn)(const struct td_candidate *c, enum td_move_outcome o,
			   int status, void *userdata);
typedef void (*td_batch_fn)(const struct td_batch_result *b, void *userdata);

struct td_promote_params {
	const struct td_move_ops *ops;
	uint32_t batch_pages;	/* folios (addresses) per move_pages call, >= 1 */
	uint64_t budget_bytes;	/* at most this many bytes tried in all */
	int flags;		/* move_pages flags (MPOL_MF_MOVE) */
	td_page_fn on_page;	/* may be NULL */
	td_batch_fn on_batch;	/* may be NULL */
	/* Called in the caller's thread right before each call is made (may
	 * be NULL); negative: the call is not made and its pages are the
	 * process's, gone (-ESRCH). */
	int (*before_call)(void *userdata, uint32_t tgid);
	/* The clock for call_ns, read in the caller's thread (NULL: 0). */
	uint64_t (*now_ns)(void *userdata);
	void *userdata;
	/* NULL: the calls are made one after the other, through ops. Else a
	 * pool made with ops (lib/movepool.h): up to its worker count of calls
	 * at once, per round; a round's outcomes (a node found full, a process
	 * gone) hold the candidates of the rounds after it. */
	struct td_movepool *pool;
};

/* Totals of one td_promote() run: folios, and their bytes. */
struct td_promote_totals {
	uint64_t tried;
	uint64_t moved;
	uint64_t failed;
	uint64_t skipped;
	uint64_t duplicates;	/* of those skipped: inside a folio already in the batch */
	uint64_t calls;
	uint64_t tried_bytes;
	uint64_t moved_bytes;
	uint64_t failed_bytes;
	uint64_t shared_bytes;	/* of failed_bytes: TD_MOVE_SHARED folios */
	uint64_t errors[TD_ERR__MAX];	/* folios, by status */
};

/*
 * Sorts cands[0..n) by (memcg, tgid, dst node, addr) in place and moves them
 * in batches of at most batch_pages, each batch one process and one target
 * node. A batch never holds two addresses of one folio: a candidate inside
 * the previous candidate's folio is skipped (move_pages(2) moves the whole
 * folio for any of its addresses and answers -EBUSY for the second). A
 * folio that would take the bytes tried past budget_bytes is skipped (it
 * waits for the next tick). A folio counts as moved only if its status is
 * the target node. After
 * a -ENOMEM page status the remaining pages for that node are skipped (the
 * node is full: never fail page after page against it); after ESRCH the rest
 * of that process is reported TD_MOVE_GONE without another call.
 * Returns 0 and fills *ret, or -EINVAL for bad parameters.
 */
int td_promote(const struct td_promote_params *p, struct td_candidate *cands, size_t n,
	       struct td_promote_totals *ret);

/* SLIT distance from node a to node b; <= 0 when unknown. */
typedef int (*td_distance_fn)(void *ctx, int a, int b);

/* Where td_target_node() put a folio, against the node that accesses it. */
enum td_target_kind {
	TD_TARGET_LOCAL = 0,	/* the accessing node itself */
	TD_TARGET_NEAREST,	/* another allowed fast node, the nearest with room */
	TD_TARGET_WAIT,		/* none has room: the folio waits (-1) */
	TD_TARGET_UNCLEAR,	/* (the promoter's) the accessing node not clear
				 * yet (TD_PROMOTER_TARGET_VOTES): it waits */
	TD_TARGET__MAX,
};

/*
 * The fast node a folio of @bytes accessed from node @from goes to, among
 * the nodes of @allowed (the fast nodes its process may use): @from itself
 * when it is in @allowed and room[@from] >= @bytes; else the node of
 * @allowed with room for it nearest to @from by @dist (SLIT; unknown
 * distances rank after known ones, ties go to the lower node); else -1
 * (wait). @from < 0 (unknown) or @dist NULL: the lowest allowed node with
 * room. *ret_kind (may be NULL) says which case.
 */
int td_target_node(const int64_t room[TD_MAX_NODES], uint64_t allowed, int from, uint64_t bytes,
		   td_distance_fn dist, void *ctx, enum td_target_kind *ret_kind);

/* "local", "nearest", "wait", "unclear"; "none" for TD_TARGET__MAX and out
 * of range. */
const char *td_target_kind_name(int kind);

#endif
