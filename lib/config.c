// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define LINE_MAX_LEN 1024

void td_config_init(struct td_config *c)
{
	memset(c, 0, sizeof(*c));
	c->daemon = (struct td_daemon_config){
		.fast_nodes_auto = true,
		.slow_nodes_auto = true,
		.sources = TD_SOURCES_HINT,
		.sample_period = 1,
		.numa_balancing = 2,
		.kernel_promote_rate_limit_mbps = TD_KEEP,
		.tick_ms = 1000,
		.batch_size = 512,
		.rate_limit_mbps = 0,
		.fast_watermark_bytes = 256ULL << 20,
		.hotness_capacity = 1 << 20,
		.hotness_half_life_ms = 60000,
		.hot_threshold = 1,
		.ring_buffer_bytes = 4 << 20,
		.default_mode = TD_MODE_PROMOTE,
		.demotion = true,
		.demote_rate_limit_mbps = 0,
		.pingpong_window_ms = 30000,
	};
}

const char *td_mode_name(enum td_mode m)
{
	switch (m) {
	case TD_MODE_PROMOTE: return "promote";
	case TD_MODE_OBSERVE: return "observe";
	case TD_MODE_OFF: return "off";
	}
	return "invalid";
}

static int parse_mode(const char *s, enum td_mode *ret)
{
	for (int m = TD_MODE_PROMOTE; m <= TD_MODE_OFF; m++)
		if (!strcmp(s, td_mode_name(m))) {
			*ret = m;
			return 0;
		}
	return -EINVAL;
}

/* Unsigned decimal without sign or junk; the suffix, if any, in *end. */
static int parse_num(const char *s, uint64_t *ret, const char **end)
{
	uint64_t v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - (*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (*p - '0');
	}
	*ret = v;
	*end = p;
	return 0;
}

static int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	const char *end;
	uint64_t v;

	if (parse_num(s, &v, &end) || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *ret)
{
	uint64_t v;

	if (parse_uint(s, min, max, &v))
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

static int scale(uint64_t v, uint64_t mul, uint64_t *ret)
{
	if (mul && v > UINT64_MAX / mul)
		return -EINVAL;
	*ret = v * mul;
	return 0;
}

struct unit {
	const char *sfx;
	uint64_t mul;
};

/* A number followed by exactly one of the units' suffixes, scaled by it. */
static int parse_with_units(const char *s, const struct unit *units, size_t n, uint64_t *ret)
{
	const char *end;
	uint64_t v;

	if (parse_num(s, &v, &end))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(end, units[i].sfx))
			return scale(v, units[i].mul, ret);
	return -EINVAL;
}

int td_parse_bytes(const char *s, uint64_t *ret)
{
	static const struct unit units[] = {
		{ "", 1 }, { "B", 1 }, { "K", 1ULL << 10 }, { "M", 1ULL << 20 },
		{ "G", 1ULL << 30 }, { "T", 1ULL << 40 },
	};

	return parse_with_units(s, units, sizeof(units) / sizeof(units[0]), ret);
}

int td_parse_duration_ms(const char *s, uint64_t *ret)
{
	static const struct unit units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "min", 60000 }, { "h", 3600000 },
	};

	return parse_with_units(s, units, sizeof(units) / sizeof(units[0]), ret);
}

int td_parse_nodemask(const char *s, uint64_t *ret)
{
	uint64_t mask = 0, a, b;
	const char *p = s, *end;

	if (!*s)
		return -EINVAL;
	for (;;) {
		if (parse_num(p, &a, &end) || a >= 64)
			return -EINVAL;
		b = a;
		if (*end == '-') {
			if (parse_num(end + 1, &b, &end) || b >= 64 || b < a)
				return -EINVAL;
		}
		for (uint64_t n = a; n <= b; n++)
			mask |= 1ULL << n;
		if (!*end)
			break;
		if (*end != ',')
			return -EINVAL;
		p = end + 1;
	}
	*ret = mask;
	return 0;
}

int td_parse_bool(const char *s, bool *ret)
{
	static const char *yes[] = { "yes", "true", "on", "1" }, *no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcmp(s, yes[i])) {
			*ret = true;
			return 0;
		}
		if (!strcmp(s, no[i])) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* ------------------------------------------------------------------ parser */

struct parse_ctx {
	struct td_config *c;
	const char *fname;
	unsigned line;
	int errors;
	struct td_cgroup_policy *cg;	/* current [Cgroup] section, or NULL */
	bool in_daemon;
	bool in_section;
	bool bad_section;	/* the current header was in error: skip its keys */
	/* sections seen in this file, to reject duplicates */
	bool daemon_seen;
	const struct td_cgroup_policy *seen[TD_CONFIG_MAX_CGROUPS];
	size_t n_seen;
};

