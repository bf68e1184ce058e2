// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Unit tests for lib/config.c. */
#include <ctype.h>
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

#include "config.h"

#define FNAME		"t.conf"
#define CONF_PATH	"conf/tieringd.conf"	/* tests run from the repository root */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define SZ_K		(UINT64_C(1) << 10)
#define SZ_M		(UINT64_C(1) << 20)
#define SZ_G		(UINT64_C(1) << 30)
#define SZ_T		(UINT64_C(1) << 40)
#define OVERFLOW	"99999999999999999999"	/* > UINT64_MAX */

/* ------------------------------------------------------------------ helpers */

/* struct td_config is large: one per test, on the heap. */
static int setup(void **state)
{
	struct td_config *c = malloc(sizeof(*c));

	if (!c)
		return -1;
	td_config_init(c);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* Freed by teardown_src, so a failing assertion leaks nothing. */
static char *conf_src;

static int teardown_src(void **state)
{
	free(conf_src);
	conf_src = NULL;
	return teardown(state);
}

static int parse_as(struct td_config *c, const char *fname, const char *text)
{
	return td_config_parse(c, fname, text, strlen(text));
}

static int parse(struct td_config *c, const char *text)
{
	return parse_as(c, FNAME, text);
}

/* Fails with the config's errors unless it has none. */
static void assert_no_errors(const struct td_config *c, const char *what)
{
	if (c->n_errors)
		fail_msg("%s: %zu error(s), first: %s", what, c->n_errors, c->errors[0]);
}

/* Exactly these errors, in order. */
static void assert_errors(const struct td_config *c, const char *what, size_t n, const char *const *want)
{
	if (c->n_errors != n)
		fail_msg("%s: %zu error(s), want %zu; first: %s", what, c->n_errors, n,
			 c->n_errors ? c->errors[0] : "(none)");
	for (size_t i = 0; i < n && i < TD_CONFIG_MAX_ERRORS; i++)
		if (strcmp(c->errors[i], want[i]))
			fail_msg("%s: error %zu is\n  \"%s\"\nwant\n  \"%s\"", what, i, c->errors[i], want[i]);
}

static void assert_prefix(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)))
		fail_msg("\"%s\" does not start with \"%s\"", s, prefix);
}

static void assert_one_error(const struct td_config *c, const char *what, const char *want)
{
	assert_errors(c, what, 1, &want);
}

/* A numeric field of struct td_daemon_config or struct td_cgroup_policy. */
struct field {
	const char *name;
	size_t off, size;
};

#define DFIELD(f) { #f, offsetof(struct td_daemon_config, f), sizeof(((struct td_daemon_config *)0)->f) }
#define CFIELD(f) { #f, offsetof(struct td_cgroup_policy, f), sizeof(((struct td_cgroup_policy *)0)->f) }
#define NOFIELD { NULL, 0, 0 }

/* The field's bits, zero-extended. */
static uint64_t field_get(const void *base, const struct field *f)
{
	const unsigned char *p = (const unsigned char *)base + f->off;
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;

	switch (f->size) {
	case 1:
		memcpy(&u8, p, 1);
		return u8;
	case 4:
		memcpy(&u32, p, 4);
		return u32;
	case 8:
		memcpy(&u64, p, 8);
		return u64;
	}
	fail_msg("field %s: unexpected size %zu", f->name, f->size);
	return 0;
}

/* want truncated to the field's width, so TD_KEEP (-1) compares right in an int. */
static uint64_t field_want(const struct field *f, int64_t want)
{
	if (f->size >= 8)
		return (uint64_t)want;
	return (uint64_t)want & ((UINT64_C(1) << (8 * f->size)) - 1);
}

static void assert_field(const void *base, const struct field *f, int64_t want, const char *what)
{
	uint64_t got = field_get(base, f), exp = field_want(f, want);

	if (got != exp)
		fail_msg("%s: %s = %llu (%#llx), want %llu (%#llx)", what, f->name,
			 (unsigned long long)got, (unsigned long long)got,
			 (unsigned long long)exp, (unsigned long long)exp);
}

/* Every numeric [Daemon] field (metrics_file is compared on its own). */
static const struct field daemon_fields[] = {
	DFIELD(fast_nodes_auto), DFIELD(slow_nodes_auto), DFIELD(fast_nodes), DFIELD(slow_nodes),
	DFIELD(sources), DFIELD(hint_hook), DFIELD(sample_period), DFIELD(numa_balancing),
	DFIELD(kernel_promote_rate_limit_mbps), DFIELD(tick_ms), DFIELD(batch_size), DFIELD(move_workers),
	DFIELD(rate_limit_mbps), DFIELD(fast_watermark_bytes), DFIELD(hotness_capacity),
	DFIELD(hotness_half_life_ms), DFIELD(hot_threshold), DFIELD(ring_buffer_bytes),
	DFIELD(default_mode), DFIELD(demotion), DFIELD(override_placement), DFIELD(demote_rate_limit_mbps),
	DFIELD(pingpong_window_ms),
};

static void assert_daemon_equal(const struct td_daemon_config *got, const struct td_daemon_config *want,
				const char *what)
{
	for (size_t i = 0; i < ARRAY_SIZE(daemon_fields); i++)
		assert_field(got, &daemon_fields[i], (int64_t)field_get(want, &daemon_fields[i]), what);
	if (strcmp(got->metrics_file, want->metrics_file))
		fail_msg("%s: metrics_file = \"%s\", want \"%s\"", what, got->metrics_file, want->metrics_file);
}

static struct td_daemon_config default_daemon(void)
{
	struct td_config *def = malloc(sizeof(*def));
	struct td_daemon_config d;

	assert_non_null(def);
	td_config_init(def);
	d = def->daemon;
	free(def);
	return d;
}

static void assert_daemon_defaults(const struct td_daemon_config *d, const char *what)
{
	struct td_daemon_config def = default_daemon();

	assert_daemon_equal(d, &def, what);
}

