// SPDX-License-Identifier: GPL-2.0-only
/*
 * jsoncheck - checks that a file is one JSON document of the expected shape
 * (the guest has no python or jq).
 *
 *   jsoncheck FILE object|list KEY...
 *
 * Exits 0 iff FILE ("-" for stdin) is exactly one JSON document (lib/json.c's
 * parser, RFC 8259) whose top level is an object (object) or a non-empty
 * array of objects (list), and that object (every item of the list) has
 * every KEY. A KEY "a[].b" means: member a is a non-empty array and every
 * item of it is an object with a member b (nesting: "a[].b[].c"); "a.b"
 * means member a is an object with a member b. Prints one line saying what
 * was checked, or what is wrong, and exits 1 (2 for usage).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static const char *type_name(enum td_json_type t)
{
	switch (t) {
	case TD_JSON_NONE: return "missing";
	case TD_JSON_NULL: return "null";
	case TD_JSON_BOOL: return "boolean";
	case TD_JSON_NUMBER: return "number";
	case TD_JSON_STRING: return "string";
	case TD_JSON_ARRAY: return "array";
	case TD_JSON_OBJECT: return "object";
	}
	return "?";
}

static char *read_all(const char *path, size_t *ret_len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t len = 0, cap = 0, k;
	char *buf = NULL;

	if (!f)
		return NULL;
	for (;;) {
		if (cap - len < 65536) {
			char *nb = realloc(buf, cap ? cap * 2 : 65536);

			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		k = fread(buf + len, 1, cap - len, f);
		len += k;
		if (k == 0)
			break;
	}
	if (f != stdin)
		fclose(f);
	*ret_len = len;
	return buf;
}

/*
 * Checks key path spec (e.g. "sources[].name") below object obj; where is
 * the context for messages. Returns 0 or 1 (message printed).
 */
static int check_key(const struct td_json_node *obj, const char *spec, const char *where)
{
	const char *dot = strchr(spec, '.');
	size_t seglen = dot ? (size_t)(dot - spec) : strlen(spec);
	char seg[256], ctx[512];
	const struct td_json_node *v, *it;
	int is_array = 0;
	size_t i;

	if (seglen >= sizeof(seg)) {
		printf("jsoncheck: key too long: %s\n", spec);
		return 1;
	}
	memcpy(seg, spec, seglen);
	seg[seglen] = '\0';
	if (seglen > 2 && !strcmp(seg + seglen - 2, "[]")) {
		is_array = 1;
		seg[seglen - 2] = '\0';
	}
	v = td_json_get(obj, seg);
	if (!v) {
		printf("jsoncheck: %s has no member \"%s\"\n", where, seg);
		return 1;
	}
	if (!dot && !is_array)
		return 0;
	snprintf(ctx, sizeof(ctx), "%s.%s", where, seg);
	if (!is_array) {
		if (td_json_type(v) != TD_JSON_OBJECT) {
			printf("jsoncheck: %s is a %s, not an object\n", ctx, type_name(td_json_type(v)));
			return 1;
		}
		return check_key(v, dot + 1, ctx);
	}
	if (td_json_type(v) != TD_JSON_ARRAY || td_json_count(v) == 0) {
		printf("jsoncheck: %s is %s, not a non-empty array\n", ctx,
		       td_json_type(v) == TD_JSON_ARRAY ? "empty" : type_name(td_json_type(v)));
		return 1;
	}
	if (!dot)
		return 0;
	for (i = 0, it = td_json_first(v); it; it = td_json_next(it), i++) {
		char ictx[600];

		snprintf(ictx, sizeof(ictx), "%s[%zu]", ctx, i);
		if (td_json_type(it) != TD_JSON_OBJECT) {
			printf("jsoncheck: %s is a %s, not an object\n", ictx, type_name(td_json_type(it)));
			return 1;
		}
		if (check_key(it, dot + 1, ictx))
			return 1;
	}
	return 0;
}

static int check_object(const struct td_json_node *o, const char *where, int nkeys, char **keys)
{
	if (td_json_type(o) != TD_JSON_OBJECT) {
		printf("jsoncheck: %s is a %s, not an object\n", where, type_name(td_json_type(o)));
		return 1;
	}
	for (int k = 0; k < nkeys; k++)
		if (check_key(o, keys[k], where))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct td_json_doc *doc = NULL;
	const struct td_json_node *root, *it;
	size_t len = 0, n = 0;
	char *text;
	int r, list;

	if (argc < 3 || (strcmp(argv[2], "object") && strcmp(argv[2], "list"))) {
		fprintf(stderr, "usage: jsoncheck FILE object|list KEY...\n");
		return 2;
	}
	list = !strcmp(argv[2], "list");
	text = read_all(argv[1], &len);
	if (!text) {
		printf("jsoncheck: cannot read %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	r = td_json_parse(text, len, &doc);
	free(text);
	if (r < 0) {
		printf("jsoncheck: %s: not one valid JSON document (%s, %zu bytes)\n", argv[1],
		       strerror(-r), len);
		return 1;
	}
	root = td_json_root(doc);
	if (!list) {
		r = check_object(root, "the document", argc - 3, argv + 3);
	} else if (td_json_type(root) != TD_JSON_ARRAY || td_json_count(root) == 0) {
		printf("jsoncheck: the document is %s, not a non-empty list\n",
		       td_json_type(root) == TD_JSON_ARRAY ? "empty" : type_name(td_json_type(root)));
		r = 1;
	} else {
		r = 0;
		for (it = td_json_first(root); it && !r; it = td_json_next(it), n++) {
			char where[64];

			snprintf(where, sizeof(where), "item %zu", n);
			r = check_object(it, where, argc - 3, argv + 3);
		}
	}
	if (!r && list)
		printf("jsoncheck: %s: a list of %zu objects, each with the %d key(s)\n", argv[1], n,
		       argc - 3);
	else if (!r)
		printf("jsoncheck: %s: an object with the %d key(s)\n", argv[1], argc - 3);
	td_json_doc_free(doc);
	return r ? 1 : 0;
}
