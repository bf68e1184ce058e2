// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Takes the text, checks it against @want, frees it. */
static void assert_taken(struct td_json *j, const char *want)
{
	size_t len;
	char *s = td_json_take(j, &len);

	assert_non_null(s);
	assert_string_equal(s, want);
	assert_int_equal(len, strlen(want));
	free(s);
}

/* ---------------------------------------------------------------- writer */

static void test_write_nesting(void **state)
{
	struct td_json j;

	td_json_init(&j);
	td_json_begin_object(&j);
	td_json_field_u64(&j, "a", 1);
	td_json_key(&j, "b");
	td_json_begin_array(&j);
	td_json_begin_array(&j);
	td_json_end_array(&j);
	td_json_begin_object(&j);
	td_json_end_object(&j);
	td_json_null(&j);
	td_json_bool(&j, true);
	td_json_begin_object(&j);
	td_json_field_bool(&j, "x", false);
	td_json_field_string(&j, "y", NULL);
	td_json_end_object(&j);
	td_json_end_array(&j);
	td_json_field_i64(&j, "c", -5);
	td_json_field_double(&j, "d", 0.5);
	td_json_end_object(&j);
	assert_int_equal(td_json_error(&j), 0);
	assert_taken(&j, "{\"a\":1,\"b\":[[],{},null,true,{\"x\":false,\"y\":null}],\"c\":-5,\"d\":0.5}");
	/* the writer is empty and usable again */
	td_json_begin_array(&j);
	td_json_u64(&j, 7);
	td_json_u64(&j, 8);
	td_json_end_array(&j);
	assert_taken(&j, "[7,8]");
	td_json_fini(&j);
	td_json_fini(NULL);
}

static const struct {
	const char *in;
	size_t len;
	const char *out;
} escapes[] = {
	{ "", 0, "\"\"" },
	{ "plain text/slash", 16, "\"plain text/slash\"" },
	{ "q\"b\\", 4, "\"q\\\"b\\\\\"" },
	{ "\n\t\r\b\f", 5, "\"\\u000a\\u0009\\u000d\\u0008\\u000c\"" },
	{ "\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"" },
	{ "a\0b", 3, "\"a\\u0000b\"" },
	{ "caf\xc3\xa9 \xff\x80", 8, "\"caf\xc3\xa9 \xff\x80\"" },
};

static void test_write_escaping(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(escapes); i++) {
		struct td_json j;

		td_json_init(&j);
		td_json_string_len(&j, escapes[i].in, escapes[i].len);
		assert_taken(&j, escapes[i].out);
		td_json_fini(&j);
	}
}

/* Keys are escaped like strings. */
static void test_write_key_escaping(void **state)
{
	struct td_json j;

	td_json_init(&j);
	td_json_begin_object(&j);
	td_json_field_u64(&j, "a\"\n", 1);
	td_json_end_object(&j);
	assert_taken(&j, "{\"a\\\"\\u000a\":1}");
	td_json_fini(&j);
}

static const struct {
	double v;
	const char *out;
} doubles[] = {
	{ 0, "0" }, { 0.1, "0.1" }, { 12.5, "12.5" }, { -3, "-3" },
	{ 1e300, "1e+300" }, { 1.0 / 3, "0.33333333333333331" },
	{ NAN, "null" }, { INFINITY, "null" }, { -INFINITY, "null" },
};

static void test_write_numbers(void **state)
{
	struct td_json j;

	td_json_init(&j);
	td_json_begin_array(&j);
	td_json_u64(&j, 0);
	td_json_u64(&j, UINT64_MAX);
	td_json_i64(&j, INT64_MIN);
	td_json_i64(&j, INT64_MAX);
	td_json_end_array(&j);
	assert_taken(&j, "[0,18446744073709551615,-9223372036854775808,9223372036854775807]");
	for (size_t i = 0; i < ARRAY_SIZE(doubles); i++) {
		td_json_double(&j, doubles[i].v);
		assert_taken(&j, doubles[i].out);
	}
	td_json_fini(&j);
}

enum misuse {
	KEY_AT_TOP, KEY_IN_ARRAY, VALUE_WITHOUT_KEY, TWO_KEYS, END_WRONG,
	END_AT_TOP, END_AFTER_KEY, UNCLOSED, KEY_PENDING, TOO_DEEP, KEY_NULL,
};

