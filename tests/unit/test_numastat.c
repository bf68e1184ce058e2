// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "numastat.h"

#define MiB (1ULL << 20)

/*
 * Real files. A cgroup with 4 MiB of anon memory on node 0 and 8 MiB on node
 * 1 (numa_alloc_onnode) and a 3 MiB tmpfs file, in a two-node guest booted
 * by tests/vm (Debian kernels). 6.12 adds the pgdemote and pgpromote lines.
 */
static const char sample_6_12[] =
	"anon N0=4317184 N1=8388608\n"
	"file N0=3149824 N1=0\n"
	"kernel_stack N0=0 N1=0\n"
	"pagetables N0=69632 N1=0\n"
	"sec_pagetables N0=0 N1=0\n"
	"shmem N0=3149824 N1=0\n"
	"file_mapped N0=0 N1=0\n"
	"file_dirty N0=0 N1=0\n"
	"file_writeback N0=0 N1=0\n"
	"swapcached N0=0 N1=0\n"
	"anon_thp N0=4194304 N1=8388608\n"
	"file_thp N0=0 N1=0\n"
	"shmem_thp N0=0 N1=0\n"
	"inactive_anon N0=0 N1=0\n"
	"active_anon N0=7467008 N1=8388608\n"
	"inactive_file N0=0 N1=0\n"
	"active_file N0=0 N1=0\n"
	"unevictable N0=0 N1=0\n"
	"slab_reclaimable N0=12816 N1=0\n"
	"slab_unreclaimable N0=11816 N1=0\n"
	"workingset_refault_anon N0=0 N1=0\n"
	"workingset_refault_file N0=0 N1=0\n"
	"workingset_activate_anon N0=0 N1=0\n"
	"workingset_activate_file N0=0 N1=0\n"
	"workingset_restore_anon N0=0 N1=0\n"
	"workingset_restore_file N0=0 N1=0\n"
	"workingset_nodereclaim N0=0 N1=0\n"
	"pgdemote_kswapd N0=0 N1=0\n"
	"pgdemote_direct N0=0 N1=0\n"
	"pgdemote_khugepaged N0=0 N1=0\n"
	"pgpromote_success N0=0 N1=0\n";

static const char sample_6_1[] =
	"anon N0=4317184 N1=8388608\n"
	"file N0=3149824 N1=0\n"
	"kernel_stack N0=0 N1=0\n"
	"pagetables N0=61440 N1=0\n"
	"sec_pagetables N0=0 N1=0\n"
	"shmem N0=3149824 N1=0\n"
	"file_mapped N0=0 N1=0\n"
	"file_dirty N0=0 N1=0\n"
	"file_writeback N0=0 N1=0\n"
	"swapcached N0=0 N1=0\n"
	"anon_thp N0=2097152 N1=6291456\n"
	"file_thp N0=0 N1=0\n"
	"shmem_thp N0=0 N1=0\n"
	"inactive_anon N0=7458816 N1=8388608\n"
	"active_anon N0=8192 N1=0\n"
	"inactive_file N0=0 N1=0\n"
	"active_file N0=0 N1=0\n"
	"unevictable N0=0 N1=0\n"
	"slab_reclaimable N0=12896 N1=0\n"
	"slab_unreclaimable N0=14848 N1=0\n"
	"workingset_refault_anon N0=0 N1=0\n"
	"workingset_refault_file N0=0 N1=0\n"
	"workingset_activate_anon N0=0 N1=0\n"
	"workingset_activate_file N0=0 N1=0\n"
	"workingset_restore_anon N0=0 N1=0\n"
	"workingset_restore_file N0=0 N1=0\n"
	"workingset_nodereclaim N0=0 N1=0\n";

/* cgroup v1 (a hybrid host, 6.18): "key=total N0=..." in pages. Refused. */
static const char sample_v1[] =
	"total=4100 N0=4100\n"
	"file=145 N0=145\n"
	"anon=374 N0=374\n"
	"unevictable=3581 N0=3581\n"
	"hierarchical_total=158752 N0=158752\n"
	"hierarchical_file=149187 N0=149187\n"
	"hierarchical_anon=5984 N0=5984\n"
	"hierarchical_unevictable=3581 N0=3581\n";

/* Parses the first @len bytes of @text from an exact-size heap copy, so
 * ASan catches any read past @len. */
static int parse(const char *text, size_t len, struct td_numastat *ret)
{
	char *copy = malloc(len ? len : 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, text, len);
	r = td_numastat_parse(copy, len, ret);
	free(copy);
	return r;
}

