// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for lib/promote.c with a fake move_pages that records calls
 * and answers scripted per-page statuses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "promote.h"

#define MAX_CALLS 64
#define PAGE 4096ULL

struct fake_call {
	pid_t pid;
	unsigned long count;
	uint64_t first_addr;
	int first_node;
};

struct fake {
	struct fake_call calls[MAX_CALLS];
	int ncalls;
	long call_ret;			/* whole-call return (0 or -errno) */
	int (*status_of)(uint64_t addr, int node);
	int outcomes[TD_MOVE__MAX];
	int batches;
	uint32_t batch_moved, batch_failed;
};

static long fake_move_pages(void *ctx, pid_t pid, unsigned long count, void **pages,
			    const int *nodes, int *status, int flags)
{
	struct fake *f = ctx;
	long not_moved = 0;

	assert_true(f->ncalls < MAX_CALLS);
	f->calls[f->ncalls++] = (struct fake_call){
		.pid = pid, .count = count,
		.first_addr = (uint64_t)(uintptr_t)pages[0], .first_node = nodes[0],
	};
	if (f->call_ret)
		return f->call_ret;
	for (unsigned long i = 0; i < count; i++) {
		status[i] = f->status_of ? f->status_of((uint64_t)(uintptr_t)pages[i], nodes[i]) : nodes[i];
		if (status[i] != nodes[i])
			not_moved++;
	}
	return not_moved;
}

static void on_page(const struct td_candidate *c, enum td_move_outcome o, int status, void *ud)
{
	struct fake *f = ud;

	f->outcomes[o]++;
}

static void on_batch(const struct td_batch_result *b, void *ud)
{
	struct fake *f = ud;

	f->batches++;
	f->batch_moved += b->moved;
	f->batch_failed += b->failed;
	assert_int_equal(b->moved + b->failed, b->pages);
}

static struct td_move_ops ops_for(struct fake *f)
{
	return (struct td_move_ops){ .move_pages = fake_move_pages, .ctx = f };
}

static struct td_promote_params params_for(const struct td_move_ops *ops, struct fake *f,
					   uint32_t batch, uint64_t budget)
{
	return (struct td_promote_params){
		.ops = ops, .batch_pages = batch, .budget_bytes = budget * PAGE,
		.on_page = on_page, .on_batch = on_batch, .userdata = f,
	};
}

static void fill(struct td_candidate *c, size_t n, uint64_t memcg, uint32_t tgid, int dst)
{
	for (size_t i = 0; i < n; i++)
		c[i] = (struct td_candidate){ .memcg_id = memcg, .tgid = tgid,
					      .addr = 0x10000000 + i * PAGE, .src_nid = 1, .dst_nid = dst };
}

static void test_bad_params(void **state)
{
	struct fake f = { 0 };
	struct td_move_ops ops = ops_for(&f), noop = { 0 };
	struct td_promote_totals t;
	struct td_candidate c[1];
	struct td_promote_params p = params_for(&ops, &f, 0, 10);

	fill(c, 1, 1, 100, 0);
	assert_int_equal(td_promote(&p, c, 1, &t), -EINVAL);	/* batch 0 */
	p = params_for(&noop, &f, 8, 10);
	assert_int_equal(td_promote(&p, c, 1, &t), -EINVAL);	/* no op */
	p = params_for(&ops, &f, 8, 10);
	assert_int_equal(td_promote(NULL, c, 1, &t), -EINVAL);
	assert_int_equal(td_promote(&p, NULL, 1, &t), -EINVAL);
	assert_int_equal(td_promote(&p, c, 1, NULL), -EINVAL);
	assert_int_equal(td_promote(&p, c, 0, &t), 0);
	assert_int_equal(t.tried, 0);
	assert_int_equal(f.ncalls, 0);
}