static void misuse(struct td_json *j, enum misuse m)
{
	switch (m) {
	case KEY_AT_TOP:
		td_json_key(j, "a");
		break;
	case KEY_IN_ARRAY:
		td_json_begin_array(j);
		td_json_key(j, "a");
		break;
	case VALUE_WITHOUT_KEY:
		td_json_begin_object(j);
		td_json_u64(j, 1);
		break;
	case TWO_KEYS:
		td_json_begin_object(j);
		td_json_key(j, "a");
		td_json_key(j, "b");
		break;
	case END_WRONG:
		td_json_begin_object(j);
		td_json_end_array(j);
		break;
	case END_AT_TOP:
		td_json_end_object(j);
		break;
	case END_AFTER_KEY:
		td_json_begin_object(j);
		td_json_key(j, "a");
		td_json_end_object(j);
		break;
	case UNCLOSED:
		td_json_begin_array(j);
		break;
	case KEY_PENDING:
		td_json_begin_object(j);
		td_json_key(j, "a");
		break;
	case TOO_DEEP:
		for (int i = 0; i <= TD_JSON_WRITE_MAX_DEPTH; i++)
			td_json_begin_array(j);
		break;
	case KEY_NULL:
		td_json_begin_object(j);
		td_json_key(j, NULL);
		break;
	}
}

static void test_write_misuse(void **state)
{
	for (enum misuse m = KEY_AT_TOP; m <= KEY_NULL; m++) {
		struct td_json j;

		td_json_init(&j);
		misuse(&j, m);
		td_json_u64(&j, 1);		/* a no-op once in error */
		assert_null(td_json_take(&j, NULL));
		assert_int_equal(td_json_error(&j), -EINVAL);
		td_json_fini(&j);
	}
}

static void test_write_depth_max(void **state)
{
	struct td_json j;
	char want[2 * TD_JSON_WRITE_MAX_DEPTH + 1];

	td_json_init(&j);
	for (int i = 0; i < TD_JSON_WRITE_MAX_DEPTH; i++)
		td_json_begin_array(&j);
	for (int i = 0; i < TD_JSON_WRITE_MAX_DEPTH; i++)
		td_json_end_array(&j);
	memset(want, '[', TD_JSON_WRITE_MAX_DEPTH);
	memset(want + TD_JSON_WRITE_MAX_DEPTH, ']', TD_JSON_WRITE_MAX_DEPTH);
	want[2 * TD_JSON_WRITE_MAX_DEPTH] = '\0';
	assert_taken(&j, want);
	td_json_fini(&j);
}

/* An allocation that cannot succeed sets -ENOMEM, and it sticks. */
static void test_write_enomem(void **state)
{
	struct td_json j;

	td_json_init(&j);
	td_json_begin_array(&j);
	td_json_raw(&j, "x", SIZE_MAX / 2);
	assert_int_equal(td_json_error(&j), -ENOMEM);
	td_json_end_array(&j);
	assert_null(td_json_take(&j, NULL));
	assert_int_equal(td_json_error(&j), -ENOMEM);
	td_json_fini(&j);
	assert_int_equal(td_json_error(&j), 0);
}

static void test_write_empty_take(void **state)
{
	struct td_json j;

	td_json_init(&j);
	assert_taken(&j, "");
	td_json_raw(&j, "\n", 1);
	assert_taken(&j, "\n");
	td_json_fini(&j);
}

/* Growth across many reallocations; every byte value survives a round trip. */
static void test_write_read_roundtrip(void **state)
{
	struct td_json_doc *d;
	const struct td_json_node *n;
	struct td_json j;
	char all[255];
	size_t len, count = 0;
	char *s;

	for (int i = 0; i < 255; i++)
		all[i] = i + 1;
	td_json_init(&j);
	td_json_begin_array(&j);
	for (int i = 0; i < 1000; i++)
		td_json_string_len(&j, all, sizeof(all));
	td_json_end_array(&j);
	s = td_json_take(&j, &len);
	assert_non_null(s);
	assert_int_equal(td_json_parse(s, len, &d), 0);
	for (n = td_json_first(td_json_root(d)); n; n = td_json_next(n)) {
		const char *v = td_json_as_str(n, &len);

		assert_int_equal(len, sizeof(all));
		assert_memory_equal(v, all, sizeof(all));
		count++;
	}
	assert_int_equal(count, 1000);
	td_json_doc_free(d);
	free(s);
	td_json_fini(&j);
}

