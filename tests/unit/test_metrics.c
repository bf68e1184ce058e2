// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "counters.h"
#include "metrics.h"
#include "promote.h"

static const char *const reasons[] = { "ENOENT", "EBUSY", "ENOMEM" };

/* ------------------------------------------------------------ validator */

/*
 * A small reader of the text format, strict where node_exporter's parser is:
 * every line ends in '\n'; comments are "# HELP name text" or
 * "# TYPE name counter|gauge", each once per name and before its samples;
 * samples are name{label="value",...} value, with only \\ \" \n escapes,
 * valid UTF-8 in label values, a float value, no timestamp; a family's
 * samples are contiguous; no series appears twice.
 */
#define MAX_NAMES 128
#define MAX_SERIES 1024

struct seen {
	char help[MAX_NAMES][80], type[MAX_NAMES][80], fam[MAX_NAMES][80];
	size_t n_help, n_type, n_fam;
	char last_fam[80];
	char series[MAX_SERIES][256];
	size_t n_series;
};

static bool in(char (*set)[80], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(set[i], name))
			return true;
	return false;
}

static bool name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static bool name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

/* Reads a metric (colons allowed) or label name into out; returns its end. */
static const char *read_name(const char *p, char *out, size_t size, bool colon)
{
	size_t n = 0;

	if (!name_start(*p) || (!colon && *p == ':'))
		return NULL;
	while (name_char(*p) && (colon || *p != ':')) {
		if (n + 1 >= size)
			return NULL;
		out[n++] = *p++;
	}
	out[n] = '\0';
	return p;
}

static bool utf8_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 :
			   (*p & 0xf8) == 0xf0 ? 4 : 0;
		uint32_t cp = n == 1 ? *p : n == 2 ? *p & 0x1f : n == 3 ? *p & 0x0f : *p & 0x07;
		static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };

		if (!n || (size_t)(end - p) < n)
			return false;
		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n;
	}
	return true;
}

/* Label value after the opening quote; returns the closing quote. */
static const char *read_value(const char *p)
{
	const char *start = p;

	for (; *p != '"'; p++) {
		if (*p == '\n' || !*p)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p != '\\' && *p != '"' && *p != 'n')
				return NULL;
		}
	}
	return utf8_ok(start, p - start) ? p : NULL;
}

static bool valid_number(const char *p, const char *end)
{
	char tmp[64], *e;
	size_t n = end - p;

	if (!n || n >= sizeof(tmp))
		return false;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	if (!strcmp(tmp, "NaN") || !strcmp(tmp, "+Inf") || !strcmp(tmp, "-Inf"))
		return true;
	strtod(tmp, &e);
	return *e == '\0';
}

static bool check_comment(struct seen *s, const char *line, const char *eol)
{
	char name[80];
	const char *p;
	bool help = !strncmp(line, "# HELP ", 7);

	if (!help && strncmp(line, "# TYPE ", 7))
		return false;
	p = read_name(line + 7, name, sizeof(name), true);
	if (!p || *p != ' ' || p + 1 >= eol)
		return false;
	if (in(s->fam, s->n_fam, name))		/* after its samples */
		return false;
	if (help) {
		if (in(s->help, s->n_help, name) || s->n_help == MAX_NAMES)
			return false;
		strcpy(s->help[s->n_help++], name);
		return true;
	}
	if (in(s->type, s->n_type, name) || s->n_type == MAX_NAMES)
		return false;
	if ((size_t)(eol - p - 1) == 7 && !strncmp(p + 1, "counter", 7))
		;
	else if ((size_t)(eol - p - 1) == 5 && !strncmp(p + 1, "gauge", 5))
		;
	else
		return false;
	strcpy(s->type[s->n_type++], name);
	return true;
}

