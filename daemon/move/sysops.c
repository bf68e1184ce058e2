// SPDX-License-Identifier: GPL-2.0-only
/*
 * sysops.c - the promoter's window on the real machine: move_pages(2),
 * free memory per node above the kernel's reserve, SLIT distances, the
 * clock. Everything that decides sits in promoter.c and lib/; this file
 * only reads and moves.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <numa.h>
#include <numaif.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/pidfd.h>

#include "move/placement.h"
#include "move/promoter.h"
#include "pipeline.h"

/* True when pid no longer exists or is exiting (zombie, dead). */
static bool process_gone(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	bool gone = true;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT;
	/* "pid (comm) S ...": the state follows the last ')' */
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] == ' ')
		gone = p[2] == 'Z' || p[2] == 'X';
	fclose(f);
	return gone;
}

static long sys_move_pages(void *ctx, pid_t pid, unsigned long count, void **pages,
			   const int *nodes, int *status, int flags)
{
	long r = move_pages(pid, count, pages, nodes, status, flags);

	if (r >= 0)
		return r;
	r = -errno;
	/* a process killed mid-batch has no mm while it exits: EINVAL, not ESRCH */
	if (r == -EINVAL && process_gone(pid))
		r = -ESRCH;
	return r;
}

static const struct td_move_ops syscall_ops = { .move_pages = sys_move_pages };

const struct td_move_ops *td_move_ops_syscall(void)
{
	return &syscall_ops;
}

/*
 * The kernel's own reserve per node, in pages: the sum over the node's zones
 * of the larger of the high and promo watermarks (/proc/zoneinfo). Migration
 * into a node below its watermarks fails with -ENOMEM even while
 * numa_node_size64() still reports free memory.
 */
static void kernel_reserves(uint64_t ret[TD_MAX_NODES])
{
	unsigned long long high = 0;
	char line[256];
	int node = -1;
	FILE *f;

	memset(ret, 0, TD_MAX_NODES * sizeof(*ret));
	f = fopen("/proc/zoneinfo", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;
		int n;

		if (sscanf(line, "Node %d, zone", &n) == 1) {
			node = td_node_valid(n) ? n : -1;
			continue;
		}
		if (node < 0)
			continue;
		/* "high" comes first; a later "promo" (6.1+) replaces it if larger */
		if (sscanf(line, " high %llu", &v) == 1) {
			ret[node] += v;
			high = v;
		} else if (sscanf(line, " promo %llu", &v) == 1 && v > high) {
			ret[node] += v - high;
		}
	}
	fclose(f);
}

static int sys_free_bytes(void *ctx, uint64_t mask, uint64_t ret[TD_MAX_NODES])
{
	uint64_t reserve[TD_MAX_NODES];
	long pagesz = numa_pagesize();

	kernel_reserves(reserve);
	for (int n = 0; n < TD_MAX_NODES; n++) {
		long long free_b = 0, keep = (long long)reserve[n] * pagesz;

		ret[n] = 0;
		if (!td_node_in(mask, n) || numa_node_size64(n, &free_b) < 0)
			continue;
		if (free_b > keep)
			ret[n] = (uint64_t)(free_b - keep);
	}
	return 0;
}

static int sys_distance(void *ctx, int a, int b)
{
	return numa_distance(a, b);
}

uint64_t td_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t sys_now_ns(void *ctx)
{
	return td_now_ns();
}

/* The machine's /proc, read by one placement cache for the daemon's life
 * (made at the first use; an allocation failure leaves pages unmoved). */
static int sys_allowed_nodes(void *ctx, uint32_t tgid, uint64_t addr, uint64_t now_ns,
			     uint64_t *ret)
{
	static struct td_placement *pl;

	if (!pl && td_placement_new("/proc", &pl) < 0)
		return -ENOMEM;
	return td_placement_allowed(pl, tgid, addr, now_ns, ret);
}

/* The 20th field after "(comm) ": starttime is field 22, state field 3. */
#define STAT_STARTTIME_AFTER_STATE 19

int td_proc_same_process(const char *proc_root, uint32_t tgid, uint64_t start_time,
			 long clk_tck)
{
	char path[PATH_MAX], buf[1024], *p;
	unsigned long long ticks;
	ssize_t n;
	int fd;

	if (clk_tck <= 0 || clk_tck > 1000000000L)
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/%u/stat", proc_root, tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return errno == ESRCH ? -ESRCH : -errno;
	buf[n] = 0;
	/* comm may hold spaces and ')': the fields follow the last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	for (int f = 0; f <= STAT_STARTTIME_AFTER_STATE; f++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EINVAL;
	}
	if (sscanf(p, " %llu", &ticks) != 1)
		return -EINVAL;
	/* the kernel truncates start_boottime to ticks the same way */
	return ticks == start_time / (1000000000ULL / (unsigned long long)clk_tck);
}

/* The process of pidfd has exited (or the pidfd cannot tell). */
static bool pidfd_exited(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) != 0;
}

/*
 * /proc/PID/stat, read right before a move_pages(2) call. The last process
 * it confirmed is held by a pidfd (one descriptor, opened before the read,
 * so it names the process the read confirmed): while that process has not
 * exited no other can have its PID, and the next call for it (a tick's
 * batches are grouped per process) costs a poll instead of rendering its
 * stat (~0.4 ms under TCG, 3 % of a 512-page batch). No pidfd (the kernel
 * or a filter refuses it): every call reads the stat.
 */
static int sys_same_process(void *ctx, uint32_t tgid, uint64_t start_time)
{
	static struct confirmed { int fd; uint32_t tgid; uint64_t start; } last = { .fd = -1 };
	static long clk_tck;
	int fd, r;

	if (!clk_tck)
		clk_tck = sysconf(_SC_CLK_TCK);
	if (last.fd >= 0 && last.tgid == tgid && last.start == start_time && !pidfd_exited(last.fd))
		return 1;
	if (last.fd >= 0)
		close(last.fd);
	last.fd = -1;
	fd = pidfd_open((pid_t)tgid, 0);
	r = td_proc_same_process("/proc", tgid, start_time, clk_tck);
	if (r == 1 && fd >= 0)
		last = (struct confirmed){ .fd = fd, .tgid = tgid, .start = start_time };
	else if (fd >= 0)
		close(fd);
	return r;
}

static const struct td_node_ops sys_node_ops = {
	.free_bytes = sys_free_bytes, .distance = sys_distance, .now_ns = sys_now_ns,
	.allowed_nodes = sys_allowed_nodes, .same_process = sys_same_process,
};

const struct td_node_ops *td_node_ops_sys(void)
{
	return &sys_node_ops;
}