/* ---------------------------------------------------------------- reader */

static const char *const valid_docs[] = {
	"{}", "[]", "0", "-0", "1.5e10", "-2.5E-3", "1E+2", "\"\"", " true ", "false",
	"null", "\t\r\n[ 1 , [ 2 , [ ] ] ]\n", "{\"a\":{\"b\":[{}]},\"c\":\"\\u00e9\"}",
	"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\ud83d\\ude00\"", "\"\xff\xfe raw bytes\"",
	"{\"\":0}", "[null,true,false,\"x\",1,{},[]]", "123456789012345678901234567890",
};

static void test_read_valid(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(valid_docs); i++) {
		struct td_json_doc *d = NULL;

		assert_int_equal(td_json_parse(valid_docs[i], strlen(valid_docs[i]), &d), 0);
		assert_non_null(td_json_root(d));
		assert_null(td_json_next(td_json_root(d)));
		td_json_doc_free(d);
	}
	td_json_doc_free(NULL);
}

static const char *const invalid_docs[] = {
	"", " ", "{", "}", "[", "]", "[1,]", "{\"a\":1,}", "[1 2]", "[,]", "{,}", "[,1]",
	"01", "1.", ".5", "-", "+1", "1e", "1e+", "--1", "0x10", "Infinity", "NaN",
	"tru", "truex", "nul", "nulll", "fals", "'a'", "[1]]", "[1] x", "{} {}",
	"\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "\"\\ud800\"", "\"\\ud800\\u0041\"",
	"\"\\udc00\"", "\"\\ud800x\"", "\"a\nb\"", "\"\x1f\"", "\"\\",
	"{1:2}", "{\"a\" 1}", "{\"a\":}", "{\"a\"}", "{\"a\":1 \"b\":2}", "{\"a\";1}",
	"[1:2]", "{null:1}", "\xef\xbb\xbf{}",
};

static void test_read_invalid(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(invalid_docs); i++) {
		struct td_json_doc *d = (struct td_json_doc *)&d;	/* untouched on error */

		if (td_json_parse(invalid_docs[i], strlen(invalid_docs[i]), &d) != -EINVAL)
			fail_msg("accepted: %s", invalid_docs[i]);
		assert_ptr_equal(d, &d);
	}
}

/* NUL outside a string is malformed; inside only as \u0000. */
static void test_read_nul(void **state)
{
	struct td_json_doc *d;
	size_t len;

	assert_int_equal(td_json_parse("[1\0]", 4, &d), -EINVAL);
	assert_int_equal(td_json_parse("\"a\0\"", 4, &d), -EINVAL);
	assert_int_equal(td_json_parse("[1]\0", 4, &d), -EINVAL);
	/* the length is honoured, not a NUL: "[1]x" cut at 3 */
	assert_int_equal(td_json_parse("[1]x", 3, &d), 0);
	td_json_doc_free(d);
	assert_int_equal(td_json_parse("\"a\\u0000b\"", 10, &d), 0);
	assert_memory_equal(td_json_as_str(td_json_root(d), &len), "a\0b", 4);
	assert_int_equal(len, 3);
	td_json_doc_free(d);
}

static char *nested(char open, char close, int depth)
{
	char *s = malloc(2 * depth + 1);

	memset(s, open, depth);
	memset(s + depth, close, depth);
	s[2 * depth] = '\0';
	return s;
}

static void test_read_depth(void **state)
{
	struct td_json_doc *d;
	char *s;

	s = nested('[', ']', TD_JSON_MAX_DEPTH);
	assert_int_equal(td_json_parse(s, strlen(s), &d), 0);
	td_json_doc_free(d);
	free(s);
	s = nested('[', ']', TD_JSON_MAX_DEPTH + 1);
	assert_int_equal(td_json_parse(s, strlen(s), &d), -EINVAL);
	free(s);
	/* far too deep, and unclosed: refused without recursion */
	s = nested('[', '[', 100000);
	assert_int_equal(td_json_parse(s, strlen(s), &d), -EINVAL);
	free(s);
	s = malloc(8 * TD_JSON_MAX_DEPTH + 8);
	s[0] = '\0';
	for (int i = 0; i < TD_JSON_MAX_DEPTH; i++)
		strcat(s, "{\"a\":");
	strcat(s, "1");
	for (int i = 0; i < TD_JSON_MAX_DEPTH; i++)
		strcat(s, "}");
	assert_int_equal(td_json_parse(s, strlen(s), &d), 0);
	td_json_doc_free(d);
	free(s);
}