__attribute__((format(printf, 2, 3)))
static void error(struct parse_ctx *x, const char *fmt, ...)
{
	struct td_config *c = x->c;
	va_list ap;
	int n;

	x->errors++;
	if (c->n_errors++ >= TD_CONFIG_MAX_ERRORS)
		return;
	n = snprintf(c->errors[c->n_errors - 1], sizeof(c->errors[0]), "%s:%u: ", x->fname, x->line);
	if (n < 0 || (size_t)n >= sizeof(c->errors[0]))
		return;
	va_start(ap, fmt);
	vsnprintf(c->errors[c->n_errors - 1] + n, sizeof(c->errors[0]) - n, fmt, ap);
	va_end(ap);
}

/* One [Daemon] key. Returns 0, -ENOENT (unknown key) or -EINVAL (bad value). */
static int daemon_key(struct td_daemon_config *d, const char *k, const char *v)
{
	uint64_t u;
	bool b;

	if (!strcmp(k, "FastNodes") || !strcmp(k, "SlowNodes")) {
		bool fast = k[0] == 'F';
		bool *is_auto = fast ? &d->fast_nodes_auto : &d->slow_nodes_auto;
		uint64_t *mask = fast ? &d->fast_nodes : &d->slow_nodes;

		if (!strcmp(v, "auto")) {
			*is_auto = true;
			return 0;
		}
		if (td_parse_nodemask(v, mask))
			return -EINVAL;
		*is_auto = false;
		return 0;
	}
	if (!strcmp(k, "Sources")) {
		char buf[128], *save = NULL;
		uint32_t m = 0;

		if (strlen(v) >= sizeof(buf))
			return -EINVAL;
		strcpy(buf, v);
		for (char *t = strtok_r(buf, " ,", &save); t; t = strtok_r(NULL, " ,", &save)) {
			if (!strcmp(t, "hint-faults"))
				m |= TD_SOURCES_HINT;
			else if (!strcmp(t, "sampling"))
				m |= TD_SOURCES_SAMPLE;
			else
				return -EINVAL;
		}
		if (!m)
			return -EINVAL;
		d->sources = m;
		return 0;
	}
	if (!strcmp(k, "HintFaultHook")) {
		static const char *const names[] = {
			"auto", "numa_migrate_check", "numa_migrate_prep", "task_numa_fault",
		};

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcmp(v, names[i])) {
				d->hint_hook = (enum td_hint_hook)i;
				return 0;
			}
		return -EINVAL;
	}
	if (!strcmp(k, "SamplePeriod"))
		return parse_uint(v, 1, UINT32_MAX, &d->sample_period);
	if (!strcmp(k, "NumaBalancing")) {
		if (!strcmp(v, "keep")) {
			d->numa_balancing = TD_KEEP;
			return 0;
		}
		if (parse_uint(v, 0, 3, &u))
			return -EINVAL;
		d->numa_balancing = (int)u;
		return 0;
	}
	if (!strcmp(k, "KernelPromoteRateLimitMBps")) {
		if (!strcmp(v, "keep")) {
			d->kernel_promote_rate_limit_mbps = TD_KEEP;
			return 0;
		}
		if (parse_uint(v, 0, 1 << 20, &u))
			return -EINVAL;
		d->kernel_promote_rate_limit_mbps = (int64_t)u;
		return 0;
	}
	if (!strcmp(k, "TickInterval")) {
		if (td_parse_duration_ms(v, &u) || u < 10 || u > 60000)
			return -EINVAL;
		d->tick_ms = u;
		return 0;
	}
	if (!strcmp(k, "BatchSize"))
		return parse_u32(v, 1, 65536, &d->batch_size);
	if (!strcmp(k, "RateLimitMBps"))
		return parse_uint(v, 0, 1 << 20, &d->rate_limit_mbps);
	if (!strcmp(k, "FastWatermark"))
		return td_parse_bytes(v, &d->fast_watermark_bytes);
	if (!strcmp(k, "HotnessCapacity"))
		return parse_u32(v, 1024, 1 << 28, &d->hotness_capacity);
	if (!strcmp(k, "HotnessHalfLife")) {
		if (td_parse_duration_ms(v, &u) || u < 1 || u > 86400000)
			return -EINVAL;
		d->hotness_half_life_ms = u;
		return 0;
	}
	if (!strcmp(k, "HotThreshold"))
		return parse_u32(v, 1, 1000000, &d->hot_threshold);
	if (!strcmp(k, "RingBufferSize")) {
		if (td_parse_bytes(v, &u) || u < 4096 || u > (1ULL << 30) || (u & (u - 1)))
			return -EINVAL;
		d->ring_buffer_bytes = u;
		return 0;
	}
	if (!strcmp(k, "DefaultMode"))
		return parse_mode(v, &d->default_mode);
	if (!strcmp(k, "Demotion")) {
		if (td_parse_bool(v, &b))
			return -EINVAL;
		d->demotion = b;
		return 0;
	}
	if (!strcmp(k, "DemoteRateLimitMBps"))
		return parse_uint(v, 0, 1 << 20, &d->demote_rate_limit_mbps);
	if (!strcmp(k, "PingPongWindow"))
		return td_parse_duration_ms(v, &d->pingpong_window_ms);
	if (!strcmp(k, "MetricsFile")) {
		if (strlen(v) >= sizeof(d->metrics_file) || (v[0] && v[0] != '/'))
			return -EINVAL;
		strcpy(d->metrics_file, v);
		return 0;
	}
	return -ENOENT;
}

