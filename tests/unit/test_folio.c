// SPDX-License-Identifier: GPL-2.0-only
/*
 * source/folio.c against fake /proc/PID/pagemap and /proc/kpageflags files:
 * order 0, a PMD THP from head and tail, an mTHP (order 4) beside small
 * pages, the failures (not present, swapped, no PFN, hugetlb, no process,
 * a compound larger than a block), the counters, the fd cache (bounded,
 * closed on forget, reopened when its file went stale).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>

#include "tmptree.h"
#include "source/folio.h"

#define PRESENT (1ULL << 63)
#define SWAP (1ULL << 62)
#define HEAD (1ULL << TD_KPF_COMPOUND_HEAD)
#define TAIL (1ULL << TD_KPF_COMPOUND_TAIL)
#define THP (1ULL << TD_KPF_THP)
#define HUGE (1ULL << TD_KPF_HUGE)
#define LRU (1ULL << 5)
#define VA 0x7f0000000000ULL	/* a 2 MiB-aligned address */
#define PG(n) ((uint64_t)(n) << 12)

static struct tmptree tree;

static void put64(const char *rel, uint64_t index, uint64_t v)
{
	char p[PATH_MAX];
	int fd = open(tmptree_path(&tree, rel, p, sizeof(p)), O_WRONLY | O_CREAT, 0644);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &v, sizeof(v), (off_t)(index * sizeof(v))), sizeof(v));
	close(fd);
}

/* pid's pagemap: addr -> pfn (present) */
static void map(uint32_t pid, uint64_t addr, uint64_t entry)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "proc/%u", pid);
	tmptree_mkdir(&tree, rel);
	snprintf(rel, sizeof(rel), "proc/%u/pagemap", pid);
	put64(rel, addr >> 12, entry);
}

static void flags(uint64_t pfn, uint64_t v)
{
	put64("proc/kpageflags", pfn, v);
}

/* a compound of 2^order pages at head pfn */
static void compound(uint64_t head, int order)
{
	flags(head, HEAD | THP | LRU);
	for (uint64_t i = 1; i < (1ULL << order); i++)
		flags(head + i, TAIL | THP | LRU);
}

static struct td_folio *open_folio(void)
{
	char proc[PATH_MAX], kpf[PATH_MAX];
	struct td_folio *f = NULL;
	struct td_folio_params p = {
		.proc_root = tmptree_path(&tree, "proc", proc, sizeof(proc)),
		.kpageflags = tmptree_path(&tree, "proc/kpageflags", kpf, sizeof(kpf)),
	};

	assert_int_equal(td_folio_new(&p, &f), 0);
	return f;
}

static int setup(void **state)
{
	tmptree_new(&tree);
	tmptree_mkdir(&tree, "proc/x");
	/* 4 blocks of PFNs: 0..511 small, 512.. a THP, 1024.. mTHPs */
	flags(4 * 512 - 1, 0);
	return 0;
}

static void test_orders(void **state)
{
	struct td_folio *f;
	struct td_folio_stats st;

	flags(100, LRU);
	map(10, VA + PG(600), PRESENT | 100);
	compound(512, 9);
	map(10, VA, PRESENT | 512);
	map(10, VA + PG(37), PRESENT | (512 + 37));
	map(10, VA + PG(511), PRESENT | 1023);
	compound(1024 + 16, 4);
	flags(1024 + 32, LRU);		/* a small page right after it */
	compound(1024 + 48, 2);		/* and an order-2 one */
	map(10, VA + PG(1000), PRESENT | (1024 + 16));
	map(10, VA + PG(1001), PRESENT | (1024 + 21));
	map(10, VA + PG(1002), PRESENT | (1024 + 32));
	map(10, VA + PG(1003), PRESENT | (1024 + 51));
	f = open_folio();
	assert_int_equal(td_folio_order(f, 10, VA + PG(600) + 123), 0);
	assert_int_equal(td_folio_order(f, 10, VA), 9);
	assert_int_equal(td_folio_order(f, 10, VA + PG(37)), 9);
	assert_int_equal(td_folio_order(f, 10, VA + PG(511)), 9);
	assert_int_equal(td_folio_order(f, 10, VA + PG(1000)), 4);
	assert_int_equal(td_folio_order(f, 10, VA + PG(1001)), 4);
	assert_int_equal(td_folio_resolve(f, 10, VA + PG(1002)), 0);
	assert_int_equal(td_folio_order(f, 10, VA + PG(1003)), 2);
	td_folio_get_stats(f, &st);
	assert_int_equal(st.resolved, 8);
	assert_int_equal(st.unresolved, 0);
	td_folio_free(f);
}

