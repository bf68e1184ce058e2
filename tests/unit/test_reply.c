// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/reply: the UTF-8 decision of td_json_bytes(), the reply envelope and
 * the reply parser. Every dumped reply is read back with jansson's strict
 * parser (TD_JSON_LOAD_FLAGS), the one a test here has.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto.h"
#include "reply.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *in, *want;
} bytes[] = {
	{ "", "" },
	{ "/plain/path", "/plain/path" },
	{ "/a\"b\\c", "/a\"b\\c" },			/* jansson escapes these when dumping */
	{ "/t\tx\x01y\x1f\x7f", "/t\tx\x01y\x1f\x7f" },	/* control bytes are valid UTF-8 */
	{ "/system-systemd\\x2dfsck.slice", "/system-systemd\\x2dfsck.slice" },
	{ "/caf\xc3\xa9", "/caf\xc3\xa9" },
	{ "\xef\xbf\xbf", "\xef\xbf\xbf" },		/* U+FFFF */
	{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },	/* U+1F600 */
	{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" },	/* U+10FFFF, the last */
	{ "/\xff", "/\\xff" },
	{ "\x80", "\\x80" },				/* a lone continuation byte */
	{ "\xc3", "\\xc3" },				/* cut short at the end */
	{ "\xc3(", "\\xc3(" },
	{ "\xe2\x82", "\\xe2\\x82" },
	{ "\xc0\xaf", "\\xc0\\xaf" },			/* overlong '/' */
	{ "\xc1\xbf", "\\xc1\\xbf" },
	{ "\xe0\x80\xaf", "\\xe0\\x80\\xaf" },		/* overlong, 3 bytes */
	{ "\xf0\x80\x80\xaf", "\\xf0\\x80\\x80\\xaf" },	/* overlong, 4 bytes */
	{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },		/* surrogate U+D800 */
	{ "\xed\x9f\xbf", "\xed\x9f\xbf" },		/* U+D7FF, just below */
	{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },	/* U+110000 */
	{ "\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80" },
	{ "\xfe\xff", "\\xfe\\xff" },
	{ "a\xff" "b\xc3\xa9\xfe", "a\\xffb\xc3\xa9\\xfe" },	/* valid parts are kept */
	{ "/x\xff\"q\t\x01y", "/x\\xff\"q\t\x01y" },
};

static void test_bytes_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(bytes); i++) {
		json_t *v = td_json_bytes(bytes[i].in);

		assert_non_null(v);
		assert_true(json_is_string(v));
		assert_string_equal(json_string_value(v), bytes[i].want);
		json_decref(v);
	}
}

static void test_bytes_null(void **state)
{
	json_t *v = td_json_bytes(NULL);

	assert_true(json_is_null(v));
	json_decref(v);
}

