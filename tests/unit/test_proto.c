// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *line;
	struct td_request want;
} valid[] = {
	{ "status\n", { .verb = TD_VERB_STATUS } },
	{ "status", { .verb = TD_VERB_STATUS } },
	{ "  \tstatus \t \n", { .verb = TD_VERB_STATUS } },
	{ "stats\n", { .verb = TD_VERB_STATS } },
	{ "cgroups\n", { .verb = TD_VERB_CGROUPS } },
	{ "reload\n", { .verb = TD_VERB_RELOAD } },
	{ "top\n", { .verb = TD_VERB_TOP, .top_n = 20 } },
	{ "top -n 5\n", { .verb = TD_VERB_TOP, .top_n = 5 } },
	{ "top\t-n\t1", { .verb = TD_VERB_TOP, .top_n = 1 } },
	{ "top -n 10000", { .verb = TD_VERB_TOP, .top_n = 10000 } },
	{ "top -n 007", { .verb = TD_VERB_TOP, .top_n = 7 } },
	{ "top --pid 42", { .verb = TD_VERB_TOP, .top_n = 20, .has_pid = true, .pid = 42 } },
	{ "top --pid 3   -n 9\n", { .verb = TD_VERB_TOP, .top_n = 9, .has_pid = true, .pid = 3 } },
	{ "top -n 9 --pid 2147483647", { .verb = TD_VERB_TOP, .top_n = 9, .has_pid = true, .pid = 2147483647 } },
	{ "why 1 0x7f0000001234\n", { .verb = TD_VERB_WHY, .has_pid = true, .pid = 1, .addr = 0x7f0000001234 } },
	{ "why 1 0X7F00000012AB", { .verb = TD_VERB_WHY, .has_pid = true, .pid = 1, .addr = 0x7f00000012ab } },
	{ "why 77 4096", { .verb = TD_VERB_WHY, .has_pid = true, .pid = 77, .addr = 4096 } },
	{ "why 77 0", { .verb = TD_VERB_WHY, .has_pid = true, .pid = 77, .addr = 0 } },
	{ "why 77 0x0", { .verb = TD_VERB_WHY, .has_pid = true, .pid = 77, .addr = 0 } },
	{ "why 5 0xffffffffffffffff", { .verb = TD_VERB_WHY, .has_pid = true, .pid = 5, .addr = UINT64_MAX } },
	{ "why 5 0x0000000000000000001", { .verb = TD_VERB_WHY, .has_pid = true, .pid = 5, .addr = 1 } },
	{ "why 5 18446744073709551615", { .verb = TD_VERB_WHY, .has_pid = true, .pid = 5, .addr = UINT64_MAX } },
	{ "pause\n", { .verb = TD_VERB_PAUSE } },
	{ "resume", { .verb = TD_VERB_RESUME } },
	{ "pause /\n", { .verb = TD_VERB_PAUSE, .has_cgroup = true, .cgroup = "/" } },
	{ "pause /a/b.slice", { .verb = TD_VERB_PAUSE, .has_cgroup = true, .cgroup = "/a/b.slice" } },
	{ "resume /a..b/.../.x", { .verb = TD_VERB_RESUME, .has_cgroup = true, .cgroup = "/a..b/.../.x" } },
	{ "resume /a//b/", { .verb = TD_VERB_RESUME, .has_cgroup = true, .cgroup = "/a//b/" } },
};

static void assert_request_equal(const struct td_request *a, const struct td_request *b)
{
	assert_int_equal(a->verb, b->verb);
	assert_int_equal(a->top_n, b->top_n);
	assert_int_equal(a->has_pid, b->has_pid);
	assert_int_equal(a->pid, b->pid);
	assert_true(a->addr == b->addr);
	assert_int_equal(a->has_cgroup, b->has_cgroup);
	assert_string_equal(a->cgroup, b->cgroup);
	assert_true(td_proto_request_equal(a, b));
}

static void test_parse_valid(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(valid); i++) {
		struct td_request req;
		char err[128] = "";

		if (td_proto_parse_request(valid[i].line, strlen(valid[i].line), &req, err, sizeof(err)))
			fail_msg("'%s' refused: %s", valid[i].line, err);
		assert_request_equal(&req, &valid[i].want);
	}
}

