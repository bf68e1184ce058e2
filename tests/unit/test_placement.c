// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for lib/nodelist.c (node lists, Mems_allowed, maps and
 * numa_maps lines) and daemon/move/placement.c (reading them from a /proc
 * tree of our own, cached per process for a second).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "move/placement.h"
#include "nodelist.h"
#include "tmptree.h"

#define SEC 1000000000ULL

static void test_nodelist(void **state)
{
	static const struct { const char *s; int r; uint64_t mask; } cases[] = {
		{ "0", 0, 0x1 }, { "0-1", 0, 0x3 }, { "0-1,3", 0, 0xb }, { "2,5-6\n", 0, 0x64 },
		{ "63", 0, UINT64_C(1) << 63 }, { "62-70", 0, UINT64_C(3) << 62 },
		{ "", -EINVAL, 0 }, { "a", -EINVAL, 0 }, { "3-1", -EINVAL, 0 }, { "1,", -EINVAL, 0 },
		{ "1;2", -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t m = 0xdead;
		int r = td_nodelist_parse(cases[i].s, &m);

		if (r != cases[i].r || (!r && m != cases[i].mask))
			fail_msg("\"%s\": %d 0x%llx", cases[i].s, r, (unsigned long long)m);
	}
}

static void test_lines(void **state)
{
	uint64_t s, e, m;

	assert_int_equal(td_placement_mems_allowed("Name:\tx\nMems_allowed:\t...,00000003\n"
						   "Mems_allowed_list:\t0-1\n", &m), 0);
	assert_int_equal(m, 0x3);
	assert_int_equal(td_placement_mems_allowed("Name:\tx\n", &m), -ENOENT);
	assert_true(td_placement_maps_line("7f0000000000-7f0000200000 rw-p 00000000 00:00 0\n", &s, &e));
	assert_int_equal(s, 0x7f0000000000);
	assert_int_equal(e, 0x7f0000200000);
	assert_false(td_placement_maps_line("garbage\n", &s, &e));
	/* binding policies restrict, others do not */
	assert_true(td_placement_policy_line("7f0000000000 bind:2 anon=512 N2=512\n", &s, &m));
	assert_int_equal(s, 0x7f0000000000);
	assert_int_equal(m, 0x4);
	assert_true(td_placement_policy_line("1000 bind=static:0-1 anon=1\n", &s, &m));
	assert_int_equal(m, 0x3);
	assert_true(td_placement_policy_line("1000 interleave:1,3 anon=1\n", &s, &m));
	assert_int_equal(m, 0xa);
	assert_true(td_placement_policy_line("1000 weighted interleave:0-3 anon=1\n", &s, &m));
	assert_int_equal(m, 0xf);
	assert_false(td_placement_policy_line("1000 default anon=1 N0=1\n", &s, &m));
	assert_false(td_placement_policy_line("1000 prefer:1 anon=1\n", &s, &m));
	assert_false(td_placement_policy_line("1000 prefer (many):0-1 anon=1\n", &s, &m));
	assert_false(td_placement_policy_line("1000 local anon=1\n", &s, &m));
}

/* A process whose cpuset allows nodes 0-2 and one area bound to node 2. */
static void proc_tree(struct tmptree *t, const char *mems)
{
	tmptree_mkdir(t, "42");
	tmptree_write(t, "42/status", "Name:\tdb\nMems_allowed_list:\t%s\nVmRSS:\t1 kB\n", mems);
	tmptree_write(t, "42/maps",
		      "00400000-00500000 r-xp 00000000 08:01 1 /usr/bin/db\n"
		      "7f0000000000-7f0000400000 rw-p 00000000 00:00 0\n"
		      "7f0000400000-7f0000800000 rw-p 00000000 00:00 0\n");
	tmptree_write(t, "42/numa_maps",
		      "00400000 default file=/usr/bin/db mapped=1 N0=1\n"
		      "7f0000000000 default anon=1024 N2=1024\n"
		      "7f0000400000 bind:2 anon=1024 N2=1024 kernelpagesize_kB=4\n");
}

static void test_reader(void **state)
{
	struct tmptree t;
	struct td_placement *pl;
	uint64_t m;

	tmptree_new(&t);
	proc_tree(&t, "0-2");
	assert_int_equal(td_placement_new(t.root, &pl), 0);
	assert_int_equal(td_placement_allowed(pl, 42, 0x7f0000001000, SEC, &m), 0);
	assert_int_equal(m, 0x7);			/* the cpuset */
	assert_int_equal(td_placement_allowed(pl, 42, 0x7f0000401000, SEC, &m), 0);
	assert_int_equal(m, 0x4);			/* cpuset and bind */
	assert_int_equal(td_placement_allowed(pl, 43, 0x1000, SEC, &m), -ENOENT);
	/* cached for a second, read again after */
	proc_tree(&t, "2");
	assert_int_equal(td_placement_allowed(pl, 42, 0x7f0000001000, SEC + SEC / 2, &m), 0);
	assert_int_equal(m, 0x7);
	assert_int_equal(td_placement_allowed(pl, 42, 0x7f0000001000, 2 * SEC + 1, &m), 0);
	assert_int_equal(m, 0x4);
	td_placement_free(pl);
	tmptree_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodelist),
		cmocka_unit_test(test_lines),
		cmocka_unit_test_teardown(test_reader, tmptree_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
