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
#include <ftw.h>
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

/* include/linux/exportfs.h: a kernfs node id as a file handle */
#define FILEID_KERNFS 0xfe

#define NUMASTAT_MAX 16384

/* d_path()'s mark on an unlinked directory */
#define DELETED " (deleted)"
#define DELETED_LEN (sizeof(DELETED) - 1)

/* nftw has no user pointer; walks are single-threaded and not nested. */
static struct {
	td_cgroup_fn fn;
	void *userdata;
	size_t root_len;
} walk;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type != FTW_D)
		return 0;
	return walk.fn(path[walk.root_len] ? path + walk.root_len : "/", st->st_ino, path,
		       walk.userdata);
}

/*
 * libcgroup 2.0.2: cgroup_walk_tree_begin("memory", "/") walks v2 correctly,
 * but takes a controller, not @root, and its cgroup_file_info has no inode.
 */
int td_cgroupfs_walk(const char *root, td_cgroup_fn fn, void *userdata)
{
	int r;

	walk.fn = fn;
	walk.userdata = userdata;
	walk.root_len = strlen(root);
	r = nftw(root, visit, 16, FTW_PHYS);
	if (r < 0)
		return -errno;
	return r;
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

/* The target of /proc/self/fd/@fd. */
static int fd_path(int fd, char *buf, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, size);
	if (n < 0)
		return -errno;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return 0;
}

/* @abs below @base: the rest, "/" if they are the same; NULL if not below. */
static const char *below(const char *abs, const char *base)
{
	size_t n = strlen(base);

	if (!strcmp(base, "/"))
		return abs;
	if (strncmp(abs, base, n) || (abs[n] != '/' && abs[n] != '\0'))
		return NULL;
	return abs[n] ? abs + n : "/";
}

static int copy_path(char *dst, size_t size, const char *src)
{
	return snprintf(dst, size, "%s", src) >= (int)size ? -ENAMETOOLONG : 0;
}

/*
 * libcgroup 2.0.2 has no id-to-path call. The kernfs handle is the id
 * itself; the kernel turns it back into the directory (as systemd's
 * cg_path_from_cgroupid() does), whose path /proc/self/fd then tells.
 * -EOPNOTSUPP when @mfd is not cgroup2.
 */
static int resolve_by_handle(int mfd, uint64_t id, char *path, size_t size)
{
	union {
		struct file_handle fh;
		char space[sizeof(struct file_handle) + sizeof(uint64_t)];
	} h = { .fh = { .handle_bytes = sizeof(uint64_t), .handle_type = FILEID_KERNFS } };
	char base[PATH_MAX], abs[PATH_MAX];
	const char *rel;
	struct statfs sfs;
	struct stat st;
	size_t n;
	int fd, r;

	if (fstatfs(mfd, &sfs) < 0)
		return -errno;
	if (sfs.f_type != CGROUP2_SUPER_MAGIC)
		return -EOPNOTSUPP;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ESTALE ? -ENOENT : -errno;	/* ESTALE: no such node */
	r = fd_path(mfd, base, sizeof(base));
	if (r == 0)
		r = fd_path(fd, abs, sizeof(abs));
	if (r == 0 && (fstat(fd, &st) < 0 || st.st_ino != id))
		r = -ENOENT;
	close(fd);
	if (r < 0)
		return r;
	/* removed since it was opened; or outside the part of the tree we see */
	rel = below(abs, base);
	n = strlen(abs);
	if (!rel || (n > DELETED_LEN && !strcmp(abs + n - DELETED_LEN, DELETED)))
		return -ENOENT;
	return copy_path(path, size, rel);
}

struct find_ctx {
	uint64_t id;
	unsigned visited;
	char *path;
	size_t size;
	int r;
};

static int find_one(const char *path, uint64_t id, const char *abspath, void *userdata)
{
	struct find_ctx *f = userdata;

	if (id == f->id) {
		f->r = copy_path(f->path, f->size, path);
		return 1;
	}
	if (++f->visited >= TD_CGROUPFS_RESOLVE_WALK_MAX) {
		f->r = -E2BIG;
		return 1;
	}
	return 0;
}

int td_cgroupfs_resolve_id(const char *root, uint64_t id, char *path, size_t size)
{
	struct find_ctx f = { .id = id, .path = path, .size = size, .r = -ENOENT };
	int mfd, r;

	if (id == 0)
		return -ENOENT;
	mfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return -errno;
	r = resolve_by_handle(mfd, id, path, size);
	close(mfd);
	switch (r) {
	case -EPERM:		/* no CAP_DAC_READ_SEARCH */
	case -EACCES:
	case -EOPNOTSUPP:	/* not cgroup2, or no export ops */
	case -ENOSYS:		/* filtered by a seccomp policy */
	case -EINVAL:		/* handle type unknown to this kernel */
		break;
	default:
		return r;
	}
	r = td_cgroupfs_walk(root, find_one, &f);
	return r < 0 ? r : f.r;
}