static const char reply[] =
	"{\"version\":1,\"ok\":true,\"cgroups\":[{\"path\":\"/a\",\"n\":1},{\"path\":\"/b\"}],"
	"\"empty\":[],\"dup\":1,\"dup\":2,\"s\":\"x\\ty\",\"t\":true,\"nil\":null}";

static void test_read_lookup(void **state)
{
	const struct td_json_node *root, *cg, *n;
	struct td_json_doc *d;
	size_t len;
	bool b;

	assert_int_equal(td_json_parse(reply, strlen(reply), &d), 0);
	root = td_json_root(d);
	assert_int_equal(td_json_type(root), TD_JSON_OBJECT);
	assert_int_equal(td_json_count(root), 9);
	cg = td_json_get(root, "cgroups");
	assert_int_equal(td_json_type(cg), TD_JSON_ARRAY);
	assert_int_equal(td_json_count(cg), 2);
	n = td_json_first(cg);
	assert_string_equal(td_json_as_str(td_json_get(n, "path"), NULL), "/a");
	n = td_json_next(n);
	assert_string_equal(td_json_as_str(td_json_get(n, "path"), NULL), "/b");
	assert_null(td_json_get(n, "n"));
	assert_null(td_json_next(n));
	assert_null(td_json_first(td_json_get(root, "empty")));
	assert_int_equal(td_json_count(td_json_get(root, "empty")), 0);
	assert_non_null(td_json_span(cg, &len));
	assert_int_equal(len, strlen("[{\"path\":\"/a\",\"n\":1},{\"path\":\"/b\"}]"));
	assert_memory_equal(td_json_span(cg, NULL), "[{\"path\":\"/a\",\"n\":1},{\"path\":\"/b\"}]", len);
	assert_string_equal(td_json_as_str(td_json_get(root, "s"), &len), "x\ty");
	assert_int_equal(len, 3);
	assert_int_equal(td_json_as_bool(td_json_get(root, "t"), &b), 0);
	assert_true(b);
	assert_int_equal(td_json_type(td_json_get(root, "nil")), TD_JSON_NULL);
	td_json_doc_free(d);
}

/* Object members come as key, value, key, value; duplicates: the first. */
static void test_read_iterate_object(void **state)
{
	static const char *const keys[] = { "version", "ok", "cgroups", "empty", "dup", "dup", "s", "t", "nil" };
	const struct td_json_node *k, *root;
	struct td_json_doc *d;
	uint64_t v;
	size_t i = 0;

	assert_int_equal(td_json_parse(reply, strlen(reply), &d), 0);
	root = td_json_root(d);
	for (k = td_json_first(root); k; k = td_json_next(td_json_next(k)))
		assert_string_equal(td_json_as_str(k, NULL), keys[i++]);
	assert_int_equal(i, ARRAY_SIZE(keys));
	assert_int_equal(td_json_as_u64(td_json_get(root, "dup"), &v), 0);
	assert_int_equal(v, 1);
	td_json_doc_free(d);
}

/* Every accessor takes NULL (a missing member) and non-matching types. */
static void test_read_wrong_types(void **state)
{
	const struct td_json_node *root;
	struct td_json_doc *d;
	uint64_t u;
	int64_t i;
	double f;
	bool b;

	assert_int_equal(td_json_type(NULL), TD_JSON_NONE);
	assert_int_equal(td_json_count(NULL), 0);
	assert_null(td_json_get(NULL, "a"));
	assert_null(td_json_first(NULL));
	assert_null(td_json_next(NULL));
	assert_null(td_json_span(NULL, NULL));
	assert_null(td_json_as_str(NULL, NULL));
	assert_int_equal(td_json_as_u64(NULL, &u), -EINVAL);
	assert_int_equal(td_json_as_i64(NULL, &i), -EINVAL);
	assert_int_equal(td_json_as_double(NULL, &f), -EINVAL);
	assert_int_equal(td_json_as_bool(NULL, &b), -EINVAL);
	assert_int_equal(td_json_parse("[\"1\",true]", 10, &d), 0);
	root = td_json_root(d);
	assert_null(td_json_get(root, "a"));			/* not an object */
	assert_int_equal(td_json_as_u64(td_json_first(root), &u), -EINVAL);
	assert_int_equal(td_json_as_double(td_json_first(root), &f), -EINVAL);
	assert_int_equal(td_json_as_bool(td_json_first(root), &b), -EINVAL);
	assert_null(td_json_as_str(td_json_next(td_json_first(root)), NULL));
	assert_null(td_json_first(td_json_first(root)));	/* not a container */
	assert_int_equal(td_json_count(td_json_first(root)), 0);
	td_json_doc_free(d);
}