static bool check_sample(struct seen *s, const char *line, const char *eol)
{
	char name[80], label[80];
	const char *p = read_name(line, name, sizeof(name), true);

	if (!p || !in(s->type, s->n_type, name) || !in(s->help, s->n_help, name))
		return false;
	if (strcmp(name, s->last_fam)) {
		if (in(s->fam, s->n_fam, name) || s->n_fam == MAX_NAMES)
			return false;	/* samples not contiguous */
		strcpy(s->fam[s->n_fam++], name);
		strcpy(s->last_fam, name);
	}
	if (*p == '{') {
		do {
			p = read_name(p + 1, label, sizeof(label), false);
			if (!p || *p != '=' || p[1] != '"')
				return false;
			p = read_value(p + 2);
			if (!p)
				return false;
			p++;
		} while (*p == ',');
		if (*p++ != '}')
			return false;
	}
	if (*p != ' ' || !valid_number(p + 1, eol))
		return false;
	/* the series (everything before the value) must be unique */
	if ((size_t)(p - line) >= sizeof(s->series[0]) || s->n_series == MAX_SERIES)
		return false;
	for (size_t i = 0; i < s->n_series; i++)
		if (strlen(s->series[i]) == (size_t)(p - line) &&
		    !strncmp(s->series[i], line, p - line))
			return false;
	memcpy(s->series[s->n_series], line, p - line);
	s->series[s->n_series++][p - line] = '\0';
	return true;
}

/* Set while testing the validator: rejections are expected there. */
static bool quiet;

