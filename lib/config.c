// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "units.h"

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
		.kernel_promote_rate_limit_mbps = 0,
		.tick_ms = 1000,
		.batch_size = 512,
		.move_workers = 1,
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

/* ------------------------------------------------------------------ key parsers */

/*
 * Each parser fills the field(s) its table entry names and nothing else,
 * and only once the whole value is known to be good, so a bad value leaves
 * the section as it was.
 */

/* v's low bytes into the field: 1 (bool), 4 (uint32_t, int, enum) or 8 bytes. */
static int store(void *base, size_t off, size_t size, uint64_t v)
{
	unsigned char *p = (unsigned char *)base + off;
	uint8_t u8 = (uint8_t)v;
	uint32_t u32 = (uint32_t)v;

	switch (size) {
	case sizeof(u8):
		memcpy(p, &u8, sizeof(u8));
		return 0;
	case sizeof(u32):
		memcpy(p, &u32, sizeof(u32));
		return 0;
	case sizeof(v):
		memcpy(p, &v, sizeof(v));
		return 0;
	}
	return -EINVAL;
}

static int store_field(const struct td_config_key *k, void *base, uint64_t v)
{
	return store(base, k->offset, k->size, v);
}

/* A plain number within [min, max]. */
static int parse_number(const struct td_config_key *k, const char *v, void *base)
{
	uint64_t u;

	if (parse_uint(v, k->min, k->max, &u))
		return -EINVAL;
	return store_field(k, base, u);
}

/* "keep" (TD_KEEP: leave the kernel setting alone) or a number within [min, max]. */
static int parse_keep_number(const struct td_config_key *k, const char *v, void *base)
{
	if (!strcmp(v, "keep"))
		return store_field(k, base, (uint64_t)(int64_t)TD_KEEP);
	return parse_number(k, v, base);
}

/* A duration in ms within [min, max]. */
static int parse_duration(const struct td_config_key *k, const char *v, void *base)
{
	uint64_t u;

	if (td_parse_duration_ms(v, &u) || u < k->min || u > k->max)
		return -EINVAL;
	return store_field(k, base, u);
}

static int size_in_range(const struct td_config_key *k, const char *v, uint64_t *ret)
{
	if (td_parse_bytes(v, ret) || *ret < k->min || *ret > k->max)
		return -EINVAL;
	return 0;
}

/* A size in bytes within [min, max]. */
static int parse_size(const struct td_config_key *k, const char *v, void *base)
{
	uint64_t u;

	if (size_in_range(k, v, &u))
		return -EINVAL;
	return store_field(k, base, u);
}

/* A size in bytes within [min, max] that is a power of two. */
static int parse_pow2_size(const struct td_config_key *k, const char *v, void *base)
{
	uint64_t u;

	if (size_in_range(k, v, &u) || (u & (u - 1)))
		return -EINVAL;
	return store_field(k, base, u);
}

static int parse_bool_key(const struct td_config_key *k, const char *v, void *base)
{
	bool b;

	if (td_parse_bool(v, &b))
		return -EINVAL;
	return store_field(k, base, b);
}

static int parse_mode_key(const struct td_config_key *k, const char *v, void *base)
{
	enum td_mode m;

	if (parse_mode(v, &m))
		return -EINVAL;
	return store_field(k, base, (uint64_t)m);
}

/* "auto" sets the flag at offset2; a node list sets the mask and clears the flag. */
static int parse_nodes(const struct td_config_key *k, const char *v, void *base)
{
	uint64_t mask;

	if (!strcmp(v, "auto"))
		return store(base, k->offset2, k->size2, true);
	if (td_parse_nodemask(v, &mask))
		return -EINVAL;
	if (store_field(k, base, mask))
		return -EINVAL;
	return store(base, k->offset2, k->size2, false);
}

/* "hint-faults" and/or "sampling", separated by commas or blanks. */
static int parse_sources(const struct td_config_key *k, const char *v, void *base)
{
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
	return store_field(k, base, m);
}

