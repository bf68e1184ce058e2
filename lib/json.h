/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * json.h - a small JSON writer and reader. Pure: no I/O, no logging.
 *
 * Writer: append values to a growable heap buffer; commas and colons are
 * placed automatically. The first error (-ENOMEM, or -EINVAL for misuse:
 * a key outside an object, a mismatched end, nesting deeper than
 * TD_JSON_WRITE_MAX_DEPTH) is sticky and turns every later call into a
 * no-op, so a sequence of calls needs one check at the end:
 *
 *	struct td_json j;
 *	td_json_init(&j);
 *	td_json_begin_object(&j);
 *	td_json_field_u64(&j, "uptime_s", 42);
 *	td_json_end_object(&j);
 *	buf = td_json_take(&j, &len);	(NULL: td_json_error(&j) says why)
 *	td_json_fini(&j);
 *
 * Reader: td_json_parse() validates a whole document (RFC 8259, nesting at
 * most TD_JSON_MAX_DEPTH, no recursion) into a flat node array. Nodes are
 * looked up by key, iterated, and read with the td_json_as_*() accessors.
 * Every accessor accepts NULL for a node (a missing member), so lookups
 * chain without checks in between.
 */
#ifndef TIERINGD_JSON_H
#define TIERINGD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TD_JSON_WRITE_MAX_DEPTH 64
#define TD_JSON_MAX_DEPTH 32

/* ---------------------------------------------------------------- writer */

struct td_json {
	char *buf;
	size_t len, cap;
	int err;			/* first error: 0, -ENOMEM or -EINVAL */
	unsigned depth;
	uint64_t is_object;		/* bit per depth: the open container is an object */
	uint64_t has_items;		/* bit per depth: a comma is due before the next item */
	bool after_key;			/* a key was written, its value is due */
};

/* An empty writer; allocates nothing until the first write. */
void td_json_init(struct td_json *j);

/* Frees the buffer (if not taken). NULL-safe. */
void td_json_fini(struct td_json *j);

/* 0, or the first error: -ENOMEM, or -EINVAL for misuse. */
int td_json_error(const struct td_json *j);

/*
 * Hands the NUL-terminated text over (caller frees) and stores its length
 * (without the NUL) in @ret_len (may be NULL). The writer is empty again
 * afterwards. Returns NULL, freeing the partial text, if an error is set or
 * a container is still open (then td_json_error() returns -EINVAL).
 */
char *td_json_take(struct td_json *j, size_t *ret_len);

void td_json_begin_object(struct td_json *j);
void td_json_end_object(struct td_json *j);
void td_json_begin_array(struct td_json *j);
void td_json_end_array(struct td_json *j);

/* A member name; only inside an object, and the next call writes its value. */
void td_json_key(struct td_json *j, const char *key);

/*
 * Strings: '"', '\\' and control characters (< 0x20, 0x7f) are escaped,
 * the latter as \u00XX; bytes >= 0x80 pass through unchanged. A NULL @s
 * writes null. td_json_string_len() takes @n bytes, which may include NULs.
 */
void td_json_string(struct td_json *j, const char *s);
void td_json_string_len(struct td_json *j, const char *s, size_t n);

void td_json_u64(struct td_json *j, uint64_t v);
void td_json_i64(struct td_json *j, int64_t v);
void td_json_bool(struct td_json *j, bool v);
void td_json_null(struct td_json *j);

/* The shortest of %.15g/%.17g that reads back exactly; NaN and infinities
 * have no JSON form and are written as null. Assumes the "C" locale. */
void td_json_double(struct td_json *j, double v);

/* Appends @n bytes verbatim, with no comma logic (e.g. the "\n" that ends a
 * reply). The caller keeps the document valid. */
void td_json_raw(struct td_json *j, const char *s, size_t n);

/* td_json_key() followed by the value. */
void td_json_field_string(struct td_json *j, const char *key, const char *s);
void td_json_field_u64(struct td_json *j, const char *key, uint64_t v);
void td_json_field_i64(struct td_json *j, const char *key, int64_t v);
void td_json_field_bool(struct td_json *j, const char *key, bool v);
void td_json_field_double(struct td_json *j, const char *key, double v);

/* ---------------------------------------------------------------- reader */

enum td_json_type {
	TD_JSON_NONE = 0,	/* no node (NULL) */
	TD_JSON_NULL,
	TD_JSON_BOOL,
	TD_JSON_NUMBER,
	TD_JSON_STRING,
	TD_JSON_ARRAY,
	TD_JSON_OBJECT,
};

struct td_json_doc;
struct td_json_node;

/*
 * Parses @len bytes of @text (need not be NUL-terminated; the document keeps
 * its own copy). One value, optionally surrounded by whitespace.
 * Returns 0 and the document in *@ret, -EINVAL if the text is not valid JSON
 * (including NUL bytes outside strings, unpaired \uD800-\uDFFF escapes, or
 * nesting deeper than TD_JSON_MAX_DEPTH, or 4 GiB and longer), -ENOMEM.
 */
int td_json_parse(const char *text, size_t len, struct td_json_doc **ret);

/* NULL-safe. Invalidates every node and string of the document. */
void td_json_doc_free(struct td_json_doc *d);

/* The top-level value; never NULL for a parsed document. */
const struct td_json_node *td_json_root(const struct td_json_doc *d);

/* The node's type; TD_JSON_NONE for NULL. */
enum td_json_type td_json_type(const struct td_json_node *n);

/* Elements of an array, members of an object, else 0. */
size_t td_json_count(const struct td_json_node *n);

/* The value of the first member named @key (not NULL); NULL if @obj is not
 * an object or has no such member. */
const struct td_json_node *td_json_get(const struct td_json_node *obj, const char *key);

/*
 * Iteration: td_json_first() gives the first element of an array or the
 * first key of an object (NULL if empty or not a container), td_json_next()
 * the following sibling (NULL after the last). In an object, keys and values
 * alternate: the value of key k is td_json_next(k).
 */
const struct td_json_node *td_json_first(const struct td_json_node *n);
const struct td_json_node *td_json_next(const struct td_json_node *n);

/*
 * The text of the node exactly as it appears in the document, e.g. to
 * print a sub-document; @ret_len gets its length. NULL for a NULL node.
 * Not NUL-terminated.
 */
const char *td_json_span(const struct td_json_node *n, size_t *ret_len);

/* A string's decoded, NUL-terminated bytes (it may contain NULs itself:
 * @ret_len, which may be NULL, gets the length). NULL if not a string. */
const char *td_json_as_str(const struct td_json_node *n, size_t *ret_len);

/*
 * Numbers. td_json_as_u64()/td_json_as_i64() accept integers only (no
 * fraction or exponent): 0, -EINVAL if not such a number (or negative, for
 * u64), -ERANGE if it does not fit. td_json_as_double() accepts any
 * number: 0, -EINVAL if not a number, -ERANGE if beyond a double's range
 * (tiny numbers read as 0). Assumes the "C" locale.
 */
int td_json_as_u64(const struct td_json_node *n, uint64_t *ret);
int td_json_as_i64(const struct td_json_node *n, int64_t *ret);
int td_json_as_double(const struct td_json_node *n, double *ret);

/* 0, or -EINVAL if not a boolean. */
int td_json_as_bool(const struct td_json_node *n, bool *ret);

#endif