/* Returns the number of samples, or -1 (and prints the line) if invalid. */
static int validate(const char *text, size_t len)
{
	struct seen *s = calloc(1, sizeof(*s));
	const char *line = text, *end = text + len;
	int samples = 0;

	assert_non_null(s);
	assert_int_equal(strlen(text), len);
	while (line < end) {
		const char *eol = memchr(line, '\n', end - line);
		bool ok;

		if (!eol)
			goto bad;
		if (*line == '#')
			ok = check_comment(s, line, eol);
		else
			ok = check_sample(s, line, eol) && ++samples;
		if (!ok)
			goto bad;
		line = eol + 1;
	}
	free(s);
	return samples;
bad:
	if (!quiet) {
		const char *eol = memchr(line, '\n', end - line);

		print_error("invalid line: %.*s\n", (int)((eol ? eol : end) - line), line);
	}
	free(s);
	return -1;
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* ------------------------------------------------------------ helpers */

/* Samples the registry writes: one per label value of each counter. Used
 * for counts only; the exact texts below are written out by hand. */
static int registry_samples(void)
{
	int n = 0;

	for (unsigned i = 0; i < TD_CTR__MAX; i++)
		n += td_ctr_def(i)->n_values;
	return n;
}

/* The fixed per-cgroup families of lib/metrics.c, after the registry's. */
static const char *const cgroup_families[] = {
	"tieringd_cgroup_mode", "tieringd_pages_promoted_total", "tieringd_pages_failed_total",
	"tieringd_cgroup_fast_bytes", "tieringd_cgroup_slow_bytes",
};

#define N_CGROUP_FAMILIES (sizeof(cgroup_families) / sizeof(cgroup_families[0]))

/* ------------------------------------------------------------ cases */

static const char exact_uptime[] =
	"# HELP tieringd_uptime_seconds Seconds since the daemon started.\n"
	"# TYPE tieringd_uptime_seconds gauge\n"
	"tieringd_uptime_seconds 12.500\n";

/* A few registry families for exact_counters(), in registry order; the
 * first is the registry's first counter, right after the uptime. */
static const char *const exact_families[] = {
	"# HELP tieringd_events_received_total Access events taken from the BPF ring buffer.\n"
	"# TYPE tieringd_events_received_total counter\n"
	"tieringd_events_received_total 123\n",

	"# HELP tieringd_events_total Access events taken from the ring buffer, by source.\n"
	"# TYPE tieringd_events_total counter\n"
	"tieringd_events_total{source=\"hint_fault\"} 100\n"
	"tieringd_events_total{source=\"sample\"} 23\n",

	"# HELP tieringd_events_dropped_total Events lost because the ring buffer was full (failed reserves).\n"
	"# TYPE tieringd_events_dropped_total counter\n"
	"tieringd_events_dropped_total 4\n",

	"# HELP tieringd_hot_entries Live entries in the hotness table.\n"
	"# TYPE tieringd_hot_entries gauge\n"
	"tieringd_hot_entries 31\n",

	"# HELP tieringd_promoted_pages_total Pages on a fast node after a move_pages(2) call of tieringd, all cgroups.\n"
	"# TYPE tieringd_promoted_pages_total counter\n"
	"tieringd_promoted_pages_total 41\n",

	"# HELP tieringd_promote_failed_pages_total Pages move_pages(2) did not put on the fast node, all cgroups.\n"
	"# TYPE tieringd_promote_failed_pages_total counter\n"
	"tieringd_promote_failed_pages_total 17\n",

	"# HELP tieringd_promote_failures_total Pages not promoted, by the per-page status move_pages(2) gave.\n"
	"# TYPE tieringd_promote_failures_total counter\n"
	"tieringd_promote_failures_total{reason=\"ENOENT\"} 5\n"
	"tieringd_promote_failures_total{reason=\"EBUSY\"} 0\n"
	"tieringd_promote_failures_total{reason=\"EFAULT\"} 0\n"
	"tieringd_promote_failures_total{reason=\"EINVAL\"} 0\n"
	"tieringd_promote_failures_total{reason=\"ENOMEM\"} 2\n"
	"tieringd_promote_failures_total{reason=\"EACCES\"} 0\n"
	"tieringd_promote_failures_total{reason=\"ESRCH\"} 0\n"
	"tieringd_promote_failures_total{reason=\"EIO\"} 0\n"
	"tieringd_promote_failures_total{reason=\"E2BIG\"} 0\n"
	"tieringd_promote_failures_total{reason=\"EPERM\"} 0\n"
	"tieringd_promote_failures_total{reason=\"wrong_node\"} 9\n"
	"tieringd_promote_failures_total{reason=\"other\"} 1\n",

	"# HELP tieringd_pages_demoted_total Pages the kernel demoted for tieringd's memory.reclaim writes.\n"
	"# TYPE tieringd_pages_demoted_total counter\n"
	"tieringd_pages_demoted_total 6\n",

	"# HELP tieringd_reloads_total Configuration reloads applied.\n"
	"# TYPE tieringd_reloads_total counter\n"
	"tieringd_reloads_total 2\n",

	"# HELP tieringd_reload_failures_total Configuration reloads refused (the running configuration stayed).\n"
	"# TYPE tieringd_reload_failures_total counter\n"
	"tieringd_reload_failures_total 1\n",
};

/* The per-cgroup families end the text. */
static const char exact_cgroups[] =
	"# HELP tieringd_cgroup_mode Policy mode of a managed cgroup (always 1).\n"
	"# TYPE tieringd_cgroup_mode gauge\n"
	"tieringd_cgroup_mode{cgroup=\"/a\",mode=\"promote\"} 1\n"
	"tieringd_cgroup_mode{cgroup=\"/b/c\",mode=\"observe\"} 1\n"
	"# HELP tieringd_pages_promoted_total Pages promoted to a fast node, by cgroup.\n"
	"# TYPE tieringd_pages_promoted_total counter\n"
	"tieringd_pages_promoted_total{cgroup=\"/a\"} 40\n"
	"tieringd_pages_promoted_total{cgroup=\"/b/c\"} 0\n"
	"# HELP tieringd_pages_failed_total Pages that failed to promote, by cgroup and reason (non-zero only).\n"
	"# TYPE tieringd_pages_failed_total counter\n"
	"tieringd_pages_failed_total{cgroup=\"/a\",reason=\"ENOENT\"} 3\n"
	"tieringd_pages_failed_total{cgroup=\"/a\",reason=\"ENOMEM\"} 2\n"
	"# HELP tieringd_cgroup_fast_bytes Bytes of a cgroup's memory on fast nodes.\n"
	"# TYPE tieringd_cgroup_fast_bytes gauge\n"
	"tieringd_cgroup_fast_bytes{cgroup=\"/a\"} 4096\n"
	"tieringd_cgroup_fast_bytes{cgroup=\"/b/c\"} 0\n"
	"# HELP tieringd_cgroup_slow_bytes Bytes of a cgroup's memory on slow nodes.\n"
	"# TYPE tieringd_cgroup_slow_bytes gauge\n"
	"tieringd_cgroup_slow_bytes{cgroup=\"/a\"} 8192\n"
	"tieringd_cgroup_slow_bytes{cgroup=\"/b/c\"} 0\n";

static void exact_counters(struct td_counters *c)
{
	*c = (struct td_counters){ 0 };
	c->v[TD_CTR_EVENTS_RECEIVED][0] = 123;
	c->v[TD_CTR_EVENTS][0] = 100;		/* hint_fault */
	c->v[TD_CTR_EVENTS][1] = 23;		/* sample */
	c->v[TD_CTR_EVENTS_DROPPED][0] = 4;
	c->v[TD_CTR_HOT_ENTRIES][0] = 31;
	c->v[TD_CTR_PAGES_PROMOTED][0] = 41;
	c->v[TD_CTR_PAGES_FAILED][0] = 17;
	c->v[TD_CTR_PAGES_FAILED_BY][TD_ERR_ENOENT] = 5;
	c->v[TD_CTR_PAGES_FAILED_BY][TD_ERR_ENOMEM] = 2;
	c->v[TD_CTR_PAGES_FAILED_BY][TD_ERR_WRONG_NODE] = 9;
	c->v[TD_CTR_PAGES_FAILED_BY][TD_ERR_OTHER] = 1;
	c->v[TD_CTR_PAGES_DEMOTED][0] = 6;
	c->v[TD_CTR_RELOADS][0] = 2;
	c->v[TD_CTR_RELOAD_FAILURES][0] = 1;
}

/* The uptime first, the registry next (its first family right after the
 * uptime, the picked families exactly and in order), the per-cgroup
 * families exactly at the end. */
static void test_exact(void **state)
{
	static const uint64_t a_fail[] = { 3, 0, 2 };
	const struct td_metrics_cgroup cgs[] = {
		{ .path = "/a", .mode = "promote", .pages_promoted = 40,
		  .fast_bytes = 4096, .slow_bytes = 8192, .failed_by_reason = a_fail },
		{ .path = "/b/c", .mode = "observe" },
	};
	struct td_counters c;
	const struct td_metrics_snapshot s = {
		.uptime_s = 12.5, .counters = &c, .reason_names = reasons, .n_reasons = 3,
		.cgroups = cgs, .n_cgroups = 2,
	};
	size_t n_up = strlen(exact_uptime), n_cg = strlen(exact_cgroups);
	struct td_metrics_buf b = { 0 };
	const char *prev;

	exact_counters(&c);
	assert_int_equal(td_metrics_format(&s, &b), 0);
	assert_int_equal(b.len, strlen(b.data));
	assert_true(b.len > n_up + n_cg);
	assert_memory_equal(b.data, exact_uptime, n_up);
	assert_memory_equal(b.data + n_up, exact_families[0], strlen(exact_families[0]));
	prev = b.data;
	for (size_t i = 0; i < sizeof(exact_families) / sizeof(exact_families[0]); i++) {
		const char *p = strstr(b.data, exact_families[i]);

		if (!p)
			fail_msg("family %zu not in output:\n%s", i, exact_families[i]);
		assert_int_equal(count(b.data, exact_families[i]), 1);
		assert_true(p >= prev);			/* registry order */
		prev = p + strlen(exact_families[i]);
	}
	assert_string_equal(b.data + b.len - n_cg, exact_cgroups);
	assert_true(prev <= b.data + b.len - n_cg);	/* the registry before */
	assert_int_equal(validate(b.data, b.len), 1 + registry_samples() + 10);
	td_metrics_buf_fini(&b);
}

/* No cgroups, all counters zero: the uptime and the registry, every
 * registry sample written (zero or not), no per-cgroup family. */
static void test_empty(void **state)
{
	static const char *const zero_samples[] = {
		"\ntieringd_uptime_seconds 0.000\n",
		"\ntieringd_reloads_total 0\n",
		"\ntieringd_hot_entries 0\n",
		"\ntieringd_events_total{source=\"sample\"} 0\n",
		"\ntieringd_promote_failures_total{reason=\"other\"} 0\n",
	};
	const struct td_counters c = { 0 };
	const struct td_metrics_snapshot s = { .counters = &c };
	struct td_metrics_buf b = { 0 };

	assert_int_equal(td_metrics_format(&s, &b), 0);
	assert_int_equal(validate(b.data, b.len), 1 + registry_samples());
	assert_int_equal(count(b.data, "# HELP "), 1 + TD_CTR__MAX);
	assert_int_equal(count(b.data, "# TYPE "), 1 + TD_CTR__MAX);
	assert_null(strstr(b.data, "cgroup="));
	for (size_t i = 0; i < N_CGROUP_FAMILIES; i++) {
		char type[96];

		snprintf(type, sizeof(type), "# TYPE %s ", cgroup_families[i]);
		assert_null(strstr(b.data, type));
	}
	for (size_t i = 0; i < sizeof(zero_samples) / sizeof(zero_samples[0]); i++)
		if (!strstr(b.data, zero_samples[i]))
			fail_msg("%s not in output", zero_samples[i]);
	td_metrics_buf_fini(&b);
}

static void test_escaping(void **state)
{
	static const struct {
		const char *path;
		const char *label;	/* as written between the quotes */
	} cases[] = {
		{ "/plain", "/plain" },
		{ "/back\\slash", "/back\\\\slash" },
		{ "/q\"uote", "/q\\\"uote" },
		{ "/new\nline", "/new\\nline" },
		{ "/\\\"\n", "/\\\\\\\"\\n" },
		{ "/tab\there", "/tab\there" },			/* control chars pass */
		{ "/caf\xc3\xa9", "/caf\xc3\xa9" },		/* valid UTF-8 kept */
		{ "/\xf0\x9f\x90\x98", "/\xf0\x9f\x90\x98" },	/* 4-byte kept */
		{ "/bad\xff", "/bad\xef\xbf\xbd" },		/* invalid byte */
		{ "/cut\xc3", "/cut\xef\xbf\xbd" },		/* truncated at end */
		{ "/cut\xe2\x82x", "/cut\xef\xbf\xbd\xef\xbf\xbdx" },
		{ "/over\xc0\xaf", "/over\xef\xbf\xbd\xef\xbf\xbd" },	/* overlong */
		{ "/sur\xed\xa0\x80", "/sur\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "/big\xf4\x90\x80\x80",
		  "/big\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	};
	const struct td_counters c = { 0 };
	struct td_metrics_buf b = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct td_metrics_cgroup cg = { .path = cases[i].path, .pages_promoted = 7 };
		const struct td_metrics_snapshot s = { .counters = &c, .cgroups = &cg,
						       .n_cgroups = 1 };
		char want[128];

		snprintf(want, sizeof(want), "\ntieringd_pages_promoted_total{cgroup=\"%s\"} 7\n",
			 cases[i].label);
		assert_int_equal(td_metrics_format(&s, &b), 0);
		if (!strstr(b.data, want))
			fail_msg("case %zu: %s not in output", i, want);
		/* uptime, the registry, and promoted, fast and slow of the cgroup */
		assert_int_equal(validate(b.data, b.len), 1 + registry_samples() + 3);
	}
	td_metrics_buf_fini(&b);
}

/* Each family's HELP and TYPE exactly once, however many samples. */
static void test_families_once(void **state)
{
	static const char *const families[] = {
		"tieringd_uptime_seconds", "tieringd_events_received_total",
		"tieringd_events_dropped_total", "tieringd_events_total",
		"tieringd_hot_entries", "tieringd_promoted_pages_total",
		"tieringd_promote_failed_pages_total", "tieringd_promote_failures_total",
		"tieringd_promote_decisions_total", "tieringd_pages_demoted_total",
		"tieringd_reloads_total", "tieringd_reload_failures_total",
		"tieringd_cgroup_mode", "tieringd_pages_promoted_total",
		"tieringd_pages_failed_total", "tieringd_cgroup_fast_bytes",
		"tieringd_cgroup_slow_bytes",
	};
	static const uint64_t fail[] = { 1, 1, 1 };
	const struct td_counters c = { 0 };
	struct td_metrics_cgroup cgs[20];
	char paths[20][16];
	struct td_metrics_snapshot s = {
		.counters = &c, .reason_names = reasons, .n_reasons = 3,
		.cgroups = cgs, .n_cgroups = 20,
	};
	struct td_metrics_buf b = { 0 };

	for (int i = 0; i < 20; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/cg%d", i);
		cgs[i] = (struct td_metrics_cgroup){ .path = paths[i], .mode = "promote",
						     .failed_by_reason = fail };
	}
	assert_int_equal(td_metrics_format(&s, &b), 0);
	/* 20 * (mode, promoted, 3 failed, fast, slow) */
	assert_int_equal(validate(b.data, b.len), 1 + registry_samples() + 20 * 7);
	assert_int_equal(count(b.data, "# HELP "), 1 + TD_CTR__MAX + N_CGROUP_FAMILIES);
	assert_int_equal(count(b.data, "# TYPE "), 1 + TD_CTR__MAX + N_CGROUP_FAMILIES);
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		char help[96], type[96];

		snprintf(help, sizeof(help), "# HELP %s ", families[i]);
		snprintf(type, sizeof(type), "# TYPE %s ", families[i]);
		if (count(b.data, help) != 1 || count(b.data, type) != 1)
			fail_msg("%s: HELP %zu, TYPE %zu times", families[i],
				 count(b.data, help), count(b.data, type));
	}
	td_metrics_buf_fini(&b);
}

/* Zero per-cgroup reasons, a NULL per-cgroup array and a NULL mode write
 * nothing; the registry's reasons are always all there. */
static void test_cardinality(void **state)
{
	static const uint64_t zero[] = { 0, 0, 0 };
	const struct td_metrics_cgroup cgs[] = {
		{ .path = "/a", .failed_by_reason = zero },
		{ .path = "/b" },
	};
	const struct td_counters c = { 0 };
	const struct td_metrics_snapshot s = {
		.counters = &c, .reason_names = reasons, .n_reasons = 3,
		.cgroups = cgs, .n_cgroups = 2,
	};
	struct td_metrics_buf b = { 0 };

	assert_int_equal(td_metrics_format(&s, &b), 0);
	assert_int_equal(validate(b.data, b.len), 1 + registry_samples() + 3 * 2);
	assert_null(strstr(b.data, "tieringd_pages_failed_total"));
	assert_null(strstr(b.data, "tieringd_cgroup_mode"));
	assert_int_equal(count(b.data, "tieringd_promote_failures_total{reason="), TD_ERR__MAX);
	assert_non_null(strstr(b.data, "\ntieringd_promote_failures_total{reason=\"EBUSY\"} 0\n"));
	td_metrics_buf_fini(&b);
}

static void test_uptime_values(void **state)
{
	static const struct {
		double uptime;
		const char *text;
	} cases[] = {
		{ 0.0004, "\ntieringd_uptime_seconds 0.000\n" },
		{ 86400.25, "\ntieringd_uptime_seconds 86400.250\n" },
		{ __builtin_inf(), "\ntieringd_uptime_seconds +Inf\n" },
		{ -__builtin_inf(), "\ntieringd_uptime_seconds -Inf\n" },
		{ __builtin_nan(""), "\ntieringd_uptime_seconds NaN\n" },
	};
	const struct td_counters c = { 0 };
	struct td_metrics_buf b = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct td_metrics_snapshot s = { .uptime_s = cases[i].uptime, .counters = &c };

		assert_int_equal(td_metrics_format(&s, &b), 0);
		if (!strstr(b.data, cases[i].text))
			fail_msg("case %zu: %s not in output", i, cases[i].text);
		assert_int_equal(validate(b.data, b.len), 1 + registry_samples());
	}
	td_metrics_buf_fini(&b);
}