static int parse_hint_hook(const struct td_config_key *k, const char *v, void *base)
{
	/* indexed by enum td_hint_hook */
	static const char *const names[] = {
		"auto", "numa_migrate_check", "numa_migrate_prep", "task_numa_fault",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(v, names[i]))
			return store_field(k, base, i);
	return -EINVAL;
}

/* An absolute path that fits the char array, or "" (off). */
static int parse_abs_path(const struct td_config_key *k, const char *v, void *base)
{
	if (strlen(v) >= k->size || (v[0] && v[0] != '/'))
		return -EINVAL;
	strcpy((char *)base + k->offset, v);
	return 0;
}

/* A size in bytes at offset, or "N%" (N within [min, max]) at offset2; the other is cleared. */
static int parse_size_or_percent(const struct td_config_key *k, const char *v, void *base)
{
	uint64_t u, bytes = 0, percent = 0;
	const char *end;

	/* "N%" is a percentage, with leading zeros as any number may have */
	if (!parse_num(v, &u, &end) && !strcmp(end, "%")) {
		if (u < k->min || u > k->max)
			return -EINVAL;
		percent = u;
	} else if (td_parse_bytes(v, &bytes)) {
		return -EINVAL;
	}
	if (store_field(k, base, bytes))
		return -EINVAL;
	return store(base, k->offset2, k->size2, percent);
}

/* ------------------------------------------------------------------ the key table */

enum { CG_MODE = 1, CG_THRESHOLD = 2, CG_RATE = 4, CG_MAXFAST = 8, CG_WEIGHT = 16 };

#define FIELD(type, f) .offset = offsetof(type, f), .size = sizeof(((type *)0)->f)
#define FIELD2(type, f) .offset2 = offsetof(type, f), .size2 = sizeof(((type *)0)->f)
#define DAEMON_KEY(n, p, f, ...) \
	{ .name = n, .section = TD_CONFIG_DAEMON, .parse = p, FIELD(struct td_daemon_config, f), \
	  __VA_ARGS__ }
#define CGROUP_KEY(n, p, f, bit, ...) \
	{ .name = n, .section = TD_CONFIG_CGROUP, .parse = p, FIELD(struct td_cgroup_policy, f), \
	  .set_bit = bit, __VA_ARGS__ }
#define START .start_only = true

/*
 * start_only mirrors daemon.c: these are read once when the sources, the
 * hotness table, the timer, the demoter and the kernel settings are set up,
 * and td_daemon_reload() does not touch them.
 */
