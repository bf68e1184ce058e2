// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* The first write allocates this much; a typical scrape fits. */
#define BUF_MIN (4 << 10)

/* Output state: the first error sticks and later writes do nothing, so the
 * formatting code reads straight through and checks once at the end. */
struct out {
	struct td_metrics_buf *b;
	int err;
};

struct family {
	const char *name;
	const char *type;
	const char *help;
	bool started;
};

struct label {
	const char *name;
	const char *value;
};

void td_metrics_buf_fini(struct td_metrics_buf *b)
{
	if (!b)
		return;
	free(b->data);
	*b = (struct td_metrics_buf){ 0 };
}

/* Makes room for n more bytes plus the NUL. */
static bool reserve(struct out *o, size_t n)
{
	struct td_metrics_buf *b = o->b;
	size_t cap = b->cap ? b->cap : BUF_MIN;
	char *p;

	if (o->err)
		return false;
	if (n < b->cap - b->len)
		return true;
	if (n > SIZE_MAX / 2 - b->len)
		goto nomem;
	while (cap - b->len <= n)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		goto nomem;
	b->data = p;
	b->cap = cap;
	return true;
nomem:
	o->err = -ENOMEM;
	return false;
}

static void put(struct out *o, const char *s, size_t n)
{
	if (!reserve(o, n))
		return;
	memcpy(o->b->data + o->b->len, s, n);
	o->b->len += n;
	o->b->data[o->b->len] = '\0';
}

static void put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3))) put_fmt(struct out *o, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	/* only ever numbers: they fit */
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		o->err = o->err ?: -EINVAL;
		return;
	}
	put(o, tmp, n);
}

/* Length of the valid UTF-8 sequence at p (1 to 4), or 0 if it is not one:
 * overlong forms, surrogates and code points above U+10FFFF included, as
 * Go's utf8.ValidString (which the collector's parser uses) decides. */
static size_t utf8_len(const unsigned char *p)
{
	uint32_t cp, min;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f, min = 0x80;
	else if ((p[0] & 0xf0) == 0xe0)
		n = 3, cp = p[0] & 0x0f, min = 0x800;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	/* stops at the NUL, which is no continuation byte */
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static void put_label_value(struct out *o, const char *v)
{
	const unsigned char *p = (const unsigned char *)v;

	while (*p) {
		size_t n = utf8_len(p);

		if (*p == '\\')
			put(o, "\\\\", 2);
		else if (*p == '"')
			put(o, "\\\"", 2);
		else if (*p == '\n')
			put(o, "\\n", 2);
		else if (n)
			put(o, (const char *)p, n);
		else
			put(o, "\xef\xbf\xbd", 3);	/* U+FFFD */
		p += n ? n : 1;
	}
}

/* Writes the family's header on its first sample, then "name{labels} ". */
static void sample_begin(struct out *o, struct family *f, const struct label *l, size_t n)
{
	if (!f->started) {
		f->started = true;
		put_str(o, "# HELP ");
		put_str(o, f->name);
		put_str(o, " ");
		put_str(o, f->help);
		put_str(o, "\n# TYPE ");
		put_str(o, f->name);
		put_str(o, " ");
		put_str(o, f->type);
		put_str(o, "\n");
	}
	put_str(o, f->name);
	for (size_t i = 0; i < n; i++) {
		put_str(o, i ? "," : "{");
		put_str(o, l[i].name);
		put_str(o, "=\"");
		put_label_value(o, l[i].value);
		put_str(o, "\"");
	}
	put_str(o, n ? "} " : " ");
}

static void sample_u64(struct out *o, struct family *f, const struct label *l, size_t n,
		       uint64_t v)
{
	sample_begin(o, f, l, n);
	put_fmt(o, "%" PRIu64 "\n", v);
}

static void sample_double(struct out *o, struct family *f, double v)
{
	sample_begin(o, f, NULL, 0);
	if (isnan(v))
		put_str(o, "NaN\n");
	else if (isinf(v))
		put_str(o, v > 0 ? "+Inf\n" : "-Inf\n");
	else
		put_fmt(o, "%.3f\n", v);	/* ms: more is noise in a scrape */
}

static uint64_t at(const uint64_t *a, size_t i)
{
	return a ? a[i] : 0;
}

static bool names_ok(const char *const *names, size_t n)
{
	if (n && !names)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!names[i])
			return false;
	return true;
}