/* Grouping: per memcg, then per process; batches never mix them. */
static void test_grouping_and_batches(void **state)
{
	struct fake f = { 0 };
	struct td_move_ops ops = ops_for(&f);
	struct td_promote_params p = params_for(&ops, &f, 4, 1000);
	struct td_candidate c[20];
	struct td_promote_totals t;

	/* interleaved: memcg 2/tgid 7 (6 pages), memcg 1/tgid 9 (5), memcg 1/tgid 8 (9) */
	fill(c, 6, 2, 7, 0);
	fill(c + 6, 5, 1, 9, 0);
	fill(c + 11, 9, 1, 8, 0);
	c[3].addr = 0x5000;	/* out of order inside a group */
	assert_int_equal(td_promote(&p, c, 20, &t), 0);
	/* memcg 1: tgid 8 -> 4+4+1, tgid 9 -> 4+1; memcg 2: tgid 7 -> 4+2 */
	assert_int_equal(f.ncalls, 7);
	assert_int_equal(f.calls[0].pid, 8);
	assert_int_equal(f.calls[2].pid, 8);
	assert_int_equal(f.calls[2].count, 1);
	assert_int_equal(f.calls[3].pid, 9);
	assert_int_equal(f.calls[5].pid, 7);
	assert_int_equal(f.calls[5].first_addr, 0x5000);	/* sorted by address */
	assert_int_equal(t.moved, 20);
	assert_int_equal(t.failed, 0);
	assert_int_equal(t.calls, 7);
	assert_int_equal(f.outcomes[TD_MOVE_DONE], 20);
	assert_int_equal(f.batches, 7);
	assert_int_equal(f.batch_moved, 20);
}

/* Batches never mix target nodes. */
static void test_split_by_target_node(void **state)
{
	struct fake f = { 0 };
	struct td_move_ops ops = ops_for(&f);
	struct td_promote_params p = params_for(&ops, &f, 512, 1000);
	struct td_candidate c[6];
	struct td_promote_totals t;

	fill(c, 6, 1, 5, 0);
	c[1].dst_nid = c[4].dst_nid = 2;
	assert_int_equal(td_promote(&p, c, 6, &t), 0);
	assert_int_equal(f.ncalls, 2);
	assert_int_equal(f.calls[0].first_node, 0);
	assert_int_equal(f.calls[0].count, 4);
	assert_int_equal(f.calls[1].first_node, 2);
	assert_int_equal(f.calls[1].count, 2);
}

static int status_by_page(uint64_t addr, int node)
{
	static const int script[] = { 0, -ENOENT, -EBUSY, -EFAULT, -EINVAL, -EACCES, -EIO, 1, -E2BIG, 0 };
	size_t i = (addr - 0x10000000) / PAGE;

	return script[i % (sizeof(script) / sizeof(script[0]))];
}

/* Every per-page status is checked and counted by errno. */
static void test_per_page_status(void **state)
{
	struct fake f = { .status_of = status_by_page };
	struct td_move_ops ops = ops_for(&f);
	struct td_promote_params p = params_for(&ops, &f, 512, 1000);
	struct td_candidate c[10];
	struct td_promote_totals t;

	fill(c, 10, 1, 5, 0);
	assert_int_equal(td_promote(&p, c, 10, &t), 0);
	assert_int_equal(t.moved, 2);
	assert_int_equal(t.failed, 8);
	assert_int_equal(t.errors[TD_ERR_ENOENT], 1);
	assert_int_equal(t.errors[TD_ERR_EBUSY], 1);
	assert_int_equal(t.errors[TD_ERR_EFAULT], 1);
	assert_int_equal(t.errors[TD_ERR_EINVAL], 1);
	assert_int_equal(t.errors[TD_ERR_EACCES], 1);
	assert_int_equal(t.errors[TD_ERR_EIO], 1);
	assert_int_equal(t.errors[TD_ERR_E2BIG], 1);
	/* status 1 while the target is 0: reported success elsewhere is not success */
	assert_int_equal(t.errors[TD_ERR_WRONG_NODE], 1);
	assert_int_equal(f.outcomes[TD_MOVE_DONE], 2);
	assert_int_equal(f.outcomes[TD_MOVE_RETRY], 2);
	assert_int_equal(f.outcomes[TD_MOVE_DROP], 2);
	/* -EACCES for one page of a call that went through: mapped by several processes */
	assert_int_equal(f.outcomes[TD_MOVE_SHARED], 1);
	assert_int_equal(f.outcomes[TD_MOVE_FAILED], 3);
	assert_int_equal(t.shared_bytes, PAGE);
	assert_int_equal(f.batch_failed, 8);
}

/* A whole call refused with -EACCES (a cpuset without the target) is a
 * failure of every page, not a shared page. */
