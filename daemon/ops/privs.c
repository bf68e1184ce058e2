// SPDX-License-Identifier: GPL-2.0-only
/*
 * privs.c - see privs.h. libcap-ng reads and changes the sets; the bounding
 * set goes first (dropping from it needs CAP_SETPCAP, which the capability
 * drop then removes).
 *
 * The restorer is exec'd (tieringd --restorer=3), not just forked:
 * a fork would keep a copy of the daemon's memory, its BPF links and perf
 * events (the programs would stay attached after the daemon died) and
 * every other descriptor; the exec'd process holds one end of a socket
 * pair and its stdio, nothing else. A socket pair, not a pipe: the
 * restorer says on it that it is up before the daemon drops anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cap-ng.h>

#include "move/kernel.h"
#include "ops/log.h"
#include "ops/privs.h"

#define CAP_BIT(c)	(1ULL << (c))
#define RESTORER_FD	3
#define RESTORER_READY_MS 10000	/* an exec and a capset; slow only on a loaded host */
#define UNIT_RESTORES	"tieringd --restore-kernel-state (the unit's ExecStopPost=)"

struct td_privs {
	pid_t restorer;		/* 0: none */
	int sock_fd;		/* our end; its close is the restorer's signal */
	char who[96];		/* what td_kernel_defer() names */
};

uint64_t td_privs_keep_mask(const struct td_privs_params *p)
{
	uint64_t keep = CAP_BIT(CAP_SYS_PTRACE) | CAP_BIT(CAP_DAC_OVERRIDE);

	return keep | (p->sys_admin ? CAP_BIT(CAP_SYS_ADMIN) : 0);
}

/* The permitted set now, as a mask; 0 when unreadable. */
static uint64_t permitted_now(void)
{
	uint64_t m = 0;

	if (capng_get_caps_process() < 0)
		return 0;
	for (unsigned int c = 0; c < 64; c++)
		if (capng_have_capability(CAPNG_PERMITTED, c))
			m |= CAP_BIT(c);
	return m;
}

/* "CAP_A CAP_B ..." of mask into buf, "none" for 0. */
static const char *cap_names(uint64_t mask, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int c = 0; c < 64 && off < size; c++) {
		const char *n = mask & CAP_BIT(c) ? capng_capability_to_name(c) : NULL;

		if (!n)
			continue;
		off += snprintf(buf + off, size - off, "%sCAP_", off ? " " : "");
		for (; *n && off + 1 < size; n++)
			buf[off++] = (char)(*n >= 'a' && *n <= 'z' ? *n - 'a' + 'A' : *n);
		buf[off < size ? off : size - 1] = '\0';
	}
	return buf[0] ? buf : "none";
}

/* The dropped ones by name when few (under the unit), else how many and
 * the start-up ones among them (a bare run as root drops about 38). */
static const char *dropped_names(uint64_t dropped, char *buf, size_t size)
{
	const uint64_t startup = CAP_BIT(CAP_SYS_ADMIN) | CAP_BIT(CAP_BPF) | CAP_BIT(CAP_PERFMON);
	char names[128];
	int n = __builtin_popcountll(dropped);

	if (n <= 6)
		return cap_names(dropped, buf, size);
	snprintf(buf, size, "%d capabilities, %s among them", n,
		 cap_names(dropped & startup, names, sizeof(names)));
	return buf;
}

/*
 * Drops every capability outside keep from the effective, permitted and
 * inheritable sets, and from the bounding set if CAP_SETPCAP allows, then
 * sets no_new_privs. 0 or a negative errno; *ret_bounding says whether the
 * bounding set was narrowed.
 */
static int drop_all_but(uint64_t keep, bool *ret_bounding)
{
	const capng_type_t sets = CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_INHERITABLE;

	bool setpcap;

	*ret_bounding = false;
	if (capng_get_caps_process() < 0)
		return errno ? -errno : -EIO;
	setpcap = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	for (unsigned int c = 0; c < 64; c++)
		if (!(keep & CAP_BIT(c)) && capng_capability_to_name(c))
			capng_update(CAPNG_DROP, sets | CAPNG_BOUNDING_SET, c);
	if (setpcap) {
		if (capng_apply(CAPNG_SELECT_BOUNDS) < 0)
			return -EPERM;
		*ret_bounding = true;
	}
	if (capng_apply(CAPNG_SELECT_CAPS) < 0)
		return -EPERM;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

/* This program's path: what /proc/self/exe names (valgrind reports the
 * program it runs there, while an exec of /proc/self/exe itself would start
 * valgrind's tool binary), or /proc/self/exe when that path is gone. */
static const char *self_exe(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);

	if (n <= 0 || (size_t)n >= size - 1)
		return "/proc/self/exe";
	buf[n] = '\0';
	return access(buf, X_OK) == 0 ? buf : "/proc/self/exe";
}

/* In the child: fd becomes RESTORER_FD, every other descriptor but stdio
 * goes (other, the parent's end, too), then the exec. Never returns. */
