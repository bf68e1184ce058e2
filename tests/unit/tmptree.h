/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tmptree.h - fake filesystem trees for the daemon's unit tests: a temp
 * directory standing in for cgroupfs, /proc or /sys, filled with regular
 * files (memory.numa_stat, memory.reclaim, vmstat, ...) and removed whole
 * at the end. Every helper fails the test on an I/O error; a test that
 * fails leaves its tree to tmptree_teardown (cmocka_unit_test_teardown).
 */
#ifndef TIERINGD_TEST_TMPTREE_H
#define TIERINGD_TEST_TMPTREE_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

struct tmptree {
	char root[PATH_MAX];
};

/* The root of the running test's tree, for tmptree_teardown (a copy: a
 * failed test's stack is gone by then). */
static char tmptree_live[PATH_MAX];

/* root/rel into buf. */
static inline const char *tmptree_path(const struct tmptree *t, const char *rel, char *buf,
				       size_t size)
{
	int n = snprintf(buf, size, "%s%s%s", t->root, rel[0] == '/' ? "" : "/", rel);

	assert_true(n > 0 && (size_t)n < size);
	return buf;
}

static inline void tmptree_new(struct tmptree *t)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(t->root, sizeof(t->root), "%s/tieringd-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(t->root));
	memcpy(tmptree_live, t->root, sizeof(tmptree_live));
}

/* mkdir -p root/rel. */
static inline void tmptree_mkdir(const struct tmptree *t, const char *rel)
{
	char p[PATH_MAX];

	tmptree_path(t, rel, p, sizeof(p));
	for (char *s = p + strlen(t->root) + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
			*s = '/';
		}
	assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
}

/* Writes root/rel (its directory must exist), replacing what was there. */
__attribute__((format(printf, 3, 4)))
static inline void tmptree_write(const struct tmptree *t, const char *rel, const char *fmt, ...)
{
	char p[PATH_MAX];
	va_list ap;
	FILE *fp;

	fp = fopen(tmptree_path(t, rel, p, sizeof(p)), "we");
	assert_non_null(fp);
	va_start(ap, fmt);
	assert_true(vfprintf(fp, fmt, ap) >= 0);
	va_end(ap);
	assert_int_equal(fclose(fp), 0);
}

/* Reads root/rel into buf (NUL-terminated); "" when it is empty. */
static inline const char *tmptree_read(const struct tmptree *t, const char *rel, char *buf,
				       size_t size)
{
	char p[PATH_MAX];
	ssize_t n;
	int fd;

	fd = open(tmptree_path(t, rel, p, sizeof(p)), O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, buf, size - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

/* The inode number of root/rel: a cgroup's id in a fake cgroupfs. */
static inline uint64_t tmptree_ino(const struct tmptree *t, const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	assert_int_equal(stat(tmptree_path(t, rel, p, sizeof(p)), &st), 0);
	return st.st_ino;
}

static inline int tmptree_rm_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	return remove(p) < 0 ? -1 : 0;
}

/* rm -rf root/rel ("" or "/": the whole tree). */
static inline void tmptree_rm(const struct tmptree *t, const char *rel)
{
	char p[PATH_MAX];

	assert_int_equal(nftw(tmptree_path(t, rel, p, sizeof(p)), tmptree_rm_one, 16,
			      FTW_DEPTH | FTW_PHYS), 0);
}

static inline void tmptree_free(struct tmptree *t)
{
	tmptree_rm(t, "");
	if (!strcmp(tmptree_live, t->root))
		tmptree_live[0] = '\0';
}

/* A cmocka teardown: removes the tree a failed test left. */
static inline int tmptree_teardown(void **state)
{
	if (tmptree_live[0])
		nftw(tmptree_live, tmptree_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	tmptree_live[0] = '\0';
	return 0;
}

/* A test with the teardown that removes what it left. */
#define tmptree_test(f) cmocka_unit_test_teardown(f, tmptree_teardown)

#endif