static void test_call_eacces(void **state)
{
	struct fake f = { .call_ret = -EACCES };
	struct td_move_ops ops = ops_for(&f);
	struct td_promote_params p = params_for(&ops, &f, 512, 1000);
	struct td_candidate c[3];
	struct td_promote_totals t;

	fill(c, 3, 1, 5, 0);
	assert_int_equal(td_promote(&p, c, 3, &t), 0);
	assert_int_equal(f.outcomes[TD_MOVE_FAILED], 3);
	assert_int_equal(f.outcomes[TD_MOVE_SHARED], 0);
	assert_int_equal(t.shared_bytes, 0);
	assert_int_equal(t.errors[TD_ERR_EACCES], 3);
}

static int full_after_three(uint64_t addr, int node)
{
	size_t i = (addr - 0x10000000) / PAGE;

	return i < 3 ? node : -ENOMEM;
}

/* A full target node stops the run for that node: no page-after-page failures. */
static void test_full_node_stops(void **state)
{
	struct fake f = { .status_of = full_after_three };
	struct td_move_ops ops = ops_for(&f);
	struct td_promote_params p = params_for(&ops, &f, 4, 1000);
	struct td_candidate c[12];
	struct td_promote_totals t;

	fill(c, 12, 1, 5, 0);
	assert_int_equal(td_promote(&p, c, 12, &t), 0);
	assert_int_equal(f.ncalls, 1);		/* the first batch hit ENOMEM */
	assert_int_equal(t.moved, 3);
	assert_int_equal(t.errors[TD_ERR_ENOMEM], 1);
	assert_int_equal(t.skipped, 8);
	assert_int_equal(f.outcomes[TD_MOVE_FULL], 1);
	assert_int_equal(f.outcomes[TD_MOVE_SKIPPED], 8);
}

/* A process gone mid-run: one failed call, the rest reported gone, no more calls. */
static void test_process_gone(void **state)
{
	struct fake f = { .call_ret = -ESRCH };
	struct td_move_ops ops = ops_for(&f);
	struct td_promote_params p = params_for(&ops, &f, 2, 1000);
	struct td_candidate c[5];
	struct td_promote_totals t;

	fill(c, 5, 1, 5, 0);
	assert_int_equal(td_promote(&p, c, 5, &t), 0);
	assert_int_equal(f.ncalls, 1);
	assert_int_equal(t.errors[TD_ERR_ESRCH], 2);
	assert_int_equal(f.outcomes[TD_MOVE_GONE], 5);
	assert_int_equal(t.moved, 0);
}

/* The budget caps the pages tried; the rest are skipped, not failed. */
static void test_budget(void **state)
{
	struct fake f = { 0 };
	struct td_move_ops ops = ops_for(&f);
	struct td_promote_params p = params_for(&ops, &f, 4, 6);
	struct td_candidate c[10];
	struct td_promote_totals t;

	fill(c, 10, 1, 5, 0);
	assert_int_equal(td_promote(&p, c, 10, &t), 0);
	assert_int_equal(t.tried, 6);
	assert_int_equal(t.moved, 6);
	assert_int_equal(t.skipped, 4);
	assert_int_equal(f.ncalls, 2);
	assert_int_equal(f.calls[1].count, 2);
}

#define THP (512 * PAGE)

/* Folios: bytes are counted per folio (a THP is 2 MiB of budget and of
 * moved bytes); a second address of a folio is never in a batch; a folio
 * that does not fit the budget waits, a smaller one after it may go. */
static void test_folios(void **state)
{
	struct fake f = { 0 };
	struct td_move_ops ops = ops_for(&f);
	struct td_promote_params p = params_for(&ops, &f, 64, 0);
	struct td_candidate c[5];
	struct td_promote_totals t;

	fill(c, 5, 1, 5, 0);
	c[0].addr = 0x40000000;
	c[0].order = 9;
	c[1].addr = 0x40000000 + 7 * PAGE;	/* inside c[0]'s THP */
	c[2].addr = 0x40200000;
	c[2].order = 9;				/* a second THP: over the budget */
	c[3].addr = 0x40400000;			/* base pages after it */
	c[4].addr = 0x40401000;
	p.budget_bytes = THP + 2 * PAGE;
	assert_int_equal(td_promote(&p, c, 5, &t), 0);
	assert_int_equal(f.ncalls, 1);
	assert_int_equal(f.calls[0].count, 3);
	assert_int_equal(t.moved, 3);
	assert_int_equal(t.moved_bytes, THP + 2 * PAGE);
	assert_int_equal(t.tried_bytes, THP + 2 * PAGE);
	assert_int_equal(t.duplicates, 1);
	assert_int_equal(t.skipped, 2);
	assert_int_equal(f.batch_moved, 3);
	assert_int_equal(f.outcomes[TD_MOVE_SKIPPED], 2);
}

