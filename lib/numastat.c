// SPDX-License-Identifier: GPL-2.0-only
/*
 * numastat.c - see numastat.h. Hand-rolled rather than sscanf: the buffer is
 * not NUL-terminated, sscanf accepts signs and leading blanks in numbers,
 * and silently wraps values that overflow.
 */
#include <errno.h>
#include <string.h>

#include "numastat.h"

/* A line, as [p, end). */
struct span {
	const char *p, *end;
};

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

static void skip_blanks(struct span *s)
{
	while (s->p < s->end && is_blank(*s->p))
		s->p++;
}

/* Decimal digits at s->p: 0 and the value (saturated at UINT64_MAX when
 * @saturate, else -ERANGE on overflow); -EINVAL if there are none. */
static int parse_u64(struct span *s, bool saturate, uint64_t *ret)
{
	const char *start = s->p;
	uint64_t v = 0;
	bool over = false;

	for (; s->p < s->end && *s->p >= '0' && *s->p <= '9'; s->p++) {
		unsigned d = *s->p - '0';

		if (v > (UINT64_MAX - d) / 10)
			over = true;
		else
			v = v * 10 + d;
	}
	if (s->p == start)
		return -EINVAL;
	if (over && !saturate)
		return -ERANGE;
	*ret = over ? UINT64_MAX : v;
	return 0;
}

/* Parses the " N<n>=<v>" tokens of a line into @bytes and @nodes, which are
 * written only if the whole line is well-formed. */
static int parse_nodes(struct span s, uint64_t bytes[TD_MAX_NODES], uint64_t *nodes)
{
	uint64_t val[TD_MAX_NODES] = { 0 }, seen = 0;

	for (;;) {
		uint64_t node, v;

		skip_blanks(&s);
		if (s.p == s.end)
			break;
		if (*s.p++ != 'N')
			return -EINVAL;
		if (parse_u64(&s, /* saturate= */ true, &node) < 0)
			return -EINVAL;
		if (s.p == s.end || *s.p++ != '=')
			return -EINVAL;
		if (parse_u64(&s, /* saturate= */ false, &v) < 0)
			return -EINVAL;
		if (s.p != s.end && !is_blank(*s.p))
			return -EINVAL;
		/* node masks are one u64 throughout tieringd */
		if (node < TD_MAX_NODES) {
			val[node] = v;
			seen |= 1ULL << node;
		}
	}
	memcpy(bytes, val, sizeof(val));
	*nodes = seen;
	return 0;
}

/* If the line's first token is @key, the rest of the line in *@rest. */
static bool has_key(struct span line, const char *key, struct span *rest)
{
	size_t n = strlen(key);

	if ((size_t)(line.end - line.p) < n || memcmp(line.p, key, n))
		return false;
	line.p += n;
	if (line.p != line.end && !is_blank(*line.p))
		return false;
	*rest = line;
	return true;
}

int td_numastat_parse(const char *text, size_t len, struct td_numastat *ret)
{
	const char *p = text, *end = text + len;
	bool anon = false, file = false;

	memset(ret, 0, sizeof(*ret));
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		struct span line = { p, nl ? nl : end }, rest;

		p = nl ? nl + 1 : end;
		if (!anon && has_key(line, "anon", &rest))
			anon = parse_nodes(rest, ret->anon, &ret->anon_nodes) == 0;
		else if (!file && has_key(line, "file", &rest))
			file = parse_nodes(rest, ret->file, &ret->file_nodes) == 0;
	}
	if (!anon) {
		memset(ret, 0, sizeof(*ret));
		return -EINVAL;
	}
	return 0;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

uint64_t td_numastat_bytes_on(const struct td_numastat *s, uint64_t node_mask, bool anon_only)
{
	uint64_t sum = 0;

	for (unsigned n = 0; n < TD_MAX_NODES; n++) {
		if (!(node_mask & (1ULL << n)))
			continue;
		sum = add_sat(sum, s->anon[n]);
		if (!anon_only)
			sum = add_sat(sum, s->file[n]);
	}
	return sum;
}
