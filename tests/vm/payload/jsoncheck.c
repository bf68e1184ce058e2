// SPDX-License-Identifier: GPL-2.0-only
/*
 * jsoncheck - checks that a file is one JSON document of the expected shape
 * (the guest has no python or jq).
 *
 *   jsoncheck FILE object|list KEY...
 *
 * Exits 0 iff FILE ("-" for stdin) is exactly one JSON document (jansson's
 * strict parser as tieringctl uses it: RFC 8259, valid UTF-8, no NUL in
 * strings, no duplicate keys) whose top level is an object (object) or a non-empty
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

#include "reply.h"

static const char *type_name(const json_t *v)
{
	if (!v)
		return "missing";
	switch (json_typeof(v)) {
	case JSON_NULL: return "null";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	case JSON_INTEGER:
	case JSON_REAL: return "number";
	case JSON_STRING: return "string";
	case JSON_ARRAY: return "array";
	case JSON_OBJECT: return "object";
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
static int check_key(const json_t *obj, const char *spec, const char *where)
{
	const char *dot = strchr(spec, '.');
	size_t seglen = dot ? (size_t)(dot - spec) : strlen(spec);
	char seg[256], ctx[512];
	const json_t *v, *it;
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
	v = json_object_get(obj, seg);
	if (!v) {
		printf("jsoncheck: %s has no member \"%s\"\n", where, seg);
		return 1;
	}
	if (!dot && !is_array)
		return 0;
	snprintf(ctx, sizeof(ctx), "%s.%s", where, seg);
	if (!is_array) {
		if (!json_is_object(v)) {
			printf("jsoncheck: %s is a %s, not an object\n", ctx, type_name(v));
			return 1;
		}
		return check_key(v, dot + 1, ctx);
	}
	if (!json_is_array(v) || json_array_size(v) == 0) {
		printf("jsoncheck: %s is %s, not a non-empty array\n", ctx,
		       json_is_array(v) ? "empty" : type_name(v));
		return 1;
	}
	if (!dot)
		return 0;
	json_array_foreach(v, i, it) {
		char ictx[600];

		snprintf(ictx, sizeof(ictx), "%s[%zu]", ctx, i);
		if (!json_is_object(it)) {
			printf("jsoncheck: %s is a %s, not an object\n", ictx, type_name(it));
			return 1;
		}
		if (check_key(it, dot + 1, ictx))
			return 1;
	}
	return 0;
}

static int check_object(const json_t *o, const char *where, int nkeys, char **keys)
{
	if (!json_is_object(o)) {
		printf("jsoncheck: %s is a %s, not an object\n", where, type_name(o));
		return 1;
	}
	for (int k = 0; k < nkeys; k++)
		if (check_key(o, keys[k], where))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	const json_t *it;
	json_error_t e;
	json_t *root;
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
	root = json_loadb(text, len, TD_JSON_LOAD_FLAGS, &e);
	free(text);
	if (!root) {
		printf("jsoncheck: %s: not one valid JSON document (line %d, column %d: %s; %zu bytes)\n",
		       argv[1], e.line, e.column, e.text, len);
		return 1;
	}
	if (!list) {
		r = check_object(root, "the document", argc - 3, argv + 3);
	} else if (!json_is_array(root) || json_array_size(root) == 0) {
		printf("jsoncheck: the document is %s, not a non-empty list\n",
		       json_is_array(root) ? "empty" : type_name(root));
		r = 1;
	} else {
		r = 0;
		for (n = 0; n < json_array_size(root) && !r; n++) {
			char where[64];

			it = json_array_get(root, n);
			snprintf(where, sizeof(where), "item %zu", n);
			r = check_object(it, where, argc - 3, argv + 3);
		}
	}
	if (!r && list)
		printf("jsoncheck: %s: a list of %zu objects, each with the %d key(s)\n", argv[1], n,
		       argc - 3);
	else if (!r)
		printf("jsoncheck: %s: an object with the %d key(s)\n", argv[1], argc - 3);
	json_decref(root);
	return r ? 1 : 0;
}
