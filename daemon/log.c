// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "log.h"

static int log_max_prio = LOG_INFO;
static bool libbpf_quiet;
static bool log_to_journal;

void td_log_init(int max_prio)
{
	log_max_prio = max_prio;
	/* systemd sets JOURNAL_STREAM when stderr is connected to the journal */
	log_to_journal = getenv("JOURNAL_STREAM") != NULL;
}

bool td_log_enabled(int prio)
{
	return prio <= log_max_prio;
}

static void log_va(int prio, int err, const char *fmt, va_list ap)
{
	char buf[1024];
	int n;

	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		return;
	if (err && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(abs(err)));
	if (log_to_journal) {
		if (err)
			sd_journal_send("MESSAGE=%s", buf, "PRIORITY=%d", prio,
					"ERRNO=%d", abs(err), "SYSLOG_IDENTIFIER=tieringd", NULL);
		else
			sd_journal_send("MESSAGE=%s", buf, "PRIORITY=%d", prio,
					"SYSLOG_IDENTIFIER=tieringd", NULL);
		return;
	}
	fprintf(stderr, "tieringd: %s\n", buf);
}

int td_log_errno(int prio, int err, const char *fmt, ...)
{
	va_list ap;

	if (td_log_enabled(prio)) {
		va_start(ap, fmt);
		log_va(prio, err, fmt, ap);
		va_end(ap);
	}
	return err ? -abs(err) : 0;
}

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
