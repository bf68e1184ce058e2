// SPDX-License-Identifier: GPL-2.0-only
/*
 * json.c - see json.h. The writer keeps one bit per nesting level for
 * "object or array" and one for "a comma is due", so it needs no stack.
 * The reader is an iterative parser over an explicit stack of open
 * containers; nodes are stored in document order, each knowing the size of
 * its subtree, so a sibling is one pointer addition away.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* ---------------------------------------------------------------- writer */

void td_json_init(struct td_json *j)
{
	*j = (struct td_json) {};
}

void td_json_fini(struct td_json *j)
{
	if (!j)
		return;
	free(j->buf);
	td_json_init(j);
}

int td_json_error(const struct td_json *j)
{
	return j->err;
}

/* Room for @n more bytes and the NUL; sets -ENOMEM if there is none. */
static bool reserve(struct td_json *j, size_t n)
{
	size_t cap;
	char *p;

	if (j->err)
		return false;
	if (j->cap - j->len > n)
		return true;
	if (n >= SIZE_MAX / 4 - j->len) {
		j->err = -ENOMEM;
		return false;
	}
	for (cap = j->cap ? j->cap : 256; cap - j->len <= n; cap *= 2)
		;
	p = realloc(j->buf, cap);
	if (!p) {
		j->err = -ENOMEM;
		return false;
	}
	j->buf = p;
	j->cap = cap;
	return true;
}

static void put(struct td_json *j, const char *s, size_t n)
{
	if (!reserve(j, n))
		return;
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

void td_json_raw(struct td_json *j, const char *s, size_t n)
{
	put(j, s, n);
}

static uint64_t level_bit(const struct td_json *j)
{
	return 1ULL << (j->depth - 1);
}

static bool in_object(const struct td_json *j)
{
	return j->depth > 0 && (j->is_object & level_bit(j));
}

/* A comma if the open container already has an item; marks it non-empty. */
static void separate(struct td_json *j)
{
	if (j->has_items & level_bit(j))
		put(j, ",", 1);
	j->has_items |= level_bit(j);
}

/* Commas before a value; false (with the error set) if one may not go here. */
static bool before_value(struct td_json *j)
{
	if (j->err)
		return false;
	if (j->after_key) {
		j->after_key = false;
		return true;
	}
	if (j->depth == 0)
		return true;
	if (in_object(j)) {
		j->err = -EINVAL;	/* a value in an object needs a key */
		return false;
	}
	separate(j);
	return !j->err;
}

static void begin(struct td_json *j, bool object)
{
	if (!before_value(j))
		return;
	if (j->depth >= TD_JSON_WRITE_MAX_DEPTH) {
		j->err = -EINVAL;
		return;
	}
	j->depth++;
	if (object)
		j->is_object |= level_bit(j);
	else
		j->is_object &= ~level_bit(j);
	j->has_items &= ~level_bit(j);
	put(j, object ? "{" : "[", 1);
}

static void end(struct td_json *j, bool object)
{
	if (j->err)
		return;
	if (j->depth == 0 || j->after_key || in_object(j) != object) {
		j->err = -EINVAL;
		return;
	}
	put(j, object ? "}" : "]", 1);
	j->depth--;
}

void td_json_begin_object(struct td_json *j)
{
	begin(j, /* object= */ true);
}

void td_json_end_object(struct td_json *j)
{
	end(j, /* object= */ true);
}

void td_json_begin_array(struct td_json *j)
{
	begin(j, /* object= */ false);
}

void td_json_end_array(struct td_json *j)
{
	end(j, /* object= */ false);
}

static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '"' || c == '\\';
}

static void put_escaped(struct td_json *j, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run;

	put(j, "\"", 1);
	while (i < n && !j->err) {
		unsigned char c = s[i];
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf] };

		for (run = i; run < n && !needs_escape(s[run]); run++)
			;
		if (run > i) {
			put(j, s + i, run - i);
			i = run;
			continue;
		}
		if (c == '"' || c == '\\')
			put(j, (char[]) { '\\', c }, 2);
		else
			put(j, esc, sizeof(esc));
		i++;
	}
	put(j, "\"", 1);
}