static void test_errno_slots(void **state)
{
	assert_int_equal(td_errno_slot(ENOENT), TD_ERR_ENOENT);
	assert_int_equal(td_errno_slot(ESRCH), TD_ERR_ESRCH);
	assert_int_equal(td_errno_slot(0), TD_ERR_WRONG_NODE);
	assert_int_equal(td_errno_slot(ENOTCONN), TD_ERR_OTHER);
	assert_string_equal(td_errno_slot_name(TD_ERR_EBUSY), "EBUSY");
	assert_string_equal(td_errno_slot_name(TD_ERR_OTHER), "other");
	assert_string_equal(td_errno_slot_name(-1), "invalid");
	assert_string_equal(td_errno_slot_name(TD_ERR__MAX), "invalid");
}

/* ---- td_target_node: fast, allowed, room, nearest ---- */

/* Two sockets: 0 and 1 fast, 2 near 0, 3 near 1, as the 4-node guest;
 * node 4 fast with no distance known. */
static int dist4(void *ctx, int a, int b)
{
	static const int d[5][5] = {
		{ 10, 21, 17, 28, 0 }, { 21, 10, 28, 17, 0 }, { 17, 28, 10, 28, 0 },
		{ 28, 17, 28, 10, 0 }, { 0, 0, 0, 0, 10 },
	};

	(void)ctx;
	return a >= 0 && a < 5 && b >= 0 && b < 5 ? d[a][b] : -1;
}

static void test_target_node(void **state)
{
	static const struct {
		const char *name;
		uint64_t allowed;
		int from;
		int64_t room0, room1, room4;
		int want;
		enum td_target_kind kind;
	} cases[] = {
		{ "local fast with room", 0x3, 1, 8192, 8192, 0, 1, TD_TARGET_LOCAL },
		{ "local full: the other", 0x3, 0, 4095, 8192, 0, 1, TD_TARGET_NEAREST },
		{ "local not allowed", 0x1, 1, 8192, 8192, 0, 0, TD_TARGET_NEAREST },
		{ "both full: wait", 0x3, 0, 0, 4095, 0, -1, TD_TARGET_WAIT },
		{ "nothing allowed: wait", 0x0, 0, 8192, 8192, 0, -1, TD_TARGET_WAIT },
		{ "from a slow node: nearest to it", 0x3, 3, 8192, 8192, 0, 1, TD_TARGET_NEAREST },
		{ "from node 2: node 0", 0x3, 2, 8192, 8192, 0, 0, TD_TARGET_NEAREST },
		{ "known distance before unknown", 0x13, 3, 8192, 0, 8192, 0, TD_TARGET_NEAREST },
		{ "unknown from: lowest with room", 0x3, -1, 0, 8192, 0, 1, TD_TARGET_NEAREST },
		{ "exact fit", 0x3, 0, 4096, 0, 0, 0, TD_TARGET_LOCAL },
		{ "negative room", 0x3, 1, -5, -1, 0, -1, TD_TARGET_WAIT },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t room[TD_MAX_NODES] = { 0 };
		enum td_target_kind k = TD_TARGET__MAX;
		int n;

		room[0] = cases[i].room0;
		room[1] = cases[i].room1;
		room[4] = cases[i].room4;
		n = td_target_node(room, cases[i].allowed, cases[i].from, 4096, dist4, NULL, &k);
		if (n != cases[i].want || k != cases[i].kind)
			fail_msg("%s: node %d kind %d, want %d %d", cases[i].name, n, k,
				 cases[i].want, cases[i].kind);
	}
	assert_string_equal(td_target_kind_name(TD_TARGET_LOCAL), "local");
	assert_string_equal(td_target_kind_name(TD_TARGET_WAIT), "wait");
	assert_string_equal(td_target_kind_name(TD_TARGET__MAX), "none");
	assert_string_equal(td_target_kind_name(-1), "none");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_grouping_and_batches),
		cmocka_unit_test(test_split_by_target_node),
		cmocka_unit_test(test_per_page_status),
		cmocka_unit_test(test_call_eacces),
		cmocka_unit_test(test_full_node_stops),
		cmocka_unit_test(test_process_gone),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_folios),
		cmocka_unit_test(test_errno_slots),
		cmocka_unit_test(test_target_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