/* A fresh section's policy: the parser's documented defaults. */
static void assert_policy_defaults(const struct td_cgroup_policy *p, enum td_mode mode, const char *what)
{
	const struct { struct field f; int64_t want; } want[] = {
		{ CFIELD(mode), mode }, { CFIELD(hot_threshold), 0 },
		{ CFIELD(promote_rate_limit_mbps), 0 }, { CFIELD(max_fast_bytes), 0 },
		{ CFIELD(max_fast_percent), 0 }, { CFIELD(weight), 100 }, { CFIELD(set_mask), 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_field(p, &want[i].f, want[i].want, what);
}

/*
 * The keys under test are lib/config.c's table, never a list of our own:
 * a key added there without cases here fails the "all covered" tests.
 */
static const struct td_config_key *key_after(const struct td_config_key *k, enum td_config_section s)
{
	size_t n;
	const struct td_config_key *t = td_config_keys(&n);

	for (k = k ? k + 1 : t; k < t + n; k++)
		if (k->section == s)
			return k;
	return NULL;
}

#define for_each_key(k, s) \
	for (const struct td_config_key *k = key_after(NULL, s); k; k = key_after(k, s))

static size_t count_keys(enum td_config_section s)
{
	size_t n = 0;

	for_each_key(k, s)
		n++;
	return n;
}

static bool starts_with_key(const char *text, const char *key)
{
	size_t n = strlen(key);

	return !strncmp(text, key, n) && text[n] == '=';
}

/* ------------------------------------------------------------------ defaults, names */

static void test_init_defaults(void **state)
{
	struct td_config *c = *state;
	const struct td_daemon_config *d = &c->daemon;

	/* init must not depend on what was there */
	memset(c, 0xa5, sizeof(*c));
	td_config_init(c);

	assert_true(d->fast_nodes_auto);
	assert_true(d->slow_nodes_auto);
	assert_int_equal(d->fast_nodes, 0);
	assert_int_equal(d->slow_nodes, 0);
	assert_int_equal(d->sources, TD_SOURCES_HINT);
	assert_int_equal(d->sample_period, 1);
	assert_int_equal(d->numa_balancing, 2);
	assert_int_equal(d->kernel_promote_rate_limit_mbps, 0);
	assert_int_equal(d->tick_ms, 1000);
	assert_int_equal(d->batch_size, 512);
	assert_int_equal(d->move_workers, 1);
	assert_int_equal(d->rate_limit_mbps, 0);
	assert_int_equal(d->fast_watermark_bytes, 256 * SZ_M);
	assert_int_equal(d->hotness_capacity, 1 << 20);
	assert_int_equal(d->hotness_half_life_ms, 60000);
	assert_int_equal(d->hot_threshold, 1);
	assert_int_equal(d->ring_buffer_bytes, 4 * SZ_M);
	assert_int_equal(d->default_mode, TD_MODE_PROMOTE);
	assert_true(d->demotion);
	assert_int_equal(d->demote_rate_limit_mbps, 0);
	assert_int_equal(d->pingpong_window_ms, 30000);
	assert_string_equal(d->metrics_file, "");
	assert_int_equal(c->n_cgroups, 0);
	assert_int_equal(c->n_errors, 0);
	assert_null(td_config_policy_for(c, "/"));
	assert_null(td_config_policy_for(c, "/a/b"));
}

static void test_mode_name(void **state)
{
	assert_string_equal(td_mode_name(TD_MODE_PROMOTE), "promote");
	assert_string_equal(td_mode_name(TD_MODE_OBSERVE), "observe");
	assert_string_equal(td_mode_name(TD_MODE_OFF), "off");
	assert_string_equal(td_mode_name((enum td_mode)42), "invalid");
}

/* ------------------------------------------------------------------ value parsers */

static void test_value_parsers(void **state)
{
	static const struct { const char *s; int r; uint64_t v; } bytes[] = {
		{ "0", 0, 0 }, { "512", 0, 512 }, { "512B", 0, 512 }, { "4K", 0, 4 * SZ_K },
		{ "64M", 0, 64 * SZ_M }, { "2G", 0, 2 * SZ_G }, { "1T", 0, SZ_T },
		{ "16777215T", 0, 16777215 * SZ_T }, { "18446744073709551615", 0, UINT64_MAX },
		{ "", -EINVAL, 0 }, { "K", -EINVAL, 0 }, { "-1", -EINVAL, 0 }, { "+1", -EINVAL, 0 },
		{ "4k", -EINVAL, 0 }, { "4KB", -EINVAL, 0 }, { "4KiB", -EINVAL, 0 }, { "4 K", -EINVAL, 0 },
		{ "1.5G", -EINVAL, 0 }, { " 4K", -EINVAL, 0 }, { "16777216T", -EINVAL, 0 },
		{ "18446744073709551616", -EINVAL, 0 }, { OVERFLOW "G", -EINVAL, 0 },
	};
	static const struct { const char *s; int r; uint64_t v; } durations[] = {
		{ "0", 0, 0 }, { "3", 0, 3000 }, { "250ms", 0, 250 }, { "2s", 0, 2000 },
		{ "1min", 0, 60000 }, { "1h", 0, 3600000 }, { "", -EINVAL, 0 }, { "ms", -EINVAL, 0 },
		{ "1m", -EINVAL, 0 }, { "1sec", -EINVAL, 0 }, { "1d", -EINVAL, 0 }, { "1S", -EINVAL, 0 },
		{ "-1s", -EINVAL, 0 }, { "1.5s", -EINVAL, 0 }, { "1 s", -EINVAL, 0 },
		{ "99999999999999h", -EINVAL, 0 }, { OVERFLOW "ms", -EINVAL, 0 },
	};
	static const struct { const char *s; int r; uint64_t v; } masks[] = {
		{ "0", 0, 1 }, { "0,2-3", 0, 0xd }, { "2-3,0", 0, 0xd }, { "1-1", 0, 2 },
		{ "63", 0, UINT64_C(1) << 63 }, { "0-63", 0, UINT64_MAX }, { "", -EINVAL, 0 },
		{ "64", -EINVAL, 0 }, { "0-64", -EINVAL, 0 }, { "3-1", -EINVAL, 0 }, { "0,", -EINVAL, 0 },
		{ ",0", -EINVAL, 0 }, { "0,,1", -EINVAL, 0 }, { "1-", -EINVAL, 0 }, { "-1", -EINVAL, 0 },
		{ "0 1", -EINVAL, 0 }, { "0;1", -EINVAL, 0 }, { "a", -EINVAL, 0 }, { OVERFLOW, -EINVAL, 0 },
	};
	static const struct { const char *s; int r; bool v; } bools[] = {
		{ "yes", 0, true }, { "true", 0, true }, { "on", 0, true }, { "1", 0, true },
		{ "no", 0, false }, { "false", 0, false }, { "off", 0, false }, { "0", 0, false },
		{ "", -EINVAL, false }, { "YES", -EINVAL, false }, { "2", -EINVAL, false },
		{ "y", -EINVAL, false }, { "maybe", -EINVAL, false },
	};
	uint64_t v;
	bool b;

	for (size_t i = 0; i < ARRAY_SIZE(bytes); i++) {
		v = 0xdead;
		if (td_parse_bytes(bytes[i].s, &v) != bytes[i].r)
			fail_msg("td_parse_bytes(\"%s\") != %d", bytes[i].s, bytes[i].r);
		if (v != (bytes[i].r ? 0xdead : bytes[i].v))
			fail_msg("td_parse_bytes(\"%s\") = %llu", bytes[i].s, (unsigned long long)v);
	}
	for (size_t i = 0; i < ARRAY_SIZE(durations); i++) {
		v = 0xdead;
		if (td_parse_duration_ms(durations[i].s, &v) != durations[i].r)
			fail_msg("td_parse_duration_ms(\"%s\") != %d", durations[i].s, durations[i].r);
		if (v != (durations[i].r ? 0xdead : durations[i].v))
			fail_msg("td_parse_duration_ms(\"%s\") = %llu", durations[i].s, (unsigned long long)v);
	}
	for (size_t i = 0; i < ARRAY_SIZE(masks); i++) {
		v = 0xdead;
		if (td_parse_nodemask(masks[i].s, &v) != masks[i].r)
			fail_msg("td_parse_nodemask(\"%s\") != %d", masks[i].s, masks[i].r);
		if (v != (masks[i].r ? 0xdead : masks[i].v))
			fail_msg("td_parse_nodemask(\"%s\") = %#llx", masks[i].s, (unsigned long long)v);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bools); i++) {
		b = !bools[i].v;
		if (td_parse_bool(bools[i].s, &b) != bools[i].r)
			fail_msg("td_parse_bool(\"%s\") != %d", bools[i].s, bools[i].r);
		if (!bools[i].r && b != bools[i].v)
			fail_msg("td_parse_bool(\"%s\") = %d", bools[i].s, b);
	}
}

/*
 * Every unit suffix at its edge: the largest number that still fits in 64
 * bits once scaled, and the next one, which overflows. Then the same through
 * the keys that take an unbounded size or duration, with the exact message.
 */
static const struct unit_edge {
	bool duration;		/* td_parse_duration_ms, else td_parse_bytes */
	const char *max, *over;	/* max fits; over is max + 1 */
	uint64_t max_value;
} unit_edges[] = {
	{ false, "18446744073709551615", "18446744073709551616", UINT64_MAX },
	{ false, "18446744073709551615B", "18446744073709551616B", UINT64_MAX },
	{ false, "18014398509481983K", "18014398509481984K", UINT64_MAX - (SZ_K - 1) },
	{ false, "17592186044415M", "17592186044416M", UINT64_MAX - (SZ_M - 1) },
	{ false, "17179869183G", "17179869184G", UINT64_MAX - (SZ_G - 1) },
	{ false, "16777215T", "16777216T", UINT64_MAX - (SZ_T - 1) },
	{ true, "18446744073709551", "18446744073709552", UINT64_C(18446744073709551000) },
	{ true, "18446744073709551615ms", "18446744073709551616ms", UINT64_MAX },
	{ true, "18446744073709551s", "18446744073709552s", UINT64_C(18446744073709551000) },
	{ true, "307445734561825min", "307445734561826min", UINT64_C(18446744073709500000) },
	{ true, "5124095576030h", "5124095576031h", UINT64_C(18446744073708000000) },
};

static void test_unit_edges(void **state)
{
	struct td_config *c = *state;
	static const char *const byte_keys[][2] = {
		{ "Daemon", "FastWatermark" }, { "Cgroup \"/a\"", "MaxFastMemory" },
	};
	static const char *const sfx_bytes[] = { "", "B", "K", "M", "G", "T" };
	static const char *const sfx_durations[] = { "", "ms", "s", "min", "h" };
	char text[256], want[256];

	for (size_t i = 0; i < ARRAY_SIZE(unit_edges); i++) {
		const struct unit_edge *e = &unit_edges[i];
		int (*fn)(const char *, uint64_t *) = e->duration ? td_parse_duration_ms : td_parse_bytes;
		uint64_t v = 0xdead;

		if (fn(e->max, &v) || v != e->max_value)
			fail_msg("\"%s\": %llu, want %llu", e->max, (unsigned long long)v,
				 (unsigned long long)e->max_value);
		v = 0xdead;
		if (fn(e->over, &v) != -EINVAL || v != 0xdead)
			fail_msg("\"%s\" overflows, but was accepted", e->over);

		/* through the config: accepted, then rejected with its line (the
		 * keys whose range is the whole 64 bits; test_ranges has the others) */
		for (size_t k = 0; k < (e->duration ? 1 : ARRAY_SIZE(byte_keys)); k++) {
			const char *sect = e->duration ? "Daemon" : byte_keys[k][0];
			const char *key = e->duration ? "PingPongWindow" : byte_keys[k][1];
			const struct td_config_key *tk = td_config_key_find(
				strcmp(sect, "Daemon") ? TD_CONFIG_CGROUP : TD_CONFIG_DAEMON, key);

			assert_non_null(tk);
			if (tk->max != UINT64_MAX)
				continue;

			td_config_init(c);
			snprintf(text, sizeof(text), "[%s]\n%s=%s\n%s=%s\n", sect, key, e->max, key, e->over);
			snprintf(want, sizeof(want), FNAME ":3: invalid value \"%s\" for %s", e->over, key);
			assert_int_equal(parse(c, text), -EINVAL);
			assert_one_error(c, text, want);
			v = e->duration ? c->daemon.pingpong_window_ms :
			    k == 0 ? c->daemon.fast_watermark_bytes : c->cgroups[0].max_fast_bytes;
			if (v != e->max_value)
				fail_msg("%s: %llu, want %llu", text, (unsigned long long)v,
					 (unsigned long long)e->max_value);
		}
	}

	/* the tables above name every suffix the parsers take */
	for (size_t u = 0; u < ARRAY_SIZE(sfx_bytes) + ARRAY_SIZE(sfx_durations); u++) {
		bool duration = u >= ARRAY_SIZE(sfx_bytes);
		const char *sfx = duration ? sfx_durations[u - ARRAY_SIZE(sfx_bytes)] : sfx_bytes[u];
		bool found = false;

		for (size_t i = 0; i < ARRAY_SIZE(unit_edges); i++) {
			const char *m = unit_edges[i].max;
			size_t digits = strspn(m, "0123456789");

			found |= unit_edges[i].duration == duration && !strcmp(m + digits, sfx);
		}
		if (!found)
			fail_msg("no overflow case for %s suffix \"%s\"", duration ? "duration" : "size", sfx);
	}
}

/* ------------------------------------------------------------------ [Daemon] keys */

/* Lines after "[Daemon]"; then f (and f2, if any) must hold want (want2). */
static const struct daemon_ok {
	const char *text;
	struct field f;
	int64_t want;
	struct field f2;
	int64_t want2;
} daemon_ok[] = {
	{ "FastNodes=0", DFIELD(fast_nodes), 1, DFIELD(fast_nodes_auto), false },
	{ "FastNodes=0,2-3", DFIELD(fast_nodes), 0xd, DFIELD(fast_nodes_auto), false },
	{ "FastNodes=0-63", DFIELD(fast_nodes), (int64_t)UINT64_MAX, DFIELD(fast_nodes_auto), false },
	{ "FastNodes=1\nFastNodes=auto", DFIELD(fast_nodes_auto), true, NOFIELD, 0 },
	{ "SlowNodes=63", DFIELD(slow_nodes), (int64_t)(UINT64_C(1) << 63), DFIELD(slow_nodes_auto), false },
	{ "SlowNodes=2-3", DFIELD(slow_nodes), 0xc, DFIELD(slow_nodes_auto), false },
	{ "SlowNodes=1\nSlowNodes=auto", DFIELD(slow_nodes_auto), true, DFIELD(fast_nodes_auto), true },
	{ "Sources=hint-faults", DFIELD(sources), TD_SOURCES_HINT, NOFIELD, 0 },
	{ "HintFaultHook=numa_migrate_check", DFIELD(hint_hook), TD_HINT_HOOK_MIGRATE_CHECK, NOFIELD, 0 },
	{ "HintFaultHook=numa_migrate_prep", DFIELD(hint_hook), TD_HINT_HOOK_MIGRATE_PREP, NOFIELD, 0 },
	{ "HintFaultHook=task_numa_fault", DFIELD(hint_hook), TD_HINT_HOOK_TASK_NUMA_FAULT, NOFIELD, 0 },
	{ "HintFaultHook=task_numa_fault\nHintFaultHook=auto", DFIELD(hint_hook), TD_HINT_HOOK_AUTO, NOFIELD, 0 },
	{ "Sources=sampling", DFIELD(sources), TD_SOURCES_SAMPLE, NOFIELD, 0 },
	{ "Sources=hint-faults,sampling", DFIELD(sources), TD_SOURCES_HINT | TD_SOURCES_SAMPLE, NOFIELD, 0 },
	{ "Sources=sampling hint-faults", DFIELD(sources), TD_SOURCES_HINT | TD_SOURCES_SAMPLE, NOFIELD, 0 },
	{ "SamplePeriod=9\nSamplePeriod=1", DFIELD(sample_period), 1, NOFIELD, 0 },
	{ "SamplePeriod=10007", DFIELD(sample_period), 10007, NOFIELD, 0 },
	{ "SamplePeriod=4294967295", DFIELD(sample_period), UINT32_MAX, NOFIELD, 0 },
	{ "NumaBalancing=0", DFIELD(numa_balancing), 0, NOFIELD, 0 },
	{ "NumaBalancing=1", DFIELD(numa_balancing), 1, NOFIELD, 0 },
	{ "NumaBalancing=3", DFIELD(numa_balancing), 3, NOFIELD, 0 },
	{ "NumaBalancing=keep", DFIELD(numa_balancing), TD_KEEP, NOFIELD, 0 },
	{ "NumaBalancing=keep\nNumaBalancing=2", DFIELD(numa_balancing), 2, NOFIELD, 0 },
	{ "KernelPromoteRateLimitMBps=0", DFIELD(kernel_promote_rate_limit_mbps), 0, NOFIELD, 0 },
	{ "KernelPromoteRateLimitMBps=1048576", DFIELD(kernel_promote_rate_limit_mbps), 1048576, NOFIELD, 0 },
	{ "KernelPromoteRateLimitMBps=64\nKernelPromoteRateLimitMBps=keep",
	  DFIELD(kernel_promote_rate_limit_mbps), TD_KEEP, NOFIELD, 0 },
	{ "TickInterval=10ms", DFIELD(tick_ms), 10, NOFIELD, 0 },
	{ "TickInterval=250ms", DFIELD(tick_ms), 250, NOFIELD, 0 },
	{ "TickInterval=2s", DFIELD(tick_ms), 2000, NOFIELD, 0 },
	{ "TickInterval=1min", DFIELD(tick_ms), 60000, NOFIELD, 0 },
	{ "TickInterval=60000ms", DFIELD(tick_ms), 60000, NOFIELD, 0 },
	{ "TickInterval=5", DFIELD(tick_ms), 5000, NOFIELD, 0 },
	{ "BatchSize=1", DFIELD(batch_size), 1, NOFIELD, 0 },
	{ "BatchSize=65536", DFIELD(batch_size), 65536, NOFIELD, 0 },
	{ "MoveWorkers=1", DFIELD(move_workers), 1, NOFIELD, 0 },
	{ "MoveWorkers=16", DFIELD(move_workers), 16, NOFIELD, 0 },
	{ "RateLimitMBps=9\nRateLimitMBps=0", DFIELD(rate_limit_mbps), 0, NOFIELD, 0 },
	{ "RateLimitMBps=1048576", DFIELD(rate_limit_mbps), 1048576, NOFIELD, 0 },
	{ "FastWatermark=0", DFIELD(fast_watermark_bytes), 0, NOFIELD, 0 },
	{ "FastWatermark=512", DFIELD(fast_watermark_bytes), 512, NOFIELD, 0 },
	{ "FastWatermark=512B", DFIELD(fast_watermark_bytes), 512, NOFIELD, 0 },
	{ "FastWatermark=4K", DFIELD(fast_watermark_bytes), 4 * SZ_K, NOFIELD, 0 },
	{ "FastWatermark=64M", DFIELD(fast_watermark_bytes), 64 * SZ_M, NOFIELD, 0 },
	{ "FastWatermark=2G", DFIELD(fast_watermark_bytes), 2 * SZ_G, NOFIELD, 0 },
	{ "FastWatermark=1T", DFIELD(fast_watermark_bytes), SZ_T, NOFIELD, 0 },
	{ "HotnessCapacity=1024", DFIELD(hotness_capacity), 1024, NOFIELD, 0 },
	{ "HotnessCapacity=268435456", DFIELD(hotness_capacity), 268435456, NOFIELD, 0 },
	{ "HotnessHalfLife=1ms", DFIELD(hotness_half_life_ms), 1, NOFIELD, 0 },
	{ "HotnessHalfLife=500ms", DFIELD(hotness_half_life_ms), 500, NOFIELD, 0 },
	{ "HotnessHalfLife=3", DFIELD(hotness_half_life_ms), 3000, NOFIELD, 0 },
	{ "HotnessHalfLife=10s", DFIELD(hotness_half_life_ms), 10000, NOFIELD, 0 },
	{ "HotnessHalfLife=5min", DFIELD(hotness_half_life_ms), 300000, NOFIELD, 0 },
	{ "HotnessHalfLife=24h", DFIELD(hotness_half_life_ms), 86400000, NOFIELD, 0 },
	{ "HotThreshold=1", DFIELD(hot_threshold), 1, NOFIELD, 0 },
	{ "HotThreshold=7", DFIELD(hot_threshold), 7, NOFIELD, 0 },
	{ "HotThreshold=1000000", DFIELD(hot_threshold), 1000000, NOFIELD, 0 },
	{ "RingBufferSize=4096", DFIELD(ring_buffer_bytes), 4096, NOFIELD, 0 },
	{ "RingBufferSize=8192B", DFIELD(ring_buffer_bytes), 8192, NOFIELD, 0 },
	{ "RingBufferSize=64K", DFIELD(ring_buffer_bytes), 64 * SZ_K, NOFIELD, 0 },
	{ "RingBufferSize=16M", DFIELD(ring_buffer_bytes), 16 * SZ_M, NOFIELD, 0 },
	{ "RingBufferSize=1G", DFIELD(ring_buffer_bytes), SZ_G, NOFIELD, 0 },
	{ "DefaultMode=observe", DFIELD(default_mode), TD_MODE_OBSERVE, NOFIELD, 0 },
	{ "DefaultMode=off", DFIELD(default_mode), TD_MODE_OFF, NOFIELD, 0 },
	{ "DefaultMode=off\nDefaultMode=promote", DFIELD(default_mode), TD_MODE_PROMOTE, NOFIELD, 0 },
	{ "Demotion=no", DFIELD(demotion), false, NOFIELD, 0 },
	{ "Demotion=false", DFIELD(demotion), false, NOFIELD, 0 },
	{ "Demotion=off", DFIELD(demotion), false, NOFIELD, 0 },
	{ "Demotion=0", DFIELD(demotion), false, NOFIELD, 0 },
	{ "Demotion=0\nDemotion=yes", DFIELD(demotion), true, NOFIELD, 0 },
	{ "Demotion=0\nDemotion=true", DFIELD(demotion), true, NOFIELD, 0 },
	{ "Demotion=0\nDemotion=on", DFIELD(demotion), true, NOFIELD, 0 },
	{ "Demotion=0\nDemotion=1", DFIELD(demotion), true, NOFIELD, 0 },
	{ "OverridePlacement=yes", DFIELD(override_placement), true, NOFIELD, 0 },
	{ "OverridePlacement=no", DFIELD(override_placement), false, NOFIELD, 0 },
	{ "DemoteRateLimitMBps=9\nDemoteRateLimitMBps=0", DFIELD(demote_rate_limit_mbps), 0, NOFIELD, 0 },
	{ "DemoteRateLimitMBps=1048576", DFIELD(demote_rate_limit_mbps), 1048576, NOFIELD, 0 },
	{ "PingPongWindow=0", DFIELD(pingpong_window_ms), 0, NOFIELD, 0 },
	{ "PingPongWindow=250ms", DFIELD(pingpong_window_ms), 250, NOFIELD, 0 },
	{ "PingPongWindow=7", DFIELD(pingpong_window_ms), 7000, NOFIELD, 0 },
	{ "PingPongWindow=5s", DFIELD(pingpong_window_ms), 5000, NOFIELD, 0 },
	{ "PingPongWindow=2min", DFIELD(pingpong_window_ms), 120000, NOFIELD, 0 },
	{ "PingPongWindow=1h", DFIELD(pingpong_window_ms), 3600000, NOFIELD, 0 },
	/* whitespace around key and value, and a repeated key: the last wins */
	{ "  BatchSize =  7  ", DFIELD(batch_size), 7, NOFIELD, 0 },
	{ "\tBatchSize\t=\t8\t", DFIELD(batch_size), 8, NOFIELD, 0 },
	{ "BatchSize=1\nBatchSize=2\nBatchSize=3", DFIELD(batch_size), 3, NOFIELD, 0 },
	{ "BatchSize=0007", DFIELD(batch_size), 7, NOFIELD, 0 },
};

/* [Daemon] keys that fill a string: after the lines, the char array at off holds want. */
static const struct daemon_str_ok {
	const char *text;
	size_t off;
	const char *want;
} daemon_str_ok[] = {
	{ "MetricsFile=/run/tieringd/metrics", offsetof(struct td_daemon_config, metrics_file),
	  "/run/tieringd/metrics" },
	/* only the first '=' splits */
	{ "MetricsFile=/run/a=b", offsetof(struct td_daemon_config, metrics_file), "/run/a=b" },
	/* empty turns it off again */
	{ "MetricsFile=/run/m\nMetricsFile=", offsetof(struct td_daemon_config, metrics_file), "" },
};

static void test_daemon_keys_valid(void **state)
{
	struct td_config *c = *state;
	char text[512];

	for (size_t i = 0; i < ARRAY_SIZE(daemon_str_ok); i++) {
		const struct daemon_str_ok *t = &daemon_str_ok[i];

		td_config_init(c);
		snprintf(text, sizeof(text), "[Daemon]\n%s\n", t->text);
		if (parse(c, text) != 0)
			fail_msg("\"%s\": parse failed: %s", t->text, c->n_errors ? c->errors[0] : "?");
		assert_string_equal((const char *)&c->daemon + t->off, t->want);
	}

	for (size_t i = 0; i < ARRAY_SIZE(daemon_ok); i++) {
		const struct daemon_ok *t = &daemon_ok[i];

		td_config_init(c);
		snprintf(text, sizeof(text), "[Daemon]\n%s\n", t->text);
		if (parse(c, text) != 0)
			fail_msg("\"%s\": parse failed: %s", t->text, c->n_errors ? c->errors[0] : "?");
		assert_no_errors(c, t->text);
		assert_field(&c->daemon, &t->f, t->want, t->text);
		if (t->f2.name)
			assert_field(&c->daemon, &t->f2, t->want2, t->text);
		assert_int_equal(c->n_cgroups, 0);
	}
}

static void test_daemon_metrics_file(void **state)
{
	struct td_config *c = *state;
	char text[TD_CONFIG_PATH_MAX + 64], path[TD_CONFIG_PATH_MAX];

	/* the valid values are in daemon_str_ok[]; here the longest path that fits, and one byte more */
	memset(path, 'm', sizeof(path));
	path[0] = '/';
	path[TD_CONFIG_PATH_MAX - 1] = '\0';
	snprintf(text, sizeof(text), "[Daemon]\nMetricsFile=%s\n", path);
	assert_int_equal(parse_as(c, "d.conf", text), 0);
	assert_string_equal(c->daemon.metrics_file, path);
	snprintf(text, sizeof(text), "[Daemon]\nMetricsFile=%sm\n", path);
	assert_int_equal(parse_as(c, "e.conf", text), -EINVAL);
	assert_int_equal(c->n_errors, 1);
	assert_prefix(c->errors[0], "e.conf:2: invalid value \"/mmm");
	assert_string_equal(c->daemon.metrics_file, path);
}

/* One bad value per line; each must leave the [Daemon] defaults alone. */
static const struct { const char *key, *value; } daemon_bad[] = {
	{ "FastNodes", "" }, { "FastNodes", "64" }, { "FastNodes", "0-64" }, { "FastNodes", "3-1" },
	{ "FastNodes", "0," }, { "FastNodes", "-1" }, { "FastNodes", "Auto" }, { "FastNodes", "0;1" },
	{ "FastNodes", OVERFLOW },
	{ "SlowNodes", "" }, { "SlowNodes", "2-" }, { "SlowNodes", "64" }, { "SlowNodes", "none" },
	{ "Sources", "" }, { "Sources", "hint" }, { "Sources", "hint-faults,bogus" },
	{ "Sources", "," }, { "Sources", "Sampling" },
	{ "SamplePeriod", "0" }, { "SamplePeriod", "4294967296" }, { "SamplePeriod", "-1" },
	{ "SamplePeriod", "" }, { "SamplePeriod", "1K" }, { "SamplePeriod", OVERFLOW },
	{ "NumaBalancing", "4" }, { "NumaBalancing", "-1" }, { "NumaBalancing", "" },
	{ "NumaBalancing", "Keep" }, { "NumaBalancing", "2x" },
	{ "KernelPromoteRateLimitMBps", "1048577" }, { "KernelPromoteRateLimitMBps", "-1" },
	{ "KernelPromoteRateLimitMBps", "" }, { "KernelPromoteRateLimitMBps", "10MB" },
	{ "KernelPromoteRateLimitMBps", OVERFLOW },
	{ "TickInterval", "9ms" }, { "TickInterval", "61s" }, { "TickInterval", "2min" },
	{ "TickInterval", "1h" }, { "TickInterval", "0" }, { "TickInterval", "" },
	{ "TickInterval", "1m" }, { "TickInterval", "1sec" }, { "TickInterval", "-1s" },
	{ "TickInterval", "1.5s" }, { "TickInterval", "1 s" }, { "TickInterval", OVERFLOW "h" },
	{ "BatchSize", "0" }, { "BatchSize", "65537" }, { "BatchSize", "" }, { "BatchSize", "-5" },
	{ "BatchSize", "1K" }, { "BatchSize", OVERFLOW },
	{ "MoveWorkers", "0" }, { "MoveWorkers", "17" }, { "MoveWorkers", "two" },
	{ "RateLimitMBps", "1048577" }, { "RateLimitMBps", "-1" }, { "RateLimitMBps", "" },
	{ "RateLimitMBps", "1G" }, { "RateLimitMBps", OVERFLOW },
	{ "FastWatermark", "1k" }, { "FastWatermark", "1KB" }, { "FastWatermark", "1KiB" },
	{ "FastWatermark", "-1" }, { "FastWatermark", "" }, { "FastWatermark", "1.5G" },
	{ "FastWatermark", "G" }, { "FastWatermark", "16777216T" }, { "FastWatermark", OVERFLOW },
	{ "FastWatermark", OVERFLOW "G" }, { "FastWatermark", "99999999999G" },
	{ "HotnessCapacity", "1023" }, { "HotnessCapacity", "268435457" }, { "HotnessCapacity", "" },
	{ "HotnessCapacity", "1M" }, { "HotnessCapacity", "-1" }, { "HotnessCapacity", OVERFLOW },
	{ "HotnessHalfLife", "0" }, { "HotnessHalfLife", "0ms" }, { "HotnessHalfLife", "86400001ms" },
	{ "HotnessHalfLife", "25h" }, { "HotnessHalfLife", "" }, { "HotnessHalfLife", "1d" },
	{ "HotnessHalfLife", "-1" }, { "HotnessHalfLife", OVERFLOW "ms" },
	{ "HotThreshold", "0" }, { "HotThreshold", "1000001" }, { "HotThreshold", "" },
	{ "HotThreshold", "-1" }, { "HotThreshold", "2.5" }, { "HotThreshold", OVERFLOW },
	{ "RingBufferSize", "4095" }, { "RingBufferSize", "2048" }, { "RingBufferSize", "12K" },
	{ "RingBufferSize", "2G" }, { "RingBufferSize", "0" }, { "RingBufferSize", "" },
	{ "RingBufferSize", "1T" }, { "RingBufferSize", "4KB" }, { "RingBufferSize", "-4K" }, { "RingBufferSize", OVERFLOW "G" },
	{ "DefaultMode", "Promote" }, { "DefaultMode", "" }, { "DefaultMode", "on" },
	{ "DefaultMode", "demote" }, { "DefaultMode", "invalid" },
	{ "Demotion", "maybe" }, { "Demotion", "" }, { "Demotion", "YES" }, { "Demotion", "2" },
	{ "Demotion", "-1" }, { "OverridePlacement", "maybe" },
	{ "DemoteRateLimitMBps", "1048577" }, { "DemoteRateLimitMBps", "-1" },
	{ "DemoteRateLimitMBps", "" }, { "DemoteRateLimitMBps", OVERFLOW },
	{ "PingPongWindow", "-1" }, { "PingPongWindow", "" }, { "PingPongWindow", "1d" },
	{ "PingPongWindow", "1.5s" }, { "PingPongWindow", "99999999999999h" },
	{ "PingPongWindow", OVERFLOW },
	{ "MetricsFile", "relative/metrics" }, { "MetricsFile", "./metrics" },
	{ "HintFaultHook", "" }, { "HintFaultHook", "Auto" }, { "HintFaultHook", "numa_migrate" },
	{ "HintFaultHook", "kprobe" },
	/* comments are whole lines only */
	{ "BatchSize", "7 # seven" }, { "BatchSize", "7 ; seven" },
};

static void test_daemon_keys_invalid(void **state)
{
	struct td_config *c = *state;
	char text[512], want[512];

	for (size_t i = 0; i < ARRAY_SIZE(daemon_bad); i++) {
		td_config_init(c);
		snprintf(text, sizeof(text), "# bad value\n[Daemon]\n%s=%s\n", daemon_bad[i].key,
			 daemon_bad[i].value);
		snprintf(want, sizeof(want), FNAME ":3: invalid value \"%s\" for %s", daemon_bad[i].value,
			 daemon_bad[i].key);
		if (parse(c, text) != -EINVAL)
			fail_msg("%s=%s: accepted", daemon_bad[i].key, daemon_bad[i].value);
		assert_one_error(c, text, want);
		assert_daemon_defaults(&c->daemon, text);
	}
}

static void test_daemon_long_values(void **state)
{
	struct td_config *c = *state;
	char text[1024], value[200];

	/* Sources= longer than its 127-byte buffer, made of valid words */
	value[0] = '\0';
	while (strlen(value) < 128)
		strcat(value, "sampling,");
	snprintf(text, sizeof(text), "[Daemon]\nSources=%s\n", value);
	assert_int_equal(parse(c, text), -EINVAL);
	assert_int_equal(c->n_errors, 1);
	assert_prefix(c->errors[0], FNAME ":2: invalid value \"sampling,");
	assert_int_equal(c->daemon.sources, TD_SOURCES_HINT);
}

/* The tables above name every [Daemon] key of the table, valid and invalid. */
static void test_daemon_keys_all_covered(void **state)
{
	assert_true(count_keys(TD_CONFIG_DAEMON) > 0);
	for_each_key(k, TD_CONFIG_DAEMON) {
		bool ok = false, bad = false;

		for (size_t i = 0; i < ARRAY_SIZE(daemon_ok); i++)
			ok |= starts_with_key(daemon_ok[i].text, k->name);
		for (size_t i = 0; i < ARRAY_SIZE(daemon_str_ok); i++)
			ok |= starts_with_key(daemon_str_ok[i].text, k->name);
		for (size_t i = 0; i < ARRAY_SIZE(daemon_bad); i++)
			bad |= !strcmp(daemon_bad[i].key, k->name);
		if (!ok || !bad)
			fail_msg("%s: no %s case", k->name, ok ? "invalid" : "valid");
	}
}

/*
 * Each [Daemon] key's documented default, spelled as a value: a file sets
 * another value, a drop-in sets the default back, and the result is
 * td_config_init()'s. (A node mask is not compared while its list is auto.)
 */
static const struct { const char *key, *def, *other; } daemon_defaults[] = {
	{ "FastNodes", "auto", "0-1" }, { "SlowNodes", "auto", "2" },
	{ "Sources", "hint-faults", "sampling" }, { "HintFaultHook", "auto", "task_numa_fault" },
	{ "SamplePeriod", "1", "97" }, { "NumaBalancing", "2", "keep" },
	{ "KernelPromoteRateLimitMBps", "0", "keep" }, { "TickInterval", "1s", "250ms" },
	{ "BatchSize", "512", "64" }, { "MoveWorkers", "1", "4" }, { "RateLimitMBps", "0", "100" },
	{ "FastWatermark", "256M", "1G" }, { "HotnessCapacity", "1048576", "2048" },
	{ "HotnessHalfLife", "1min", "10s" }, { "HotThreshold", "1", "3" },
	{ "RingBufferSize", "4M", "8M" }, { "DefaultMode", "promote", "off" },
	{ "Demotion", "yes", "no" }, { "OverridePlacement", "no", "yes" }, { "DemoteRateLimitMBps", "0", "10" },
	{ "PingPongWindow", "30s", "1min" }, { "MetricsFile", "", "/run/tieringd/metrics" },
};

static struct td_daemon_config effective(struct td_daemon_config d)
{
	if (d.fast_nodes_auto)
		d.fast_nodes = 0;
	if (d.slow_nodes_auto)
		d.slow_nodes = 0;
	return d;
}

static bool daemon_equal(const struct td_daemon_config *a, const struct td_daemon_config *b)
{
	for (size_t i = 0; i < ARRAY_SIZE(daemon_fields); i++)
		if (field_get(a, &daemon_fields[i]) != field_get(b, &daemon_fields[i]))
			return false;
	return !strcmp(a->metrics_file, b->metrics_file);
}

static void test_daemon_key_defaults(void **state)
{
	struct td_config *c = *state;
	const struct td_daemon_config def = default_daemon();
	char text[256];

	for (size_t i = 0; i < ARRAY_SIZE(daemon_defaults); i++) {
		struct td_daemon_config got;

		td_config_init(c);
		snprintf(text, sizeof(text), "[Daemon]\n%s=%s\n", daemon_defaults[i].key, daemon_defaults[i].other);
		assert_int_equal(parse(c, text), 0);
		got = effective(c->daemon);
		if (daemon_equal(&got, &def))
			fail_msg("%s=%s: nothing changed", daemon_defaults[i].key, daemon_defaults[i].other);
		snprintf(text, sizeof(text), "[Daemon]\n%s=%s\n", daemon_defaults[i].key, daemon_defaults[i].def);
		assert_int_equal(parse_as(c, "50-default.conf", text), 0);
		got = effective(c->daemon);
		assert_daemon_equal(&got, &def, text);
		assert_no_errors(c, text);
	}
	for_each_key(k, TD_CONFIG_DAEMON) {
		bool found = false;

		for (size_t i = 0; i < ARRAY_SIZE(daemon_defaults); i++)
			found |= !strcmp(daemon_defaults[i].key, k->name);
		if (!found)
			fail_msg("%s: no default case", k->name);
	}
}

/* ------------------------------------------------------------------ [Cgroup] keys */

static const struct cgroup_ok {
	const char *text;
	struct field f;
	int64_t want;
	struct field f2;
	int64_t want2;
} cgroup_ok[] = {
	{ "Mode=promote", CFIELD(mode), TD_MODE_PROMOTE, NOFIELD, 0 },
	{ "Mode=observe", CFIELD(mode), TD_MODE_OBSERVE, NOFIELD, 0 },
	{ "Mode=off", CFIELD(mode), TD_MODE_OFF, NOFIELD, 0 },
	{ "HotThreshold=1", CFIELD(hot_threshold), 1, NOFIELD, 0 },
	{ "HotThreshold=1000000", CFIELD(hot_threshold), 1000000, NOFIELD, 0 },
	{ "PromoteRateLimitMBps=0", CFIELD(promote_rate_limit_mbps), 0, NOFIELD, 0 },
	{ "PromoteRateLimitMBps=300", CFIELD(promote_rate_limit_mbps), 300, NOFIELD, 0 },
	{ "PromoteRateLimitMBps=1048576", CFIELD(promote_rate_limit_mbps), 1048576, NOFIELD, 0 },
	{ "MaxFastMemory=0", CFIELD(max_fast_bytes), 0, CFIELD(max_fast_percent), 0 },
	{ "MaxFastMemory=4096", CFIELD(max_fast_bytes), 4096, CFIELD(max_fast_percent), 0 },
	{ "MaxFastMemory=512B", CFIELD(max_fast_bytes), 512, CFIELD(max_fast_percent), 0 },
	{ "MaxFastMemory=4K", CFIELD(max_fast_bytes), 4 * SZ_K, CFIELD(max_fast_percent), 0 },
	{ "MaxFastMemory=64M", CFIELD(max_fast_bytes), 64 * SZ_M, CFIELD(max_fast_percent), 0 },
	{ "MaxFastMemory=8G", CFIELD(max_fast_bytes), 8 * SZ_G, CFIELD(max_fast_percent), 0 },
	{ "MaxFastMemory=2T", CFIELD(max_fast_bytes), 2 * SZ_T, CFIELD(max_fast_percent), 0 },
	{ "MaxFastMemory=1%", CFIELD(max_fast_percent), 1, CFIELD(max_fast_bytes), 0 },
	{ "MaxFastMemory=50%", CFIELD(max_fast_percent), 50, CFIELD(max_fast_bytes), 0 },
	{ "MaxFastMemory=100%", CFIELD(max_fast_percent), 100, CFIELD(max_fast_bytes), 0 },
	/* leading zeros, as every number takes them */
	{ "MaxFastMemory=00000050%", CFIELD(max_fast_percent), 50, CFIELD(max_fast_bytes), 0 },
	{ "MaxFastMemory=00000000000000000000000100%", CFIELD(max_fast_percent), 100, CFIELD(max_fast_bytes), 0 },
	/* a percentage and a size replace each other */
	{ "MaxFastMemory=8G\nMaxFastMemory=25%", CFIELD(max_fast_percent), 25, CFIELD(max_fast_bytes), 0 },
	{ "MaxFastMemory=25%\nMaxFastMemory=1G", CFIELD(max_fast_bytes), SZ_G, CFIELD(max_fast_percent), 0 },
	{ "Weight=1", CFIELD(weight), 1, NOFIELD, 0 },
	{ "Weight=100", CFIELD(weight), 100, NOFIELD, 0 },
	{ "Weight=10000", CFIELD(weight), 10000, NOFIELD, 0 },
	{ " Weight = 42 ", CFIELD(weight), 42, NOFIELD, 0 },
};

static void test_cgroup_keys_valid(void **state)
{
	struct td_config *c = *state;
	char text[512];

	for (size_t i = 0; i < ARRAY_SIZE(cgroup_ok); i++) {
		const struct cgroup_ok *t = &cgroup_ok[i];

		td_config_init(c);
		snprintf(text, sizeof(text), "[Cgroup \"/a\"]\n%s\n", t->text);
		if (parse(c, text) != 0)
			fail_msg("\"%s\": parse failed: %s", t->text, c->n_errors ? c->errors[0] : "?");
		assert_no_errors(c, t->text);
		assert_int_equal(c->n_cgroups, 1);
		assert_string_equal(c->cgroups[0].path, "/a");
		assert_field(&c->cgroups[0], &t->f, t->want, t->text);
		if (t->f2.name)
			assert_field(&c->cgroups[0], &t->f2, t->want2, t->text);
		if (!c->cgroups[0].set_mask)
			fail_msg("\"%s\": set_mask not set", t->text);
		assert_daemon_defaults(&c->daemon, t->text);
	}
}

/* Each key sets its own bit in set_mask; an empty section sets none. */
static void test_cgroup_set_mask(void **state)
{
	struct td_config *c = *state;
	uint32_t all = 0;

	assert_int_equal(parse(c, "[Cgroup \"/empty\"]\n"), 0);
	assert_int_equal(c->n_cgroups, 1);
	assert_policy_defaults(&c->cgroups[0], TD_MODE_PROMOTE, "empty section");
	for_each_key(k, TD_CONFIG_CGROUP) {
		char text[128];
		uint32_t bit;

		td_config_init(c);
		snprintf(text, sizeof(text), "[Cgroup \"/a\"]\n%s=%s\n", k->name,
			 !strcmp(k->name, "Mode") ? "off" : "1");
		assert_int_equal(parse(c, text), 0);
		bit = c->cgroups[0].set_mask;
		if (!bit || (bit & (bit - 1)) || (all & bit))
			fail_msg("%s: set_mask %#x (others %#x)", k->name, bit, all);
		if (bit != k->set_bit)
			fail_msg("%s: set_mask %#x, the table says %#x", k->name, bit, k->set_bit);
		all |= bit;
	}
}

static const struct { const char *key, *value; } cgroup_bad[] = {
	{ "Mode", "Observe" }, { "Mode", "" }, { "Mode", "promote!" }, { "Mode", "demote" },
	{ "Mode", "invalid" },
	{ "HotThreshold", "0" }, { "HotThreshold", "1000001" }, { "HotThreshold", "" },
	{ "HotThreshold", "-1" }, { "HotThreshold", OVERFLOW },
	{ "PromoteRateLimitMBps", "1048577" }, { "PromoteRateLimitMBps", "-1" },
	{ "PromoteRateLimitMBps", "" }, { "PromoteRateLimitMBps", "1G" },
	{ "PromoteRateLimitMBps", OVERFLOW },
	{ "MaxFastMemory", "0%" }, { "MaxFastMemory", "101%" }, { "MaxFastMemory", "%" },
	{ "MaxFastMemory", "" }, { "MaxFastMemory", "-1" }, { "MaxFastMemory", "-5%" },
	{ "MaxFastMemory", "50 %" }, { "MaxFastMemory", "1.5%" }, { "MaxFastMemory", "50%%" },
	{ "MaxFastMemory", "1234567%" }, { "MaxFastMemory", "12345678%" }, { "MaxFastMemory", "00000101%" }, { "MaxFastMemory", "8g" }, { "MaxFastMemory", "8GB" },
	{ "MaxFastMemory", OVERFLOW "G" }, { "MaxFastMemory", OVERFLOW "%" },
	{ "Weight", "0" }, { "Weight", "10001" }, { "Weight", "" }, { "Weight", "-1" },
	{ "Weight", "1e3" }, { "Weight", OVERFLOW },
};

static void test_cgroup_keys_invalid(void **state)
{
	struct td_config *c = *state;
	char text[512], want[512];

	for (size_t i = 0; i < ARRAY_SIZE(cgroup_bad); i++) {
		td_config_init(c);
		snprintf(text, sizeof(text), "[Cgroup \"/a/b\"]\n%s=%s\n", cgroup_bad[i].key,
			 cgroup_bad[i].value);
		snprintf(want, sizeof(want), FNAME ":2: invalid value \"%s\" for %s", cgroup_bad[i].value,
			 cgroup_bad[i].key);
		if (parse(c, text) != -EINVAL)
			fail_msg("%s=%s: accepted", cgroup_bad[i].key, cgroup_bad[i].value);
		assert_one_error(c, text, want);
		/* the section itself is fine and keeps its defaults */
		assert_int_equal(c->n_cgroups, 1);
		assert_policy_defaults(&c->cgroups[0], TD_MODE_PROMOTE, text);
	}
}

static void test_cgroup_keys_all_covered(void **state)
{
	assert_true(count_keys(TD_CONFIG_CGROUP) > 0);
	for_each_key(k, TD_CONFIG_CGROUP) {
		bool ok = false, bad = false;

		for (size_t i = 0; i < ARRAY_SIZE(cgroup_ok); i++)
			ok |= starts_with_key(cgroup_ok[i].text, k->name);
		for (size_t i = 0; i < ARRAY_SIZE(cgroup_bad); i++)
			bad |= !strcmp(cgroup_bad[i].key, k->name);
		if (!ok || !bad)
			fail_msg("%s: no %s case", k->name, ok ? "invalid" : "valid");
	}
}

/*
 * Each [Cgroup] key's default: a section that sets every other key leaves
 * this one at its default, and its set_mask bit clear. Mode's default is
 * DefaultMode=, so that is observe here.
 */
static const struct cgroup_default {
	const char *key, *other;
	struct field f, f2;
	int64_t def;		/* of f, and of f2 if named */
} cgroup_defaults[] = {
	{ "Mode", "off", CFIELD(mode), NOFIELD, TD_MODE_OBSERVE },
	{ "HotThreshold", "9", CFIELD(hot_threshold), NOFIELD, 0 },
	{ "PromoteRateLimitMBps", "300", CFIELD(promote_rate_limit_mbps), NOFIELD, 0 },
	{ "MaxFastMemory", "8G", CFIELD(max_fast_bytes), CFIELD(max_fast_percent), 0 },
	{ "Weight", "7", CFIELD(weight), NOFIELD, 100 },
};

static void test_cgroup_key_defaults(void **state)
{
	struct td_config *c = *state;
	uint32_t all_bits;
	char text[512];
	size_t off;

	/* every key set: every bit */
	td_config_init(c);
	off = (size_t)snprintf(text, sizeof(text), "[Daemon]\nDefaultMode=observe\n[Cgroup \"/a\"]\n");
	for (size_t j = 0; j < ARRAY_SIZE(cgroup_defaults); j++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s=%s\n", cgroup_defaults[j].key,
					cgroup_defaults[j].other);
	assert_int_equal(parse(c, text), 0);
	all_bits = c->cgroups[0].set_mask;

	for (size_t i = 0; i < ARRAY_SIZE(cgroup_defaults); i++) {
		const struct cgroup_default *t = &cgroup_defaults[i];
		const struct td_cgroup_policy *p;

		td_config_init(c);
		off = (size_t)snprintf(text, sizeof(text), "[Daemon]\nDefaultMode=observe\n[Cgroup \"/a\"]\n");
		for (size_t j = 0; j < ARRAY_SIZE(cgroup_defaults); j++)
			if (j != i)
				off += (size_t)snprintf(text + off, sizeof(text) - off, "%s=%s\n",
							cgroup_defaults[j].key, cgroup_defaults[j].other);
		assert_int_equal(parse(c, text), 0);
		assert_no_errors(c, text);
		assert_int_equal(c->n_cgroups, 1);
		p = &c->cgroups[0];
		assert_field(p, &t->f, t->def, t->key);
		if (t->f2.name)
			assert_field(p, &t->f2, t->def, t->key);
		/* the others were set: one bit fewer than all */
		if (p->set_mask == all_bits || (p->set_mask & ~all_bits) ||
		    __builtin_popcount(all_bits & ~p->set_mask) != 1)
			fail_msg("%s: set_mask %#x, all %#x", t->key, p->set_mask, all_bits);
	}
	for_each_key(k, TD_CONFIG_CGROUP) {
		bool found = false;

		for (size_t i = 0; i < ARRAY_SIZE(cgroup_defaults); i++)
			found |= !strcmp(cgroup_defaults[i].key, k->name);
		if (!found)
			fail_msg("%s: no default case", k->name);
	}
}

/* A section without Mode= follows DefaultMode=, wherever that is set. */
static void test_cgroup_mode_follows_default(void **state)
{
	struct td_config *c = *state;

	/* DefaultMode after the section, in the same file */
	assert_int_equal(parse(c, "[Cgroup \"/a\"]\nWeight=5\n[Cgroup \"/b\"]\nMode=promote\n"
				  "[Daemon]\nDefaultMode=off\n"), 0);
	assert_int_equal(c->cgroups[0].mode, TD_MODE_OFF);
	assert_int_equal(c->cgroups[1].mode, TD_MODE_PROMOTE);
	/* and in a later drop-in */
	assert_int_equal(parse_as(c, "50-x.conf", "[Daemon]\nDefaultMode=observe\n"), 0);
	assert_int_equal(c->cgroups[0].mode, TD_MODE_OBSERVE);
	assert_int_equal(c->cgroups[1].mode, TD_MODE_PROMOTE);
	/* a section created after DefaultMode gets it too */
	assert_int_equal(parse_as(c, "60-x.conf", "[Cgroup \"/c\"]\n"), 0);
	assert_int_equal(c->n_cgroups, 3);
	assert_policy_defaults(&c->cgroups[2], TD_MODE_OBSERVE, "/c");
	assert_no_errors(c, "mode follows default");
}

/* ------------------------------------------------------------------ the key table */

static bool field_overlaps(size_t a, size_t an, size_t b, size_t bn)
{
	return an && bn && a < b + bn && b < a + an;
}

/* Is byte off of the section's struct in one of k's fields? */
static bool in_key(const struct td_config_key *k, size_t off)
{
	return field_overlaps(off, 1, k->offset, k->size) || field_overlaps(off, 1, k->offset2, k->size2);
}

/* Names, sections, fields and lookup: what the parser and the man page check rely on. */
static void test_key_table(void **state)
{
	size_t n;
	const struct td_config_key *t = td_config_keys(&n);

	assert_non_null(t);
	assert_int_equal(count_keys(TD_CONFIG_DAEMON) + count_keys(TD_CONFIG_CGROUP), n);
	for (size_t i = 0; i < n; i++) {
		const struct td_config_key *k = &t[i];
		size_t max = k->section == TD_CONFIG_DAEMON ? sizeof(struct td_daemon_config)
							    : sizeof(struct td_cgroup_policy);

		assert_non_null(k->parse);
		if (!k->name[0] || !isupper((unsigned char)k->name[0]) ||
		    k->name[strspn(k->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")])
			fail_msg("key %zu: bad name \"%s\"", i, k->name);
		if (!k->size || k->offset + k->size > max || k->offset2 + k->size2 > max ||
		    field_overlaps(k->offset, k->size, k->offset2, k->size2))
			fail_msg("%s: fields at %zu+%zu and %zu+%zu", k->name, k->offset, k->size, k->offset2,
				 k->size2);
		if ((k->section == TD_CONFIG_DAEMON) != !k->set_bit)
			fail_msg("%s: set_bit %#x in [%s]", k->name, k->set_bit,
				 td_config_section_name(k->section));
		if (td_config_key_find(k->section, k->name) != k)
			fail_msg("%s: td_config_key_find finds another entry", k->name);
		for (size_t j = 0; j < i; j++)
			if (t[j].section == k->section &&
			    field_overlaps(t[j].offset, t[j].size, k->offset, k->size))
				fail_msg("%s and %s fill the same field", t[j].name, k->name);
	}
	assert_null(td_config_key_find(TD_CONFIG_DAEMON, "Weight"));
	assert_null(td_config_key_find(TD_CONFIG_CGROUP, "BatchSize"));
	assert_null(td_config_key_find(TD_CONFIG_DAEMON, "batchsize"));
	assert_null(td_config_key_find(TD_CONFIG_DAEMON, ""));
	assert_string_equal(td_config_section_name(TD_CONFIG_DAEMON), "Daemon");
	assert_string_equal(td_config_section_name(TD_CONFIG_CGROUP), "Cgroup");
}

/* Every [Daemon] field, and every [Cgroup] field but path and set_mask, is some key's. */
static void test_key_table_fills_every_field(void **state)
{
	const struct field cgroup_fields[] = {
		CFIELD(mode), CFIELD(hot_threshold), CFIELD(promote_rate_limit_mbps),
		CFIELD(max_fast_bytes), CFIELD(max_fast_percent), CFIELD(weight),
	};
	const struct field metrics = DFIELD(metrics_file);

	for (size_t i = 0; i <= ARRAY_SIZE(daemon_fields); i++) {
		const struct field *f = i < ARRAY_SIZE(daemon_fields) ? &daemon_fields[i] : &metrics;
		bool found = false;

		for_each_key(k, TD_CONFIG_DAEMON)
			found |= in_key(k, f->off);
		if (!found)
			fail_msg("[Daemon] field %s: no key fills it", f->name);
	}
	for (size_t i = 0; i < ARRAY_SIZE(cgroup_fields); i++) {
		bool found = false;

		for_each_key(k, TD_CONFIG_CGROUP)
			found |= in_key(k, cgroup_fields[i].off);
		if (!found)
			fail_msg("[Cgroup] field %s: no key fills it", cgroup_fields[i].name);
	}
}

/* A value other than the default, from the defaults cases (which name every key). */
static const char *other_value(const struct td_config_key *k)
{
	for (size_t i = 0; k->section == TD_CONFIG_DAEMON && i < ARRAY_SIZE(daemon_defaults); i++)
		if (!strcmp(daemon_defaults[i].key, k->name))
			return daemon_defaults[i].other;
	for (size_t i = 0; k->section == TD_CONFIG_CGROUP && i < ARRAY_SIZE(cgroup_defaults); i++)
		if (!strcmp(cgroup_defaults[i].key, k->name))
			return cgroup_defaults[i].other;
	fail_msg("%s: no default case", k->name);
	return NULL;
}

/* Bytes that changed from before to after: all in k's fields or in [xoff, xoff + xsize), some in k's. */
static void assert_changed_only_key(const struct td_config_key *k, const void *before, const void *after,
				    size_t n, size_t xoff, size_t xsize)
{
	const unsigned char *b = before, *a = after;
	bool changed = false;

	for (size_t i = 0; i < n; i++) {
		if (a[i] == b[i])
			continue;
		if (in_key(k, i))
			changed = true;
		else if (!field_overlaps(i, 1, xoff, xsize))
			fail_msg("%s=%s changed byte %zu, outside the fields the table names", k->name,
				 other_value(k), i);
	}
	if (!changed)
		fail_msg("%s=%s changed none of the fields the table names", k->name, other_value(k));
}

/* The table's offsets are the fields its parsers fill. */
static void test_key_table_fields(void **state)
{
	struct td_config *c = *state;
	struct td_daemon_config def;
	struct td_cgroup_policy before;
	char text[256];

	/* memcpy snapshots: the padding must compare equal too */
	for_each_key(k, TD_CONFIG_DAEMON) {
		td_config_init(c);
		memcpy(&def, &c->daemon, sizeof(def));
		snprintf(text, sizeof(text), "[Daemon]\n%s=%s\n", k->name, other_value(k));
		assert_int_equal(parse(c, text), 0);
		assert_changed_only_key(k, &def, &c->daemon, sizeof(def), 0, 0);
	}
	for_each_key(k, TD_CONFIG_CGROUP) {
		td_config_init(c);
		assert_int_equal(parse(c, "[Cgroup \"/a\"]\n"), 0);
		memcpy(&before, &c->cgroups[0], sizeof(before));
		snprintf(text, sizeof(text), "[Cgroup \"/a\"]\n%s=%s\n", k->name, other_value(k));
		assert_int_equal(parse_as(c, "50-x.conf", text), 0);
		assert_int_equal(c->n_cgroups, 1);
		assert_changed_only_key(k, &before, &c->cgroups[0], sizeof(before),
					offsetof(struct td_cgroup_policy, set_mask), sizeof(before.set_mask));
		assert_int_equal(c->cgroups[0].set_mask, k->set_bit);
	}
}

/* ------------------------------------------------------------------ syntax errors */

#define MAX_WANT 4
static const struct err_case {
	const char *name;
	const char *text;
	size_t n;
	const char *want[MAX_WANT];
} err_cases[] = {
	{ "unknown key in [Daemon]", "# c\n[Daemon]\nBatchSize=7\nFoo=1\n", 1,
	  { FNAME ":4: unknown key Foo in [Daemon]" } },
	{ "keys are case-sensitive", "[Daemon]\nbatchsize=1\n", 1,
	  { FNAME ":2: unknown key batchsize in [Daemon]" } },
	{ "cgroup key in [Daemon]", "[Daemon]\nWeight=5\n", 1,
	  { FNAME ":2: unknown key Weight in [Daemon]" } },
	{ "unknown key in [Cgroup]", "[Cgroup \"/a\"]\nMode=off\nDemotion=yes\n", 1,
	  { FNAME ":3: unknown key Demotion in [Cgroup]" } },
	{ "unknown key with a bad value", "[Cgroup \"/a\"]\nBogus=\n", 1,
	  { FNAME ":2: unknown key Bogus in [Cgroup]" } },
	{ "unknown section", "[Foo]\nBar=1\nBatchSize=oops\n", 1,
	  { FNAME ":1: unknown section [Foo] (expected [Daemon] or [Cgroup \"/path\"])" } },
	{ "section names are case-sensitive", "[daemon]\nBatchSize=1\n", 1,
	  { FNAME ":1: unknown section [daemon] (expected [Daemon] or [Cgroup \"/path\"])" } },
	{ "empty section name", "[]\n", 1,
	  { FNAME ":1: unknown section [] (expected [Daemon] or [Cgroup \"/path\"])" } },
	{ "[Cgroup] without quotes", "[Cgroup /a]\nMode=off\n", 1,
	  { FNAME ":1: unknown section [Cgroup /a] (expected [Daemon] or [Cgroup \"/path\"])" } },
	{ "[Cgroup] without a path", "[Cgroup]\n", 1,
	  { FNAME ":1: unknown section [Cgroup] (expected [Daemon] or [Cgroup \"/path\"])" } },
	{ "[Cgroup] with an open quote", "[Cgroup \"/a]\n", 1,
	  { FNAME ":1: unknown section [Cgroup \"/a] (expected [Daemon] or [Cgroup \"/path\"])" } },
	{ "[Cgroup] with a space before ]", "[Cgroup \"/a\" ]\n", 1,
	  { FNAME ":1: unknown section [Cgroup \"/a\" ] (expected [Daemon] or [Cgroup \"/path\"])" } },
	{ "malformed header: no ]", "\n[Daemon\nBatchSize=1\n", 1,
	  { FNAME ":2: malformed section header" } },
	{ "malformed header: junk after ]", "[Daemon] # c\n", 1, { FNAME ":1: malformed section header" } },
	{ "malformed header: lone [", "[\n", 1, { FNAME ":1: malformed section header" } },
	{ "relative cgroup path", "[Cgroup \"a/b\"]\nMode=bogus\n", 1,
	  { FNAME ":1: invalid cgroup path \"a/b\" (absolute, below the cgroup root, no . or ..)" } },
	{ "empty cgroup path", "[Cgroup \"\"]\n", 1,
	  { FNAME ":1: invalid cgroup path \"\" (absolute, below the cgroup root, no . or ..)" } },
	{ "cgroup path //", "[Cgroup \"//\"]\n", 1,
	  { FNAME ":1: invalid cgroup path \"//\" (absolute, below the cgroup root, no . or ..)" } },
	{ "cgroup path /a//b", "[Cgroup \"/a//b\"]\n", 1,
	  { FNAME ":1: invalid cgroup path \"/a//b\" (absolute, below the cgroup root, no . or ..)" } },
	{ "cgroup path /a/../b", "[Cgroup \"/a/../b\"]\n", 1,
	  { FNAME ":1: invalid cgroup path \"/a/../b\" (absolute, below the cgroup root, no . or ..)" } },
	{ "cgroup path /..", "[Cgroup \"/..\"]\n", 1,
	  { FNAME ":1: invalid cgroup path \"/..\" (absolute, below the cgroup root, no . or ..)" } },
	{ "cgroup path /a/./b", "[Cgroup \"/a/./b\"]\n", 1,
	  { FNAME ":1: invalid cgroup path \"/a/./b\" (absolute, below the cgroup root, no . or ..)" } },
	{ "cgroup path /.", "[Cgroup \"/.\"]\n", 1,
	  { FNAME ":1: invalid cgroup path \"/.\" (absolute, below the cgroup root, no . or ..)" } },
	{ "cgroup path with trailing /", "[Cgroup \"/a/\"]\n", 1,
	  { FNAME ":1: invalid cgroup path \"/a/\" (absolute, below the cgroup root, no . or ..)" } },
	{ "duplicate [Daemon]", "[Daemon]\nBatchSize=1\n\n[Daemon]\nBatchSize=2\n", 1,
	  { FNAME ":4: duplicate section [Daemon]" } },
	{ "duplicate [Cgroup]",
	  "[Cgroup \"/x\"]\nWeight=5\n[Cgroup \"/y\"]\n[Cgroup \"/x\"]\nWeight=bogus\nBogus=1\n", 1,
	  { FNAME ":4: duplicate section [Cgroup \"/x\"]" } },
	{ "key outside any section", "; c\nBatchSize=1\n[Daemon]\n", 1,
	  { FNAME ":2: BatchSize= outside of a section" } },
	{ "missing '='", "[Daemon]\nBatchSize\n", 1,
	  { FNAME ":2: expected Key=Value, a [Section] or a comment" } },
	{ "missing '=' outside a section", "just words\n", 1,
	  { FNAME ":1: expected Key=Value, a [Section] or a comment" } },
	{ "missing key", "[Daemon]\n=5\n", 1, { FNAME ":2: missing key before '='" } },
	{ "missing key, with blanks", "[Daemon]\n  \t= 5\n", 1, { FNAME ":2: missing key before '='" } },
	{ "errors keep their order and lines",
	  "[Daemon]\nFoo=1\n\n# c\nBatchSize=0\n[Bar]\nBaz=1\n[Cgroup \"/a\"]\nWeight", 4,
	  { FNAME ":2: unknown key Foo in [Daemon]", FNAME ":5: invalid value \"0\" for BatchSize",
	    FNAME ":6: unknown section [Bar] (expected [Daemon] or [Cgroup \"/path\"])",
	    FNAME ":9: expected Key=Value, a [Section] or a comment" } },
	{ "after a bad header, its keys say nothing",
	  "[Cgroup \"rel\"]\nMode=bad\nNope=1\n=2\n[Daemon]\nFoo=1\n", 3,
	  { FNAME ":1: invalid cgroup path \"rel\" (absolute, below the cgroup root, no . or ..)",
	    FNAME ":4: missing key before '='", FNAME ":6: unknown key Foo in [Daemon]" } },
	{ "no errors: comments, blanks, no final newline",
	  "# c\n; c\n   # indented\n\t; indented\n\n \t \n[Daemon]\n#Foo=1\n;Bar\nBatchSize=7", 0, { NULL } },
};

static void test_errors(void **state)
{
	struct td_config *c = *state;

	for (size_t i = 0; i < ARRAY_SIZE(err_cases); i++) {
		const struct err_case *t = &err_cases[i];
		int r;

		td_config_init(c);
		r = parse(c, t->text);
		if (r != (t->n ? -EINVAL : 0))
			fail_msg("%s: returned %d", t->name, r);
		assert_errors(c, t->name, t->n, t->want);
	}
}

/*
 * One case per distinct message of lib/config.c, each asserting the whole
 * "t.conf:LINE: message" text; test_messages_all_covered reads lib/config.c
 * and fails when a message there has no case here.
 */
#define SRC_PATH	"lib/config.c"

static const char *gen_long_line(size_t *ret_len)
{
	static char text[1200];

	memset(text, 'x', sizeof(text));
	memcpy(text, "[Daemon]\nBatchSize=", 19);
	text[sizeof(text) - 1] = '\n';
	*ret_len = sizeof(text);
	return text;
}

static const char *gen_nul(size_t *ret_len)
{
	static const char text[] = "[Daemon]\nBatchSize=1\0\n";

	*ret_len = sizeof(text) - 1;
	return text;
}

static const char *gen_too_many(size_t *ret_len)
{
	static char text[(TD_CONFIG_MAX_CGROUPS + 1) * 16];
	size_t off = 0;

	for (int i = 0; i <= TD_CONFIG_MAX_CGROUPS; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "[Cgroup \"/%x\"]\n", i);
	*ret_len = off;
	return text;
}

static const struct message_case {
	const char *text;
	const char *(*gen)(size_t *ret_len);	/* instead of text */
	const char *want;
} message_cases[] = {
	{ NULL, gen_long_line, FNAME ":2: line longer than 1024 bytes" },
	{ NULL, gen_nul, FNAME ":2: NUL byte in line" },
	{ NULL, gen_too_many, FNAME ":1025: too many [Cgroup] sections (at most 1024)" },
	{ "[Daemon\n", NULL, FNAME ":1: malformed section header" },
	{ "[Daemon]\n[Daemon]\n", NULL, FNAME ":2: duplicate section [Daemon]" },
	{ "\n[Nope]\n", NULL, FNAME ":2: unknown section [Nope] (expected [Daemon] or [Cgroup \"/path\"])" },
	{ "[Cgroup \"/a/..\"]\n", NULL,
	  FNAME ":1: invalid cgroup path \"/a/..\" (absolute, below the cgroup root, no . or ..)" },
	{ "[Cgroup \"/a\"]\n[Cgroup \"/a\"]\n", NULL, FNAME ":2: duplicate section [Cgroup \"/a\"]" },
	{ "[Daemon]\nBatchSize 5\n", NULL, FNAME ":2: expected Key=Value, a [Section] or a comment" },
	{ "[Daemon]\n = 5\n", NULL, FNAME ":2: missing key before '='" },
	{ "Weight=5\n", NULL, FNAME ":1: Weight= outside of a section" },
	{ "[Daemon]\nMode=off\n", NULL, FNAME ":2: unknown key Mode in [Daemon]" },
	{ "[Cgroup \"/a\"]\nBatchSize=1\n", NULL, FNAME ":2: unknown key BatchSize in [Cgroup]" },
	{ "[Cgroup \"/a\"]\nWeight=heavy\n", NULL, FNAME ":2: invalid value \"heavy\" for Weight" },
};

static void test_messages(void **state)
{
	struct td_config *c = *state;

	for (size_t i = 0; i < ARRAY_SIZE(message_cases); i++) {
		const struct message_case *t = &message_cases[i];
		size_t len = t->text ? strlen(t->text) : 0;
		const char *text = t->text ? t->text : t->gen(&len);

		td_config_init(c);
		assert_int_equal(td_config_parse(c, FNAME, text, len), -EINVAL);
		assert_one_error(c, t->want, t->want);
	}
}

/* fmt's conversions (%s, %d, %zu, ...) match any run of characters; %% matches '%'. */
static bool format_matches(const char *fmt, const char *s)
{
	for (; *fmt; fmt++, s++) {
		if (fmt[0] == '%' && fmt[1] != '%') {
			fmt++;
			while (*fmt && strchr("hlzjt", *fmt))
				fmt++;
			for (const char *t = s; ; t++) {
				if (format_matches(fmt + 1, t))
					return true;
				if (!*t)
					return false;
			}
		}
		if (fmt[0] == '%')
			fmt++;
		if (*fmt != *s)
			return false;
	}
	return !*s;
}

/* The message after "t.conf:LINE: ". */
static const char *message_of(const char *e)
{
	const char *p = e + strlen(FNAME ":");

	assert_true(!strncmp(e, FNAME ":", strlen(FNAME ":")));
	p += strspn(p, "0123456789");
	assert_true(p[0] == ':' && p[1] == ' ');
	return p + 2;
}

static void test_messages_all_covered(void **state)
{
	char *src, fmt[256];
	size_t n_formats = 0;
	bool used[ARRAY_SIZE(message_cases)] = { false };
	FILE *f = fopen(SRC_PATH, "r");
	long size;

	if (!f)
		fail_msg("cannot open %s: %s (run the unit tests from the repository root)", SRC_PATH,
			 strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size > 0);
	rewind(f);
	src = conf_src = malloc((size_t)size + 1);
	assert_non_null(src);
	assert_int_equal(fread(src, 1, (size_t)size, f), (size_t)size);
	src[size] = '\0';
	fclose(f);

	/* every error(x, "...") and error(&x, "...") call */
	for (const char *p = src; (p = strstr(p, "error(")); p++) {
		const char *q = p + strlen("error(");
		size_t n = 0;
		bool found = false;

		if (*q == '&')
			q++;
		if (strncmp(q, "x, \"", 4))
			continue;
		for (q += 4; *q && *q != '"'; q++) {
			if (*q == '\\')
				q++;
			assert_true(n < sizeof(fmt) - 1);
			fmt[n++] = *q;
		}
		fmt[n] = '\0';
		n_formats++;
		for (size_t i = 0; i < ARRAY_SIZE(message_cases); i++)
			if (format_matches(fmt, message_of(message_cases[i].want))) {
				found = true;
				used[i] = true;
			}
		if (!found)
			fail_msg("%s: message \"%s\" has no case in message_cases[]", SRC_PATH, fmt);
	}
	if (n_formats < 10)
		fail_msg("%s: found only %zu messages; is the error() call spelled differently now?",
			 SRC_PATH, n_formats);
	for (size_t i = 0; i < ARRAY_SIZE(message_cases); i++)
		if (!used[i])
			fail_msg("message case \"%s\" matches no message in %s", message_cases[i].want, SRC_PATH);
}

/* What the error cases leave behind. */
static void test_errors_state(void **state)
{
	struct td_config *c = *state;

	/* keys under an unknown or invalid header do not leak into the previous section */
	assert_int_equal(parse(c, "[Daemon]\nBatchSize=3\n[Foo]\nBatchSize=7\n[Cgroup \"a\"]\nHotThreshold=9\n"),
			 -EINVAL);
	assert_int_equal(c->n_errors, 2);
	assert_int_equal(c->daemon.batch_size, 3);
	assert_int_equal(c->daemon.hot_threshold, default_daemon().hot_threshold);
	assert_int_equal(c->n_cgroups, 0);

	/* a duplicate [Cgroup] is not applied over the first */
	td_config_init(c);
	assert_int_equal(parse(c, "[Cgroup \"/x\"]\nWeight=5\n[Cgroup \"/x\"]\nWeight=7\n"), -EINVAL);
	assert_int_equal(c->n_cgroups, 1);
	assert_int_equal(c->cgroups[0].weight, 5);

	/* a bad value does not stop the lines after it */
	td_config_init(c);
	assert_int_equal(parse(c, "[Daemon]\nBatchSize=x\nHotThreshold=5\n"), -EINVAL);
	assert_int_equal(c->daemon.hot_threshold, 5);
	assert_int_equal(c->daemon.batch_size, 512);

	/* a valid path after an invalid one is a section as usual */
	td_config_init(c);
	assert_int_equal(parse(c, "[Cgroup \"/a/\"]\nWeight=1\n[Cgroup \"/ok\"]\nWeight=2\n"), -EINVAL);
	assert_int_equal(c->n_errors, 1);
	assert_int_equal(c->n_cgroups, 1);
	assert_string_equal(c->cgroups[0].path, "/ok");
	assert_int_equal(c->cgroups[0].weight, 2);
}

static void test_line_length(void **state)
{
	struct td_config *c = *state;
	char text[2 * 1024 + 256];
	char line[1100];

	/* exactly 1024 bytes: accepted */
	memset(line, '0', 1024);
	memcpy(line, "BatchSize=", 10);
	line[1023] = '7';
	line[1024] = '\0';
	snprintf(text, sizeof(text), "[Daemon]\n%s\n", line);
	assert_int_equal(parse(c, text), 0);
	assert_int_equal(c->daemon.batch_size, 7);

	/* 1025 bytes: an error, and the next line is still line 3 */
	td_config_init(c);
	memset(line, '0', 1025);
	memcpy(line, "BatchSize=", 10);
	line[1024] = '9';
	line[1025] = '\0';
	snprintf(text, sizeof(text), "[Daemon]\n%s\nFoo=1\n", line);
	assert_int_equal(parse(c, text), -EINVAL);
	{
		const char *want[] = { FNAME ":2: line longer than 1024 bytes",
				       FNAME ":3: unknown key Foo in [Daemon]" };

		assert_errors(c, "long line", 2, want);
	}
	assert_int_equal(c->daemon.batch_size, 512);

	/* a header too long to read: its keys are skipped, not put in [Daemon] */
	td_config_init(c);
	memset(line, 'a', 1100);
	memcpy(line, "  [Cgroup \"/", 12);
	memcpy(line + 1100 - 3, "\"]", 3);
	snprintf(text, sizeof(text), "[Daemon]\n%s\nHotThreshold=9\nBogus=1\n", line);
	assert_int_equal(parse(c, text), -EINVAL);
	assert_one_error(c, "long header", FNAME ":2: line longer than 1024 bytes");
	assert_int_equal(c->daemon.hot_threshold, default_daemon().hot_threshold);
	assert_int_equal(c->n_cgroups, 0);
}

static void test_cgroup_path_length(void **state)
{
	struct td_config *c = *state;
	char text[TD_CONFIG_PATH_MAX + 64], path[TD_CONFIG_PATH_MAX + 1];

	/* TD_CONFIG_PATH_MAX - 1 bytes fit */
	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[TD_CONFIG_PATH_MAX - 1] = '\0';
	snprintf(text, sizeof(text), "[Cgroup \"%s\"]\nWeight=3\n", path);
	assert_int_equal(parse(c, text), 0);
	assert_int_equal(c->n_cgroups, 1);
	assert_string_equal(c->cgroups[0].path, path);
	assert_int_equal(c->cgroups[0].weight, 3);

	/* one more does not; the message is cut to the error buffer, safely */
	td_config_init(c);
	path[TD_CONFIG_PATH_MAX - 1] = 'p';
	path[TD_CONFIG_PATH_MAX] = '\0';
	snprintf(text, sizeof(text), "[Cgroup \"%s\"]\nWeight=3\n", path);
	assert_int_equal(parse(c, text), -EINVAL);
	assert_int_equal(c->n_errors, 1);
	assert_int_equal(c->n_cgroups, 0);
	assert_prefix(c->errors[0], FNAME ":1: invalid cgroup path \"/ppp");
	assert_int_equal(strlen(c->errors[0]), sizeof(c->errors[0]) - 1);
}

static void test_nul_byte(void **state)
{
	struct td_config *c = *state;
	static const char text[] = "[Daemon]\nBatch\0Size=1\nBatchSize=3\n";
	static const char header[] = "[Daemon]\n[Cgroup \"/a\0\"]\nHotThreshold=9\n";

	assert_int_equal(td_config_parse(c, FNAME, text, sizeof(text) - 1), -EINVAL);
	assert_one_error(c, "NUL", FNAME ":2: NUL byte in line");
	assert_int_equal(c->daemon.batch_size, 3);

	/* a header with a NUL: its keys are skipped */
	td_config_init(c);
	assert_int_equal(td_config_parse(c, FNAME, header, sizeof(header) - 1), -EINVAL);
	assert_one_error(c, "NUL header", FNAME ":2: NUL byte in line");
	assert_int_equal(c->daemon.hot_threshold, default_daemon().hot_threshold);
	assert_int_equal(c->n_cgroups, 0);
}

/* len bounds the text; it need not end in NUL or newline. */
static void test_text_length(void **state)
{
	struct td_config *c = *state;
	static const char text[] = "[Daemon]\nBatchSize=77";

	assert_int_equal(td_config_parse(c, FNAME, text, sizeof(text) - 2), 0);
	assert_int_equal(c->daemon.batch_size, 7);
	assert_int_equal(td_config_parse(c, FNAME, text, 0), 0);
	assert_int_equal(td_config_parse(c, FNAME, "", 0), 0);
	assert_int_equal(c->daemon.batch_size, 7);
	assert_no_errors(c, "text length");
}

static void test_crlf(void **state)
{
	struct td_config *c = *state;

	assert_int_equal(parse(c, "# dos\r\n[Daemon]\r\nBatchSize=7\r\nDefaultMode=observe\r\n\r\n"
				  "; c\r\n[Cgroup \"/a\"]\r\nMode=off\r\nMaxFastMemory=50%\r\n"), 0);
	assert_no_errors(c, "CRLF");
	assert_int_equal(c->daemon.batch_size, 7);
	assert_int_equal(c->daemon.default_mode, TD_MODE_OBSERVE);
	assert_int_equal(c->n_cgroups, 1);
	assert_string_equal(c->cgroups[0].path, "/a");
	assert_int_equal(c->cgroups[0].mode, TD_MODE_OFF);
	assert_int_equal(c->cgroups[0].max_fast_percent, 50);

	/* errors count CRLF lines right and carry no '\r' */
	assert_int_equal(parse(c, "[Daemon]\r\nFoo=1\r\nBatchSize=x\r\n"), -EINVAL);
	{
		const char *want[] = { FNAME ":2: unknown key Foo in [Daemon]",
				       FNAME ":3: invalid value \"x\" for BatchSize" };

		assert_errors(c, "CRLF errors", 2, want);
	}
}

/* More errors than the array holds: all counted, none written past it. */
static void test_error_cap(void **state)
{
	struct td_config *c = *state;
	char text[4096], want[64];
	size_t off;

	off = (size_t)snprintf(text, sizeof(text), "[Daemon]\n");
	for (int i = 0; i < TD_CONFIG_MAX_ERRORS + 8; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "Bad%d=1\n", i);
	assert_int_equal(parse(c, text), -EINVAL);
	assert_int_equal(c->n_errors, TD_CONFIG_MAX_ERRORS + 8);
	assert_string_equal(c->errors[0], FNAME ":2: unknown key Bad0 in [Daemon]");
	snprintf(want, sizeof(want), FNAME ":%d: unknown key Bad%d in [Daemon]", TD_CONFIG_MAX_ERRORS + 1,
		 TD_CONFIG_MAX_ERRORS - 1);
	assert_string_equal(c->errors[TD_CONFIG_MAX_ERRORS - 1], want);
	assert_int_equal(c->n_cgroups, 0);	/* the field after errors[] is intact */

	/* a later file keeps counting; its return value is its own */
	assert_int_equal(parse_as(c, "b.conf", "[Daemon]\nX=1\nY=1\n"), -EINVAL);
	assert_int_equal(c->n_errors, TD_CONFIG_MAX_ERRORS + 10);
	assert_int_equal(parse_as(c, "c.conf", "[Daemon]\nBatchSize=9\n"), 0);
	assert_int_equal(c->n_errors, TD_CONFIG_MAX_ERRORS + 10);
	assert_int_equal(c->daemon.batch_size, 9);
	assert_string_equal(c->errors[TD_CONFIG_MAX_ERRORS - 1], want);

	/* an error message longer than its slot is cut, NUL-terminated */
	td_config_init(c);
	memset(text, 'K', 600);
	memcpy(text, "[Daemon]\n", 9);
	memcpy(text + 600, "=1\n", 4);
	assert_int_equal(parse(c, text), -EINVAL);
	assert_int_equal(c->n_errors, 1);
	assert_int_equal(strlen(c->errors[0]), sizeof(c->errors[0]) - 1);
	assert_prefix(c->errors[0], FNAME ":2: unknown key KKK");
}

static void test_too_many_cgroups(void **state)
{
	struct td_config *c = *state;
	size_t size = (TD_CONFIG_MAX_CGROUPS + 1) * 40, off = 0;
	char *text = malloc(size), want[128];

	assert_non_null(text);
	for (int i = 0; i <= TD_CONFIG_MAX_CGROUPS; i++)
		off += (size_t)snprintf(text + off, size - off, "[Cgroup \"/c%d\"]\nWeight=%d\n", i, i + 1);
	assert_int_equal(parse(c, text), -EINVAL);
	free(text);
	snprintf(want, sizeof(want), FNAME ":%d: too many [Cgroup] sections (at most %d)",
		 2 * TD_CONFIG_MAX_CGROUPS + 1, TD_CONFIG_MAX_CGROUPS);
	assert_one_error(c, "too many", want);
	assert_int_equal(c->n_cgroups, TD_CONFIG_MAX_CGROUPS);
	snprintf(want, sizeof(want), "/c%d", TD_CONFIG_MAX_CGROUPS - 1);
	assert_string_equal(c->cgroups[TD_CONFIG_MAX_CGROUPS - 1].path, want);
	assert_int_equal(c->cgroups[TD_CONFIG_MAX_CGROUPS - 1].weight, TD_CONFIG_MAX_CGROUPS);

	/* a drop-in may still change an existing one, but not add one */
	assert_int_equal(parse_as(c, "d.conf", "[Cgroup \"/c0\"]\nWeight=9\n"), 0);
	assert_int_equal(c->cgroups[0].weight, 9);
	assert_int_equal(parse_as(c, "d.conf", "[Cgroup \"/new\"]\nWeight=9\n"), -EINVAL);
	assert_int_equal(c->n_errors, 2);
	snprintf(want, sizeof(want), "d.conf:1: too many [Cgroup] sections (at most %d)",
		 TD_CONFIG_MAX_CGROUPS);
	assert_string_equal(c->errors[1], want);
}

/* ------------------------------------------------------------------ drop-ins */

static void test_dropins(void **state)
{
	struct td_config *c = *state;

	assert_int_equal(parse_as(c, "/etc/tieringd.conf",
				  "[Daemon]\nBatchSize=7\nHotThreshold=5\nSources=sampling\n"
				  "[Cgroup \"/a\"]\nWeight=10\nMode=observe\nMaxFastMemory=8G\n"), 0);
	/* a second file repeats both kinds of section, without error */
	assert_int_equal(parse_as(c, "/etc/tieringd.conf.d/50-x.conf",
				  "[Cgroup \"/a\"]\nWeight=20\n[Daemon]\nBatchSize=9\n"
				  "[Cgroup \"/b\"]\nMode=off\n[Cgroup \"/a\"]\nHotThreshold=3\n"), -EINVAL);
	/* ... but not twice within itself */
	{
		const char *want = "/etc/tieringd.conf.d/50-x.conf:7: duplicate section [Cgroup \"/a\"]";

		assert_one_error(c, "dropin", want);
	}
	/* later wins per key; keys not set stay */
	assert_int_equal(c->daemon.batch_size, 9);
	assert_int_equal(c->daemon.hot_threshold, 5);
	assert_int_equal(c->daemon.sources, TD_SOURCES_SAMPLE);
	assert_int_equal(c->n_cgroups, 2);
	assert_string_equal(c->cgroups[0].path, "/a");
	assert_int_equal(c->cgroups[0].weight, 20);
	assert_int_equal(c->cgroups[0].mode, TD_MODE_OBSERVE);
	assert_int_equal(c->cgroups[0].max_fast_bytes, 8 * SZ_G);
	assert_int_equal(c->cgroups[0].hot_threshold, 0);	/* the duplicate's key was skipped */
	assert_string_equal(c->cgroups[1].path, "/b");
	assert_int_equal(c->cgroups[1].mode, TD_MODE_OFF);
	assert_int_equal(c->cgroups[1].weight, 100);

	/* a third file: percentage replaces the size set two files ago */
	assert_int_equal(parse_as(c, "/etc/tieringd.conf.d/60-y.conf",
				  "[Cgroup \"/a\"]\nMaxFastMemory=10%\n[Daemon]\nHotThreshold=8\n"), 0);
	assert_int_equal(c->cgroups[0].max_fast_percent, 10);
	assert_int_equal(c->cgroups[0].max_fast_bytes, 0);
	assert_int_equal(c->cgroups[0].weight, 20);
	assert_int_equal(c->daemon.hot_threshold, 8);
	assert_int_equal(c->daemon.batch_size, 9);
	assert_int_equal(c->n_errors, 1);

	/* a drop-in, like any file, needs a section header before its keys */
	assert_int_equal(parse_as(c, "70-z.conf", "BatchSize=1\n"), -EINVAL);
	assert_string_equal(c->errors[1], "70-z.conf:1: BatchSize= outside of a section");
	assert_int_equal(c->daemon.batch_size, 9);
}

/* ------------------------------------------------------------------ policy_for */

static void test_policy_for(void **state)
{
	struct td_config *c = *state;
	static const struct { const char *cgroup, *want; } without_root[] = {
		{ "/a", "/a" }, { "/a/b", "/a/b" }, { "/a/b/c", "/a/b" }, { "/a/bc", "/a" },
		{ "/a/c", "/a" }, { "/ab", NULL }, { "/", NULL }, { "/c/d/e", "/c" }, { "/x", NULL },
		{ "/cc", NULL },
	}, with_root[] = {
		{ "/a/b/c", "/a/b" }, { "/ab", "/" }, { "/", "/" }, { "/x/y", "/" }, { "/c", "/c" },
	};

	/* the deeper section first: order must not matter */
	assert_int_equal(parse(c, "[Cgroup \"/a/b\"]\nWeight=2\n[Cgroup \"/a\"]\nWeight=1\n"
				  "[Cgroup \"/c\"]\nWeight=3\n"), 0);
	for (size_t i = 0; i < ARRAY_SIZE(without_root); i++) {
		const struct td_cgroup_policy *p = td_config_policy_for(c, without_root[i].cgroup);

		if (!without_root[i].want ? p != NULL : !p || strcmp(p->path, without_root[i].want))
			fail_msg("policy_for(%s) = %s, want %s", without_root[i].cgroup,
				 p ? p->path : "NULL", without_root[i].want ? without_root[i].want : "NULL");
	}
	assert_int_equal(parse_as(c, "root.conf", "[Cgroup \"/\"]\nMode=observe\n"), 0);
	for (size_t i = 0; i < ARRAY_SIZE(with_root); i++) {
		const struct td_cgroup_policy *p = td_config_policy_for(c, with_root[i].cgroup);

		if (!p || strcmp(p->path, with_root[i].want))
			fail_msg("policy_for(%s) = %s, want %s", with_root[i].cgroup,
				 p ? p->path : "NULL", with_root[i].want);
	}
	/* the pointer is into the config */
	assert_ptr_equal(td_config_policy_for(c, "/a/b/x"), &c->cgroups[0]);
}

/* ------------------------------------------------------------------ conf/tieringd.conf */

/* Freed by teardown_conf, so a failing assertion leaks nothing. */
static char *conf_text, *conf_on;

static int teardown_conf(void **state)
{
	free(conf_text);
	free(conf_on);
	conf_text = conf_on = NULL;
	return teardown(state);
}

static char *read_conf(size_t *ret_len)
{
	FILE *f = fopen(CONF_PATH, "r");
	char *buf = NULL;
	long n = 0;

	if (!f)
		fail_msg("cannot open %s: %s (run the unit tests from the repository root)", CONF_PATH,
			 strerror(errno));
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) ||
	    !(buf = malloc((size_t)n + 1)) || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		fail_msg("cannot read %s", CONF_PATH);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*ret_len = (size_t)n;
	return buf;
}

/* "#Key=…" and "#[Section]" lines: the commented-out settings. */
static bool is_commented_setting(const char *line)
{
	return line[0] == '#' && (line[1] == '[' || isupper((unsigned char)line[1]));
}

/* Number of "#Key=" lines in [from, to), and whether each has a "Default" note above it. */
static int count_documented(const char *from, const char *to, const char *key, bool *ret_documented)
{
	char pat[64];
	int n = 0;

	snprintf(pat, sizeof(pat), "\n#%s=", key);
	*ret_documented = false;
	for (const char *p = from; (p = strstr(p, pat)) && p < to; p++) {
		const char *q = p;

		n++;
		/* the comment block directly above, up to an empty or non-comment line */
		while (q > from) {
			const char *start = q - 1;

			while (start > from && start[-1] != '\n')
				start--;
			if (start[0] != '#' || start[1] != ' ')
				break;
			if (memmem(start, (size_t)(q - start), "efault", 6))
				*ret_documented = true;
			q = start - 1;
		}
	}
	return n;
}

static void test_shipped_conf(void **state)
{
	struct td_config *c = *state;
	size_t len = 0, n = 0;
	char *text, *on;
	const char *cg;

	text = conf_text = read_conf(&len);
	on = conf_on = malloc(len + 1);

	assert_non_null(on);
	/* as shipped: no errors, and the defaults */
	if (td_config_parse(c, CONF_PATH, text, len))
		fail_msg("%s: %s", CONF_PATH, c->errors[0]);
	assert_no_errors(c, CONF_PATH);
	assert_daemon_defaults(&c->daemon, CONF_PATH " as shipped");
	assert_int_equal(c->n_cgroups, 0);

	/* each key once, in its section, with its meaning and default above it */
	cg = strstr(text, "\n#[Cgroup \"/");
	if (!cg)
		fail_msg("%s: no commented-out example [Cgroup \"/...\"] section", CONF_PATH);
	if (!strstr(text, "\n[Daemon]\n") || strstr(text, "\n[Daemon]\n") > cg)
		fail_msg("%s: no [Daemon] header before the [Cgroup] example", CONF_PATH);
	for_each_key(k, TD_CONFIG_DAEMON) {
		bool documented;

		if (count_documented(text, cg, k->name, &documented) != 1 || !documented)
			fail_msg("%s: want one documented #%s= line in [Daemon]", CONF_PATH, k->name);
	}
	for_each_key(k, TD_CONFIG_CGROUP) {
		bool documented;

		if (count_documented(cg, text + len, k->name, &documented) != 1 || !documented)
			fail_msg("%s: want one documented #%s= line in the [Cgroup] example", CONF_PATH,
				 k->name);
	}
	assert_non_null(strstr(text, "/etc/tieringd.conf.d/*.conf"));

	/* uncommented, the defaults it shows are td_config_init's, and the example parses */
	for (const char *p = text; *p; ) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) + 1 : strlen(p);

		if (is_commented_setting(p)) {
			memcpy(on + n, p + 1, l - 1);
			n += l - 1;
		} else {
			memcpy(on + n, p, l);
			n += l;
		}
		p += l;
	}
	td_config_init(c);
	if (td_config_parse(c, CONF_PATH " (uncommented)", on, n))
		fail_msg("%s", c->errors[0]);
	assert_daemon_defaults(&c->daemon, CONF_PATH " uncommented");
	assert_int_equal(c->n_cgroups, 1);
	assert_true(__builtin_popcount(c->cgroups[0].set_mask) == (int)count_keys(TD_CONFIG_CGROUP));
}

/*
 * Keys whose values feed products and shifts downstream have ranges that
 * cannot overflow there: FastWatermark (bytes, added to page counts) at most
 * 256T, PingPongWindow (ms, times 10^6 to ns) at most 168h.
 */
static void test_ranges(void **state)
{
	static const struct {
		const char *line;
		bool ok;
	} cases[] = {
		{ "FastWatermark=256T", true }, { "FastWatermark=262145G", false },
		{ "FastWatermark=8388608T", false }, { "PingPongWindow=168h", true },
		{ "PingPongWindow=169h", false }, { "PingPongWindow=400000000h", false },
	};
	struct td_config *c = *state;
	char text[128];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		td_config_init(c);
		snprintf(text, sizeof(text), "[Daemon]\n%s\n", cases[i].line);
		if ((parse(c, text) == 0) != cases[i].ok)
			fail_msg("%s: %s", cases[i].line, cases[i].ok ? "refused" : "accepted");
	}
	td_config_init(c);
	assert_int_equal(parse(c, "[Daemon]\nPingPongWindow=168h\n"), 0);
	assert_true(c->daemon.pingpong_window_ms * 1000000ULL / 1000000ULL ==
		    c->daemon.pingpong_window_ms);
}

