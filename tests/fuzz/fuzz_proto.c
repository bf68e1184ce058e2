// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_proto - libFuzzer target for lib/proto and lib/reply.
 *
 * Requests: whatever parses must come back equal after
 *   parse -> td_proto_request_line -> parse, and
 *   parse -> split into words -> td_proto_format_request -> parse.
 * Replies: any bytes through td_json_bytes() as an error message must give a
 * reply that parses strictly back to the same string (valid UTF-8 kept,
 * invalid escaped), and whatever td_reply_parse() takes must read the same
 * after td_reply_dump(). Any mismatch aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "reply.h"

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

/*
 * Any bytes, cut at the first NUL, through td_json_bytes(): always a
 * string, the bytes themselves when jansson takes them as UTF-8; as the
 * message of an error reply, the reply reads back strictly with that string.
 */
static void fuzz_bytes(const char *buf, size_t len)
{
	char *s = strndup(buf, len), *text;
	json_t *v, *plain, *reply = NULL;
	size_t n = 0;
	bool ok = true;

	check(s != NULL, "out of memory");
	v = td_json_bytes(s);
	check(json_is_string(v), "td_json_bytes gave no string");
	plain = json_string(s);
	check(!plain || !strcmp(json_string_value(v), s), "valid UTF-8 was changed");
	check(plain || strcmp(json_string_value(v), s), "invalid UTF-8 was kept");
	text = td_reply_error(s, &n);
	check(text && n == strlen(text), "error reply failed");
	check(td_reply_parse(text, n, &reply, &ok, NULL, 0) == 0 && !ok, "error reply refused");
	check(json_equal(json_object_get(reply, "error"), v), "error reply reads differently");
	json_decref(reply);
	json_decref(plain);
	json_decref(v);
	free(text);
	free(s);
}

/* Whatever td_reply_parse() takes reads the same after td_reply_dump(). */
static void fuzz_reply(const char *buf, size_t len)
{
	json_t *reply, *again;
	bool ok, ok2;
	size_t n;
	char *text;

	if (td_reply_parse(buf, len, &reply, &ok, NULL, 0) < 0)
		return;
	text = td_reply_dump(reply, &n);
	check(text != NULL, "dump failed");
	check(td_reply_parse(text, n, &again, &ok2, NULL, 0) == 0, "dumped reply refused");
	check(ok == ok2 && json_equal(reply, again), "dumped reply reads differently");
	json_decref(again);
	json_decref(reply);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_request((const char *)data, size);
	fuzz_bytes((const char *)data, size);
	fuzz_reply((const char *)data, size);
	return 0;
}