static void exec_restorer(const char *exe, int fd, int other)
{
	char *argv[] = { "tieringd", "--restorer=3", NULL };

	/* dup2 clears FD_CLOEXEC, but is a no-op when already fd 3 */
	if (fd == RESTORER_FD ? fcntl(RESTORER_FD, F_SETFD, 0) < 0 : dup2(fd, RESTORER_FD) < 0)
		_exit(127);
	if (other < RESTORER_FD)
		close(other);	/* the parent's end must not live on as stdio */
	close_range(RESTORER_FD + 1, ~0U, 0);
	execv(exe, argv);
	_exit(127);
}

/* The restorer's one byte, sent once it holds only CAP_SYS_ADMIN and
 * waits: 0, or -ECHILD when it died first (exec failed), -ETIMEDOUT. */
static int restorer_ready(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;
	int n = poll(&pfd, 1, RESTORER_READY_MS);

	if (n == 0)
		return -ETIMEDOUT;
	if (n < 0)
		return -errno;
	return read(fd, &c, 1) == 1 ? 0 : -ECHILD;
}

/* fork + exec of the restorer over a socket pair: its end becomes its fd
 * 3; ours stays open while the daemon lives. */
static int start_restorer(struct td_privs *pv)
{
	char exe_buf[PATH_MAX];
	const char *exe = self_exe(exe_buf, sizeof(exe_buf));
	int fds[2], r, st;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		return -errno;
	pid = fork();
	if (pid == 0)
		exec_restorer(exe, fds[0], fds[1]);
	r = pid < 0 ? -errno : 0;
	close(fds[0]);
	if (!r)
		r = restorer_ready(fds[1]);
	if (r) {
		close(fds[1]);	/* a restorer that lives on gets its end of file */
		while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		return r;
	}
	pv->restorer = pid;
	pv->sock_fd = fds[1];
	snprintf(pv->who, sizeof(pv->who), "the restorer (%s, pid %d)",
		 TD_PRIVS_RESTORER_COMM, (int)pid);
	return 0;
}

/* Why CAP_SYS_ADMIN stays, if it does. */
static const char *sys_admin_why(const struct td_privs_params *asked,
				 const struct td_privs_params *eff)
{
	if (asked->sys_admin)
		return " (CAP_SYS_ADMIN: pagemap PFNs, for the folio sizes of sampled addresses)";
	return eff->sys_admin ? " (CAP_SYS_ADMIN: to put kernel.numa_balancing back at exit)" : "";
}

int td_privs_drop(const struct td_privs_params *p, struct td_privs **ret)
{
	struct td_privs_params eff = *p;
	struct td_privs *pv = calloc(1, sizeof(*pv));
	uint64_t before = permitted_now(), after;
	char dropped[512], kept[128];
	bool bounding;
	int r;

	*ret = pv;
	if (!pv)
		return -ENOMEM;
	pv->sock_fd = -1;
	snprintf(pv->who, sizeof(pv->who), "%s", UNIT_RESTORES);
	if (p->restorer) {
		r = start_restorer(pv);
		if (r < 0) {
			td_warn("cannot start the kernel settings' restorer (%s), ignoring",
				strerror(-r));
			eff.sys_admin = true;
		}
	}
	r = drop_all_but(td_privs_keep_mask(&eff), &bounding);
	if (r < 0)
		return td_err(r, "dropping capabilities failed, running with %s",
			      cap_names(before, dropped, sizeof(dropped)));
	after = permitted_now();
	td_info("capabilities dropped after start-up: %s (%s); kept %s%s",
		dropped_names(before & ~after, dropped, sizeof(dropped)),
		bounding ? "also from the bounding set" : "bounding set unchanged: no CAP_SETPCAP",
		cap_names(after, kept, sizeof(kept)),
		after & CAP_BIT(CAP_SYS_ADMIN) ? sys_admin_why(p, &eff) : "");
	if (!(after & CAP_BIT(CAP_SYS_ADMIN)) && p->kernel)
		td_kernel_defer(p->kernel, pv->who);
	return 0;
}

void td_privs_free(struct td_privs *p)
{
	int st;

	if (!p)
		return;
	if (p->sock_fd >= 0)
		close(p->sock_fd);
	while (p->restorer > 0 && waitpid(p->restorer, &st, 0) < 0 && errno == EINTR)
		;
	free(p);
}

int td_privs_run_restorer(int fd)
{
	bool bounding;
	char c;
	ssize_t n;

	(void)prctl(PR_SET_NAME, TD_PRIVS_RESTORER_COMM, 0, 0, 0);
	if (drop_all_but(CAP_BIT(CAP_SYS_ADMIN), &bounding) < 0)
		td_warn("restorer: cannot drop capabilities, ignoring");
	/* ready: the daemon waits for this byte before it drops anything */
	if (write(fd, "R", 1) != 1)
		return -errno;
	/* the daemon never writes: data would only be read past */
	while ((n = read(fd, &c, 1)) != 0)
		if (n < 0 && errno != EINTR)
			break;
	close(fd);
	return td_kernel_restore_state(NULL);
}