static const struct {
	const char *line;
	size_t len;		/* 0: strlen */
	const char *err;
} invalid[] = {
	{ "", 0, "empty request" },
	{ "\n", 0, "empty request" },
	{ " \t \n", 0, "empty request" },
	{ "foo\n", 0, "unknown verb 'foo'" },
	{ "STATUS", 0, "unknown verb 'STATUS'" },
	{ "status2", 0, "unknown verb 'status2'" },
	{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 0,
	  "unknown verb 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'" },
	{ "status x", 0, "'status' takes no arguments" },
	{ "stats x", 0, "'stats' takes no arguments" },
	{ "cgroups x", 0, "'cgroups' takes no arguments" },
	{ "reload now", 0, "'reload' takes no arguments" },
	{ "top -n", 0, "-n needs a value" },
	{ "top --pid", 0, "--pid needs a value" },
	{ "top -n 0", 0, "bad count '0' (1..10000)" },
	{ "top -n 10001", 0, "bad count '10001' (1..10000)" },
	{ "top -n -1", 0, "bad count '-1' (1..10000)" },
	{ "top -n +1", 0, "bad count '+1' (1..10000)" },
	{ "top -n 99999999999999999999999", 0, "bad count '99999999999999999999999' (1..10000)" },
	{ "top -n 5 -n 6", 0, "-n given twice" },
	{ "top --pid 1 --pid 2", 0, "--pid given twice" },
	{ "top --pid 0", 0, "bad PID '0'" },
	{ "top --pid x", 0, "bad PID 'x'" },
	{ "top -x", 0, "unknown option '-x' for top" },
	{ "top -n5", 0, "unknown option '-n5' for top" },
	{ "top 5", 0, "unknown option '5' for top" },
	{ "top -n 1 --pid 2 -n", 0, "-n needs a value" },
	{ "top -n 1 --pid 2 x y z w", 0, "too many arguments" },
	{ "why", 0, "usage: why PID ADDR" },
	{ "why 1", 0, "usage: why PID ADDR" },
	{ "why 1 2 3", 0, "usage: why PID ADDR" },
	{ "why 0 0x1000", 0, "bad PID '0'" },
	{ "why -1 0x1000", 0, "bad PID '-1'" },
	{ "why 2147483648 0x1000", 0, "bad PID '2147483648'" },
	{ "why 0x10 0x1000", 0, "bad PID '0x10'" },
	{ "why 1 0x", 0, "bad address '0x'" },
	{ "why 1 0xg", 0, "bad address '0xg'" },
	{ "why 1 x10", 0, "bad address 'x10'" },
	{ "why 1 -5", 0, "bad address '-5'" },
	{ "why 1 0x10000000000000000", 0, "bad address '0x10000000000000000'" },
	{ "why 1 18446744073709551616", 0, "bad address '18446744073709551616'" },
	{ "pause a/b", 0, "cgroup 'a/b' is not an absolute path" },
	{ "pause /a/../b", 0, "'..' in cgroup path" },
	{ "resume /..", 0, "'..' in cgroup path" },
	{ "resume /a/..", 0, "'..' in cgroup path" },
	{ "pause /a /b", 0, "usage: pause [CGROUP]" },
	{ "resume /a /b", 0, "usage: resume [CGROUP]" },
	{ "status\r\n", 0, "control character in request" },
	{ "sta\x01tus", 0, "control character in request" },
	{ "status\x7f", 0, "control character in request" },
	{ "status\n\n", 0, "more than one line in request" },
	{ "status\nstatus\n", 0, "more than one line in request" },
	{ "status\0x\n", 9, "NUL byte in request" },
	{ "status\0", 7, "NUL byte in request" },
	{ "pause /caf\xc3\xa9", 0, "non-ASCII byte in request" },
	{ "status\xa0", 0, "non-ASCII byte in request" },
};

static void test_parse_invalid(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(invalid); i++) {
		size_t len = invalid[i].len ? invalid[i].len : strlen(invalid[i].line);
		struct td_request req = { .verb = TD_VERB_RELOAD, .top_n = 3 };
		char err[128] = "";

		assert_int_equal(td_proto_parse_request(invalid[i].line, len, &req, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, invalid[i].err);
		assert_int_equal(req.verb, TD_VERB_RELOAD);	/* untouched */
		assert_int_equal(req.top_n, 3);
		/* err may be NULL or tiny */
		assert_int_equal(td_proto_parse_request(invalid[i].line, len, &req, NULL, 0), -EINVAL);
		assert_int_equal(td_proto_parse_request(invalid[i].line, len, &req, err, 4), -EINVAL);
		assert_int_equal(strlen(err), 3);
	}
}

/* "top" padded with blanks to @len bytes, then @nl. */
static char *padded(size_t len, const char *nl)
{
	char *s = malloc(len + strlen(nl) + 1);

	memset(s, ' ', len);
	memcpy(s, "top", 3);
	strcpy(s + len, nl);
	return s;
}

