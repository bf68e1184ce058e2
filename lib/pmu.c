// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "pmu.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_digit(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || is_digit(c) || c == '-';
}

/* Parses s[0..len) as a number; the bounded form the term parser needs. */
static int parse_value_n(const char *s, size_t len, uint64_t *ret)
{
	uint64_t v = 0;
	bool hex = len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	unsigned int base = hex ? 16 : 10;
	size_t i = hex ? 2 : 0;

	if (len == 0 || (len == 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))
		return -EINVAL;
	/* Check every digit before any overflow, so junk is -EINVAL, not -ERANGE. */
	for (size_t j = i; j < len; j++)
		if (hex ? hex_digit(s[j]) < 0 : !is_digit(s[j]))
			return -EINVAL;
	for (; i < len; i++) {
		unsigned int d = (unsigned int)hex_digit(s[i]);

		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*ret = v;
	return 0;
}

int td_pmu_parse_value(const char *s, uint64_t *ret)
{
	return parse_value_n(s, strlen(s), ret);
}

/* A bit index 0..63, decimal; advances *p past it. */
static int parse_bit(const char **p, unsigned int *ret)
{
	unsigned int v = 0;
	const char *s = *p;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		v = v * 10 + (unsigned int)(*s - '0');
		if (v > 63)
			return -EINVAL;
	}
	*p = s;
	*ret = v;
	return 0;
}

static int parse_word(const char *s, size_t len, enum td_pmu_word *ret)
{
	static const char *const words[TD_PMU_WORD__MAX] = { "config", "config1", "config2" };

	for (int w = 0; w < TD_PMU_WORD__MAX; w++) {
		if (strlen(words[w]) == len && memcmp(s, words[w], len) == 0) {
			*ret = (enum td_pmu_word)w;
			return 0;
		}
	}
	/* "config3" (6.3+) and later words are real but beyond perf_event_attr as we build it. */
	if (len > 6 && memcmp(s, "config", 6) == 0) {
		for (size_t i = 6; i < len; i++)
			if (!is_digit(s[i]))
				return -EINVAL;
		return -EOPNOTSUPP;
	}
	return -EINVAL;
}

int td_pmu_format_parse(const char *spec, struct td_pmu_format *ret)
{
	const char *colon = strchr(spec, ':');
	struct td_pmu_format f = { .mask = 0 };
	const char *p;
	int r;

	if (!colon)
		return -EINVAL;
	r = parse_word(spec, (size_t)(colon - spec), &f.word);
	if (r < 0)
		return r;
	p = colon + 1;
	for (;;) {
		unsigned int lo, hi;

		r = parse_bit(&p, &lo);
		if (r < 0)
			return r;
		hi = lo;
		if (*p == '-') {
			p++;
			r = parse_bit(&p, &hi);
			if (r < 0)
				return r;
			if (hi < lo)
				return -EINVAL;
		}
		/* lo..hi inclusive; shifting by 64 is undefined, hence the split. */
		f.mask |= (hi == 63 ? ~UINT64_C(0) : (UINT64_C(1) << (hi + 1)) - 1) &
			  ~((UINT64_C(1) << lo) - 1);
		if (*p == '\0')
			break;
		if (*p != ',')
			return -EINVAL;
		p++;
	}
	*ret = f;
	return 0;
}

unsigned int td_pmu_format_width(const struct td_pmu_format *f)
{
	return (unsigned int)__builtin_popcountll(f->mask);
}

static uint64_t *config_word(struct td_pmu_config *cfg, enum td_pmu_word w)
{
	switch (w) {
	case TD_PMU_CONFIG:
		return &cfg->config;
	case TD_PMU_CONFIG1:
		return &cfg->config1;
	case TD_PMU_CONFIG2:
		return &cfg->config2;
	default:
		return NULL;
	}
}

int td_pmu_format_apply(const struct td_pmu_format *f, uint64_t value, struct td_pmu_config *cfg)
{
	uint64_t *word = config_word(cfg, f->word);
	unsigned int width = td_pmu_format_width(f);
	uint64_t bits = 0, v = value;

	if (!word || width == 0)
		return -EINVAL;
	if (width < 64 && value >> width)
		return -ERANGE;
	/* Deposit value's low bits into the mask's set bits, lowest first. */
	for (uint64_t m = f->mask; m; m &= m - 1, v >>= 1)
		if (v & 1)
			bits |= m & -m;
	*word = (*word & ~f->mask) | bits;
	return 0;
}

/* Applies one term, s[0..len), to *cfg. */
static int apply_term(const char *s, size_t len, td_pmu_lookup_fn *lookup, void *userdata,
		      struct td_pmu_config *cfg)
{
	const char *eq = memchr(s, '=', len);
	size_t name_len = eq ? (size_t)(eq - s) : len;
	char name[TD_PMU_TERM_MAX + 1];
	struct td_pmu_format f;
	uint64_t value = 1;
	int r;

	if (name_len == 0 || name_len > TD_PMU_TERM_MAX || !is_name_start(s[0]))
		return -EINVAL;
	for (size_t i = 1; i < name_len; i++)
		if (!is_name_char(s[i]))
			return -EINVAL;
	if (eq) {
		r = parse_value_n(eq + 1, len - name_len - 1, &value);
		if (r < 0)
			return r;
	}
	memcpy(name, s, name_len);
	name[name_len] = '\0';
	r = lookup(name, &f, userdata);
	if (r)
		return r < 0 ? r : -EINVAL;
	return td_pmu_format_apply(&f, value, cfg);
}

static int apply_terms(const char *terms, td_pmu_lookup_fn *lookup, void *userdata,
		       struct td_pmu_config *cfg)
{
	const char *s = terms;

	for (;;) {
		size_t len = strcspn(s, ",");
		int r = apply_term(s, len, lookup, userdata, cfg);

		if (r < 0)
			return r;
		if (s[len] == '\0')
			return 0;
		s += len + 1;
	}
}

int td_pmu_event_parse(const char *event, const char *overrides, td_pmu_lookup_fn *lookup,
		       void *userdata, struct td_pmu_config *ret)
{
	struct td_pmu_config cfg = { 0 };
	int r;

	r = apply_terms(event, lookup, userdata, &cfg);
	if (r < 0)
		return r;
	if (overrides && *overrides) {
		r = apply_terms(overrides, lookup, userdata, &cfg);
		if (r < 0)
			return r;
	}
	*ret = cfg;
	return 0;
}