static bool snapshot_ok(const struct td_metrics_snapshot *s)
{
	if (!s->counters || !names_ok(s->reason_names, s->n_reasons))
		return false;
	if (s->n_cgroups && !s->cgroups)
		return false;
	for (size_t i = 0; i < s->n_cgroups; i++)
		if (!s->cgroups[i].path)
			return false;
	return true;
}

/* One family per registry counter (lib/counters.h): tieringd_<metric>,
 * "_total" for counters, one sample per label value. */
static void format_registry(struct out *o, const struct td_counters *c)
{
	for (unsigned i = 0; i < TD_CTR__MAX; i++) {
		const struct td_ctr_def *d = td_ctr_def(i);
		char name[128];
		struct family f = { name, d->gauge ? "gauge" : "counter", d->help, false };

		snprintf(name, sizeof(name), "tieringd_%s%s", d->metric ? d->metric : d->name,
			 d->gauge ? "" : "_total");
		if (!d->label) {
			sample_u64(o, &f, NULL, 0, c->v[i][0]);
			continue;
		}
		for (unsigned k = 0; k < d->n_values; k++) {
			struct label l = { d->label, d->values[k] };

			sample_u64(o, &f, &l, 1, c->v[i][k]);
		}
	}
}

static void format_global(struct out *o, const struct td_metrics_snapshot *s)
{
	struct family uptime = { "tieringd_uptime_seconds", "gauge",
				 "Seconds since the daemon started.", false };

	sample_double(o, &uptime, s->uptime_s);
	format_registry(o, s->counters);
}

/* One family at a time, each walking the cgroups: a family's samples must
 * be contiguous. */
static void format_cgroups(struct out *o, const struct td_metrics_snapshot *s)
{
	struct family mode = { "tieringd_cgroup_mode", "gauge",
			       "Policy mode of a managed cgroup (always 1).", false };
	struct family promoted = { "tieringd_pages_promoted_total", "counter",
				   "Pages promoted to a fast node, by cgroup.", false };
	struct family failed = { "tieringd_pages_failed_total", "counter",
				 "Pages that failed to promote, by cgroup and reason (non-zero only).",
				 false };
	struct family fast = { "tieringd_cgroup_fast_bytes", "gauge",
			       "Bytes of a cgroup's memory on fast nodes.", false };
	struct family slow = { "tieringd_cgroup_slow_bytes", "gauge",
			       "Bytes of a cgroup's memory on slow nodes.", false };
	const struct td_metrics_cgroup *c = s->cgroups;
	size_t n = s->n_cgroups;

	for (size_t i = 0; i < n; i++) {
		struct label l[2] = { { "cgroup", c[i].path }, { "mode", c[i].mode } };

		if (c[i].mode)
			sample_u64(o, &mode, l, 2, 1);
	}
	for (size_t i = 0; i < n; i++)
		sample_u64(o, &promoted, &(struct label){ "cgroup", c[i].path }, 1,
			   c[i].pages_promoted);
	for (size_t i = 0; i < n; i++)
		for (size_t r = 0; r < s->n_reasons; r++) {
			struct label l[2] = { { "cgroup", c[i].path },
					      { "reason", s->reason_names[r] } };

			if (at(c[i].failed_by_reason, r))
				sample_u64(o, &failed, l, 2, c[i].failed_by_reason[r]);
		}
	for (size_t i = 0; i < n; i++)
		sample_u64(o, &fast, &(struct label){ "cgroup", c[i].path }, 1, c[i].fast_bytes);
	for (size_t i = 0; i < n; i++)
		sample_u64(o, &slow, &(struct label){ "cgroup", c[i].path }, 1, c[i].slow_bytes);
}

int td_metrics_format(const struct td_metrics_snapshot *s, struct td_metrics_buf *buf)
{
	struct out o = { .b = buf };

	buf->len = 0;
	if (buf->data)
		buf->data[0] = '\0';
	if (!snapshot_ok(s))
		return -EINVAL;
	format_global(&o, s);
	format_cgroups(&o, s);
	if (o.err) {
		buf->len = 0;
		if (buf->data)
			buf->data[0] = '\0';
	}
	return o.err;
}