static void test_parse_length(void **state)
{
	static const struct {
		size_t len;
		const char *nl;
		int r;
	} cases[] = {
		{ TD_PROTO_MAX_REQUEST - 1, "\n", 0 },
		{ TD_PROTO_MAX_REQUEST - 1, "", 0 },
		{ TD_PROTO_MAX_REQUEST, "", -EINVAL },
		{ TD_PROTO_MAX_REQUEST, "\n", -EINVAL },
		{ 1 << 20, "\n", -EINVAL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *s = padded(cases[i].len, cases[i].nl);
		struct td_request req;
		char err[64] = "";

		assert_int_equal(td_proto_parse_request(s, strlen(s), &req, err, sizeof(err)), cases[i].r);
		if (cases[i].r)
			assert_string_equal(err, "request too long");
		else
			assert_int_equal(req.verb, TD_VERB_TOP);
		free(s);
	}
}

static void test_parse_cgroup_length(void **state)
{
	char line[TD_PROTO_CGROUP_MAX + 16], err[64];
	struct td_request req;

	strcpy(line, "pause /");
	memset(line + 7, 'a', TD_PROTO_CGROUP_MAX - 2);		/* 511 bytes */
	line[7 + TD_PROTO_CGROUP_MAX - 2] = '\0';
	assert_int_equal(td_proto_parse_request(line, strlen(line), &req, err, sizeof(err)), 0);
	assert_int_equal(strlen(req.cgroup), TD_PROTO_CGROUP_MAX - 1);
	strcat(line, "a");					/* 512 */
	assert_int_equal(td_proto_parse_request(line, strlen(line), &req, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "cgroup path too long");
}

/* Only @len bytes are read: the buffer need not end in NUL or newline. */
static void test_parse_unterminated(void **state)
{
	char buf[] = { 'w', 'h', 'y', ' ', '1', ' ', '2', '3', '4', 'X' };
	struct td_request req;

	assert_int_equal(td_proto_parse_request(buf, 9, &req, NULL, 0), 0);
	assert_int_equal(req.verb, TD_VERB_WHY);
	assert_true(req.addr == 234);
}

static void test_verbs(void **state)
{
	static const struct {
		enum td_verb verb;
		const char *name;
		bool mutating;
	} cases[] = {
		{ TD_VERB_STATUS, "status", false }, { TD_VERB_STATS, "stats", false },
		{ TD_VERB_CGROUPS, "cgroups", false }, { TD_VERB_TOP, "top", false },
		{ TD_VERB_WHY, "why", false }, { TD_VERB_RELOAD, "reload", true },
		{ TD_VERB_PAUSE, "pause", true }, { TD_VERB_RESUME, "resume", true },
	};

	assert_int_equal(ARRAY_SIZE(cases), _TD_VERB_MAX);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_string_equal(td_proto_verb_name(cases[i].verb), cases[i].name);
		assert_int_equal(td_proto_verb_mutating(cases[i].verb), cases[i].mutating);
	}
	assert_null(td_proto_verb_name(_TD_VERB_MAX));
	assert_null(td_proto_verb_name((enum td_verb)-1));
	assert_false(td_proto_verb_mutating(_TD_VERB_MAX));
}

/* The canonical line parses back to the same request. */
static void test_request_line_roundtrip(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(valid); i++) {
		char line[TD_PROTO_MAX_REQUEST + 1];
		struct td_request again;
		int n = td_proto_request_line(&valid[i].want, line, sizeof(line));

		assert_true(n > 0);
		assert_int_equal(n, strlen(line));
		assert_int_equal(line[n - 1], '\n');
		assert_int_equal(td_proto_parse_request(line, n, &again, NULL, 0), 0);
		assert_request_equal(&again, &valid[i].want);
	}
}

static void test_request_line(void **state)
{
	struct td_request top = { .verb = TD_VERB_TOP, .top_n = 20, .has_pid = true, .pid = 9 };
	struct td_request why = { .verb = TD_VERB_WHY, .pid = 9, .addr = 0x7fab };
	struct td_request bad = { .verb = _TD_VERB_MAX };
	char buf[64];

	assert_int_equal(td_proto_request_line(&top, buf, sizeof(buf)), 18);
	assert_string_equal(buf, "top -n 20 --pid 9\n");
	assert_int_equal(td_proto_request_line(&why, buf, sizeof(buf)), 13);
	assert_string_equal(buf, "why 9 0x7fab\n");
	assert_int_equal(td_proto_request_line(&why, buf, 13), -ENOBUFS);
	assert_int_equal(td_proto_request_line(&why, buf, 14), 13);
	assert_int_equal(td_proto_request_line(&bad, buf, sizeof(buf)), -EINVAL);
}