static const struct {
	const char *name;
	const char *text;
	int want;
	uint64_t anon_nodes, file_nodes;
	uint64_t anon[4], file[4];	/* nodes 0..3 */
} cases[] = {
	{ "6.12", sample_6_12, 0, 0x3, 0x3,
	  { 4317184, 8388608 }, { 3149824, 0 } },
	{ "6.1", sample_6_1, 0, 0x3, 0x3,
	  { 4317184, 8388608 }, { 3149824, 0 } },
	{ "cgroup v1", sample_v1, -EINVAL, 0, 0, { 0 }, { 0 } },
	{ "empty", "", -EINVAL, 0, 0, { 0 }, { 0 } },
	{ "no anon line", "file N0=1\nkernel_stack N0=2\n", -EINVAL, 0, 0, { 0 }, { 0 } },
	{ "anon only, file optional", "anon N0=5 N1=6\n", 0, 0x3, 0, { 5, 6 }, { 0 } },
	{ "no trailing newline", "file N0=1\nanon N0=7 N2=9", 0, 0x5, 0x1, { 7, 0, 9 }, { 1 } },
	{ "order does not matter", "kernel_stack N0=1\nfile N1=2\nanon N1=3\n", 0, 0x2, 0x2,
	  { 0, 3 }, { 0, 2 } },
	{ "missing nodes stay 0", "anon N3=1\nfile N0=2\n", 0, 0x8, 0x1, { 0, 0, 0, 1 }, { 2 } },
	{ "anon with no nodes", "anon\nfile N0=1\n", 0, 0, 0x1, { 0 }, { 1 } },
	{ "nodes 64 and up ignored", "anon N0=1 N64=2 N1000=3 N99999999999999999999999=4 N3=5\n",
	  0, 0x9, 0, { 1, 0, 0, 5 }, { 0 } },
	{ "node 63 kept", "anon N63=1\n", 0, 1ULL << 63, 0, { 0 }, { 0 } },
	{ "unknown keys skipped", "anonymous N0=9\nanon_thp N0=9\nfoo bar\nanon N0=1\n", 0, 0x1, 0,
	  { 1 }, { 0 } },
	{ "garbage lines skipped", "\n\n  \x01\xff\nanon N0=1\n=\n", 0, 0x1, 0, { 1 }, { 0 } },
	{ "malformed anon skipped, next taken", "anon N0=x\nanon N0=2\n", 0, 0x1, 0, { 2 }, { 0 } },
	{ "first good anon wins", "anon N0=1\nanon N0=2\n", 0, 0x1, 0, { 1 }, { 0 } },
	{ "malformed file skipped", "anon N0=1\nfile N0=1 junk\n", 0, 0x1, 0, { 1 }, { 0 } },
	{ "only malformed anon", "anon N0=-1\n", -EINVAL, 0, 0, { 0 }, { 0 } },
	{ "value overflow", "anon N0=18446744073709551616\n", -EINVAL, 0, 0, { 0 }, { 0 } },
	{ "largest value", "anon N0=18446744073709551615\n", 0, 0x1, 0, { UINT64_MAX }, { 0 } },
	{ "missing value", "anon N0=\n", -EINVAL, 0, 0, { 0 }, { 0 } },
	{ "missing =", "anon N0 1\n", -EINVAL, 0, 0, { 0 }, { 0 } },
	{ "lower-case n", "anon n0=1\n", -EINVAL, 0, 0, { 0 }, { 0 } },
	{ "sign", "anon N0=+1\n", -EINVAL, 0, 0, { 0 }, { 0 } },
	{ "key glued to value", "anonN0=1\n", -EINVAL, 0, 0, { 0 }, { 0 } },
	{ "trailing junk after value", "anon N0=1x\n", -EINVAL, 0, 0, { 0 }, { 0 } },
	{ "tabs, CRLF, extra blanks", "anon\tN0=1  N1=2 \r\nfile N0=3\r\n", 0, 0x3, 0x1,
	  { 1, 2 }, { 3 } },
	{ "duplicate node: last wins", "anon N1=1 N1=4\n", 0, 0x2, 0, { 0, 4 }, { 0 } },
	{ "NUL inside a line", "anon N0=1\0 N1=2\n", -EINVAL, 0, 0, { 0 }, { 0 } },
};

