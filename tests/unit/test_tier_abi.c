// SPDX-License-Identifier: GPL-2.0-only
/* The BPF<->userspace contract: layout is ABI, checked field by field so a
 * reordering that keeps the size still fails here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tier_abi.h"

static void test_event_layout(void **state)
{
	assert_int_equal(sizeof(struct td_event), 56);
	assert_int_equal(offsetof(struct td_event, ts_ns), 0);
	assert_int_equal(offsetof(struct td_event, addr), 8);
	assert_int_equal(offsetof(struct td_event, memcg_id), 16);
	assert_int_equal(offsetof(struct td_event, tgid), 24);
	assert_int_equal(offsetof(struct td_event, tid), 28);
	assert_int_equal(offsetof(struct td_event, page_nid), 32);
	assert_int_equal(offsetof(struct td_event, target_nid), 34);
	assert_int_equal(offsetof(struct td_event, source), 36);
	assert_int_equal(offsetof(struct td_event, version), 37);
	assert_int_equal(offsetof(struct td_event, flags), 38);
	assert_int_equal(offsetof(struct td_event, cpu), 40);
	/* v2: appended, the v1 offsets (version's above all) unchanged */
	assert_int_equal(offsetof(struct td_event, order), 44);
	assert_int_equal(offsetof(struct td_event, __pad0), 45);
	/* v3: latency_ms in v2's padding */
	assert_int_equal(offsetof(struct td_event, latency_ms), 46);
	assert_int_equal(sizeof(((struct td_event *)0)->latency_ms), 2);
	assert_int_equal(offsetof(struct td_event, start_time), 48);
	assert_int_equal(sizeof(((struct td_event *)0)->order), 1);
	assert_int_equal(sizeof(((struct td_event *)0)->start_time), 8);
	/* 8-byte multiple: ring buffer records stay aligned */
	assert_int_equal(sizeof(struct td_event) % 8, 0);
}

static void test_maps_layout(void **state)
{
	assert_int_equal(sizeof(struct td_runtime), 16);
	assert_int_equal(offsetof(struct td_runtime, enabled), 8);
	assert_int_equal(offsetof(struct td_runtime, default_managed), 9);
	assert_int_equal(sizeof(struct td_cgroup_filter), 8);
}

static void test_constants(void **state)
{
	assert_int_equal(TD_ABI_VERSION, 3);
	/* unknown is none of the latencies */
	assert_true(TD_LATENCY_MAX < TD_LATENCY_UNKNOWN && TD_LATENCY_UNKNOWN == 0xffff);
	assert_true(TD_STAT__MAX <= 16);
	assert_true(TD_SRC__MAX <= 255);
	/* the access sources are the counters' labels: hint_fault, sample */
	assert_int_equal(TD_SRC_HINT_FAULT, 1);
	assert_int_equal(TD_SRC_SAMPLE, 2);
	assert_int_equal(TD_SRC__ACCESS_MAX, 3);
	/* lifecycle sources come after every access source */
	assert_true(TD_SRC_EXEC >= TD_SRC__ACCESS_MAX);
	assert_true(TD_SRC_EXIT > TD_SRC_EXEC && TD_SRC_EXIT < TD_SRC__MAX);
	/* an order fits the byte, unknown is none of the orders */
	assert_true(TD_ORDER_MAX < TD_ORDER_UNKNOWN && TD_ORDER_UNKNOWN == 0xff);
	assert_int_equal(0x7f1234567fffULL & TD_PAGE_MASK, 0x7f1234567000ULL);
	/* node masks are one u64 */
	assert_int_equal(TD_MAX_NODES, 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_layout),
		cmocka_unit_test(test_maps_layout),
		cmocka_unit_test(test_constants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