void td_json_key(struct td_json *j, const char *key)
{
	if (j->err)
		return;
	if (!in_object(j) || j->after_key || !key) {
		j->err = -EINVAL;
		return;
	}
	separate(j);
	put_escaped(j, key, strlen(key));
	put(j, ":", 1);
	j->after_key = true;
}

void td_json_string_len(struct td_json *j, const char *s, size_t n)
{
	if (!s) {
		td_json_null(j);
		return;
	}
	if (before_value(j))
		put_escaped(j, s, n);
}

void td_json_string(struct td_json *j, const char *s)
{
	td_json_string_len(j, s, s ? strlen(s) : 0);
}

static void put_scalar(struct td_json *j, const char *s)
{
	if (before_value(j))
		put(j, s, strlen(s));
}

void td_json_u64(struct td_json *j, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRIu64, v);
	put_scalar(j, b);
}

void td_json_i64(struct td_json *j, int64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRId64, v);
	put_scalar(j, b);
}

void td_json_bool(struct td_json *j, bool v)
{
	put_scalar(j, v ? "true" : "false");
}

void td_json_null(struct td_json *j)
{
	put_scalar(j, "null");
}

void td_json_double(struct td_json *j, double v)
{
	char b[32];

	if (!isfinite(v)) {
		td_json_null(j);
		return;
	}
	/* %.15g reads well ("0.1"); %.17g always reads back exactly */
	snprintf(b, sizeof(b), "%.15g", v);
	if (strtod(b, NULL) != v)
		snprintf(b, sizeof(b), "%.17g", v);
	put_scalar(j, b);
}

void td_json_field_string(struct td_json *j, const char *key, const char *s)
{
	td_json_key(j, key);
	td_json_string(j, s);
}

void td_json_field_u64(struct td_json *j, const char *key, uint64_t v)
{
	td_json_key(j, key);
	td_json_u64(j, v);
}

void td_json_field_i64(struct td_json *j, const char *key, int64_t v)
{
	td_json_key(j, key);
	td_json_i64(j, v);
}

void td_json_field_bool(struct td_json *j, const char *key, bool v)
{
	td_json_key(j, key);
	td_json_bool(j, v);
}

void td_json_field_double(struct td_json *j, const char *key, double v)
{
	td_json_key(j, key);
	td_json_double(j, v);
}

char *td_json_take(struct td_json *j, size_t *ret_len)
{
	char *buf;

	if (!j->err && (j->depth > 0 || j->after_key))
		j->err = -EINVAL;
	if (!j->err && !j->buf)
		put(j, "", 0);
	if (j->err) {
		int err = j->err;

		td_json_fini(j);
		j->err = err;
		return NULL;
	}
	buf = j->buf;
	if (ret_len)
		*ret_len = j->len;
	td_json_init(j);
	return buf;
}

/* ---------------------------------------------------------------- reader */

struct td_json_node {
	const char *raw;	/* the node's text in the document copy */
	const char *str;	/* strings: decoded, NUL-terminated */
	uint32_t raw_len;
	uint32_t count;		/* containers: items; strings: decoded length */
	uint32_t skip;		/* nodes in this subtree, itself included */
	uint8_t type;		/* enum td_json_type */
	bool last;		/* no sibling follows */
};

struct td_json_doc {
	char *text;		/* a NUL-terminated copy of the input */
	char *strings;		/* decoded strings (never longer than the text),
				 * in the same allocation, after the text */
	struct td_json_node *nodes;
	size_t n, cap;
};

struct parser {
	struct td_json_doc *d;
	const char *s;
	size_t len, pos;
	char *out;				/* next free byte in d->strings */
	uint32_t open[TD_JSON_MAX_DEPTH];	/* node index of each open container */
	uint32_t last_child[TD_JSON_MAX_DEPTH];
	unsigned depth;
};

static bool char_at(const struct parser *p, const char *set)
{
	return p->pos < p->len && p->s[p->pos] && strchr(set, p->s[p->pos]);
}

