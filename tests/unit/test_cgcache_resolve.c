// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for how cgroup ids become paths (daemon/policy/cgroupfs.c),
 * the cgcache's other half: the resolver from an event's process
 * (/proc/PID/cgroup, then fstatat() of that cgroup and its ancestors, no
 * privilege) over a temp-dir tree and a temp /proc, and on the host's own
 * cgroup2 mount with the real /proc when there is one; and the incremental
 * walker: bounded steps, parents first, paths longer than PATH_MAX.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cmocka.h>

#include "policy/cgroupfs.h"
#include "tmptree.h"

struct world {
	struct tmptree t;
	char cg[PATH_MAX], proc[PATH_MAX];
};

static void world_new(struct world *w)
{
	memset(w, 0, sizeof(*w));
	tmptree_new(&w->t);
	tmptree_path(&w->t, "cg", w->cg, sizeof(w->cg));
	tmptree_path(&w->t, "proc", w->proc, sizeof(w->proc));
	tmptree_mkdir(&w->t, "cg/a/b/c");
	tmptree_mkdir(&w->t, "cg/d");
	tmptree_mkdir(&w->t, "proc");
	tmptree_write(&w->t, "cg/a/memory.numa_stat", "not a directory\n");
}

/* proc/<pid>/cgroup holds @text. */
static void proc_cgroup(struct world *w, uint32_t pid, const char *text)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "proc/%" PRIu32, pid);
	tmptree_mkdir(&w->t, rel);
	snprintf(rel, sizeof(rel), "proc/%" PRIu32 "/cgroup", pid);
	tmptree_write(&w->t, rel, "%s", text);
}

static uint64_t ino(struct world *w, const char *cg)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "cg%s", cg);
	return tmptree_ino(&w->t, rel);
}

/* The resolved path of @id through @pid, or the errno's name. */
static const char *resolve(struct world *w, uint32_t pid, uint64_t id)
{
	static char out[256];
	char *p = NULL;
	int r = td_cgroupfs_resolve_pid(w->cg, w->proc, pid, id, &p);

	if (r == 0) {
		snprintf(out, sizeof(out), "%s", p);
		free(p);
		return out;
	}
	assert_null(p);
	return r == -ENOENT ? "-ENOENT" : r == -ESRCH ? "-ESRCH" : "other";
}

/* The task's cgroup, or the ancestor whose inode is the id; nothing else. */
static void test_resolve_pid(void **state)
{
	struct world w;

	world_new(&w);
	proc_cgroup(&w, 10, "0::/a/b/c\n");
	/* a v1 line first, as on a hybrid host, and no final newline */
	proc_cgroup(&w, 11, "5:memory:/x\n0::/d");
	proc_cgroup(&w, 12, "0::/../outside\n");	/* another cgroup namespace */
	proc_cgroup(&w, 13, "1:name=systemd:/a\n");	/* no v2 line */
	proc_cgroup(&w, 14, "0::/\n");
	proc_cgroup(&w, 15, "0::/a/gone\n");		/* removed since */

	assert_string_equal(resolve(&w, 10, ino(&w, "/a/b/c")), "/a/b/c");
	/* the memcg is an ancestor (no memory controller below it) */
	assert_string_equal(resolve(&w, 10, ino(&w, "/a/b")), "/a/b");
	assert_string_equal(resolve(&w, 10, ino(&w, "/a")), "/a");
	assert_string_equal(resolve(&w, 10, ino(&w, "")), "/");
	/* not the task's: its pages were charged where it was before */
	assert_string_equal(resolve(&w, 10, ino(&w, "/d")), "-ENOENT");
	assert_string_equal(resolve(&w, 11, ino(&w, "/d")), "/d");
	assert_string_equal(resolve(&w, 12, ino(&w, "/d")), "-ENOENT");
	assert_string_equal(resolve(&w, 13, ino(&w, "/a")), "-ENOENT");
	assert_string_equal(resolve(&w, 14, ino(&w, "")), "/");
	assert_string_equal(resolve(&w, 14, ino(&w, "/a")), "-ENOENT");
	assert_string_equal(resolve(&w, 15, ino(&w, "/a")), "/a");
	assert_string_equal(resolve(&w, 10, 0), "-ENOENT");
	/* a regular file's inode is not a cgroup's */
	assert_string_equal(resolve(&w, 10, tmptree_ino(&w.t, "cg/a/memory.numa_stat")),
			    "-ENOENT");
	assert_string_equal(resolve(&w, 99, ino(&w, "/a")), "-ESRCH");	/* gone */
	tmptree_free(&w.t);
}

