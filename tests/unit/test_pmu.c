// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests for lib/pmu.c. The PMU strings are the kernel's own: Intel's
 * cpu/ PMU (arch/x86/events/intel/core.c), AMD's ibs_op and core PMU
 * (arch/x86/events/amd/ibs.c, core.c), served by a fake format lookup.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pmu.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define SENTINEL	UINT64_C(0x5a5a5a5a5a5a5a5a)
#define BIT(n)		(UINT64_C(1) << (n))

/* ---- td_pmu_parse_value ---- */

static void test_parse_value(void **state)
{
	static const struct {
		const char *s;
		int r;
		uint64_t v;
	} cases[] = {
		{ "0", 0, 0 },
		{ "30", 0, 30 },
		{ "010", 0, 10 },			/* decimal, not octal, as perf */
		{ "0xcd", 0, 0xcd },
		{ "0XCD", 0, 0xcd },
		{ "0x0", 0, 0 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "0xffffffffffffffff", 0, UINT64_MAX },
		{ "0x0000000000000000001", 0, 1 },	/* leading zeros are not overflow */
		{ "18446744073709551616", -ERANGE, 0 },
		{ "99999999999999999999", -ERANGE, 0 },
		{ "0x10000000000000000", -ERANGE, 0 },
		{ "", -EINVAL, 0 },
		{ "0x", -EINVAL, 0 },
		{ "0X", -EINVAL, 0 },
		{ "x1", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "1\n", -EINVAL, 0 },
		{ "1a", -EINVAL, 0 },
		{ "0xg", -EINVAL, 0 },
		{ "0x1g", -EINVAL, 0 },
		{ "?", -EINVAL, 0 },
		{ "99999999999999999999z", -EINVAL, 0 },	/* junk wins over overflow */
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = SENTINEL;
		int r = td_pmu_parse_value(cases[i].s, &v);

		if (r != cases[i].r)
			print_message("parse_value(\"%s\")\n", cases[i].s);
		assert_int_equal(r, cases[i].r);
		assert_true(v == (r == 0 ? cases[i].v : SENTINEL));
	}
}

/* ---- td_pmu_format_parse / td_pmu_format_width ---- */

