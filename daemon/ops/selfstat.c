// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "ops/selfstat.h"

struct td_selfstat {
	char root[PATH_MAX];
	uint64_t base_ns, base_cpu_ns;	/* the current interval's start */
	uint64_t rate;			/* of the last finished interval */
	bool started;
};

int td_selfstat_new(const char *proc_root, struct td_selfstat **ret)
{
	struct td_selfstat *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	snprintf(s->root, sizeof(s->root), "%s", proc_root);
	*ret = s;
	return 0;
}

void td_selfstat_free(struct td_selfstat *s)
{
	free(s);
}

static uint64_t tv_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000000ULL + (uint64_t)tv->tv_usec * 1000ULL;
}

/* "VmRSS:   1234 kB" lines of PROC/self/status, in bytes. */
static void read_status(const char *root, struct td_selfstat_sample *ret)
{
	char path[PATH_MAX + 32], line[256];
	unsigned long long kb;
	FILE *f;

	snprintf(path, sizeof(path), "%s/self/status", root);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmRSS: %llu kB", &kb) == 1)
			ret->rss_bytes = kb * 1024;
		else if (sscanf(line, "VmHWM: %llu kB", &kb) == 1)
			ret->rss_peak_bytes = kb * 1024;
	}
	fclose(f);
}

/* Entries of PROC/self/fd but the directory stream's own fd. */
static uint64_t count_fds(const char *root)
{
	char path[PATH_MAX + 32];
	struct dirent *de;
	uint64_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/self/fd", root);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	/* the stream's own fd is listed when PROC is the real /proc */
	return n && !strcmp(root, "/proc") ? n - 1 : n;
}

static uint64_t read_flag(const char *root, const char *rel)
{
	char path[PATH_MAX + 64];
	int v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%d", &v) != 1)
		v = 0;
	fclose(f);
	return v > 0;
}

int td_selfstat_sample(struct td_selfstat *s, uint64_t now_ns, struct td_selfstat_sample *ret)
{
	struct rusage ru;

	*ret = (struct td_selfstat_sample){ 0 };
	if (getrusage(RUSAGE_SELF, &ru))
		return -errno;
	ret->cpu_ns = tv_ns(&ru.ru_utime) + tv_ns(&ru.ru_stime);
	if (!s->started) {
		s->started = true;
		s->base_ns = now_ns;
		s->base_cpu_ns = ret->cpu_ns;
	} else if (now_ns - s->base_ns >= TD_SELFSTAT_MIN_INTERVAL_NS) {
		/* ns of CPU per s of wall: cpu * 1e9 / wall, without overflow for years of CPU */
		s->rate = (uint64_t)((double)(ret->cpu_ns - s->base_cpu_ns) * 1e9 /
				     (double)(now_ns - s->base_ns));
		s->base_ns = now_ns;
		s->base_cpu_ns = ret->cpu_ns;
	}
	ret->cpu_ns_per_s = s->rate;
	read_status(s->root, ret);
	ret->fds = count_fds(s->root);
	ret->bpf_stats_enabled = read_flag(s->root, "sys/kernel/bpf_stats_enabled");
	return 0;
}