enum { CG_MODE = 1, CG_THRESHOLD = 2, CG_RATE = 4, CG_MAXFAST = 8, CG_WEIGHT = 16 };

static int cgroup_key(struct td_cgroup_policy *p, const char *k, const char *v)
{
	uint64_t u;
	int r;

	if (!strcmp(k, "Mode")) {
		r = parse_mode(v, &p->mode);
		p->set_mask |= r ? 0 : CG_MODE;
		return r;
	}
	if (!strcmp(k, "HotThreshold")) {
		if (parse_u32(v, 1, 1000000, &p->hot_threshold))
			return -EINVAL;
		p->set_mask |= CG_THRESHOLD;
		return 0;
	}
	if (!strcmp(k, "PromoteRateLimitMBps")) {
		if (parse_uint(v, 0, 1 << 20, &p->promote_rate_limit_mbps))
			return -EINVAL;
		p->set_mask |= CG_RATE;
		return 0;
	}
	if (!strcmp(k, "MaxFastMemory")) {
		const char *end;

		/* "N%" is a percentage, with leading zeros as any number may have */
		if (!parse_num(v, &u, &end) && !strcmp(end, "%")) {
			if (u < 1 || u > 100)
				return -EINVAL;
			p->max_fast_percent = (uint32_t)u;
			p->max_fast_bytes = 0;
		} else {
			if (td_parse_bytes(v, &p->max_fast_bytes))
				return -EINVAL;
			p->max_fast_percent = 0;
		}
		p->set_mask |= CG_MAXFAST;
		return 0;
	}
	if (!strcmp(k, "Weight")) {
		if (parse_u32(v, 1, 10000, &p->weight))
			return -EINVAL;
		p->set_mask |= CG_WEIGHT;
		return 0;
	}
	return -ENOENT;
}

/* "/a/b": absolute, no "//", no "." or ".." components, no trailing "/". */
static bool valid_cgroup_path(const char *p)
{
	const char *c = p;

	if (p[0] != '/')
		return false;
	if (!strcmp(p, "/"))
		return true;
	while (*c) {
		const char *e;
		size_t n;

		c++;	/* skip '/' */
		e = strchr(c, '/');
		n = e ? (size_t)(e - c) : strlen(c);
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += n;
	}
	return true;
}

static struct td_cgroup_policy *find_cgroup(struct td_config *c, const char *path)
{
	for (size_t i = 0; i < c->n_cgroups; i++)
		if (!strcmp(c->cgroups[i].path, path))
			return &c->cgroups[i];
	return NULL;
}

/* Leave the current section; until a good header, keys are skipped silently. */
static void leave_section(struct parse_ctx *x)
{
	x->cg = NULL;
	x->in_daemon = false;
	x->in_section = false;
	x->bad_section = true;
}