static void test_parse_table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct td_numastat s;
		size_t len = strlen(cases[i].text);

		/* the NUL case: the length includes what follows the NUL */
		if (!strcmp(cases[i].name, "NUL inside a line"))
			len = sizeof("anon N0=1\0 N1=2\n") - 1;
		memset(&s, 0xa5, sizeof(s));
		print_message("case: %s\n", cases[i].name);
		assert_int_equal(parse(cases[i].text, len, &s), cases[i].want);
		assert_int_equal(s.anon_nodes, cases[i].anon_nodes);
		assert_int_equal(s.file_nodes, cases[i].file_nodes);
		for (int n = 0; n < 4; n++) {
			assert_int_equal(s.anon[n], cases[i].anon[n]);
			assert_int_equal(s.file[n], cases[i].file[n]);
		}
		for (int n = 4; n < TD_MAX_NODES; n++)	/* zeroed, on error too */
			if (n != 63 || !(cases[i].anon_nodes >> 63))
				assert_int_equal(s.anon[n] | s.file[n], 0);
	}
}

/* @len bounds the parse: nothing past it is read or counted. */
static void test_length_bounds(void **state)
{
	static const char text[] = "anon N0=12345 N1=6\nfile N0=7\n";
	struct td_numastat s;

	assert_int_equal(parse(text, 0, &s), -EINVAL);
	assert_int_equal(parse(text, 4, &s), 0);		/* "anon": no nodes */
	assert_int_equal(s.anon_nodes, 0);
	assert_int_equal(parse(text, 7, &s), -EINVAL);		/* "anon N0" */
	assert_int_equal(parse(text, 10, &s), 0);		/* "anon N0=12": a cut number */
	assert_int_equal(s.anon[0], 12);
	assert_int_equal(parse(text, 19, &s), 0);		/* the anon line, no file */
	assert_int_equal(s.anon[1], 6);
	assert_int_equal(s.file_nodes, 0);
	assert_int_equal(parse(text, sizeof(text) - 1, &s), 0);
	assert_int_equal(s.file[0], 7);
}

/* 64 nodes with 20-digit values: the longest lines a real file can have. */
static void test_64_nodes(void **state)
{
	char *text = malloc(8192), *p = text;
	struct td_numastat s;

	assert_non_null(text);
	for (int key = 0; key < 2; key++) {
		p += sprintf(p, "%s", key ? "file" : "anon");
		for (int n = 0; n < TD_MAX_NODES; n++)
			p += sprintf(p, " N%d=%llu", n, key ? 10000000000000000000ULL + n : (unsigned long long)n * MiB);
		*p++ = '\n';
	}
	assert_int_equal(parse(text, p - text, &s), 0);
	assert_true(s.anon_nodes == UINT64_MAX && s.file_nodes == UINT64_MAX);
	assert_int_equal(s.anon[63], 63 * MiB);
	assert_int_equal(s.file[63], 10000000000000000063ULL);
	free(text);
}

static void test_bytes_on(void **state)
{
	static const struct {
		uint64_t mask;
		bool anon_only;
		uint64_t want;
	} cases_on[] = {
		{ 0, false, 0 },
		{ 0x1, true, 4317184 },
		{ 0x1, false, 4317184 + 3149824 },
		{ 0x2, true, 8 * MiB },
		{ 0x2, false, 8 * MiB },
		{ 0x3, true, 4317184 + 8 * MiB },
		{ 0x3, false, 4317184 + 8 * MiB + 3149824 },
		{ 0xc, false, 0 },			/* nodes not listed */
		{ UINT64_MAX, false, 4317184 + 8 * MiB + 3149824 },
	};
	struct td_numastat s, big = { 0 };

	assert_int_equal(parse(sample_6_12, strlen(sample_6_12), &s), 0);
	for (size_t i = 0; i < sizeof(cases_on) / sizeof(cases_on[0]); i++)
		assert_int_equal(td_numastat_bytes_on(&s, cases_on[i].mask, cases_on[i].anon_only),
				 cases_on[i].want);

	/* saturates instead of wrapping */
	big.anon[0] = UINT64_MAX - 1;
	big.anon[1] = 5;
	big.file[0] = UINT64_MAX;
	assert_true(td_numastat_bytes_on(&big, 0x1, true) == UINT64_MAX - 1);
	assert_true(td_numastat_bytes_on(&big, 0x3, true) == UINT64_MAX);
	assert_true(td_numastat_bytes_on(&big, 0x1, false) == UINT64_MAX);
	big.anon[63] = 1;
	assert_int_equal(td_numastat_bytes_on(&big, 1ULL << 63, true), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_length_bounds),
		cmocka_unit_test(test_64_nodes),
		cmocka_unit_test(test_bytes_on),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