static const struct {
	const char *text;
	int u64_r, i64_r, double_r;
	uint64_t u;
	int64_t i;
	double f;
} numbers[] = {
	{ "0", 0, 0, 0, 0, 0, 0 },
	{ "-0", 0, 0, 0, 0, 0, -0.0 },
	{ "42", 0, 0, 0, 42, 42, 42 },
	{ "18446744073709551615", 0, -ERANGE, 0, UINT64_MAX, 0, 18446744073709551615.0 },
	{ "18446744073709551616", -ERANGE, -ERANGE, 0, 0, 0, 18446744073709551616.0 },
	{ "9223372036854775807", 0, 0, 0, INT64_MAX, INT64_MAX, 9223372036854775807.0 },
	{ "-9223372036854775808", -EINVAL, 0, 0, 0, INT64_MIN, -9223372036854775808.0 },
	{ "-9223372036854775809", -EINVAL, -ERANGE, 0, 0, 0, -9223372036854775809.0 },
	{ "-1", -EINVAL, 0, 0, 0, -1, -1 },
	{ "1.5", -EINVAL, -EINVAL, 0, 0, 0, 1.5 },
	{ "1e3", -EINVAL, -EINVAL, 0, 0, 0, 1000 },
	{ "1e400", -EINVAL, -EINVAL, -ERANGE, 0, 0, 0 },
	{ "1e-400", -EINVAL, -EINVAL, 0, 0, 0, 0 },
};

static void test_read_numbers(void **state)
{
	for (size_t k = 0; k < ARRAY_SIZE(numbers); k++) {
		const struct td_json_node *n;
		struct td_json_doc *d;
		uint64_t u = 0;
		int64_t i = 0;
		double f = 0;

		assert_int_equal(td_json_parse(numbers[k].text, strlen(numbers[k].text), &d), 0);
		n = td_json_root(d);
		assert_int_equal(td_json_type(n), TD_JSON_NUMBER);
		assert_int_equal(td_json_as_u64(n, &u), numbers[k].u64_r);
		assert_int_equal(td_json_as_i64(n, &i), numbers[k].i64_r);
		assert_int_equal(td_json_as_double(n, &f), numbers[k].double_r);
		if (!numbers[k].u64_r)
			assert_true(u == numbers[k].u);
		if (!numbers[k].i64_r)
			assert_true(i == numbers[k].i);
		if (!numbers[k].double_r)
			assert_true(f == numbers[k].f);
		td_json_doc_free(d);
	}
}

static void test_read_unicode(void **state)
{
	static const char doc[] = "[\"\\u0041\\u00e9\\u20ac\\uD83D\\uDE00\",\"\\/\"]";
	struct td_json_doc *d;

	assert_int_equal(td_json_parse(doc, strlen(doc), &d), 0);
	assert_string_equal(td_json_as_str(td_json_first(td_json_root(d)), NULL),
			    "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	assert_string_equal(td_json_as_str(td_json_next(td_json_first(td_json_root(d))), NULL), "/");
	td_json_doc_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_nesting),
		cmocka_unit_test(test_write_escaping),
		cmocka_unit_test(test_write_key_escaping),
		cmocka_unit_test(test_write_numbers),
		cmocka_unit_test(test_write_misuse),
		cmocka_unit_test(test_write_depth_max),
		cmocka_unit_test(test_write_enomem),
		cmocka_unit_test(test_write_empty_take),
		cmocka_unit_test(test_write_read_roundtrip),
		cmocka_unit_test(test_read_valid),
		cmocka_unit_test(test_read_invalid),
		cmocka_unit_test(test_read_nul),
		cmocka_unit_test(test_read_depth),
		cmocka_unit_test(test_read_lookup),
		cmocka_unit_test(test_read_iterate_object),
		cmocka_unit_test(test_read_wrong_types),
		cmocka_unit_test(test_read_numbers),
		cmocka_unit_test(test_read_unicode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
