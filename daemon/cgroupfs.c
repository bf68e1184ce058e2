// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroupfs.h"

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