/* The code point @cp as UTF-8 (surrogates too, which are then invalid). */
static size_t encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | cp >> 6;
		out[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = 0xe0 | cp >> 12;
		out[1] = 0x80 | (cp >> 6 & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | cp >> 18;
	out[1] = 0x80 | (cp >> 12 & 0x3f);
	out[2] = 0x80 | (cp >> 6 & 0x3f);
	out[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/*
 * Every code point after an invalid byte (which sends the string down the
 * escaping path): kept exactly when it is a scalar value, all its bytes
 * escaped when it is a surrogate; jansson must agree on which is which.
 */
static void test_bytes_every_code_point(void **state)
{
	for (uint32_t cp = 1; cp <= 0x10ffff; cp++) {
		char in[8] = "\xff", want[32] = "\\xff", enc[4];
		size_t n = encode(cp, enc), w = 4;
		bool surrogate = cp >= 0xd800 && cp <= 0xdfff;
		json_t *v;

		memcpy(in + 1, enc, n);
		in[1 + n] = '\0';
		for (size_t i = 0; i < n; i++) {
			if (surrogate)
				w += sprintf(want + w, "\\x%02x", (unsigned char)enc[i]);
			else
				want[w++] = enc[i];
		}
		want[w] = '\0';
		v = td_json_bytes(in);
		assert_non_null(v);
		if (strcmp(json_string_value(v), want))
			fail_msg("U+%04X: got \"%s\"", cp, json_string_value(v));
		json_decref(v);
		v = json_string(in + 1);
		assert_int_equal(v == NULL, surrogate);
		json_decref(v);
	}
}

/* Every string of one or two bytes: escaping never fails, and leaves
 * alone what jansson accepts. */
static void test_bytes_agree_with_jansson(void **state)
{
	for (unsigned a = 1; a < 256; a++)
		for (unsigned b = 0; b < 256; b++) {
			char in[3] = { a, b, 0 };
			json_t *v = td_json_bytes(in), *j = json_string(in);

			assert_non_null(v);
			if (j)
				assert_string_equal(json_string_value(v), in);
			else
				assert_string_not_equal(json_string_value(v), in);
			json_decref(v);
			json_decref(j);
		}
}

static void test_numbers(void **state)
{
	json_t *v;

	v = td_json_u64(42);
	assert_int_equal(json_integer_value(v), 42);
	json_decref(v);
	v = td_json_u64((uint64_t)INT64_MAX);
	assert_int_equal(json_integer_value(v), INT64_MAX);
	json_decref(v);
	v = td_json_u64(UINT64_MAX);
	assert_int_equal(json_integer_value(v), INT64_MAX);
	json_decref(v);
	v = td_json_double(0.5);
	assert_true(json_is_real(v));
	assert_true(json_real_value(v) == 0.5);
	json_decref(v);
	v = td_json_double(NAN);
	assert_true(json_is_null(v));
	json_decref(v);
	v = td_json_double(-INFINITY);
	assert_true(json_is_null(v));
	json_decref(v);
}

/* Parses @text (its length @len, the "\n" included) strictly, as one
 * document with nothing after it but the newline. */
static json_t *load_strict(const char *text, size_t len)
{
	json_error_t e;
	json_t *v;

	assert_int_equal(strlen(text), len);
	assert_true(len > 0 && text[len - 1] == '\n');
	assert_null(memchr(text, '\n', len - 1));
	v = json_loadb(text, len, TD_JSON_LOAD_FLAGS, &e);
	if (!v)
		fail_msg("not strict JSON (%s): %s", e.text, text);
	return v;
}

static void test_reply_ok(void **state)
{
	json_t *o = td_reply_new(/* ok= */ true), *back;
	size_t len = 0;
	char *s;

	assert_non_null(o);
	assert_int_equal(json_object_set_new(o, "reloaded", json_true()), 0);
	s = td_reply_dump(o, &len);
	assert_string_equal(s, "{\"version\":1,\"ok\":true,\"reloaded\":true}\n");
	back = load_strict(s, len);
	assert_true(json_equal(o, back));
	json_decref(back);
	json_decref(o);
	free(s);
	assert_null(td_reply_dump(NULL, &len));
}

static void test_reply_error(void **state)
{
	size_t len = 0;
	char *s = td_reply_error("a.conf:3: unknown key \"X\"\nb.conf:1: bad \x01\xff", &len);
	json_t *back;

	assert_non_null(s);
	assert_string_equal(s, "{\"version\":1,\"ok\":false,"
			    "\"error\":\"a.conf:3: unknown key \\\"X\\\"\\nb.conf:1: bad \\u0001\\\\xff\"}\n");
	back = load_strict(s, len);
	assert_string_equal(json_string_value(json_object_get(back, "error")),
			    "a.conf:3: unknown key \"X\"\nb.conf:1: bad \x01\\xff");
	json_decref(back);
	free(s);
}

/* A cgroups reply with every kind of hostile name: the text is valid
 * UTF-8 with no raw control byte, and reads back strictly as the escaped
 * names. */
static void test_reply_hostile_names(void **state)
{
	json_t *o = td_reply_new(/* ok= */ true), *list = json_array(), *back;
	size_t len = 0;
	char *s;

	for (size_t i = 0; i < ARRAY_SIZE(bytes); i++) {
		json_t *item = json_object();

		assert_int_equal(json_object_set_new(item, "path", td_json_bytes(bytes[i].in)), 0);
		assert_int_equal(json_array_append_new(list, item), 0);
	}
	assert_int_equal(json_object_set_new(o, "cgroups", list), 0);
	s = td_reply_dump(o, &len);
	assert_non_null(s);
	for (size_t i = 0; i + 1 < len; i++)
		assert_false((unsigned char)s[i] < 0x20);
	back = load_strict(s, len);
	list = json_object_get(back, "cgroups");
	assert_int_equal(json_array_size(list), ARRAY_SIZE(bytes));
	for (size_t i = 0; i < ARRAY_SIZE(bytes); i++)
		assert_string_equal(json_string_value(json_object_get(json_array_get(list, i), "path")),
				    bytes[i].want);
	json_decref(back);
	json_decref(o);
	free(s);
}

static const struct {
	const char *text;
	int r;
	bool ok;
	const char *err;
} replies[] = {
	{ "{\"version\":1,\"ok\":true}\n", 0, true, "" },
	{ "{\"version\":1,\"ok\":true} \r\n\t", 0, true, "" },
	{ "{\"ok\":true,\"extra\":[1,2],\"version\":1}", 0, true, "" },
	{ "{\"version\":1,\"ok\":false,\"error\":\"nope\"}\n", 0, false, "" },
	{ "{\"version\":2,\"ok\":true}", -EPROTONOSUPPORT, false, "unknown protocol version 2" },
	{ "{\"version\":\"1\",\"ok\":true}", -EPROTONOSUPPORT, false, "unknown protocol version \"1\"" },
	{ "{\"version\":1.0,\"ok\":true}", -EPROTONOSUPPORT, false, "unknown protocol version 1.0" },
	{ "{\"version\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"ok\":true}",
	  -EPROTONOSUPPORT, false, "unknown protocol version \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..." },
	{ "{\"ok\":true}", -EINVAL, false, "reply without a version" },
	{ "[1]", -EINVAL, false, "reply is not a JSON object" },
	{ "{\"version\":1,\"ok\":tru", -EINVAL, false, "reply is not valid JSON" },
	{ "", -EINVAL, false, "reply is not valid JSON" },
	{ "{\"version\":1,\"ok\":true} {}", -EINVAL, false, "reply is not valid JSON" },
	{ "{\"version\":1,\"ok\":true,\"ok\":false}", -EINVAL, false, "reply is not valid JSON" },
	{ "{\"version\":1,\"ok\":true,\"x\":\"a\\u0000b\"}", -EINVAL, false, "reply is not valid JSON" },
	{ "{\"version\":1,\"ok\":true,\"x\":\"\xff\"}", -EINVAL, false, "reply is not valid JSON" },
	{ "{\"version\":1,\"ok\":true,\"x\":\"\x01\"}", -EINVAL, false, "reply is not valid JSON" },
	{ "{\"version\":1}", -EINVAL, false, "reply without a boolean \"ok\"" },
	{ "{\"version\":1,\"ok\":1}", -EINVAL, false, "reply without a boolean \"ok\"" },
	{ "{\"version\":1,\"ok\":false}", -EINVAL, false, "error reply without a message" },
	{ "{\"version\":1,\"ok\":false,\"error\":null}", -EINVAL, false, "error reply without a message" },
};

static void test_parse_reply(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(replies); i++) {
		json_t *d = NULL;
		char err[128] = "";
		bool ok = !replies[i].ok;

		if (td_reply_parse(replies[i].text, strlen(replies[i].text), &d, &ok, err,
				   sizeof(err)) != replies[i].r)
			fail_msg("reply %zu: %s", i, err);
		assert_string_equal(err, replies[i].err);
		if (replies[i].r == 0) {
			assert_int_equal(ok, replies[i].ok);
			assert_true(json_is_object(d));
		} else {
			assert_null(d);
		}
		json_decref(d);
	}
}

/* What the daemon dumps, tieringctl parses (and -j dumps the same text). */
static void test_dump_parse_roundtrip(void **state)
{
	json_t *o = td_reply_new(/* ok= */ true), *d = NULL;
	size_t len = 0;
	char *s, *again;
	bool ok = false;

	json_object_set_new(o, "path", td_json_bytes("/q\"\xff\t"));
	json_object_set_new(o, "hotness", td_json_double(3.0 / 1024));
	json_object_set_new(o, "whole", td_json_double(2));
	json_object_set_new(o, "n", td_json_u64(123456789012345ULL));
	s = td_reply_dump(o, &len);
	assert_int_equal(td_reply_parse(s, len, &d, &ok, NULL, 0), 0);
	assert_true(ok);
	again = td_reply_dump(d, NULL);
	assert_string_equal(again, s);
	free(again);
	free(s);
	json_decref(d);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes_table),
		cmocka_unit_test(test_bytes_null),
		cmocka_unit_test(test_bytes_every_code_point),
		cmocka_unit_test(test_bytes_agree_with_jansson),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_reply_ok),
		cmocka_unit_test(test_reply_error),
		cmocka_unit_test(test_reply_hostile_names),
		cmocka_unit_test(test_parse_reply),
		cmocka_unit_test(test_dump_parse_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
