// SPDX-License-Identifier: GPL-2.0-only
/*
 * reply.c - see reply.h. jansson builds, dumps and parses; this file only
 * decides what invalid UTF-8 becomes and what a well-formed reply is.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "reply.h"

#define QUOTE_MAX 40		/* bytes of a value quoted in a message */

static bool between(unsigned char c, unsigned char lo, unsigned char hi)
{
	return c >= lo && c <= hi;
}

/*
 * The length of the valid UTF-8 sequence at @s (RFC 3629, table 3-7 of the
 * Unicode standard: no overlong forms, no surrogates, nothing above
 * U+10FFFF), 0 if the byte at @s does not start one. @s is NUL-terminated
 * and NUL is no continuation byte, so this never reads past the end.
 */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (between(c, 0xc2, 0xdf))
		n = 2;
	else if (between(c, 0xe0, 0xef))
		n = 3;
	else if (between(c, 0xf0, 0xf4))
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (!between(s[1], lo, hi))
		return 0;
	for (size_t i = 2; i < n; i++)
		if (!between(s[i], 0x80, 0xbf))
			return 0;
	return n;
}

/* @s with every byte outside a valid sequence as "\xNN"; caller frees. */
static char *escape_invalid(const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	char *out = malloc(strlen(s) * 4 + 1), *o = out;

	if (!out)
		return NULL;
	while (*p) {
		size_t n = utf8_len(p);

		if (n == 0) {
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 0xf];
			p++;
			continue;
		}
		memcpy(o, p, n);
		o += n;
		p += n;
	}
	*o = '\0';
	return out;
}

json_t *td_json_bytes(const char *s)
{
	json_t *v;
	char *esc;

	if (!s)
		return json_null();
	v = json_string(s);
	if (v)
		return v;
	esc = escape_invalid(s);
	if (!esc)
		return NULL;
	/* valid UTF-8 by construction; NULL here means out of memory */
	v = json_string(esc);
	free(esc);
	return v;
}

json_t *td_json_u64(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

json_t *td_json_double(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *td_reply_new(bool ok)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	if (json_object_set_new(o, "version", json_integer(TD_PROTO_VERSION)) < 0 ||
	    json_object_set_new(o, "ok", json_boolean(ok)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

char *td_reply_dump(const json_t *reply, size_t *ret_len)
{
	char *s, *t;
	size_t n;

	if (!reply)
		return NULL;
	s = json_dumps(reply, TD_JSON_DUMP_FLAGS);
	if (!s)
		return NULL;
	n = strlen(s);
	t = realloc(s, n + 2);
	if (!t) {
		free(s);
		return NULL;
	}
	t[n++] = '\n';
	t[n] = '\0';
	if (ret_len)
		*ret_len = n;
	return t;
}

char *td_reply_error(const char *msg, size_t *ret_len)
{
	json_t *o = td_reply_new(/* ok= */ false);
	char *s = NULL;

	if (o && json_object_set_new(o, "error", td_json_bytes(msg)) == 0)
		s = td_reply_dump(o, ret_len);
	json_decref(o);
	return s;
}

static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Writes the message (if there is room for one); returns @r. */
static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

static int bad_version(const json_t *version, char *err, size_t errlen)
{
	char *s = json_dumps(version, JSON_ENCODE_ANY | TD_JSON_DUMP_FLAGS);
	size_t n = s ? strlen(s) : 0;
	int r;

	r = fail(err, errlen, -EPROTONOSUPPORT, "unknown protocol version %.*s%s",
		 (int)(n > QUOTE_MAX ? QUOTE_MAX : n), s ? s : "?", n > QUOTE_MAX ? "..." : "");
	free(s);
	return r;
}

/* "version" first: a later version may change the rest. */
static int check_reply(const json_t *root, bool *ret_ok, char *err, size_t errlen)
{
	const json_t *version = json_object_get(root, "version");
	const json_t *ok = json_object_get(root, "ok");

	if (!json_is_object(root))
		return fail(err, errlen, -EINVAL, "reply is not a JSON object");
	if (!version)
		return fail(err, errlen, -EINVAL, "reply without a version");
	if (!json_is_integer(version) || json_integer_value(version) != TD_PROTO_VERSION)
		return bad_version(version, err, errlen);
	if (!json_is_boolean(ok))
		return fail(err, errlen, -EINVAL, "reply without a boolean \"ok\"");
	*ret_ok = json_is_true(ok);
	if (!*ret_ok && !json_is_string(json_object_get(root, "error")))
		return fail(err, errlen, -EINVAL, "error reply without a message");
	return 0;
}

int td_reply_parse(const char *buf, size_t len, json_t **ret, bool *ret_ok,
		   char *err, size_t errlen)
{
	json_error_t e;
	json_t *root;
	int r;

	root = json_loadb(buf, len, TD_JSON_LOAD_FLAGS, &e);
	if (!root && json_error_code(&e) == json_error_out_of_memory)
		return fail(err, errlen, -ENOMEM, "%s", strerror(ENOMEM));
	if (!root)
		return fail(err, errlen, -EINVAL, "reply is not valid JSON");
	r = check_reply(root, ret_ok, err, errlen);
	if (r < 0) {
		json_decref(root);
		return r;
	}
	*ret = root;
	return 0;
}