/* Reload: start-only keys keep the running values and are named. */
static void test_keep_start_only(void **state)
{
	struct td_config *c = *state, *old = malloc(sizeof(*old));
	const char *names[4];
	size_t n;

	assert_non_null(old);
	td_config_init(old);
	assert_int_equal(parse(old, "[Daemon]\nFastNodes=0\n"), 0);
	td_config_init(c);
	assert_int_equal(parse(c, "[Daemon]\nTickInterval=250ms\nSources=sampling\nBatchSize=7\n"
				  "FastNodes=auto\n"), 0);
	n = td_config_keep_start_only(c, old, names, 4);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "FastNodes");	/* its auto flag changed */
	assert_string_equal(names[1], "Sources");
	assert_string_equal(names[2], "TickInterval");
	assert_int_equal(c->daemon.tick_ms, old->daemon.tick_ms);
	assert_int_equal(c->daemon.sources, old->daemon.sources);
	assert_false(c->daemon.fast_nodes_auto);
	assert_int_equal(c->daemon.batch_size, 7);	/* reloadable: the new value */
	/* nothing changed now; more names than room: counted, not written */
	assert_int_equal(td_config_keep_start_only(c, old, names, 4), 0);
	assert_int_equal(parse(c, "[Daemon]\nTickInterval=2s\nDemotion=no\n"), 0);
	assert_int_equal(td_config_keep_start_only(c, old, names, 1), 2);
	assert_string_equal(names[0], "TickInterval");
	free(old);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_init_defaults),
		T(test_mode_name),
		T(test_value_parsers),
		T(test_unit_edges),
		T(test_ranges),
		T(test_keep_start_only),
		T(test_daemon_keys_valid),
		T(test_daemon_metrics_file),
		T(test_daemon_keys_invalid),
		T(test_daemon_long_values),
		T(test_daemon_keys_all_covered),
		T(test_daemon_key_defaults),
		T(test_cgroup_keys_valid),
		T(test_cgroup_set_mask),
		T(test_cgroup_keys_invalid),
		T(test_cgroup_keys_all_covered),
		T(test_cgroup_key_defaults),
		T(test_cgroup_mode_follows_default),
		T(test_key_table),
		T(test_key_table_fills_every_field),
		T(test_key_table_fields),
		T(test_errors),
		T(test_messages),
		cmocka_unit_test_setup_teardown(test_messages_all_covered, setup, teardown_src),
		T(test_errors_state),
		T(test_line_length),
		T(test_cgroup_path_length),
		T(test_nul_byte),
		T(test_text_length),
		T(test_crlf),
		T(test_error_cap),
		T(test_too_many_cgroups),
		T(test_dropins),
		T(test_policy_for),
		cmocka_unit_test_setup_teardown(test_shipped_conf, setup, teardown_conf),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