/* The first cgroup2 mount in /proc/self/mounts into buf; false if none. */
static bool host_cgroup2(char *buf, size_t size)
{
	char dev[64], mnt[PATH_MAX], type[64];
	bool found = false;
	FILE *fp = fopen("/proc/self/mounts", "re");

	if (!fp)
		return false;
	while (!found && fscanf(fp, "%63s %4095s %63s %*[^\n]", dev, mnt, type) == 3)
		if (!strcmp(type, "cgroup2") && strlen(mnt) < size) {
			memcpy(buf, mnt, strlen(mnt) + 1);
			found = true;
		}
	fclose(fp);
	return found;
}

/* On the host's cgroup2 mount with the real /proc, unprivileged: our own
 * cgroup's id resolves to the path /proc/self/cgroup names. */
static void test_resolve_on_host(void **state)
{
	char line[PATH_MAX + 8] = "", dir[3 * PATH_MAX], root[PATH_MAX], *p = NULL;
	struct statfs sfs;
	struct stat st;
	FILE *fp;

	if (!host_cgroup2(root, sizeof(root)) || statfs(root, &sfs) < 0 ||
	    sfs.f_type != CGROUP2_SUPER_MAGIC) {
		print_message("SKIP: no cgroup2 mount on this host\n");
		skip();
	}
	fp = fopen("/proc/self/cgroup", "re");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) && strncmp(line, "0::/", 4))
		;
	fclose(fp);
	assert_int_equal(strncmp(line, "0::/", 4), 0);
	line[strcspn(line, "\n")] = '\0';
	snprintf(dir, sizeof(dir), "%s%s", root, line + 3);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(td_cgroupfs_resolve_pid(root, "/proc", (uint32_t)getpid(), st.st_ino, &p),
			 0);
	assert_string_equal(p, line + 3);
	free(p);
	assert_int_equal(td_cgroupfs_resolve_pid(root, "/proc", (uint32_t)getpid(), UINT64_MAX - 1,
						 &p), -ENOENT);
}

struct seen {
	unsigned n, stop_at;
	char path[32][64];
	uint64_t id[32];
};

static int on_dir(const char *path, uint64_t id, const char *abspath, void *userdata)
{
	struct seen *s = userdata;

	assert_true(s->n < 32);
	snprintf(s->path[s->n], sizeof(s->path[0]), "%s", path);
	s->id[s->n++] = id;
	return s->stop_at && s->n == s->stop_at ? 7 : 0;
}

static int index_of(const struct seen *s, const char *path)
{
	for (unsigned i = 0; i < s->n; i++)
		if (!strcmp(s->path[i], path))
			return (int)i;
	return -1;
}