/* 64-bit values in full, in a counter, a gauge, a labelled counter and a
 * per-cgroup family. */
static void test_counter_values(void **state)
{
	static const struct {
		enum td_ctr id;
		unsigned k;
		uint64_t v;
		const char *text;
	} cases[] = {
		{ TD_CTR_EVENTS_RECEIVED, 0, UINT64_MAX,
		  "\ntieringd_events_received_total 18446744073709551615\n" },
		{ TD_CTR_HOT_ENTRIES, 0, UINT64_MAX - 1, "\ntieringd_hot_entries 18446744073709551614\n" },
		{ TD_CTR_PAGES_FAILED_BY, TD_ERR_OTHER, UINT64_MAX,
		  "\ntieringd_promote_failures_total{reason=\"other\"} 18446744073709551615\n" },
		{ TD_CTR_RELOADS, 0, 1ull << 32, "\ntieringd_reloads_total 4294967296\n" },
	};
	const struct td_metrics_cgroup cg = { .path = "/a", .fast_bytes = UINT64_MAX };
	struct td_metrics_buf b = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct td_counters c = { 0 };
		const struct td_metrics_snapshot s = { .counters = &c, .cgroups = &cg,
						       .n_cgroups = 1 };

		c.v[cases[i].id][cases[i].k] = cases[i].v;
		assert_int_equal(td_metrics_format(&s, &b), 0);
		if (!strstr(b.data, cases[i].text))
			fail_msg("case %zu: %s not in output", i, cases[i].text);
		assert_non_null(strstr(b.data, "\ntieringd_cgroup_fast_bytes{cgroup=\"/a\"} "
					       "18446744073709551615\n"));
		assert_int_equal(validate(b.data, b.len), 1 + registry_samples() + 3);
	}
	td_metrics_buf_fini(&b);
}

