// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <bpf/libbpf.h>
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "ops/log.h"
#include "units.h"

#define NSEC_PER_SEC 1000000000ULL
/* the bucket holds one second's worth: TD_LOG_PROMOTE_PER_SEC tokens */
#define PROMOTE_TOKEN_NS (NSEC_PER_SEC / TD_LOG_PROMOTE_PER_SEC)

static int log_max_prio = LOG_INFO;
static bool libbpf_quiet;
static bool log_to_journal;

static struct {
	bool started;
	uint64_t last_ns;
	uint64_t credit_ns;	/* tokens, in nanoseconds of refill */
	uint64_t pending;	/* suppressed since the last entry emitted */
	uint64_t total;		/* suppressed since start */
} promote_rl;

/*
 * systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected to
 * stderr. Children inherit the variable even when their stderr goes
 * elsewhere (a test harness run from a service redirects it to a file), so
 * the journal is used only when stderr is still that stream.
 */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void td_log_init(int max_prio)
{
	log_max_prio = max_prio;
	log_to_journal = stderr_is_journal();
}

bool td_log_enabled(int prio)
{
	return prio <= log_max_prio;
}

/* One entry with MESSAGE, PRIORITY, SYSLOG_IDENTIFIER and, when given,
 * ERRNO and MESSAGE_ID. */
static void journal_send(int prio, int err, const char *message_id, const char *msg)
{
	char f_msg[1100], f_prio[16], f_errno[24], f_id[48];
	struct iovec iov[5];
	int n = 0;

	snprintf(f_msg, sizeof(f_msg), "MESSAGE=%s", msg);
	snprintf(f_prio, sizeof(f_prio), "PRIORITY=%d", prio);
	iov[n++] = (struct iovec){ f_msg, strlen(f_msg) };
	iov[n++] = (struct iovec){ f_prio, strlen(f_prio) };
	iov[n++] = (struct iovec){ (char *)"SYSLOG_IDENTIFIER=tieringd", strlen("SYSLOG_IDENTIFIER=tieringd") };
	if (err) {
		snprintf(f_errno, sizeof(f_errno), "ERRNO=%d", abs(err));
		iov[n++] = (struct iovec){ f_errno, strlen(f_errno) };
	}
	if (message_id) {
		snprintf(f_id, sizeof(f_id), "MESSAGE_ID=%s", message_id);
		iov[n++] = (struct iovec){ f_id, strlen(f_id) };
	}
	sd_journal_sendv(iov, n);
}

__attribute__((format(printf, 4, 0)))
static void log_va(int prio, int err, const char *message_id, const char *fmt, va_list ap)
{
	char buf[1024];
	int n;

	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		return;
	if (err && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(abs(err)));
	if (log_to_journal) {
		journal_send(prio, err, message_id, buf);
		return;
	}
	fprintf(stderr, "tieringd: %s\n", buf);
}

int td_log_errno(int prio, int err, const char *fmt, ...)
{
	va_list ap;

	if (td_log_enabled(prio)) {
		va_start(ap, fmt);
		log_va(prio, err, NULL, fmt, ap);
		va_end(ap);
	}
	return err ? -abs(err) : 0;
}

int td_log_id(int prio, const char *message_id, const char *fmt, ...)
{
	va_list ap;

	if (td_log_enabled(prio)) {
		va_start(ap, fmt);
		log_va(prio, 0, message_id, fmt, ap);
		va_end(ap);
	}
	return 0;
}

/* Token bucket: true when one more promote entry may go out at now_ns. */
static bool promote_allowed(uint64_t now_ns)
{
	if (!promote_rl.started) {
		promote_rl.started = true;
		promote_rl.last_ns = now_ns;
		promote_rl.credit_ns = NSEC_PER_SEC;
	} else if (now_ns > promote_rl.last_ns) {
		promote_rl.credit_ns += now_ns - promote_rl.last_ns;
		if (promote_rl.credit_ns > NSEC_PER_SEC)
			promote_rl.credit_ns = NSEC_PER_SEC;
		promote_rl.last_ns = now_ns;
	}
	if (promote_rl.credit_ns < PROMOTE_TOKEN_NS)
		return false;
	promote_rl.credit_ns -= PROMOTE_TOKEN_NS;
	return true;
}