/* Bounded steps visit every directory once, parents first, files never. */
static void test_walker_steps(void **state)
{
	static const char *const all[] = { "/", "/a", "/a/b", "/a/b/c", "/d" };
	struct td_cgroupfs_walker *wk;
	struct seen s = { 0 };
	struct world w;
	int r, stop, steps = 0;

	world_new(&w);
	assert_int_equal(td_cgroupfs_walker_new(w.cg, &wk), 0);
	do {
		unsigned before = s.n;

		r = td_cgroupfs_walker_step(wk, 2, on_dir, &s, &stop);
		assert_true(r == 0 || r == 1);
		assert_int_equal(stop, 0);
		assert_true(s.n - before <= 2);
		steps++;
	} while (r == 0);
	assert_int_equal(s.n, 5);
	assert_true(steps >= 3);
	for (size_t i = 0; i < 5; i++) {
		int at = index_of(&s, all[i]);

		assert_true(at >= 0);
		assert_int_equal(s.id[at], ino(&w, !strcmp(all[i], "/") ? "" : all[i]));
	}
	assert_true(index_of(&s, "/a") < index_of(&s, "/a/b"));
	assert_true(index_of(&s, "/a/b") < index_of(&s, "/a/b/c"));
	/* the next step starts a new walk, which sees the tree as it is now */
	tmptree_rm(&w.t, "cg/d");
	s.n = 0;
	assert_int_equal(td_cgroupfs_walker_step(wk, 100, on_dir, &s, &stop), 1);
	assert_int_equal(s.n, 4);
	assert_int_equal(index_of(&s, "/d"), -1);
	/* fn stops it: 1, its value; reset mid-walk: the next starts over */
	s = (struct seen){ .stop_at = 2 };
	assert_int_equal(td_cgroupfs_walker_step(wk, 100, on_dir, &s, &stop), 1);
	assert_int_equal(stop, 7);
	s = (struct seen){ 0 };
	assert_int_equal(td_cgroupfs_walker_step(wk, 2, on_dir, &s, &stop), 0);
	td_cgroupfs_walker_reset(wk);
	assert_int_equal(td_cgroupfs_walker_step(wk, 100, on_dir, &s, &stop), 1);
	assert_string_equal(s.path[2], "/");
	td_cgroupfs_walker_free(wk);
	/* a root that cannot be opened */
	assert_int_equal(td_cgroupfs_walker_new("/nonexistent/cg", &wk), 0);
	assert_int_equal(td_cgroupfs_walker_step(wk, 1, on_dir, &s, &stop), -ENOENT);
	td_cgroupfs_walker_free(wk);
	td_cgroupfs_walker_free(NULL);
	assert_int_equal(td_cgroupfs_walk(w.cg, on_dir, &(struct seen){ .stop_at = 3 }), 7);
	tmptree_free(&w.t);
}

struct deep {
	size_t longest;
	uint64_t id_of_longest;
	char *path;
};

static int on_deep(const char *path, uint64_t id, const char *abspath, void *userdata)
{
	struct deep *d = userdata;

	if (strlen(path) > d->longest) {
		d->longest = strlen(path);
		d->id_of_longest = id;
		free(d->path);
		d->path = strdup(path);
	}
	return 0;
}

/* 20 levels of 250-character names: a 5,020-byte path, beyond PATH_MAX
 * for path-based calls; the walker goes there by fds. Removed by hand
 * (tmptree's nftw could not). */
static void test_walker_long_paths(void **state)
{
	char name[251];
	int fds[21];
	struct deep d = { 0 };
	struct world w;
	struct stat st;

	world_new(&w);
	memset(name, 'x', 250);
	name[250] = '\0';
	fds[0] = open(w.cg, O_RDONLY | O_DIRECTORY);
	assert_true(fds[0] >= 0);
	for (int i = 1; i <= 20; i++) {
		name[0] = 'a' + (char)i;
		assert_int_equal(mkdirat(fds[i - 1], name, 0755), 0);
		fds[i] = openat(fds[i - 1], name, O_RDONLY | O_DIRECTORY);
		assert_true(fds[i] >= 0);
	}
	assert_int_equal(fstat(fds[20], &st), 0);
	assert_int_equal(td_cgroupfs_walk(w.cg, on_deep, &d), 0);
	assert_int_equal(d.longest, 20 * 251);
	assert_true(d.longest > PATH_MAX);
	assert_int_equal(d.id_of_longest, st.st_ino);
	assert_int_equal(d.path[0], '/');
	assert_int_equal(d.path[251], '/');
	free(d.path);
	for (int i = 20; i >= 1; i--) {
		name[0] = 'a' + (char)i;
		close(fds[i]);
		assert_int_equal(unlinkat(fds[i - 1], name, AT_REMOVEDIR), 0);
	}
	close(fds[0]);
	tmptree_free(&w.t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_resolve_pid, tmptree_teardown),
		cmocka_unit_test(test_resolve_on_host),
		cmocka_unit_test_teardown(test_walker_steps, tmptree_teardown),
		cmocka_unit_test_teardown(test_walker_long_paths, tmptree_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
