// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for daemon/ops/selfstat.c: RSS, peak, fds and the BPF stats
 * flag read from a fake /proc; the CPU time is this process's own
 * (getrusage) and the rate moves only after an interval of at least 1 s,
 * equal to the CPU used over it; missing files leave their fields 0.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ops/selfstat.h"
#include "tmptree.h"

#define SEC 1000000000ULL

static void fake_proc(struct tmptree *t, int bpf_stats)
{
	tmptree_new(t);
	tmptree_mkdir(t, "self/fd");
	tmptree_mkdir(t, "sys/kernel");
	tmptree_write(t, "self/status", "Name:\ttieringd\nVmPeak:\t 9999 kB\nVmHWM:\t    2048 kB\n"
		      "VmRSS:\t    1536 kB\nThreads:\t1\n");
	tmptree_write(t, "self/fd/0", "x");
	tmptree_write(t, "self/fd/1", "x");
	tmptree_write(t, "self/fd/7", "x");
	tmptree_write(t, "sys/kernel/bpf_stats_enabled", "%d\n", bpf_stats);
}

/* Some CPU time, so the rate has something to show. */
static void burn(void)
{
	volatile uint64_t x = 0;

	for (uint64_t i = 0; i < 30000000ULL; i++)
		x += i;
}

static void test_reads_proc(void **state)
{
	struct td_selfstat_sample v;
	struct td_selfstat *s;
	struct tmptree t;

	fake_proc(&t, 1);
	assert_int_equal(td_selfstat_new(t.root, &s), 0);
	assert_int_equal(td_selfstat_sample(s, 10 * SEC, &v), 0);
	assert_int_equal(v.rss_bytes, 1536 * 1024);
	assert_int_equal(v.rss_peak_bytes, 2048 * 1024);
	assert_int_equal(v.fds, 3);
	assert_int_equal(v.bpf_stats_enabled, 1);
	assert_true(v.cpu_ns > 0);
	assert_int_equal(v.cpu_ns_per_s, 0);
	tmptree_write(&t, "sys/kernel/bpf_stats_enabled", "0\n");
	assert_int_equal(td_selfstat_sample(s, 10 * SEC, &v), 0);
	assert_int_equal(v.bpf_stats_enabled, 0);
	td_selfstat_free(s);
	tmptree_free(&t);
}

static void test_rate_over_interval(void **state)
{
	struct td_selfstat_sample a, b, c, d;
	struct td_selfstat *s;
	struct tmptree t;
	double want;

	fake_proc(&t, 0);
	assert_int_equal(td_selfstat_new(t.root, &s), 0);
	assert_int_equal(td_selfstat_sample(s, 10 * SEC, &a), 0);
	burn();
	/* under a second later: the interval goes on, no rate yet */
	assert_int_equal(td_selfstat_sample(s, 10 * SEC + SEC / 2, &b), 0);
	assert_int_equal(b.cpu_ns_per_s, 0);
	assert_true(b.cpu_ns > a.cpu_ns);
	burn();
	/* two seconds after the start: the CPU used over them, per second */
	assert_int_equal(td_selfstat_sample(s, 12 * SEC, &c), 0);
	want = (double)(c.cpu_ns - a.cpu_ns) / 2.0;
	assert_true(c.cpu_ns_per_s > 0);
	assert_true(c.cpu_ns_per_s >= (uint64_t)(want * 0.999) && c.cpu_ns_per_s <= (uint64_t)(want * 1.001) + 1);
	/* the next interval starts at c: a read soon after keeps c's rate */
	assert_int_equal(td_selfstat_sample(s, 12 * SEC + 1, &d), 0);
	assert_int_equal(d.cpu_ns_per_s, c.cpu_ns_per_s);
	td_selfstat_free(s);
	tmptree_free(&t);
}

static void test_missing_files(void **state)
{
	struct td_selfstat_sample v;
	struct td_selfstat *s;
	struct tmptree t;

	tmptree_new(&t);
	assert_int_equal(td_selfstat_new(t.root, &s), 0);
	assert_int_equal(td_selfstat_sample(s, SEC, &v), 0);
	assert_int_equal(v.rss_bytes, 0);
	assert_int_equal(v.rss_peak_bytes, 0);
	assert_int_equal(v.fds, 0);
	assert_int_equal(v.bpf_stats_enabled, 0);
	assert_true(v.cpu_ns > 0);
	td_selfstat_free(s);
	tmptree_free(&t);
}

/* The real /proc: this process has stdin..stderr at least, and some RSS. */
static void test_real_proc(void **state)
{
	struct td_selfstat_sample v;
	struct td_selfstat *s;

	assert_int_equal(td_selfstat_new("/proc", &s), 0);
	assert_int_equal(td_selfstat_sample(s, SEC, &v), 0);
	assert_true(v.rss_bytes > 0 && v.rss_peak_bytes >= v.rss_bytes);
	assert_true(v.fds >= 3);
	td_selfstat_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_reads_proc, tmptree_teardown),
		cmocka_unit_test_teardown(test_rate_over_interval, tmptree_teardown),
		cmocka_unit_test_teardown(test_missing_files, tmptree_teardown),
		cmocka_unit_test(test_real_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
