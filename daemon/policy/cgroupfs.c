// SPDX-License-Identifier: GPL-2.0-only
/*
 * cgroupfs.c - see cgroupfs.h.
 *
 * libcgroup 2.0.2 (Debian 12), measured on v2-only guests (6.1, 6.12) and
 * a hybrid v1/v2 host: cgroup_init() and cgroup_get_subsys_mount_point()
 * work on both and find the hierarchy here. On v2 the tree walker and the
 * value readers work too but do not fit (reasons at each place below);
 * cgroup_get_current_controller_path() does not work on v2 at all
 * (ECGOTHER: it expects "N:controller:path" lines in /proc/PID/cgroup and
 * finds "0::/path"). There is no id-to-path call.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <libcgroup.h>

#include "policy/cgroupfs.h"
#include "ops/log.h"

#define NUMASTAT_MAX 16384

/* Deepest level the walker descends to (each level holds a directory
 * stream open: at most this many fds and buffers). */
#define WALK_DEPTH_MAX 64

struct frame {
	DIR *dir;
	size_t len;		/* length of its absolute path in w->abs */
};

struct td_cgroupfs_walker {
	size_t root_len;
	char *abs;		/* root + the relative path of the directory at hand */
	size_t abs_cap;
	struct frame stack[WALK_DEPTH_MAX + 1];
	unsigned depth;		/* 0: no walk in progress */
	uint64_t too_deep;
};

int td_cgroupfs_walker_new(const char *root, struct td_cgroupfs_walker **ret)
{
	struct td_cgroupfs_walker *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->root_len = strlen(root);
	w->abs_cap = w->root_len + 256;
	w->abs = malloc(w->abs_cap);
	if (!w->abs) {
		free(w);
		return -ENOMEM;
	}
	memcpy(w->abs, root, w->root_len + 1);
	*ret = w;
	return 0;
}

void td_cgroupfs_walker_reset(struct td_cgroupfs_walker *w)
{
	while (w->depth > 0)
		closedir(w->stack[--w->depth].dir);
	w->abs[w->root_len] = '\0';
}

void td_cgroupfs_walker_free(struct td_cgroupfs_walker *w)
{
	if (!w)
		return;
	td_cgroupfs_walker_reset(w);
	free(w->abs);
	free(w);
}

uint64_t td_cgroupfs_walker_too_deep(const struct td_cgroupfs_walker *w)
{
	return w->too_deep;
}

/* abs += "/" name; -ENOMEM. */
static int abs_push(struct td_cgroupfs_walker *w, size_t at, const char *name)
{
	size_t n = strlen(name), need = at + 1 + n + 1;

	if (need > w->abs_cap) {
		char *p = realloc(w->abs, need * 2);

		if (!p)
			return -ENOMEM;
		w->abs = p;
		w->abs_cap = need * 2;
	}
	w->abs[at] = '/';
	memcpy(w->abs + at + 1, name, n + 1);
	return 0;
}

/* Calls fn for the directory open as @fd, whose path is in w->abs. */
static int visit(struct td_cgroupfs_walker *w, int fd, td_cgroup_fn fn, void *userdata)
{
	const char *rel = w->abs[w->root_len] ? w->abs + w->root_len : "/";
	struct stat st;

	if (fstat(fd, &st) < 0)
		return 0;	/* not ours to explain: skip it */
	return fn(rel, st.st_ino, w->abs, userdata);
}

/* Pushes the directory open as @fd (closed on failure). */
static int push(struct td_cgroupfs_walker *w, int fd)
{
	DIR *d;

	if (w->depth > WALK_DEPTH_MAX) {
		w->too_deep++;
		close(fd);
		return 0;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return errno == ENOMEM ? -ENOMEM : 0;
	}
	w->stack[w->depth++] = (struct frame){ .dir = d, .len = strlen(w->abs) };
	return 0;
}

/* Starts a walk at the root: visits it (fn's value in *@stop). Returns 0,
 * or why the root cannot be opened, -ENOMEM. */
