// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_proto - libFuzzer target for lib/proto and lib/json.
 *
 * Requests: whatever parses must come back equal after
 *   parse -> td_proto_request_line -> parse, and
 *   parse -> split into words -> td_proto_format_request -> parse.
 * JSON: whatever parses must come back equal after parse -> write -> parse
 * (which puts every decoded string through the writer's escaping), and
 * td_proto_parse_reply must not crash on it. Any mismatch aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "proto.h"

#define MAX_ARGS 16

static void check(bool cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_proto: %s\n", what);
		abort();
	}
}

static void request_line_roundtrip(const struct td_request *req)
{
	char line[TD_PROTO_MAX_REQUEST + 1];
	struct td_request again;
	int n = td_proto_request_line(req, line, sizeof(line));

	check(n > 0, "request_line failed");
	check(td_proto_parse_request(line, n, &again, NULL, 0) == 0, "canonical line refused");
	check(td_proto_request_equal(req, &again), "canonical line parses differently");
}

/* The words of a parsed line, given to the client side, mean the same. */
static void format_roundtrip(const char *buf, size_t len, const struct td_request *req)
{
	char copy[TD_PROTO_MAX_REQUEST + 1], line[TD_PROTO_MAX_REQUEST + 1];
	char *argv[MAX_ARGS], *save = NULL;
	struct td_request again;
	int argc = 0, n;

	memcpy(copy, buf, len);		/* parsed, so len < TD_PROTO_MAX_REQUEST + 1 */
	copy[len] = '\0';
	for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		check(argc < MAX_ARGS, "too many words in a valid request");
		argv[argc++] = w;
	}
	n = td_proto_format_request(argc, argv, line, sizeof(line), NULL, 0);
	check(n > 0, "format_request refused a valid request");
	check(td_proto_parse_request(line, n, &again, NULL, 0) == 0, "formatted line refused");
	check(td_proto_request_equal(req, &again), "formatted line parses differently");
}

static void fuzz_request(const char *buf, size_t len)
{
	struct td_request req;
	char err[128];

	if (td_proto_parse_request(buf, len, &req, err, sizeof(err)) < 0) {
		check(memchr(err, '\0', sizeof(err)) != NULL, "error message not terminated");
		return;
	}
	check(td_proto_verb_name(req.verb) != NULL, "parsed verb has no name");
	request_line_roundtrip(&req);
	format_roundtrip(buf, len, &req);
}

/* Numbers are written as the best of u64, i64 and double; false (and null
 * written, to keep the document whole) if that would lose it. */
static bool write_number(struct td_json *j, const struct td_json_node *n)
{
	uint64_t u;
	int64_t i;
	double d;

	if (td_json_as_u64(n, &u) == 0)
		td_json_u64(j, u);
	else if (td_json_as_i64(n, &i) == 0)
		td_json_i64(j, i);
	else if (td_json_as_double(n, &d) == 0)
		td_json_double(j, d);
	else {
		td_json_null(j);
		return false;
	}
	return true;
}

static bool write_node(struct td_json *j, const struct td_json_node *n);

/* Writes every child even when one is lossy, so the document stays whole. */
static bool write_children(struct td_json *j, const struct td_json_node *n, bool object)
{
	bool exact = true;

	for (const struct td_json_node *c = td_json_first(n); c; c = td_json_next(c)) {
		if (object) {
			size_t len;
			const char *k = td_json_as_str(c, &len);

			td_json_key(j, k);	/* a C string: NULs cut it short */
			exact &= strlen(k) == len;
			c = td_json_next(c);
		}
		exact &= write_node(j, c);
	}
	return exact;
}

/* Recursion is bounded by TD_JSON_MAX_DEPTH. */
static bool write_node(struct td_json *j, const struct td_json_node *n)
{
	size_t len;
	const char *s;
	bool b, ok;

	switch (td_json_type(n)) {
	case TD_JSON_NULL:
		td_json_null(j);
		return true;
	case TD_JSON_BOOL:
		td_json_as_bool(n, &b);
		td_json_bool(j, b);
		return true;
	case TD_JSON_NUMBER:
		return write_number(j, n);
	case TD_JSON_STRING:
		s = td_json_as_str(n, &len);
		td_json_string_len(j, s, len);
		return true;
	case TD_JSON_ARRAY:
		td_json_begin_array(j);
		ok = write_children(j, n, /* object= */ false);
		td_json_end_array(j);
		return ok;
	case TD_JSON_OBJECT:
		td_json_begin_object(j);
		ok = write_children(j, n, /* object= */ true);
		td_json_end_object(j);
		return ok;
	default:
		check(false, "node of no type");
		return false;
	}
}

static bool same_number(const struct td_json_node *a, const struct td_json_node *b)
{
	double x = 0, y = 0;

	check(td_json_as_double(a, &x) == 0 && td_json_as_double(b, &y) == 0, "number unreadable");
	return x == y;
}

static bool same(const struct td_json_node *a, const struct td_json_node *b)
{
	const struct td_json_node *x, *y;
	size_t la, lb;
	bool ba, bb;

	if (td_json_type(a) != td_json_type(b) || td_json_count(a) != td_json_count(b))
		return false;
	switch (td_json_type(a)) {
	case TD_JSON_BOOL:
		td_json_as_bool(a, &ba);
		td_json_as_bool(b, &bb);
		return ba == bb;
	case TD_JSON_NUMBER:
		return same_number(a, b);
	case TD_JSON_STRING:
		td_json_as_str(a, &la);
		td_json_as_str(b, &lb);
		return la == lb && !memcmp(td_json_as_str(a, NULL), td_json_as_str(b, NULL), la);
	case TD_JSON_ARRAY:
	case TD_JSON_OBJECT:
		for (x = td_json_first(a), y = td_json_first(b); x && y; x = td_json_next(x), y = td_json_next(y))
			if (!same(x, y))
				return false;
		return !x && !y;
	default:
		return true;
	}
}

static void json_roundtrip(const struct td_json_doc *doc)
{
	struct td_json_doc *again;
	struct td_json j;
	size_t len;
	char *text;
	bool exact;

	td_json_init(&j);
	exact = write_node(&j, td_json_root(doc));
	text = td_json_take(&j, &len);
	check(text != NULL, "writer failed");
	if (exact) {
		check(td_json_parse(text, len, &again) == 0, "written JSON refused");
		check(same(td_json_root(doc), td_json_root(again)), "written JSON reads differently");
		td_json_doc_free(again);
	}
	free(text);
	td_json_fini(&j);
}

static void fuzz_json(const char *buf, size_t len)
{
	struct td_json_doc *doc;
	bool ok;

	const struct td_json_node *root;
	size_t n;

	if (td_json_parse(buf, len, &doc) < 0)
		return;
	root = td_json_root(doc);
	check(td_json_span(root, &n) != NULL && n <= len, "root span");
	json_roundtrip(doc);
	td_json_doc_free(doc);
	/* only valid JSON gets past the reply parser's first step */
	if (td_proto_parse_reply(buf, len, &doc, &ok, NULL, 0) == 0)
		td_json_doc_free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_request((const char *)data, size);
	fuzz_json((const char *)data, size);
	return 0;
}