static void test_format_parse(void **state)
{
	static const struct {
		const char *spec;
		int r;
		enum td_pmu_word word;
		uint64_t mask;
		unsigned int width;
	} cases[] = {
		/* Intel cpu/format */
		{ "config:0-7", 0, TD_PMU_CONFIG, 0xff, 8 },
		{ "config:8-15", 0, TD_PMU_CONFIG, 0xff00, 8 },
		{ "config:21", 0, TD_PMU_CONFIG, BIT(21), 1 },
		{ "config:24-31", 0, TD_PMU_CONFIG, 0xff000000, 8 },
		{ "config1:0-15", 0, TD_PMU_CONFIG1, 0xffff, 16 },
		{ "config1:0-63", 0, TD_PMU_CONFIG1, UINT64_MAX, 64 },
		/* AMD ibs_op/format and the AMD core PMU's split event field */
		{ "config:19", 0, TD_PMU_CONFIG, BIT(19), 1 },
		{ "config2:0", 0, TD_PMU_CONFIG2, 1, 1 },
		{ "config1:0-11", 0, TD_PMU_CONFIG1, 0xfff, 12 },
		{ "config:0-7,32-35", 0, TD_PMU_CONFIG, UINT64_C(0xf000000ff), 12 },
		/* edges */
		{ "config:63", 0, TD_PMU_CONFIG, BIT(63), 1 },
		{ "config:0-0", 0, TD_PMU_CONFIG, 1, 1 },
		{ "config:007", 0, TD_PMU_CONFIG, BIT(7), 1 },
		{ "config:32-35,0-7", 0, TD_PMU_CONFIG, UINT64_C(0xf000000ff), 12 },
		{ "config:0-7,4-11", 0, TD_PMU_CONFIG, 0xfff, 12 },	/* overlap: union */
		{ "config:1,3,5", 0, TD_PMU_CONFIG, 0x2a, 3 },
		/* words we do not carry */
		{ "config3:0-7", -EOPNOTSUPP, 0, 0, 0 },
		{ "config10:0", -EOPNOTSUPP, 0, 0, 0 },
		/* malformed */
		{ "", -EINVAL, 0, 0, 0 },
		{ "config", -EINVAL, 0, 0, 0 },
		{ "config:", -EINVAL, 0, 0, 0 },
		{ ":0-7", -EINVAL, 0, 0, 0 },
		{ "conf:0-7", -EINVAL, 0, 0, 0 },
		{ "configx:0", -EINVAL, 0, 0, 0 },
		{ "config3x:0", -EINVAL, 0, 0, 0 },
		{ "Config:0", -EINVAL, 0, 0, 0 },
		{ "config:64", -EINVAL, 0, 0, 0 },
		{ "config:0-64", -EINVAL, 0, 0, 0 },
		{ "config:99999999999999999999", -EINVAL, 0, 0, 0 },
		{ "config:7-0", -EINVAL, 0, 0, 0 },
		{ "config:0-", -EINVAL, 0, 0, 0 },
		{ "config:-7", -EINVAL, 0, 0, 0 },
		{ "config:0-7,", -EINVAL, 0, 0, 0 },
		{ "config:,0-7", -EINVAL, 0, 0, 0 },
		{ "config:0-7x", -EINVAL, 0, 0, 0 },
		{ "config:0-7:8", -EINVAL, 0, 0, 0 },
		{ "config:0x7", -EINVAL, 0, 0, 0 },
		{ "config: 0-7", -EINVAL, 0, 0, 0 },
		{ "config:0-7\n", -EINVAL, 0, 0, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct td_pmu_format f = { .word = TD_PMU_CONFIG2, .mask = SENTINEL };
		int r = td_pmu_format_parse(cases[i].spec, &f);

		if (r != cases[i].r)
			print_message("format_parse(\"%s\")\n", cases[i].spec);
		assert_int_equal(r, cases[i].r);
		if (r < 0) {
			assert_true(f.word == TD_PMU_CONFIG2 && f.mask == SENTINEL);
			continue;
		}
		assert_int_equal(f.word, cases[i].word);
		assert_true(f.mask == cases[i].mask);
		assert_int_equal(td_pmu_format_width(&f), cases[i].width);
	}
}

/* ---- td_pmu_format_apply ---- */

static void test_format_apply(void **state)
{
	static const struct {
		const char *spec;	/* NULL: use the raw format below */
		struct td_pmu_format raw;
		uint64_t value;
		struct td_pmu_config before;
		int r;
		struct td_pmu_config after;
	} cases[] = {
		{ "config:0-7", {0}, 0xcd, {0}, 0, { .config = 0xcd } },
		{ "config:8-15", {0}, 0x1, {0}, 0, { .config = 0x100 } },
		{ "config1:0-15", {0}, 30, {0}, 0, { .config1 = 30 } },
		{ "config2:0", {0}, 1, {0}, 0, { .config2 = 1 } },
		{ "config:21", {0}, 1, {0}, 0, { .config = BIT(21) } },
		{ "config:21", {0}, 0, { .config = ~UINT64_C(0) }, 0, { .config = ~BIT(21) } },
		/* value bits fill the ranges low to high */
		{ "config:0-7,32-35", {0}, 0xabc, {0}, 0, { .config = UINT64_C(0xa000000bc) } },
		{ "config:32-35,0-7", {0}, 0xabc, {0}, 0, { .config = UINT64_C(0xa000000bc) } },
		{ "config:1,3,5", {0}, 0x5, {0}, 0, { .config = 0x22 } },
		/* the field is replaced, the rest of the word and the other words kept */
		{ "config1:0-15", {0}, 30, { .config = 0x1cd, .config1 = UINT64_C(0xdead00000003), .config2 = 7 },
		  0, { .config = 0x1cd, .config1 = UINT64_C(0xdead0000001e), .config2 = 7 } },
		/* full-width field */
		{ "config1:0-63", {0}, UINT64_MAX, {0}, 0, { .config1 = UINT64_MAX } },
		{ "config:63", {0}, 1, {0}, 0, { .config = BIT(63) } },
		/* too wide for the field: -ERANGE, *cfg unchanged */
		{ "config:0-7", {0}, 0x100, { .config = 3 }, -ERANGE, { .config = 3 } },
		{ "config:21", {0}, 2, {0}, -ERANGE, {0} },
		{ "config1:0-11", {0}, 4096, {0}, -ERANGE, {0} },
		{ "config:0-7,32-35", {0}, 0x1000, {0}, -ERANGE, {0} },
		/* not a format td_pmu_format_parse() would produce: -EINVAL */
		{ NULL, { .word = TD_PMU_CONFIG, .mask = 0 }, 0, { .config = 5 }, -EINVAL, { .config = 5 } },
		{ NULL, { .word = TD_PMU_WORD__MAX, .mask = 1 }, 0, {0}, -EINVAL, {0} },
		{ NULL, { .word = (enum td_pmu_word)-1, .mask = 1 }, 0, {0}, -EINVAL, {0} },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct td_pmu_format f = cases[i].raw;
		struct td_pmu_config cfg = cases[i].before;
		int r;

		if (cases[i].spec)
			assert_int_equal(td_pmu_format_parse(cases[i].spec, &f), 0);
		r = td_pmu_format_apply(&f, cases[i].value, &cfg);
		if (r != cases[i].r || cfg.config != cases[i].after.config ||
		    cfg.config1 != cases[i].after.config1 || cfg.config2 != cases[i].after.config2)
			print_message("format_apply case %zu (%s)\n", i,
				      cases[i].spec ? cases[i].spec : "raw");
		assert_int_equal(r, cases[i].r);
		assert_true(cfg.config == cases[i].after.config);
		assert_true(cfg.config1 == cases[i].after.config1);
		assert_true(cfg.config2 == cases[i].after.config2);
	}
}

/* ---- td_pmu_event_parse, through a fake format lookup ---- */

struct fake_format {
	const char *term;
	const char *spec;
};

/* /sys/bus/event_source/devices/cpu/format on Skylake and later. */
static const struct fake_format intel_cpu[] = {
	{ "event", "config:0-7" }, { "umask", "config:8-15" }, { "edge", "config:18" },
	{ "pc", "config:19" }, { "any", "config:21" }, { "inv", "config:23" },
	{ "cmask", "config:24-31" }, { "in_tx", "config:32" }, { "in_tx_cp", "config:33" },
	{ "ldlat", "config1:0-15" }, { "offcore_rsp", "config1:0-63" },
	{ "frontend", "config1:0-23" }, { NULL, NULL },
};

/* /sys/bus/event_source/devices/ibs_op/format on Zen 5 with a 6.14+ kernel. */
static const struct fake_format amd_ibs_op[] = {
	{ "cnt_ctl", "config:19" }, { "l3missonly", "config:16" }, { "swfilt", "config2:0" },
	{ "ldlat", "config1:0-11" }, { NULL, NULL },
};

/* /sys/bus/event_source/devices/cpu/format on AMD: a split event field. */
static const struct fake_format amd_cpu[] = {
	{ "event", "config:0-7,32-35" }, { "umask", "config:8-15" }, { "edge", "config:18" },
	{ "inv", "config:23" }, { "cmask", "config:24-31" }, { NULL, NULL },
};

/* Terms the lookup answers with errors of its own. */
static const struct fake_format broken[] = {
	{ "event", "config:0-7" }, { "eio", NULL }, { "positive", NULL }, { "badword", NULL },
	{ NULL, NULL },
};

struct fake_pmu {
	const struct fake_format *formats;
	int calls;
};

static int fake_lookup(const char *term, struct td_pmu_format *ret, void *userdata)
{
	struct fake_pmu *pmu = userdata;

	pmu->calls++;
	/* the contract: a clean, bounded name */
	assert_true(strlen(term) >= 1 && strlen(term) <= TD_PMU_TERM_MAX);
	assert_null(strpbrk(term, "=,/. "));
	if (strcmp(term, "eio") == 0)
		return -EIO;
	if (strcmp(term, "positive") == 0)
		return 1;
	if (strcmp(term, "badword") == 0) {
		*ret = (struct td_pmu_format){ .word = TD_PMU_WORD__MAX, .mask = 1 };
		return 0;
	}
	for (const struct fake_format *f = pmu->formats; f->term; f++)
		if (strcmp(f->term, term) == 0)
			return td_pmu_format_parse(f->spec, ret);
	return -ENOENT;
}

#define NAME63	"a23456789012345678901234567890123456789012345678901234567890123"
#define NAME64	NAME63 "4"

static void test_event_parse(void **state)
{
	static const struct {
		const struct fake_format *pmu;
		const char *event;
		const char *overrides;
		int r;
		struct td_pmu_config cfg;
		int calls;		/* lookups made, -1: not checked */
	} cases[] = {
		/* Intel cpu/events/mem-loads, as is and with perf mem's ldlat=30 */
		{ intel_cpu, "event=0xcd,umask=0x1,ldlat=3", NULL, 0,
		  { .config = 0x1cd, .config1 = 3 }, 3 },
		{ intel_cpu, "event=0xcd,umask=0x1,ldlat=3", "ldlat=30", 0,
		  { .config = 0x1cd, .config1 = 30 }, 4 },
		{ intel_cpu, "event=0xcd,umask=0x1,ldlat=3", "", 0,
		  { .config = 0x1cd, .config1 = 3 }, 3 },
		/* cpu/events/mem-loads-aux (Sapphire Rapids), mem-stores */
		{ intel_cpu, "event=0x03,umask=0x82", NULL, 0, { .config = 0x8203 }, 2 },
		{ intel_cpu, "event=0xd0,umask=0x82", NULL, 0, { .config = 0x82d0 }, 2 },
		/* overrides may add terms, several of them */
		{ intel_cpu, "event=0xcd,umask=0x1", "ldlat=30,inv,cmask=2", 0,
		  { .config = 0x1cd | BIT(23) | (UINT64_C(2) << 24), .config1 = 30 }, 5 },
		{ intel_cpu, "event=0xb7,umask=0x1,offcore_rsp=0xffffffffffffffff", NULL, 0,
		  { .config = 0x1b7, .config1 = UINT64_MAX }, 3 },
		/* a repeated term: the last wins */
		{ intel_cpu, "event=0x1,event=0x2", NULL, 0, { .config = 0x2 }, 2 },
		/* AMD ibs_op: bare names mean 1 */
		{ amd_ibs_op, "cnt_ctl", NULL, 0, { .config = BIT(19) }, 1 },
		{ amd_ibs_op, "cnt_ctl=0", "swfilt", 0, { .config2 = 1 }, 2 },
		{ amd_ibs_op, "l3missonly=1,ldlat=128", NULL, 0,
		  { .config = BIT(16), .config1 = 128 }, 2 },
		{ amd_ibs_op, "cnt_ctl,l3missonly,swfilt", NULL, 0,
		  { .config = BIT(19) | BIT(16), .config2 = 1 }, 3 },
		/* AMD core PMU split field: ls_dispatch-like event 0x1c0 */
		{ amd_cpu, "event=0x1c0,umask=0x1", NULL, 0,
		  { .config = BIT(32) | 0xc0 | 0x100 }, 2 },
		{ amd_cpu, "event=0xfff", NULL, 0, { .config = UINT64_C(0xf000000ff) }, 1 },
		/* names: 63 characters is the limit; '-' and '_' allowed */
		{ intel_cpu, NAME63 "=1", NULL, -ENOENT, {0}, 1 },
		{ intel_cpu, NAME64 "=1", NULL, -EINVAL, {0}, 0 },
		{ intel_cpu, "_x-y", NULL, -ENOENT, {0}, 1 },
		/* malformed text: -EINVAL, no lookup */
		{ intel_cpu, "", NULL, -EINVAL, {0}, 0 },
		{ intel_cpu, ",", NULL, -EINVAL, {0}, 0 },
		{ intel_cpu, ",event=1", NULL, -EINVAL, {0}, 0 },
		{ intel_cpu, "=1", NULL, -EINVAL, {0}, 0 },
		{ intel_cpu, "1event=1", NULL, -EINVAL, {0}, 0 },
		{ intel_cpu, "-event=1", NULL, -EINVAL, {0}, 0 },
		{ intel_cpu, "ev ent=1", NULL, -EINVAL, {0}, 0 },
		{ intel_cpu, "ev/ent=1", NULL, -EINVAL, {0}, 0 },
		{ intel_cpu, "ev.ent=1", NULL, -EINVAL, {0}, 0 },
		{ intel_cpu, "event=", NULL, -EINVAL, {0}, 0 },
		{ intel_cpu, "event==1", NULL, -EINVAL, {0}, 0 },
		{ intel_cpu, "event=0x", NULL, -EINVAL, {0}, 0 },
		{ intel_cpu, "event=-1", NULL, -EINVAL, {0}, 0 },
		{ intel_cpu, "event=0xcd\n", NULL, -EINVAL, {0}, 0 },
		{ intel_cpu, "event=0xcd ", NULL, -EINVAL, {0}, 0 },
		{ intel_cpu, "event=0xcd,umask=?", NULL, -EINVAL, {0}, 1 },	/* perf's placeholder */
		{ intel_cpu, "event=0xcd,", NULL, -EINVAL, {0}, 1 },
		{ intel_cpu, "event=0xcd,,umask=1", NULL, -EINVAL, {0}, 1 },
		/* a term without a format: -ENOENT */
		{ intel_cpu, "bogus", NULL, -ENOENT, {0}, 1 },
		{ intel_cpu, "event=0xcd,bogus=1", NULL, -ENOENT, {0}, 2 },
		{ amd_ibs_op, "event=0xcd", NULL, -ENOENT, {0}, 1 },
		/* overflow: of 64 bits, or of the field */
		{ intel_cpu, "event=0x10000000000000000", NULL, -ERANGE, {0}, 0 },
		{ intel_cpu, "event=0x100", NULL, -ERANGE, {0}, 1 },
		{ intel_cpu, "edge=2", NULL, -ERANGE, {0}, 1 },
		{ amd_ibs_op, "ldlat=4096", NULL, -ERANGE, {0}, 1 },
		/* the first error, left to right */
		{ intel_cpu, "bogus=1,event=0x100", NULL, -ENOENT, {0}, 1 },
		{ intel_cpu, "event=0x100,bogus=1", NULL, -ERANGE, {0}, 1 },
		{ intel_cpu, "event=0x100,=", NULL, -ERANGE, {0}, 1 },
		/* errors in the overrides */
		{ intel_cpu, "event=0xcd", "ldlat=0x10000", -ERANGE, {0}, 2 },
		{ intel_cpu, "event=0xcd", "nope", -ENOENT, {0}, 2 },
		{ intel_cpu, "event=0xcd", ",", -EINVAL, {0}, 1 },
		{ intel_cpu, "event=0xcd", "ldlat=", -EINVAL, {0}, 1 },
		/* overrides are not looked at when the event fails */
		{ intel_cpu, "bogus", "nope", -ENOENT, {0}, 1 },
		/* what the lookup says is passed on */
		{ broken, "event=1,eio", NULL, -EIO, {0}, 2 },
		{ broken, "event=1", "eio=3", -EIO, {0}, 2 },
		{ broken, "positive", NULL, -EINVAL, {0}, 1 },
		{ broken, "badword", NULL, -EINVAL, {0}, 1 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fake_pmu pmu = { .formats = cases[i].pmu };
		struct td_pmu_config cfg = { SENTINEL, SENTINEL, SENTINEL };
		int r;

		r = td_pmu_event_parse(cases[i].event, cases[i].overrides, fake_lookup, &pmu, &cfg);
		if (r != cases[i].r || (cases[i].calls >= 0 && pmu.calls != cases[i].calls) ||
		    (r == 0 && (cfg.config != cases[i].cfg.config ||
				cfg.config1 != cases[i].cfg.config1 ||
				cfg.config2 != cases[i].cfg.config2)))
			print_message("event_parse case %zu (\"%s\", \"%s\")\n", i, cases[i].event,
				      cases[i].overrides ? cases[i].overrides : "(null)");
		assert_int_equal(r, cases[i].r);
		if (cases[i].calls >= 0)
			assert_int_equal(pmu.calls, cases[i].calls);
		if (r < 0) {
			/* *ret is written only on success */
			assert_true(cfg.config == SENTINEL && cfg.config1 == SENTINEL &&
				    cfg.config2 == SENTINEL);
			continue;
		}
		assert_true(cfg.config == cases[i].cfg.config);
		assert_true(cfg.config1 == cases[i].cfg.config1);
		assert_true(cfg.config2 == cases[i].cfg.config2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_value),
		cmocka_unit_test(test_format_parse),
		cmocka_unit_test(test_format_apply),
		cmocka_unit_test(test_event_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