static void promote_report_suppressed(void)
{
	uint64_t n = promote_rl.pending;

	promote_rl.pending = 0;
	if (!log_to_journal) {
		fprintf(stderr, "tieringd: suppressed %" PRIu64 " promote entries\n", n);
		return;
	}
	sd_journal_send("MESSAGE=suppressed %" PRIu64 " promote entries", n,
			"MESSAGE_ID=" TD_MESSAGE_ID_PROMOTE_SUPPRESSED,
			"PRIORITY=%d", LOG_INFO,
			"SYSLOG_IDENTIFIER=tieringd",
			"TIERINGD_EVENT=promote-suppressed",
			"SUPPRESSED_ENTRIES=%" PRIu64, n,
			NULL);
}

void td_log_promote_batch(const char *cgroup_path, const struct td_batch_result *b,
			  uint64_t now_ns)
{
	uint64_t pages = td_bytes_to_pages(b->moved_bytes), failed = td_bytes_to_pages(b->failed_bytes);

	/* an info entry, on stderr or in the journal */
	if (!td_log_enabled(LOG_INFO))
		return;
	if (!promote_allowed(now_ns)) {
		promote_rl.pending++;
		promote_rl.total++;
		return;
	}
	if (promote_rl.pending)
		promote_report_suppressed();
	if (!cgroup_path)
		cgroup_path = "";
	if (!log_to_journal) {
		fprintf(stderr, "tieringd: promote: pid %" PRIu32 " (%s) node %d -> %d: %" PRIu64
			" promoted (%" PRIu32 " folios, %" PRIu64 " bytes), %" PRIu64 " failed\n",
			b->tgid, cgroup_path, b->src_nid, b->dst_nid, pages, b->moved, b->moved_bytes,
			failed);
		return;
	}
	sd_journal_send("MESSAGE=promoted %" PRIu64 " pages (%" PRIu32 " folios) of pid %" PRIu32
			" (%s) from node %d to node %d, %" PRIu64 " failed",
			pages, b->moved, b->tgid, cgroup_path, b->src_nid, b->dst_nid, failed,
			"MESSAGE_ID=" TD_MESSAGE_ID_PROMOTE,
			"PRIORITY=%d", LOG_INFO,
			"SYSLOG_IDENTIFIER=tieringd",
			"TIERINGD_EVENT=promote",
			"PROMOTED_PAGES=%" PRIu64, pages,
			"PROMOTED_BYTES=%" PRIu64, b->moved_bytes,
			"PROMOTED_FOLIOS=%" PRIu32, b->moved,
			"FAILED_PAGES=%" PRIu64, failed,
			"FAILED_BYTES=%" PRIu64, b->failed_bytes,
			"TARGET_PID=%" PRIu32, b->tgid,
			"CGROUP_PATH=%s", cgroup_path,
			"SRC_NODE=%d", b->src_nid,
			"DST_NODE=%d", b->dst_nid,
			NULL);
}

void td_log_kernel_promote(const char *cgroup_path, uint64_t pages)
{
	if (!td_log_enabled(LOG_INFO))
		return;
	if (!log_to_journal) {
		fprintf(stderr, "tieringd: kernel-promote: %s: %" PRIu64 " pages promoted by the "
			"kernel itself\n", cgroup_path, pages);
		return;
	}
	sd_journal_send("MESSAGE=the kernel itself promoted %" PRIu64 " pages of %s", pages,
			cgroup_path,
			"MESSAGE_ID=" TD_MESSAGE_ID_KERNEL_PROMOTE,
			"PRIORITY=%d", LOG_INFO,
			"SYSLOG_IDENTIFIER=tieringd",
			"TIERINGD_EVENT=kernel-promote",
			"KERNEL_PROMOTED_PAGES=%" PRIu64, pages,
			"CGROUP_PATH=%s", cgroup_path,
			NULL);
}

uint64_t td_log_promote_suppressed(void)
{
	return promote_rl.total;
}

__attribute__((format(printf, 2, 0)))
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int prio = level == LIBBPF_WARN ? LOG_WARNING :
		   level == LIBBPF_INFO ? LOG_INFO : LOG_DEBUG;
	char buf[1024];
	size_t n;

	/* libbpf's INFO is chatty, and its warnings while we probe are expected */
	if (prio == LOG_INFO || libbpf_quiet)
		prio = LOG_DEBUG;
	if (!td_log_enabled(prio))
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	td_log(prio, "libbpf: %s", buf);
	return 0;
}

void td_log_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

void td_log_libbpf_quiet(bool quiet)
{
	libbpf_quiet = quiet;
}