/* The buffer is reused: a shorter second text replaces the first; growth
 * past the first allocation works. */
static void test_reuse(void **state)
{
	enum { N = 400 };
	struct td_metrics_cgroup *cgs = calloc(N, sizeof(*cgs));
	char (*paths)[32] = calloc(N, sizeof(*paths));
	const struct td_counters c = { 0 };
	struct td_metrics_snapshot s = { .counters = &c, .cgroups = cgs, .n_cgroups = N };
	const struct td_metrics_snapshot empty = { .counters = &c };
	struct td_metrics_buf b = { 0 };
	size_t big;
	char *first;

	assert_non_null(cgs);
	assert_non_null(paths);
	for (int i = 0; i < N; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/system.slice/unit-%d", i);
		cgs[i].path = paths[i];
	}
	assert_int_equal(td_metrics_format(&empty, &b), 0);
	first = strdup(b.data);
	assert_non_null(first);
	assert_int_equal(td_metrics_format(&s, &b), 0);
	big = b.len;
	assert_true(big > 4096 * 4);
	assert_true(b.cap > big);
	assert_int_equal(strlen(b.data), big);
	assert_int_equal(count(b.data, "\ntieringd_cgroup_slow_bytes{cgroup="), N);
	assert_int_equal(td_metrics_format(&empty, &b), 0);
	assert_string_equal(b.data, first);
	assert_int_equal(b.len, strlen(first));
	assert_true(b.cap > big);		/* kept */
	td_metrics_buf_fini(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	td_metrics_buf_fini(&b);		/* twice is fine */
	td_metrics_buf_fini(NULL);
	free(first);
	free(paths);
	free(cgs);
}

static void test_invalid(void **state)
{
	static const char *const with_null[] = { "ENOENT", NULL };
	static const struct td_metrics_cgroup no_path = { .mode = "promote" };
	static const struct td_counters c;
	const struct td_metrics_snapshot cases[] = {
		{ .counters = NULL },
		{ .counters = NULL, .reason_names = reasons, .n_reasons = 3 },
		{ .counters = &c, .n_reasons = 1 },
		{ .counters = &c, .reason_names = with_null, .n_reasons = 2 },
		{ .counters = &c, .n_cgroups = 1 },
		{ .counters = &c, .cgroups = &no_path, .n_cgroups = 1 },
	};
	const struct td_metrics_snapshot ok = { .counters = &c };
	struct td_metrics_buf b = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (td_metrics_format(&cases[i], &b) != -EINVAL)
			fail_msg("case %zu not -EINVAL", i);
		assert_int_equal(b.len, 0);
	}
	/* after text was there, an error leaves an empty string */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(td_metrics_format(&ok, &b), 0);
		assert_true(b.len > 0);
		assert_int_equal(td_metrics_format(&cases[i], &b), -EINVAL);
		assert_int_equal(b.len, 0);
		assert_string_equal(b.data, "");
	}
	td_metrics_buf_fini(&b);
}

