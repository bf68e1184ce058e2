// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ops/metricsfile.h"

static int open_tmp(const char *tmp)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	/* our pid in the name: whoever left it there is gone */
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	return fd < 0 ? -errno : fd;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

int td_metricsfile_write(const char *path, const char *buf, size_t len)
{
	char tmp[PATH_MAX];
	int fd, r;

	r = snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	if (r < 0 || (size_t)r >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open_tmp(tmp);
	if (fd < 0)
		return fd;
	/* the collector may run as another user; umask must not hide the file */
	r = fchmod(fd, 0644) < 0 ? -errno : 0;
	if (!r)
		r = write_all(fd, buf, len);
	/* close() reports delayed write errors on some filesystems (NFS) */
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		(void)unlink(tmp);
	return r;
}
