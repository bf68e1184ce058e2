// SPDX-License-Identifier: GPL-2.0-only
/*
 * proto.c - see proto.h. The parser checks the bytes first (so every word
 * it later quotes in a message is printable ASCII), splits the line into
 * words, then hands the words after the verb to the verb's own parser.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

#define MAX_WORDS 8		/* "top -n N --pid PID" is the longest: 5 */
#define QUOTE_MAX 40		/* bytes of a word quoted in a message */

struct word {
	const char *s;
	size_t len;
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Writes the message (if there is room for one); returns -EINVAL. */
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* printf arguments for quoting a word, long ones cut: "%.*s%s" */
#define QUOTE(w) (int)((w).len > QUOTE_MAX ? QUOTE_MAX : (w).len), (w).s, \
	((w).len > QUOTE_MAX ? "..." : "")

static int check_bytes(const char *buf, size_t len, char *err, size_t errlen)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = buf[i];

		if (c == '\0')
			return fail(err, errlen, "NUL byte in request");
		if (c == '\n')
			return fail(err, errlen, "more than one line in request");
		if (c >= 0x80)
			return fail(err, errlen, "non-ASCII byte in request");
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(err, errlen, "control character in request");
	}
	return 0;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

static int split(const char *buf, size_t len, struct word *w, size_t *ret_n,
		 char *err, size_t errlen)
{
	size_t i = 0, n = 0;

	for (;;) {
		while (i < len && blank(buf[i]))
			i++;
		if (i == len)
			break;
		if (n == MAX_WORDS)
			return fail(err, errlen, "too many arguments");
		w[n].s = buf + i;
		while (i < len && !blank(buf[i]))
			i++;
		w[n].len = buf + i - w[n].s;
		n++;
	}
	if (n == 0)
		return fail(err, errlen, "empty request");
	*ret_n = n;
	return 0;
}

static bool word_is(struct word w, const char *s)
{
	return w.len == strlen(s) && !memcmp(w.s, s, w.len);
}