static void section(struct parse_ctx *x, char *s)
{
	size_t n = strlen(s);
	char *path;

	leave_section(x);
	if (n < 2 || s[n - 1] != ']') {
		error(x, "malformed section header");
		return;
	}
	s[n - 1] = '\0';
	s++;
	if (!strcmp(s, "Daemon")) {
		if (x->daemon_seen)
			error(x, "duplicate section [Daemon]");
		x->daemon_seen = true;
		x->in_daemon = x->in_section = true;
		x->bad_section = false;
		return;
	}
	/* 9: the shortest is Cgroup "" (then rejected below as a path) */
	if (strncmp(s, "Cgroup \"", 8) || (n = strlen(s)) < 9 || s[n - 1] != '"') {
		error(x, "unknown section [%s] (expected [Daemon] or [Cgroup \"/path\"])", s);
		return;
	}
	s[n - 1] = '\0';
	path = s + 8;
	if (strlen(path) >= TD_CONFIG_PATH_MAX || !valid_cgroup_path(path)) {
		error(x, "invalid cgroup path \"%s\" (absolute, below the cgroup root, no . or ..)", path);
		return;
	}
	x->cg = find_cgroup(x->c, path);
	for (size_t i = 0; x->cg && i < x->n_seen; i++)
		if (x->seen[i] == x->cg) {
			error(x, "duplicate section [Cgroup \"%s\"]", path);
			x->cg = NULL;
			return;
		}
	if (!x->cg) {
		if (x->c->n_cgroups >= TD_CONFIG_MAX_CGROUPS) {
			error(x, "too many [Cgroup] sections (at most %d)", TD_CONFIG_MAX_CGROUPS);
			return;
		}
		x->cg = &x->c->cgroups[x->c->n_cgroups++];
		memset(x->cg, 0, sizeof(*x->cg));
		strcpy(x->cg->path, path);
		x->cg->mode = x->c->daemon.default_mode;
		x->cg->weight = 100;
	}
	if (x->n_seen < TD_CONFIG_MAX_CGROUPS)
		x->seen[x->n_seen++] = x->cg;
	x->in_section = true;
	x->bad_section = false;
}

static char *strip(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static bool starts_section(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	return n && *s == '[';
}

/*
 * A section without Mode= follows DefaultMode=, wherever and in whichever
 * file that is set, so resolve it after every file rather than when the
 * section is first seen.
 */
static void inherit_default_mode(struct td_config *c)
{
	for (size_t i = 0; i < c->n_cgroups; i++)
		if (!(c->cgroups[i].set_mask & CG_MODE))
			c->cgroups[i].mode = c->daemon.default_mode;
}

static void assignment(struct parse_ctx *x, char *s)
{
	char *eq = strchr(s, '='), *k, *v;
	int r;

	if (!eq) {
		error(x, "expected Key=Value, a [Section] or a comment");
		return;
	}
	*eq = '\0';
	k = strip(s);
	v = strip(eq + 1);
	if (!*k) {
		error(x, "missing key before '='");
		return;
	}
	if (!x->in_section) {
		/* after a bad header, one error for it is enough */
		if (!x->bad_section)
			error(x, "%s= outside of a section", k);
		return;
	}
	r = x->in_daemon ? daemon_key(&x->c->daemon, k, v) : cgroup_key(x->cg, k, v);
	if (r == -ENOENT)
		error(x, "unknown key %s in [%s]", k, x->in_daemon ? "Daemon" : "Cgroup");
	else if (r)
		error(x, "invalid value \"%s\" for %s", v, k);
}

int td_config_parse(struct td_config *c, const char *fname, const char *text, size_t len)
{
	struct parse_ctx x = { .c = c, .fname = fname };
	size_t off = 0;

	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
		char buf[LINE_MAX_LEN + 1], *s;

		x.line++;
		if (n > LINE_MAX_LEN) {
			error(&x, "line longer than %d bytes", LINE_MAX_LEN);
			/* an unreadable header: its keys must not land in the previous section */
			if (starts_section(text + off, n))
				leave_section(&x);
			off += n + 1;
			continue;
		}
		memcpy(buf, text + off, n);
		buf[n] = '\0';
		off += n + 1;
		if (memchr(buf, '\0', n)) {
			error(&x, "NUL byte in line");
			if (starts_section(buf, n))
				leave_section(&x);
			continue;
		}
		s = strip(buf);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[')
			section(&x, s);
		else
			assignment(&x, s);
	}
	inherit_default_mode(c);
	return x.errors ? -EINVAL : 0;
}

const struct td_cgroup_policy *td_config_policy_for(const struct td_config *c, const char *p)
{
	const struct td_cgroup_policy *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < c->n_cgroups; i++) {
		const char *q = c->cgroups[i].path;
		size_t n = strlen(q);

		/* "/" covers everything; "/a" covers "/a" and "/a/..." but not "/ab" */
		if (strcmp(q, "/") && (strncmp(p, q, n) || (p[n] != '\0' && p[n] != '/')))
			continue;
		if (!best || n > best_len) {
			best = &c->cgroups[i];
			best_len = n;
		}
	}
	return best;
}