static void test_request_equal(void **state)
{
	struct td_request a = { .verb = TD_VERB_PAUSE, .has_cgroup = true, .cgroup = "/a" };
	struct td_request b = a;

	assert_true(td_proto_request_equal(&a, &b));
	strcpy(b.cgroup, "/b");
	assert_false(td_proto_request_equal(&a, &b));
	b.has_cgroup = false;
	assert_false(td_proto_request_equal(&a, &b));
	a.has_cgroup = false;
	assert_true(td_proto_request_equal(&a, &b));		/* cgroup unused */
	b.verb = TD_VERB_RESUME;
	assert_false(td_proto_request_equal(&a, &b));
	a = (struct td_request) { .verb = TD_VERB_WHY, .pid = 1, .addr = 2 };
	b = a;
	b.addr = 3;
	assert_false(td_proto_request_equal(&a, &b));
	a = (struct td_request) { .verb = TD_VERB_TOP, .top_n = 1 };
	b = a;
	b.pid = 5;						/* no --pid: ignored */
	assert_true(td_proto_request_equal(&a, &b));
	b.has_pid = true;
	assert_false(td_proto_request_equal(&a, &b));
}

static const struct {
	int argc;
	char *argv[6];
	int r;
	const char *out;	/* the line, or the error */
} formats[] = {
	{ 1, { "status" }, 7, "status\n" },
	{ 3, { "top", "-n", "5" }, 9, "top -n 5\n" },
	{ 5, { "top", "--pid", "1", "-n", "2" }, 17, "top --pid 1 -n 2\n" },
	{ 3, { "why", "12", "0x7f00" }, 14, "why 12 0x7f00\n" },
	{ 2, { "pause", "/a/b" }, 11, "pause /a/b\n" },
	{ 1, { "resume" }, 7, "resume\n" },
	{ 0, {}, -EINVAL, "missing verb" },
	{ 1, { "bogus" }, -EINVAL, "unknown verb 'bogus'" },
	{ 2, { "status", "x" }, -EINVAL, "'status' takes no arguments" },
	{ 2, { "top", "-n 5" }, -EINVAL, "blank in argument '-n 5'" },
	{ 2, { "pause", "/a\tb" }, -EINVAL, "blank in argument '/a\tb'" },
	{ 2, { "pause", "" }, -EINVAL, "empty argument" },
	{ 1, { "" }, -EINVAL, "empty argument" },
	{ 2, { "pause", "/a\nstatus" }, -EINVAL, "newline in argument" },
	{ 1, { "status\n" }, -EINVAL, "newline in argument" },
	{ 2, { "pause", "/a\r" }, -EINVAL, "control character in request" },
	{ 2, { "pause", "rel" }, -EINVAL, "cgroup 'rel' is not an absolute path" },
	{ 3, { "why", "1", "0xzz" }, -EINVAL, "bad address '0xzz'" },
	{ 3, { "top", "-n", "0" }, -EINVAL, "bad count '0' (1..10000)" },
};

static void test_format_request(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
		char buf[TD_PROTO_MAX_REQUEST + 1], err[128] = "";
		int r = td_proto_format_request(formats[i].argc, (char **)formats[i].argv,
						buf, sizeof(buf), err, sizeof(err));

		assert_int_equal(r, formats[i].r);
		assert_string_equal(r > 0 ? buf : err, formats[i].out);
	}
}

static void test_format_request_limits(void **state)
{
	char buf[TD_PROTO_MAX_REQUEST + 1], err[64], big[TD_PROTO_MAX_REQUEST + 8];
	char *argv[] = { "status", big };

	assert_int_equal(td_proto_format_request(1, argv, buf, 7, err, sizeof(err)), -ENOBUFS);
	assert_int_equal(td_proto_format_request(1, argv, buf, 8, err, sizeof(err)), 7);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(td_proto_format_request(2, argv, buf, sizeof(buf), err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "request too long");
	/* exactly at the limit the parser decides: 4095 bytes is one too many args */
	big[TD_PROTO_MAX_REQUEST - 1 - 7] = '\0';
	assert_int_equal(td_proto_format_request(2, argv, buf, sizeof(buf), err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'status' takes no arguments");
	big[TD_PROTO_MAX_REQUEST - 1 - 7] = 'a';
	big[TD_PROTO_MAX_REQUEST - 7] = '\0';
	assert_int_equal(td_proto_format_request(2, argv, buf, sizeof(buf), err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "request too long");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_parse_length),
		cmocka_unit_test(test_parse_cgroup_length),
		cmocka_unit_test(test_parse_unterminated),
		cmocka_unit_test(test_verbs),
		cmocka_unit_test(test_request_line_roundtrip),
		cmocka_unit_test(test_request_line),
		cmocka_unit_test(test_request_equal),
		cmocka_unit_test(test_format_request),
		cmocka_unit_test(test_format_request_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