/* Everything at once, every value non-zero, hostile cgroup names: the
 * collector would take the file. */
static void test_full_valid(void **state)
{
	static const uint64_t fail[] = { 1, 2, 3 };
	const struct td_metrics_cgroup cgs[] = {
		{ .path = "/a", .mode = "promote", .pages_promoted = 1, .fast_bytes = 2,
		  .slow_bytes = 3, .failed_by_reason = fail },
		{ .path = "/q\"\\\n\xff", .mode = "observe", .pages_promoted = UINT64_MAX,
		  .failed_by_reason = fail },
		{ .path = "/", .mode = "off", .failed_by_reason = fail },
	};
	struct td_counters c;
	const struct td_metrics_snapshot s = {
		.uptime_s = 3.25, .counters = &c, .reason_names = reasons, .n_reasons = 3,
		.cgroups = cgs, .n_cgroups = 3,
	};
	struct td_metrics_buf b = { 0 };

	for (unsigned i = 0; i < TD_CTR__MAX; i++)
		for (unsigned k = 0; k < TD_CTR_VALUES_MAX; k++)
			c.v[i][k] = (uint64_t)i << 32 | (k + 1);
	assert_int_equal(td_metrics_format(&s, &b), 0);
	assert_int_equal(validate(b.data, b.len), 1 + registry_samples() + 3 * 7);
	assert_int_equal(count(b.data, "# TYPE "), 1 + TD_CTR__MAX + N_CGROUP_FAMILIES);
	td_metrics_buf_fini(&b);
}

