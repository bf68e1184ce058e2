// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for daemon/source/reap.c: dead processes leave the table, with
 * or without entries, so a full process table takes new processes again;
 * the real liveness check against this process and a reaped child.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "hotness.h"
#include "source/reap.h"

#define SEC 1000000000ULL
#define T0 (100 * SEC)

static bool alive_odd(void *ctx, uint32_t tgid)
{
	(*(unsigned *)ctx)++;
	return tgid & 1;
}

static int rec(struct td_hotness *t, uint32_t tgid, uint64_t addr)
{
	struct td_hotness_access a = { .tgid = tgid, .addr = addr, .node = 1 };

	return td_hotness_record(t, &a, T0);
}

static void test_reap_frees_slots(void **state)
{
	struct td_hotness_params p = { .capacity = 1024, .half_life_ns = SEC, .max_processes = 4 };
	struct td_hotness *t;
	unsigned asked = 0;

	assert_int_equal(td_hotness_new(&p, &t), 0);
	assert_int_equal(rec(t, 1, 0x1000), 1);
	assert_int_equal(rec(t, 2, 0x1000), 1);
	assert_int_equal(rec(t, 3, 0x1000), 1);
	assert_int_equal(td_hotness_process_seen(t, 4, 9), 1);	/* dead, no entries */
	assert_int_equal(rec(t, 5, 0x1000), -ENOSPC);
	/* 2 and 4 are gone: forgotten, each asked once */
	assert_int_equal(td_reap_dead(t, alive_odd, &asked), 2);
	assert_int_equal(asked, 4);
	/* 4 had no entries: its slot is free now; 2's after the sweep */
	assert_int_equal(rec(t, 5, 0x1000), 1);
	assert_int_equal(rec(t, 7, 0x1000), -ENOSPC);
	td_hotness_sweep(t, T0, UINT32_MAX);
	assert_int_equal(rec(t, 7, 0x1000), 1);
	/* the live ones kept their entries */
	assert_int_equal(td_reap_dead(t, alive_odd, &asked), 0);
	{
		struct td_hotness_info i;

		assert_int_equal(td_hotness_get(t, 1, 0x1000, T0, &i), 0);
		assert_int_equal(td_hotness_get(t, 3, 0x1000, T0, &i), 0);
		assert_int_not_equal(td_hotness_get(t, 2, 0x1000, T0, &i), 0);
	}
	td_hotness_free(t);
}

static void test_alive_kill(void **state)
{
	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_true(td_reap_alive_kill(NULL, (uint32_t)getpid()));
	assert_true(td_reap_alive_kill(NULL, 1));	/* exists, maybe not ours: EPERM */
	assert_false(td_reap_alive_kill(NULL, (uint32_t)child));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reap_frees_slots),
		cmocka_unit_test(test_alive_kill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