static const struct td_config_key keys[] = {
	DAEMON_KEY("FastNodes", parse_nodes, fast_nodes,
		   FIELD2(struct td_daemon_config, fast_nodes_auto), START),
	DAEMON_KEY("SlowNodes", parse_nodes, slow_nodes,
		   FIELD2(struct td_daemon_config, slow_nodes_auto), START),
	DAEMON_KEY("Sources", parse_sources, sources, START),
	DAEMON_KEY("HintFaultHook", parse_hint_hook, hint_hook, START),
	DAEMON_KEY("SamplePeriod", parse_number, sample_period, .min = 1, .max = UINT32_MAX, START),
	DAEMON_KEY("NumaBalancing", parse_keep_number, numa_balancing, .min = 0, .max = 3, START),
	DAEMON_KEY("KernelPromoteRateLimitMBps", parse_keep_number, kernel_promote_rate_limit_mbps,
		   .min = 0, .max = 1 << 20, START),
	DAEMON_KEY("TickInterval", parse_duration, tick_ms, .min = 10, .max = 60000, START),
	DAEMON_KEY("BatchSize", parse_number, batch_size, .min = 1, .max = 65536),
	DAEMON_KEY("MoveWorkers", parse_number, move_workers, .min = 1, .max = 16, START),
	DAEMON_KEY("RateLimitMBps", parse_number, rate_limit_mbps, .min = 0, .max = 1 << 20),
	DAEMON_KEY("FastWatermark", parse_size, fast_watermark_bytes, .min = 0, .max = 1ULL << 48),
	DAEMON_KEY("HotnessCapacity", parse_number, hotness_capacity, .min = 1024, .max = 1 << 28, START),
	DAEMON_KEY("HotnessHalfLife", parse_duration, hotness_half_life_ms, .min = 1, .max = 86400000,
		   START),
	DAEMON_KEY("HotThreshold", parse_number, hot_threshold, .min = 1, .max = 1000000),
	DAEMON_KEY("RingBufferSize", parse_pow2_size, ring_buffer_bytes, .min = TD_PAGE_SIZE, .max = 1ULL << 30,
		   START),
	DAEMON_KEY("DefaultMode", parse_mode_key, default_mode),
	DAEMON_KEY("Demotion", parse_bool_key, demotion, START),
	DAEMON_KEY("OverridePlacement", parse_bool_key, override_placement),
	DAEMON_KEY("DemoteRateLimitMBps", parse_number, demote_rate_limit_mbps, .min = 0, .max = 1 << 20),
	DAEMON_KEY("PingPongWindow", parse_duration, pingpong_window_ms, .min = 0, .max = 604800000),
	DAEMON_KEY("MetricsFile", parse_abs_path, metrics_file),

	CGROUP_KEY("Mode", parse_mode_key, mode, CG_MODE),
	CGROUP_KEY("HotThreshold", parse_number, hot_threshold, CG_THRESHOLD, .min = 1, .max = 1000000),
	CGROUP_KEY("PromoteRateLimitMBps", parse_number, promote_rate_limit_mbps, CG_RATE,
		   .min = 0, .max = 1 << 20),
	CGROUP_KEY("MaxFastMemory", parse_size_or_percent, max_fast_bytes, CG_MAXFAST,
		   FIELD2(struct td_cgroup_policy, max_fast_percent), .min = 1, .max = 100),
	CGROUP_KEY("Weight", parse_number, weight, CG_WEIGHT, .min = 1, .max = 10000),
};

const struct td_config_key *td_config_keys(size_t *ret_n)
{
	*ret_n = sizeof(keys) / sizeof(keys[0]);
	return keys;
}

/* Copies one field of a [Daemon] key from old to new; true if they differed. */
static bool keep_field(void *new, const void *old, size_t off, size_t size)
{
	bool differ = size && memcmp((char *)new + off, (const char *)old + off, size) != 0;

	if (differ)
		memcpy((char *)new + off, (const char *)old + off, size);
	return differ;
}

size_t td_config_keep_start_only(struct td_config *new, const struct td_config *old,
				 const char **ret_names, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct td_config_key *k = &keys[i];
		bool differ;

		if (k->section != TD_CONFIG_DAEMON || !k->start_only)
			continue;
		differ = keep_field(&new->daemon, &old->daemon, k->offset, k->size);
		differ |= keep_field(&new->daemon, &old->daemon, k->offset2, k->size2);
		if (differ && n < max)
			ret_names[n] = k->name;
		n += differ;
	}
	return n;
}

const struct td_config_key *td_config_key_find(enum td_config_section s, const char *name)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].section == s && !strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

const char *td_config_section_name(enum td_config_section s)
{
	return s == TD_CONFIG_DAEMON ? "Daemon" : "Cgroup";
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
	const struct td_config_key *key;
	enum td_config_section sec;

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
	sec = x->in_daemon ? TD_CONFIG_DAEMON : TD_CONFIG_CGROUP;
	key = td_config_key_find(sec, k);
	if (!key) {
		error(x, "unknown key %s in [%s]", k, td_config_section_name(sec));
		return;
	}
	if (key->parse(key, v, x->in_daemon ? (void *)&x->c->daemon : (void *)x->cg)) {
		error(x, "invalid value \"%s\" for %s", v, k);
		return;
	}
	if (!x->in_daemon)
		x->cg->set_mask |= key->set_bit;
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