/* Decimal digits only, at most @max. */
static bool parse_dec(struct word w, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (w.len == 0)
		return false;
	for (size_t i = 0; i < w.len; i++) {
		unsigned d = w.s[i] - '0';

		if (d > 9 || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*ret = v;
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* "0x" and hex digits, or decimal; any 64-bit value. */
static bool parse_addr(struct word w, uint64_t *ret)
{
	uint64_t v = 0;

	if (w.len < 2 || w.s[0] != '0' || (w.s[1] | 0x20) != 'x')
		return parse_dec(w, UINT64_MAX, ret);
	if (w.len == 2)
		return false;
	for (size_t i = 2; i < w.len; i++) {
		int d = hex_digit(w.s[i]);

		if (d < 0 || v >> 60)
			return false;
		v = v << 4 | d;
	}
	*ret = v;
	return true;
}

static int parse_pid(struct word w, struct td_request *req, char *err, size_t errlen)
{
	uint64_t v;

	if (!parse_dec(w, TD_PROTO_PID_MAX, &v) || v == 0)
		return fail(err, errlen, "bad PID '%.*s%s'", QUOTE(w));
	req->pid = v;
	req->has_pid = true;
	return 0;
}

static int parse_none(const struct word *args, size_t n, struct td_request *req,
		      char *err, size_t errlen)
{
	if (n > 0)
		return fail(err, errlen, "'%s' takes no arguments", td_proto_verb_name(req->verb));
	return 0;
}

static int parse_top_n(struct word w, struct td_request *req, char *err, size_t errlen)
{
	uint64_t v;

	if (!parse_dec(w, TD_PROTO_TOP_MAX, &v) || v == 0)
		return fail(err, errlen, "bad count '%.*s%s' (1..%d)", QUOTE(w), TD_PROTO_TOP_MAX);
	req->top_n = v;
	return 0;
}

/* top [-n N] [--pid PID], options in any order, each at most once */
static int parse_top(const struct word *args, size_t n, struct td_request *req,
		     char *err, size_t errlen)
{
	bool seen_n = false;
	int r;

	req->top_n = TD_PROTO_TOP_DEFAULT;
	for (size_t i = 0; i < n; i += 2) {
		bool is_n = word_is(args[i], "-n");

		if (!is_n && !word_is(args[i], "--pid"))
			return fail(err, errlen, "unknown option '%.*s%s' for top", QUOTE(args[i]));
		if (i + 1 == n)
			return fail(err, errlen, "%s needs a value", is_n ? "-n" : "--pid");
		if (is_n ? seen_n : req->has_pid)
			return fail(err, errlen, "%s given twice", is_n ? "-n" : "--pid");
		if (is_n) {
			seen_n = true;
			r = parse_top_n(args[i + 1], req, err, errlen);
		} else {
			r = parse_pid(args[i + 1], req, err, errlen);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_why(const struct word *args, size_t n, struct td_request *req,
		     char *err, size_t errlen)
{
	int r;

	if (n != 2)
		return fail(err, errlen, "usage: why PID ADDR");
	r = parse_pid(args[0], req, err, errlen);
	if (r < 0)
		return r;
	if (!parse_addr(args[1], &req->addr))
		return fail(err, errlen, "bad address '%.*s%s'", QUOTE(args[1]));
	return 0;
}

static bool has_dotdot(struct word w)
{
	for (size_t i = 0, j; i < w.len; i = j + 1) {
		for (j = i; j < w.len && w.s[j] != '/'; j++)
			;
		if (j - i == 2 && w.s[i] == '.' && w.s[i + 1] == '.')
			return true;
	}
	return false;
}

/* Absolute, shorter than TD_PROTO_CGROUP_MAX, no ".." component. */
static int parse_cgroup(struct word w, struct td_request *req, char *err, size_t errlen)
{
	if (w.s[0] != '/')
		return fail(err, errlen, "cgroup '%.*s%s' is not an absolute path", QUOTE(w));
	if (w.len >= TD_PROTO_CGROUP_MAX)
		return fail(err, errlen, "cgroup path too long");
	if (has_dotdot(w))
		return fail(err, errlen, "'..' in cgroup path");
	memcpy(req->cgroup, w.s, w.len);
	req->cgroup[w.len] = '\0';
	req->has_cgroup = true;
	return 0;
}

static int parse_pause(const struct word *args, size_t n, struct td_request *req,
		       char *err, size_t errlen)
{
	if (n > 1)
		return fail(err, errlen, "usage: %s [CGROUP]", td_proto_verb_name(req->verb));
	return n ? parse_cgroup(args[0], req, err, errlen) : 0;
}

typedef int (*parse_args_fn)(const struct word *args, size_t n, struct td_request *req,
			     char *err, size_t errlen);

static const struct {
	const char *name;
	parse_args_fn parse;
	bool mutating;
} verbs[_TD_VERB_MAX] = {
	[TD_VERB_STATUS] = { "status", parse_none, false },
	[TD_VERB_STATS] = { "stats", parse_none, false },
	[TD_VERB_CGROUPS] = { "cgroups", parse_none, false },
	[TD_VERB_TOP] = { "top", parse_top, false },
	[TD_VERB_WHY] = { "why", parse_why, false },
	[TD_VERB_RELOAD] = { "reload", parse_none, true },
	[TD_VERB_PAUSE] = { "pause", parse_pause, true },
	[TD_VERB_RESUME] = { "resume", parse_pause, true },
};

const char *td_proto_verb_name(enum td_verb verb)
{
	return (unsigned)verb < _TD_VERB_MAX ? verbs[verb].name : NULL;
}

bool td_proto_verb_mutating(enum td_verb verb)
{
	return (unsigned)verb < _TD_VERB_MAX && verbs[verb].mutating;
}

static int find_verb(struct word w, enum td_verb *ret)
{
	for (unsigned v = 0; v < _TD_VERB_MAX; v++)
		if (word_is(w, verbs[v].name)) {
			*ret = v;
			return 0;
		}
	return -ENOENT;
}

int td_proto_parse_request(const char *buf, size_t len, struct td_request *ret,
			   char *err, size_t errlen)
{
	struct td_request req = {};
	struct word w[MAX_WORDS];
	size_t n = 0;
	int r;

	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > TD_PROTO_MAX_REQUEST - 1)
		return fail(err, errlen, "request too long");
	r = check_bytes(buf, len, err, errlen);
	if (r < 0)
		return r;
	r = split(buf, len, w, &n, err, errlen);
	if (r < 0)
		return r;
	if (find_verb(w[0], &req.verb) < 0)
		return fail(err, errlen, "unknown verb '%.*s%s'", QUOTE(w[0]));
	r = verbs[req.verb].parse(w + 1, n - 1, &req, err, errlen);
	if (r < 0)
		return r;
	*ret = req;
	return 0;
}

/* Joins @argv with single spaces into @line (TD_PROTO_MAX_REQUEST bytes). */
static int join(int argc, char **argv, char *line, size_t *ret_len, char *err, size_t errlen)
{
	size_t len = 0;

	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (n == 0)
			return fail(err, errlen, "empty argument");
		if (strchr(argv[i], '\n'))
			return fail(err, errlen, "newline in argument");
		if (strpbrk(argv[i], " \t"))
			return fail(err, errlen, "blank in argument '%.*s%s'",
				    QUOTE(((struct word) { argv[i], n })));
		if (n + (i > 0) > TD_PROTO_MAX_REQUEST - 1 - len)
			return fail(err, errlen, "request too long");
		if (i > 0)
			line[len++] = ' ';
		memcpy(line + len, argv[i], n);
		len += n;
	}
	*ret_len = len;
	return 0;
}

int td_proto_format_request(int argc, char **argv, char *buf, size_t size,
			    char *err, size_t errlen)
{
	char line[TD_PROTO_MAX_REQUEST + 1];
	struct td_request req;
	size_t len = 0;
	int r;

	if (argc < 1)
		return fail(err, errlen, "missing verb");
	r = join(argc, argv, line, &len, err, errlen);
	if (r < 0)
		return r;
	r = td_proto_parse_request(line, len, &req, err, errlen);
	if (r < 0)
		return r;
	if (size < len + 2)
		return -ENOBUFS;
	memcpy(buf, line, len);
	buf[len++] = '\n';
	buf[len] = '\0';
	return len;
}

int td_proto_request_line(const struct td_request *req, char *buf, size_t size)
{
	const char *verb = td_proto_verb_name(req->verb);
	int n;

	if (!verb)
		return -EINVAL;
	if (req->verb == TD_VERB_TOP && req->has_pid)
		n = snprintf(buf, size, "top -n %" PRIu32 " --pid %" PRIu32 "\n",
			     req->top_n, req->pid);
	else if (req->verb == TD_VERB_TOP)
		n = snprintf(buf, size, "top -n %" PRIu32 "\n", req->top_n);
	else if (req->verb == TD_VERB_WHY)
		n = snprintf(buf, size, "why %" PRIu32 " 0x%" PRIx64 "\n", req->pid, req->addr);
	else if (verbs[req->verb].parse == parse_pause && req->has_cgroup)
		n = snprintf(buf, size, "%s %.*s\n", verb, TD_PROTO_CGROUP_MAX, req->cgroup);
	else
		n = snprintf(buf, size, "%s\n", verb);
	if (n < 0)
		return -EINVAL;
	return (size_t)n < size ? n : -ENOBUFS;
}

bool td_proto_request_equal(const struct td_request *a, const struct td_request *b)
{
	if (a->verb != b->verb)
		return false;
	switch (a->verb) {
	case TD_VERB_TOP:
		return a->top_n == b->top_n && a->has_pid == b->has_pid &&
			(!a->has_pid || a->pid == b->pid);
	case TD_VERB_WHY:
		return a->pid == b->pid && a->addr == b->addr;
	case TD_VERB_PAUSE:
	case TD_VERB_RESUME:
		return a->has_cgroup == b->has_cgroup &&
			(!a->has_cgroup || !strncmp(a->cgroup, b->cgroup, TD_PROTO_CGROUP_MAX));
	default:
		return true;
	}
}
