// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_counters - the counter registry (lib/counters.c): every definition
 * complete and well-formed, names unique, the label values that copy
 * lib/promote.h's and lib/decide.h's names equal to them, and every sample
 * of every counter exported: in td_counters_foreach (stats, the summary)
 * and in the Prometheus text, with its own value.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
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
#include "decide.h"
#include "metrics.h"
#include "promote.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Every sample of the registry, one per label value: at most this many. */
#define MAX_SAMPLES (TD_CTR__MAX * TD_CTR_VALUES_MAX)

/* In v[][] past a counter's label values: must never be shown. */
#define POISON UINT64_C(0xdead0000beef)

/* ------------------------------------------------------------ helpers */

/* [a-z][a-z0-9_]*: the registry's own names (snake_case). */
static bool snake(const char *s)
{
	if (!s || !(*s >= 'a' && *s <= 'z'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* [a-zA-Z0-9_]+: a flat name, a label value ("E2BIG"). */
static bool word(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* tieringd_<metric or name>, "_total" unless a gauge (lib/counters.h). */
static void family(const struct td_ctr_def *d, char *buf, size_t size)
{
	snprintf(buf, size, "tieringd_%s%s", d->metric ? d->metric : d->name,
		 d->gauge ? "" : "_total");
}

static int registry_samples(void)
{
	int n = 0;

	for (unsigned i = 0; i < TD_CTR__MAX; i++)
		n += td_ctr_def(i)->n_values;
	return n;
}

/* A distinct value for every sample, nothing like another's digits. */
static uint64_t value_of(unsigned i, unsigned k)
{
	return UINT64_C(1000000000000) + i * 100 + k;
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* ------------------------------------------------------------ definitions */

static const char *label_problem(const struct td_ctr_def *d)
{
	if (!snake(d->label) || !strncmp(d->label, "__", 2))
		return "label name not [a-z][a-z0-9_]*";
	if (!d->values)
		return "label without values";
	if (d->status)
		return "status counter with a label";
	for (unsigned k = 0; k < d->n_values; k++) {
		if (!word(d->values[k]))
			return "label value not [a-zA-Z0-9_]+";
		for (unsigned j = 0; j < k; j++)
			if (!strcmp(d->values[j], d->values[k]))
				return "label value twice";
	}
	return NULL;
}

/* What is wrong with d, or NULL. */
static const char *def_problem(const struct td_ctr_def *d)
{
	if (!d->name || !*d->name)
		return "no name";
	if (!snake(d->name))
		return "name not [a-z][a-z0-9_]*";
	if (d->metric && !snake(d->metric))
		return "metric not [a-z][a-z0-9_]*";
	if (ends_with(d->metric ? d->metric : d->name, "_total"))
		return "name ends in _total";
	if (!d->unit || !*d->unit)
		return "no unit";
	if (!d->help || !*d->help)
		return "no help";
	if (strpbrk(d->help, "\\\n"))	/* # HELP would need escaping */
		return "help with a backslash or newline";
	if (d->n_values < 1 || d->n_values > TD_CTR_VALUES_MAX)
		return "n_values out of range";
	if (d->label)
		return label_problem(d);
	if (d->values || d->n_values != 1)
		return "values without a label";
	return NULL;
}

/* The checks themselves find what they should. Each case overrides one
 * field of a good definition, OK_. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
static void test_def_checks(void **state)
{
	static const char *const two[] = { "a", "b" }, *const dup[] = { "a", "a" };
	static const char *const bad_value[] = { "a-b" }, *const null_value[] = { NULL };
	static const struct {
		struct td_ctr_def d;
		const char *problem;
	} cases[] = {
#define OK_ .name = "x", .unit = "u", .help = "h.", .n_values = 1
		{ { OK_ }, NULL },
		{ { OK_, .label = "l", .values = two, .n_values = 2 }, NULL },
		{ { OK_, .name = NULL }, "no name" },
		{ { OK_, .name = "" }, "no name" },
		{ { OK_, .name = "Pages" }, "name not [a-z][a-z0-9_]*" },
		{ { OK_, .name = "pages-x" }, "name not [a-z][a-z0-9_]*" },
		{ { OK_, .metric = "a b" }, "metric not [a-z][a-z0-9_]*" },
		{ { OK_, .name = "x_total" }, "name ends in _total" },
		{ { OK_, .metric = "y_total" }, "name ends in _total" },
		{ { OK_, .unit = NULL }, "no unit" },
		{ { OK_, .unit = "" }, "no unit" },
		{ { OK_, .help = NULL }, "no help" },
		{ { OK_, .help = "" }, "no help" },
		{ { OK_, .help = "a\nb" }, "help with a backslash or newline" },
		{ { OK_, .help = "a\\b" }, "help with a backslash or newline" },
		{ { OK_, .n_values = 0 }, "n_values out of range" },
		{ { OK_, .label = "l", .values = two, .n_values = TD_CTR_VALUES_MAX + 1 },
		  "n_values out of range" },
		{ { OK_, .values = two, .n_values = 2 }, "values without a label" },
		{ { OK_, .n_values = 2 }, "values without a label" },
		{ { OK_, .label = "l" }, "label without values" },
		{ { OK_, .label = "Le", .values = two, .n_values = 2 },
		  "label name not [a-z][a-z0-9_]*" },
		{ { OK_, .label = "__l", .values = two, .n_values = 2 },
		  "label name not [a-z][a-z0-9_]*" },
		{ { OK_, .label = "l", .values = two, .n_values = 2, .status = true },
		  "status counter with a label" },
		{ { OK_, .label = "l", .values = dup, .n_values = 2 }, "label value twice" },
		{ { OK_, .label = "l", .values = bad_value }, "label value not [a-zA-Z0-9_]+" },
		{ { OK_, .label = "l", .values = null_value }, "label value not [a-zA-Z0-9_]+" },
#undef OK_
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *p = def_problem(&cases[i].d);

		if (p != cases[i].problem && (!p || !cases[i].problem || strcmp(p, cases[i].problem)))
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, p ? p : "(none)",
				 cases[i].problem ? cases[i].problem : "(none)");
	}
}
#pragma GCC diagnostic pop

static void test_defs(void **state)
{
	for (unsigned i = 0; i < TD_CTR__MAX; i++) {
		const struct td_ctr_def *d = td_ctr_def(i);
		const char *p;

		assert_non_null(d);
		p = def_problem(d);
		if (p)
			fail_msg("counter %u (%s): %s", i, d->name ? d->name : "?", p);
	}
}

/* Out of range: NULL; in range: each its own definition. */
static void test_def_range(void **state)
{
	static const int out[] = { TD_CTR__MAX, TD_CTR__MAX + 1, -1, INT_MAX, INT_MIN };

	for (size_t i = 0; i < ARRAY_SIZE(out); i++)
		if (td_ctr_def((enum td_ctr)out[i]))
			fail_msg("td_ctr_def(%d) is not NULL", out[i]);
	for (unsigned i = 0; i < TD_CTR__MAX; i++)
		for (unsigned j = 0; j < i; j++)
			assert_ptr_not_equal(td_ctr_def(i), td_ctr_def(j));
}

/* ------------------------------------------------------------ uniqueness */

/*
 * The names that reach an output are unique: the Prometheus families (also
 * against lib/metrics.c's own), and the names among the unlabelled counters
 * and among the labelled ones. A labelled counter may share the name of an
 * unlabelled one (pages_failed, pages_failed_ENOENT): its flat names differ,
 * which test_flat_names checks.
 */
static void test_unique(void **state)
{
	static const char *const fixed[] = {
		"tieringd_uptime_seconds", "tieringd_cgroup_mode", "tieringd_pages_promoted_total",
		"tieringd_pages_failed_total", "tieringd_cgroup_fast_bytes",
		"tieringd_cgroup_slow_bytes",
	};

	for (unsigned i = 0; i < TD_CTR__MAX; i++) {
		const struct td_ctr_def *a = td_ctr_def(i);
		char fa[128], fb[128];

		family(a, fa, sizeof(fa));
		for (size_t k = 0; k < ARRAY_SIZE(fixed); k++)
			if (!strcmp(fa, fixed[k]))
				fail_msg("%s: family %s is lib/metrics.c's", a->name, fa);
		for (unsigned j = 0; j < i; j++) {
			const struct td_ctr_def *b = td_ctr_def(j);

			family(b, fb, sizeof(fb));
			if (!strcmp(fa, fb))
				fail_msg("%s and %s: both family %s", b->name, a->name, fa);
			if (!strcmp(a->name, b->name) && !a->label == !b->label)
				fail_msg("counters %u and %u: both named %s", j, i, a->name);
			if (a->metric && b->metric && !strcmp(a->metric, b->metric))
				fail_msg("%s and %s: both metric %s", b->name, a->name, a->metric);
		}
	}
}

struct flat {
	char name[MAX_SAMPLES][96];
	uint64_t v[MAX_SAMPLES];
	int n;
};

static void collect(const char *name, uint64_t v, void *ud)
{
	struct flat *f = ud;

	assert_true(f->n < MAX_SAMPLES);
	assert_true(strlen(name) < sizeof(f->name[0]));
	strcpy(f->name[f->n], name);
	f->v[f->n++] = v;
}

/* As td_counters_foreach gives them: one per sample, unique, words. */
static void test_flat_names(void **state)
{
	const struct td_counters c = { 0 };
	struct flat *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	td_counters_foreach(&c, collect, f);
	assert_int_equal(f->n, registry_samples());
	for (int i = 0; i < f->n; i++) {
		if (!word(f->name[i]))
			fail_msg("flat name \"%s\" not [a-zA-Z0-9_]+", f->name[i]);
		for (int j = 0; j < i; j++)
			if (!strcmp(f->name[i], f->name[j]))
				fail_msg("flat name %s twice (samples %d and %d)", f->name[i], j, i);
	}
	free(f);
}

/* ------------------------------------------------------------ label sources */

static const char *errno_name(unsigned i)
{
	return td_errno_slot_name(i);
}

static const char *reason_name(unsigned i)
{
	return td_reason_name(i);
}

/* The registry keeps copies of these names: they cannot drift. */
static void test_label_sources(void **state)
{
	static const struct {
		enum td_ctr id;
		unsigned n;
		const char *(*name)(unsigned i);
		const char *what;
	} cases[] = {
		{ TD_CTR_PAGES_FAILED_BY, TD_ERR__MAX, errno_name, "td_errno_slot_name" },
		{ TD_CTR_PROMOTE_DECISIONS, TD_REASON__MAX, reason_name, "td_reason_name" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct td_ctr_def *d = td_ctr_def(cases[i].id);

		assert_non_null(d);
		assert_non_null(d->label);
		if (d->n_values != cases[i].n)
			fail_msg("%s: %u values, %s has %u", d->name, d->n_values, cases[i].what,
				 cases[i].n);
		for (unsigned k = 0; k < cases[i].n; k++) {
			const char *want = cases[i].name(k);

			assert_non_null(want);
			if (strcmp(d->values[k], want))
				fail_msg("%s value %u: \"%s\", %s(%u) is \"%s\"", d->name, k,
					 d->values[k], cases[i].what, k, want);
		}
	}
}

/* ------------------------------------------------------------ status */

/* DESIGN.md's `tieringctl -j status` keys that are counters: one unlabelled
 * counter each, marked status. */
static void test_status(void **state)
{
	static const char *const keys[] = {
		"events_received", "events_dropped", "hot_entries", "pages_promoted",
		"pages_failed", "pages_demoted", "reloads", "reload_failures",
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		int n = 0;

		for (unsigned k = 0; k < TD_CTR__MAX; k++) {
			const struct td_ctr_def *d = td_ctr_def(k);

			if (!strcmp(d->name, keys[i]) && d->status && !d->label)
				n++;
		}
		if (n != 1)
			fail_msg("status key %s: %d unlabelled status counters", keys[i], n);
	}
}

/* ------------------------------------------------------------ exported */

static void fill(struct td_counters *c)
{
	for (unsigned i = 0; i < TD_CTR__MAX; i++)
		for (unsigned k = 0; k < TD_CTR_VALUES_MAX; k++)
			c->v[i][k] = k < td_ctr_def(i)->n_values ? value_of(i, k) : POISON;
}

/* (a) every sample in td_counters_foreach, in registry order, its value. */
static void check_foreach(const struct td_counters *c)
{
	struct flat *f = calloc(1, sizeof(*f));
	int n = 0;

	assert_non_null(f);
	td_counters_foreach(c, collect, f);
	for (unsigned i = 0; i < TD_CTR__MAX; i++) {
		const struct td_ctr_def *d = td_ctr_def(i);

		for (unsigned k = 0; k < d->n_values; k++, n++) {
			char want[96];

			if (d->label)
				snprintf(want, sizeof(want), "%s_%s", d->name, d->values[k]);
			else
				snprintf(want, sizeof(want), "%s", d->name);
			assert_true(n < f->n);
			if (strcmp(f->name[n], want) || f->v[n] != value_of(i, k))
				fail_msg("sample %d: %s %" PRIu64 ", want %s %" PRIu64, n,
					 f->name[n], f->v[n], want, value_of(i, k));
		}
	}
	assert_int_equal(f->n, n);
	free(f);
}

/* A counter's HELP and TYPE once, after the previous counter's; returns
 * where its TYPE line is. */
static const char *check_header(const char *text, const struct td_ctr_def *d,
				const char *fam, const char *prev)
{
	char help[512], type[160];
	const char *p;

	snprintf(help, sizeof(help), "\n# HELP %s %s\n", fam, d->help);
	snprintf(type, sizeof(type), "\n# TYPE %s %s\n", fam, d->gauge ? "gauge" : "counter");
	if (count(text, help) != 1 || count(text, type) != 1)
		fail_msg("%s: HELP %zu, TYPE %zu times", d->name, count(text, help),
			 count(text, type));
	p = strstr(text, type);
	if (p <= prev)
		fail_msg("%s: family %s out of registry order", d->name, fam);
	return p;
}

/* (b) every sample in the Prometheus text, its value, nothing else. */
static void check_prometheus(const struct td_counters *c)
{
	const struct td_metrics_snapshot s = { .counters = c };
	struct td_metrics_buf b = { 0 };
	const char *prev;
	char poison[32];

	assert_int_equal(td_metrics_format(&s, &b), 0);
	prev = b.data;
	for (unsigned i = 0; i < TD_CTR__MAX; i++) {
		const struct td_ctr_def *d = td_ctr_def(i);
		char fam[128], line[256];

		family(d, fam, sizeof(fam));
		prev = check_header(b.data, d, fam, prev);
		for (unsigned k = 0; k < d->n_values; k++) {
			if (d->label)
				snprintf(line, sizeof(line), "\n%s{%s=\"%s\"} %" PRIu64 "\n", fam,
					 d->label, d->values[k], value_of(i, k));
			else
				snprintf(line, sizeof(line), "\n%s %" PRIu64 "\n", fam, value_of(i, k));
			if (count(b.data, line) != 1)
				fail_msg("%s: %s not once in the text", d->name, line + 1);
		}
	}
	/* the uptime and the registry's samples, no other */
	assert_int_equal(count(b.data, "\ntieringd_"), 1 + registry_samples());
	snprintf(poison, sizeof(poison), " %" PRIu64 "\n", POISON);
	assert_null(strstr(b.data, poison));
	td_metrics_buf_fini(&b);
}

/* A counter that exists is exported: a distinct value per sample, each
 * found with its value in stats and in the metrics. */
static void test_exported(void **state)
{
	struct td_counters *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	fill(c);
	check_foreach(c);
	check_prometheus(c);
	free(c);
}

/* ------------------------------------------------------------ sum */

static void test_sum(void **state)
{
	static const struct {
		enum td_ctr id;
		uint64_t v[TD_CTR_VALUES_MAX];
		uint64_t sum;
	} cases[] = {
		{ TD_CTR_RELOADS, { 5 }, 5 },
		{ TD_CTR_RELOADS, { 5, 100 }, 5 },		/* past n_values: not counted */
		{ TD_CTR_EVENTS, { 3, 4 }, 7 },
		{ TD_CTR_EVENTS, { 3, 4, 1000 }, 7 },
		{ TD_CTR_PAGES_FAILED_BY, { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1000 }, TD_ERR__MAX },
		{ TD_CTR_PROMOTE_DECISIONS, { [TD_REASON__MAX - 1] = 9 }, 9 },
		{ TD_CTR_HOT_ENTRIES, { UINT64_MAX }, UINT64_MAX },
		{ TD_CTR_HOT_ENTRIES, { 0 }, 0 },
		{ TD_CTR__MAX, { 0 }, 0 },			/* out of range */
		{ (enum td_ctr)-1, { 0 }, 0 },
	};
	struct td_counters *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t got;

		*c = (struct td_counters){ 0 };
		if ((unsigned)cases[i].id < TD_CTR__MAX)
			memcpy(c->v[cases[i].id], cases[i].v, sizeof(cases[i].v));
		got = td_counters_sum(c, cases[i].id);
		if (got != cases[i].sum)
			fail_msg("case %zu: %" PRIu64 ", want %" PRIu64, i, got, cases[i].sum);
	}
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_def_checks),
		cmocka_unit_test(test_defs),
		cmocka_unit_test(test_def_range),
		cmocka_unit_test(test_unique),
		cmocka_unit_test(test_flat_names),
		cmocka_unit_test(test_label_sources),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_exported),
		cmocka_unit_test(test_sum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