static void skip_ws(struct parser *p)
{
	while (char_at(p, " \t\n\r"))
		p->pos++;
}

/* Appends a node starting at the current position; its index, or -ENOMEM. */
static int64_t new_node(struct parser *p, enum td_json_type type)
{
	struct td_json_doc *d = p->d;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct td_json_node *nodes = reallocarray(d->nodes, cap, sizeof(*nodes));

		if (!nodes)
			return -ENOMEM;
		d->nodes = nodes;
		d->cap = cap;
	}
	d->nodes[d->n] = (struct td_json_node) {
		.raw = p->s + p->pos, .type = type, .skip = 1,
	};
	return d->n++;
}

/* Ends node @idx at the current position. */
static void end_node(struct parser *p, int64_t idx)
{
	struct td_json_node *n = &p->d->nodes[idx];

	n->raw_len = p->s + p->pos - n->raw;
}

static int literal(struct parser *p, const char *word, enum td_json_type type)
{
	size_t n = strlen(word);
	int64_t idx;

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n))
		return -EINVAL;
	idx = new_node(p, type);
	if (idx < 0)
		return idx;
	p->pos += n;
	end_node(p, idx);
	return 0;
}

static bool digit_at(const struct parser *p)
{
	return p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9';
}

/* Consumes one or more digits; false if there is none. */
static bool digits(struct parser *p)
{
	if (!digit_at(p))
		return false;
	while (digit_at(p))
		p->pos++;
	return true;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int number(struct parser *p)
{
	int64_t idx = new_node(p, TD_JSON_NUMBER);

	if (idx < 0)
		return idx;
	if (char_at(p, "-"))
		p->pos++;
	if (char_at(p, "0"))
		p->pos++;
	else if (!digits(p))
		return -EINVAL;
	if (char_at(p, ".")) {
		p->pos++;
		if (!digits(p))
			return -EINVAL;
	}
	if (char_at(p, "eE")) {
		p->pos++;
		if (char_at(p, "+-"))
			p->pos++;
		if (!digits(p))
			return -EINVAL;
	}
	end_node(p, idx);
	return 0;
}

static int hex4(struct parser *p, uint32_t *ret)
{
	uint32_t v = 0;

	if (p->len - p->pos < 4)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		char c = p->s[p->pos++];

		if (c >= '0' && c <= '9')
			v = v << 4 | (c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = v << 4 | ((c | 0x20) - 'a' + 10);
		else
			return -EINVAL;
	}
	*ret = v;
	return 0;
}

static void put_utf8(struct parser *p, uint32_t cp)
{
	if (cp < 0x80) {
		*p->out++ = cp;
	} else if (cp < 0x800) {
		*p->out++ = 0xc0 | cp >> 6;
		*p->out++ = 0x80 | (cp & 0x3f);
	} else if (cp < 0x10000) {
		*p->out++ = 0xe0 | cp >> 12;
		*p->out++ = 0x80 | (cp >> 6 & 0x3f);
		*p->out++ = 0x80 | (cp & 0x3f);
	} else {
		*p->out++ = 0xf0 | cp >> 18;
		*p->out++ = 0x80 | (cp >> 12 & 0x3f);
		*p->out++ = 0x80 | (cp >> 6 & 0x3f);
		*p->out++ = 0x80 | (cp & 0x3f);
	}
}

/* After "\u": one code point, surrogate pairs joined, lone halves refused. */
static int unicode_escape(struct parser *p)
{
	uint32_t hi, lo;

	if (hex4(p, &hi) < 0 || (hi >= 0xdc00 && hi <= 0xdfff))
		return -EINVAL;
	if (hi >= 0xd800 && hi <= 0xdbff) {
		if (p->len - p->pos < 2 || memcmp(p->s + p->pos, "\\u", 2))
			return -EINVAL;
		p->pos += 2;
		if (hex4(p, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
			return -EINVAL;
		hi = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	}
	put_utf8(p, hi);
	return 0;
}

/* After '\\'. Every escape is at least as long as what it decodes to, so
 * the decoded strings fit in a buffer as long as the text. */
static int escape(struct parser *p)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;

	if (p->pos >= p->len)
		return -EINVAL;
	if (p->s[p->pos] == 'u') {
		p->pos++;
		return unicode_escape(p);
	}
	e = p->s[p->pos] ? strchr(from, p->s[p->pos]) : NULL;
	if (!e)
		return -EINVAL;
	*p->out++ = to[e - from];
	p->pos++;
	return 0;
}

static int string(struct parser *p)
{
	int64_t idx = new_node(p, TD_JSON_STRING);
	char *start = p->out;
	int r;

	if (idx < 0)
		return idx;
	p->pos++;	/* '"' */
	for (;;) {
		unsigned char c;

		if (p->pos >= p->len)
			return -EINVAL;
		c = p->s[p->pos++];
		if (c == '"')
			break;
		if (c < 0x20)
			return -EINVAL;
		if (c != '\\') {
			*p->out++ = c;
			continue;
		}
		r = escape(p);
		if (r < 0)
			return r;
	}
	*p->out++ = '\0';
	end_node(p, idx);
	p->d->nodes[idx].str = start;
	p->d->nodes[idx].count = p->out - start - 1;
	return 0;
}

static int open_container(struct parser *p, enum td_json_type type)
{
	int64_t idx;

	if (p->depth >= TD_JSON_MAX_DEPTH)
		return -EINVAL;
	idx = new_node(p, type);
	if (idx < 0)
		return idx;
	p->pos++;
	p->open[p->depth++] = idx;
	return 0;
}

static int close_container(struct parser *p)
{
	unsigned level = p->depth - 1;
	uint32_t idx = p->open[level];
	struct td_json_node *c = &p->d->nodes[idx];

	p->pos++;
	end_node(p, idx);
	c->skip = p->d->n - idx;
	if (c->count > 0)
		p->d->nodes[p->last_child[level]].last = true;
	p->depth--;
	return 0;
}

/* One value; a container is only opened, its items come from step(). */
static int value(struct parser *p)
{
	skip_ws(p);
	if (p->pos >= p->len)
		return -EINVAL;
	switch (p->s[p->pos]) {
	case '{':
		return open_container(p, TD_JSON_OBJECT);
	case '[':
		return open_container(p, TD_JSON_ARRAY);
	case '"':
		return string(p);
	case 't':
		return literal(p, "true", TD_JSON_BOOL);
	case 'f':
		return literal(p, "false", TD_JSON_BOOL);
	case 'n':
		return literal(p, "null", TD_JSON_NULL);
	default:
		return number(p);
	}
}

/* "key" ':' */
static int member_key(struct parser *p)
{
	int r;

	skip_ws(p);
	if (!char_at(p, "\""))
		return -EINVAL;
	r = string(p);
	if (r < 0)
		return r;
	skip_ws(p);
	if (!char_at(p, ":"))
		return -EINVAL;
	p->pos++;
	return 0;
}

/* In the innermost open container: close it, or read the next item. */
static int step(struct parser *p)
{
	unsigned level = p->depth - 1;
	uint32_t idx = p->open[level];
	bool object = p->d->nodes[idx].type == TD_JSON_OBJECT;
	int r;

	skip_ws(p);
	if (char_at(p, object ? "}" : "]"))
		return close_container(p);
	if (p->d->nodes[idx].count > 0) {
		if (!char_at(p, ","))
			return -EINVAL;
		p->pos++;
	}
	if (object) {
		r = member_key(p);
		if (r < 0)
			return r;
	}
	p->d->nodes[idx].count++;
	p->last_child[level] = p->d->n;
	return value(p);
}

static int parse(struct parser *p)
{
	int r = value(p);

	while (r >= 0 && p->depth > 0)
		r = step(p);
	if (r < 0)
		return r;
	skip_ws(p);
	if (p->pos != p->len)
		return -EINVAL;
	p->d->nodes[0].last = true;
	return 0;
}

void td_json_doc_free(struct td_json_doc *d)
{
	if (!d)
		return;
	free(d->text);		/* d->strings shares its allocation */
	free(d->nodes);
	free(d);
}

int td_json_parse(const char *text, size_t len, struct td_json_doc **ret)
{
	struct td_json_doc *d;
	struct parser p = { .len = len };
	int r;

	if (len >= UINT32_MAX)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->text = malloc(2 * (len + 1));
	if (!d->text) {
		free(d);
		return -ENOMEM;
	}
	d->strings = d->text + len + 1;
	memcpy(d->text, text, len);
	d->text[len] = '\0';	/* lets strtod() stop at the end */
	p.d = d;
	p.s = d->text;
	p.out = d->strings;
	r = parse(&p);
	if (r < 0) {
		td_json_doc_free(d);
		return r;
	}
	*ret = d;
	return 0;
}

const struct td_json_node *td_json_root(const struct td_json_doc *d)
{
	return d->nodes;
}

enum td_json_type td_json_type(const struct td_json_node *n)
{
	return n ? n->type : TD_JSON_NONE;
}

static bool is_container(const struct td_json_node *n)
{
	return n && (n->type == TD_JSON_ARRAY || n->type == TD_JSON_OBJECT);
}

size_t td_json_count(const struct td_json_node *n)
{
	return is_container(n) ? n->count : 0;
}

const struct td_json_node *td_json_first(const struct td_json_node *n)
{
	return is_container(n) && n->count > 0 ? n + 1 : NULL;
}

const struct td_json_node *td_json_next(const struct td_json_node *n)
{
	return n && !n->last ? n + n->skip : NULL;
}

const struct td_json_node *td_json_get(const struct td_json_node *obj, const char *key)
{
	size_t len = strlen(key);

	if (td_json_type(obj) != TD_JSON_OBJECT)
		return NULL;
	for (const struct td_json_node *k = td_json_first(obj); k; k = td_json_next(td_json_next(k)))
		if (k->count == len && !memcmp(k->str, key, len))
			return td_json_next(k);
	return NULL;
}

const char *td_json_span(const struct td_json_node *n, size_t *ret_len)
{
	if (!n)
		return NULL;
	if (ret_len)
		*ret_len = n->raw_len;
	return n->raw;
}

const char *td_json_as_str(const struct td_json_node *n, size_t *ret_len)
{
	if (td_json_type(n) != TD_JSON_STRING)
		return NULL;
	if (ret_len)
		*ret_len = n->count;
	return n->str;
}

/* Digits of an integer node (after an optional '-'), or -EINVAL. */
static int int_magnitude(const struct td_json_node *n, bool *ret_neg, uint64_t *ret)
{
	const char *s, *end;
	uint64_t v = 0;

	if (td_json_type(n) != TD_JSON_NUMBER)
		return -EINVAL;
	s = n->raw;
	end = s + n->raw_len;
	*ret_neg = *s == '-';
	if (*ret_neg)
		s++;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;		/* fraction or exponent */
		if (v > (UINT64_MAX - (*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (*s - '0');
	}
	*ret = v;
	return 0;
}

int td_json_as_u64(const struct td_json_node *n, uint64_t *ret)
{
	uint64_t v;
	bool neg;
	int r = int_magnitude(n, &neg, &v);

	if (r < 0)
		return r;
	if (neg && v > 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

int td_json_as_i64(const struct td_json_node *n, int64_t *ret)
{
	uint64_t v;
	bool neg;
	int r = int_magnitude(n, &neg, &v);

	if (r < 0)
		return r;
	if (v > (uint64_t)INT64_MAX + neg)
		return -ERANGE;
	*ret = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int td_json_as_double(const struct td_json_node *n, double *ret)
{
	double v;

	if (td_json_type(n) != TD_JSON_NUMBER)
		return -EINVAL;
	/* the text is validated and followed by a delimiter or the NUL */
	v = strtod(n->raw, NULL);
	if (isinf(v))
		return -ERANGE;
	*ret = v;
	return 0;
}

int td_json_as_bool(const struct td_json_node *n, bool *ret)
{
	if (td_json_type(n) != TD_JSON_BOOL)
		return -EINVAL;
	*ret = n->raw[0] == 't';
	return 0;
}