static int begin(struct td_cgroupfs_walker *w, td_cgroup_fn fn, void *userdata, int *stop)
{
	int fd = open(w->abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	*stop = visit(w, fd, fn, userdata);
	if (*stop) {
		close(fd);
		return 0;
	}
	return push(w, fd);
}

/*
 * The next directory below the top of the stack: visited (fn's value in
 * *@stop) and pushed. Returns 1 if one was visited, 0 if the top was done
 * (popped), -ENOMEM.
 */
static int next(struct td_cgroupfs_walker *w, td_cgroup_fn fn, void *userdata, int *stop)
{
	struct frame *top = &w->stack[w->depth - 1];
	struct dirent *de;
	int fd, r;

	w->abs[top->len] = '\0';
	for (;;) {
		de = readdir(top->dir);
		if (!de) {
			closedir(top->dir);
			w->depth--;
			return 0;
		}
		if ((de->d_type != DT_DIR && de->d_type != DT_UNKNOWN) ||
		    !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		/* removed since, or not a directory (DT_UNKNOWN): skip */
		fd = openat(dirfd(top->dir), de->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			break;
	}
	r = abs_push(w, top->len, de->d_name);
	if (r == 0)
		*stop = visit(w, fd, fn, userdata);
	if (r || *stop) {
		close(fd);
		return r ? r : 1;
	}
	r = push(w, fd);
	return r < 0 ? r : 1;
}

int td_cgroupfs_walker_step(struct td_cgroupfs_walker *w, unsigned max_dirs, td_cgroup_fn fn,
			    void *userdata, int *ret_stop)
{
	unsigned visited = 0;
	int r = 0;

	*ret_stop = 0;
	if (w->depth == 0) {
		r = begin(w, fn, userdata, ret_stop);
		visited++;
	}
	while (r >= 0 && !*ret_stop && w->depth > 0 && visited < max_dirs) {
		r = next(w, fn, userdata, ret_stop);
		visited += r == 1;
	}
	if (r < 0 || *ret_stop)
		td_cgroupfs_walker_reset(w);
	if (r < 0)
		return r;
	return w->depth == 0;
}

int td_cgroupfs_walk(const char *root, td_cgroup_fn fn, void *userdata)
{
	struct td_cgroupfs_walker *w;
	int r, stop;

	r = td_cgroupfs_walker_new(root, &w);
	if (r < 0)
		return r;
	r = td_cgroupfs_walker_step(w, UINT_MAX, fn, userdata, &stop);
	td_cgroupfs_walker_free(w);
	return r < 0 ? r : stop;
}

/* ---------------------------------------------------------------- root */

static bool fs_is(const char *path, long magic)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == magic;
}

/* Whether <mnt>/cgroup.controllers lists "memory". */
static bool has_memory_controller(const char *mnt)
{
	char f[PATH_MAX], buf[512];
	bool found = false;
	FILE *fp;

	if (snprintf(f, sizeof(f), "%s/cgroup.controllers", mnt) >= (int)sizeof(f))
		return false;
	fp = fopen(f, "re");
	if (!fp)
		return false;
	if (fgets(buf, sizeof(buf), fp))
		for (char *save = NULL, *t = strtok_r(buf, " \n", &save); t && !found;
		     t = strtok_r(NULL, " \n", &save))
			found = !strcmp(t, "memory");
	fclose(fp);
	return found;
}

/* Mount points are octal-escaped in mountinfo (" " is "\040"). */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++, o++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o = *s;
		}
	}
	*o = '\0';
}