/* The validator itself rejects what the collector would. */
static void test_validator(void **state)
{
	static const char good[] =
		"# HELP x h\n# TYPE x gauge\nx{a=\"\\\\\\\"\\n\",b=\"\"} -1.5e3\n";
	static const char *const bad[] = {
		"x 1",						/* no newline */
		"x 1\n",					/* no TYPE */
		"# TYPE x counter\nx 1\n",			/* no HELP */
		"# HELP x h\n# TYPE x summary\nx 1\n",
		"# HELP x h\n# TYPE x gauge\nx{a=\"\\t\"} 1\n",	/* bad escape */
		"# HELP x h\n# TYPE x gauge\nx{a=\"\xff\"} 1\n",
		"# HELP x h\n# TYPE x gauge\nx{a=\"v\"} 1 123\n",	/* timestamp */
		"# HELP x h\n# TYPE x gauge\nx 1\nx 2\n",	/* same series */
		("# HELP x h\n# TYPE x gauge\n# HELP y h\n# TYPE y gauge\n"
		 "x{a=\"1\"} 1\ny 1\nx{a=\"2\"} 1\n"),	/* not contiguous */
		"# HELP x h\n# TYPE x gauge\nx 1\n# HELP x h\n",
		"# HELP x h\n# HELP x h\n# TYPE x gauge\nx 1\n",	/* HELP twice */
		"# HELP x h\n# TYPE x gauge\n# TYPE x gauge\nx 1\n",	/* TYPE twice */
		"# HELP x h\n# TYPE x gauge\nx{1a=\"v\"} 1\n",
		"# HELP x h\n# TYPE x gauge\nx one\n",
	};

	quiet = true;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (validate(bad[i], strlen(bad[i])) != -1)
			fail_msg("case %zu accepted", i);
	quiet = false;
	assert_int_equal(validate(good, strlen(good)), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_families_once),
		cmocka_unit_test(test_cardinality),
		cmocka_unit_test(test_uptime_values),
		cmocka_unit_test(test_counter_values),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_full_valid),
		cmocka_unit_test(test_validator),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