static void test_failures(void **state)
{
	struct td_folio *f;
	struct td_folio_stats st;

	map(11, VA, 0);				/* not present */
	map(11, VA + PG(1), PRESENT | SWAP | 5);
	map(11, VA + PG(2), PRESENT);		/* present, PFN hidden */
	flags(200, HUGE | HEAD);
	map(11, VA + PG(3), PRESENT | 200);
	flags(300, TAIL | THP);			/* no head in the block */
	flags(256, LRU);
	map(11, VA + PG(4), PRESENT | 300);
	flags(400, HEAD | THP);			/* 3 pages: not a power of two */
	flags(401, TAIL | THP);
	flags(402, TAIL | THP);
	map(11, VA + PG(5), PRESENT | 401);
	f = open_folio();
	assert_int_equal(td_folio_order(f, 11, VA), -ENOENT);
	assert_int_equal(td_folio_order(f, 11, VA + PG(1)), -ENOENT);
	assert_int_equal(td_folio_order(f, 11, VA + PG(2)), -EPERM);
	assert_int_equal(td_folio_order(f, 11, VA + PG(3)), -EOPNOTSUPP);
	assert_int_equal(td_folio_order(f, 11, VA + PG(4)), -ERANGE);
	assert_int_equal(td_folio_order(f, 11, VA + PG(5)), -ERANGE);
	assert_int_equal(td_folio_order(f, 99, VA), -ESRCH);	/* no such process */
	/* beyond the end of the pagemap file: nothing to read */
	assert_int_equal(td_folio_order(f, 11, VA + PG(1 << 20)), -ESRCH);
	td_folio_get_stats(f, &st);
	assert_int_equal(st.resolved, 0);
	assert_int_equal(st.unresolved, 8);
	td_folio_free(f);
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void test_fd_cache(void **state)
{
	char p[PATH_MAX];
	struct td_folio *f;
	int base, old;

	flags(100, LRU);
	compound(512, 9);
	for (uint32_t pid = 20; pid < 40; pid++)
		map(pid, VA, PRESENT | 100);
	f = open_folio();
	base = open_fds();
	for (uint32_t pid = 20; pid < 40; pid++)
		assert_int_equal(td_folio_order(f, pid, VA), 0);
	assert_int_equal(open_fds(), base + TD_FOLIO_FDS);	/* bounded */
	td_folio_forget(f, 39);
	assert_int_equal(open_fds(), base + TD_FOLIO_FDS - 1);

	/* a cached fd keeps reading its file: the cache is used */
	assert_int_equal(td_folio_order(f, 38, VA), 0);
	tmptree_path(&tree, "proc/38/pagemap", p, sizeof(p));
	old = open(p, O_RDWR);
	assert_true(old >= 0);
	assert_int_equal(unlink(p), 0);
	map(38, VA, PRESENT | 512);		/* "exec": a THP there now */
	assert_int_equal(td_folio_order(f, 38, VA), 0);
	/* the old file goes empty (the old mm is gone): reopened, the new one read */
	assert_int_equal(ftruncate(old, 0), 0);
	assert_int_equal(td_folio_order(f, 38, VA), 9);
	/* forget closes it, so a replaced file is read at once */
	assert_int_equal(unlink(p), 0);
	map(38, VA, PRESENT | 100);
	assert_int_equal(td_folio_order(f, 38, VA), 9);
	td_folio_forget(f, 38);
	assert_int_equal(td_folio_order(f, 38, VA), 0);
	close(old);
	td_folio_free(f);
	assert_int_equal(open_fds(), base - 1);	/* kpageflags too */
}

static void test_no_kpageflags(void **state)
{
	struct td_folio *f = NULL;
	struct td_folio_params p = { .proc_root = "/nonexistent", .kpageflags = "/nonexistent/kpf" };

	assert_int_equal(td_folio_new(&p, &f), -ENOENT);
	assert_null(f);
}

static int teardown(void **state)
{
	tmptree_free(&tree);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_orders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_kpageflags, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