/* Whether a comma-separated option list has @opt. */
static bool has_option(const char *opts, const char *opt)
{
	size_t n = strlen(opt);

	for (const char *p = opts;; p++) {
		if (!strncmp(p, opt, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
		p = strchr(p, ',');
		if (!p)
			return false;
	}
}

/* Without libcgroup: the first cgroup2 mount that holds memory, else the
 * v1 memory hierarchy (-EMEDIUMTYPE), as libcgroup would answer. */
static int find_root_mountinfo(struct td_cgroupfs_root *ret)
{
	char *line = NULL, v1[PATH_MAX] = "";
	size_t cap = 0;
	int r = -ENOENT;
	FILE *fp;

	fp = fopen("/proc/self/mountinfo", "re");
	if (!fp)
		return -errno;
	while (r == -ENOENT && getline(&line, &cap, fp) > 0) {
		char mnt[PATH_MAX], fstype[64], opts[512];
		const char *sep = strstr(line, " - ");

		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS... - FSTYPE SOURCE SUPEROPTIONS */
		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s %*s %511s", fstype, opts) != 2)
			continue;
		unescape(mnt);
		if (!strcmp(fstype, "cgroup") && has_option(opts, "memory") && !v1[0])
			snprintf(v1, sizeof(v1), "%s", mnt);
		if (strcmp(fstype, "cgroup2") || !has_memory_controller(mnt))
			continue;
		r = snprintf(ret->path, sizeof(ret->path), "%s", mnt) >= (int)sizeof(ret->path) ?
			-ENAMETOOLONG : 0;
	}
	free(line);
	fclose(fp);
	if (r == -ENOENT && v1[0]) {
		memcpy(ret->path, v1, sizeof(v1));
		r = -EMEDIUMTYPE;
	}
	return r;
}

/* libcgroup's own messages: details of failures whose codes we return (the
 * caller logs those), so debug level; its default logger prints to stdout. */
__attribute__((format(printf, 3, 0)))
static void libcgroup_log(void *userdata, int level, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	td_debug("libcgroup: %s", buf);
}

int td_cgroupfs_find_root(struct td_cgroupfs_root *ret)
{
	char *mp = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	cgroup_set_logger(libcgroup_log, td_log_enabled(LOG_DEBUG) ? CGROUP_LOG_DEBUG : CGROUP_LOG_WARNING,
			  NULL);
	r = cgroup_init();
	if (r) {
		snprintf(ret->libcgroup_error, sizeof(ret->libcgroup_error),
			 "cgroup_init() failed: %s", cgroup_strerror(r));
		return find_root_mountinfo(ret);
	}
	r = cgroup_get_subsys_mount_point("memory", &mp);
	if (r == ECGROUPNOTEXIST || r == ECGROUPSUBSYSNOTMOUNTED)
		return -ENOENT;
	if (r)
		return r == ECGOTHER ? -cgroup_get_last_errno() : -EIO;
	r = snprintf(ret->path, sizeof(ret->path), "%s", mp) >= (int)sizeof(ret->path) ?
		-ENAMETOOLONG : 0;
	free(mp);
	if (r < 0)
		return r;
	/* on a hybrid host libcgroup answers with the v1 memory hierarchy */
	if (!fs_is(ret->path, CGROUP2_SUPER_MAGIC))
		return fs_is(ret->path, CGROUP_SUPER_MAGIC) ? -EMEDIUMTYPE : -ENOENT;
	return 0;
}

/* ---------------------------------------------------------------- files */

/* <root><path>[/<file>]; path "/" is the root itself. */
static int cg_join(char *buf, size_t size, const char *root, const char *path, const char *file)
{
	int n;

	if (!path || path[0] != '/')
		return -EINVAL;
	n = snprintf(buf, size, "%s%s%s%s", root, strcmp(path, "/") ? path : "",
		     file ? "/" : "", file ?: "");
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/*
 * Reads up to @size bytes of a cgroup file into @buf; *@ret_len is what was
 * read. The cgroup's files vanish with it: ENOENT from open (or ENODEV from
 * reading a file of a cgroup removed since) is -ENOENT when the directory
 * is gone too, -EOPNOTSUPP when only the file is missing.
 */
static int read_cg_file(const char *root, const char *path, const char *file, char *buf,
			size_t size, size_t *ret_len)
{
	char f[PATH_MAX];
	size_t len = 0;
	int fd, r;

	r = cg_join(f, sizeof(f), root, path, file);
	if (r < 0)
		return r;
	fd = open(f, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			return -errno;
		r = cg_join(f, sizeof(f), root, path, NULL);
		return r < 0 ? r : access(f, F_OK) == 0 ? -EOPNOTSUPP : -ENOENT;
	}
	while (len < size) {
		ssize_t n = pread(fd, buf + len, size - len, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = errno == ENODEV ? -ENOENT : -errno;
			break;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	*ret_len = len;
	return r;
}

/*
 * libcgroup 2.0.2: cgroup_get_cgroup() + cgroup_get_value_string() read v2 values, but
 * cost 21-48 reads (every control file) and cut values at 4095 bytes (cgroup_fill_cgc);
 * cgroup_read_value_begin() reads v2 correctly, but only below its own mount, not @root.
 */
int td_cgroupfs_read_numastat(const char *root, const char *path, struct td_numastat *ret)
{
	char buf[NUMASTAT_MAX];
	size_t len = 0;
	int r;

	r = read_cg_file(root, path, "memory.numa_stat", buf, sizeof(buf), &len);
	if (r < 0)
		return r;
	if (len == sizeof(buf)) {
		/* a cut line would parse as a smaller number: drop it */
		while (len > 0 && buf[len - 1] != '\n')
			len--;
	}
	return td_numastat_parse(buf, len, ret);
}

/* libcgroup 2.0.2: as for memory.numa_stat (td_cgroupfs_read_numastat()). */
int td_cgroupfs_memory_max(const char *root, const char *path, uint64_t *ret)
{
	char buf[32], *end;
	size_t len = 0;
	int r;

	r = read_cg_file(root, path, "memory.max", buf, sizeof(buf) - 1, &len);
	if (r == -EOPNOTSUPP && path && !strcmp(path, "/")) {
		*ret = UINT64_MAX;
		return 0;
	}
	if (r < 0)
		return r;
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (!strcmp(buf, "max")) {
		*ret = UINT64_MAX;
		return 0;
	}
	if (len == 0 || buf[0] < '0' || buf[0] > '9')
		return -EINVAL;
	errno = 0;
	*ret = strtoull(buf, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

/* ---------------------------------------------------------------- ids */

/*
 * The cgroup v2 path of process @pid, from <proc_root>/<pid>/cgroup's
 * "0::/path" line, malloc'ed. -ESRCH if the process is gone; -ENOENT if it
 * has no v2 line or the path is outside our cgroup namespace ("/.."), or
 * is not absolute; -ENOMEM.
 */
static int pid_cgroup(const char *proc_root, uint32_t pid, char **ret)
{
	char f[PATH_MAX], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int r = -ENOENT;
	FILE *fp;

	snprintf(f, sizeof(f), "%s/%" PRIu32 "/cgroup", proc_root, pid);
	fp = fopen(f, "re");
	if (!fp)
		return errno == ENOENT ? -ESRCH : -errno;
	while (r == -ENOENT && (n = getline(&line, &cap, fp)) > 0) {
		if (strncmp(line, "0::/", 4))
			continue;
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (strstr(line + 3, "/..") || strstr(line + 3, "//"))
			continue;
		*ret = strdup(line + 3);
		r = *ret ? 0 : -ENOMEM;
	}
	free(line);
	fclose(fp);
	return r;
}

/* Whether the directory @rel below the root open as @rootfd has inode @id. */
static bool dir_is(int rootfd, const char *rel, uint64_t id)
{
	struct stat st;
	int r = !strcmp(rel, "/") ? fstat(rootfd, &st) :
		fstatat(rootfd, rel + 1, &st, AT_SYMLINK_NOFOLLOW);

	return r == 0 && S_ISDIR(st.st_mode) && st.st_ino == id;
}

/*
 * No privilege and no walk: the task's own cgroup and its ancestors are
 * the candidates (a page's memcg is the nearest one with the memory
 * controller), each checked with one fstatat() relative to the root. See
 * cgroupfs.h for why not open_by_handle_at().
 */
int td_cgroupfs_resolve_pid(const char *root, const char *proc_root, uint32_t pid, uint64_t id,
			    char **ret_path)
{
	char *path = NULL;
	int rootfd, r;

	if (id == 0)
		return -ENOENT;
	r = pid_cgroup(proc_root, pid, &path);
	if (r < 0)
		return r;
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		r = -errno;
		free(path);
		return r;
	}
	for (r = -ENOENT;;) {
		char *slash;

		if (dir_is(rootfd, path, id)) {
			r = 0;
			break;
		}
		if (!strcmp(path, "/"))
			break;
		slash = strrchr(path, '/');
		slash[slash == path] = '\0';	/* "/a/b" -> "/a", "/a" -> "/" */
	}
	close(rootfd);
	if (r < 0)
		free(path);
	else
		*ret_path = path;
	return r;
}
