/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * reply.h - the JSON side of the socket protocol (lib/proto.h has the
 * request codec): the reply envelope, the reply parser for tieringctl, and
 * the one place where outside bytes become JSON strings. Pure: no I/O, no
 * logging.
 *
 * The JSON library is jansson (Debian 12: libjansson-dev 2.14), not json-c.
 * The reason is UTF-8: jansson's json_string() refuses a string that is not
 * valid UTF-8 (it returns NULL), so a reply can never carry bytes a strict
 * parser (Python's json.loads, jq) rejects, and what to do with such a
 * string is decided once, in td_json_bytes() below. json-c copies the bytes
 * through unchecked, which is the bug the hand-written writer had: cgroup
 * names are chosen by users in delegated subtrees, and a name with byte
 * 0xff made every `tieringctl -j cgroups` reply unparsable.
 *
 * One reply is a JSON object on one line followed by "\n":
 *
 *	{"version":1,"ok":true,...verb's members...}
 *	{"version":1,"ok":false,"error":"message"}
 */
#ifndef TIERINGD_REPLY_H
#define TIERINGD_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Strict parsing: one document, no duplicate keys (no NUL in strings is
 * jansson's default). */
#define TD_JSON_LOAD_FLAGS JSON_REJECT_DUPLICATES

/* Compact: no blanks after ',' and ':', members in insertion order. */
#define TD_JSON_DUMP_FLAGS JSON_COMPACT

/*
 * A JSON string for bytes from outside (cgroup paths, file names, hook
 * names, error messages). Valid UTF-8 is kept as it is (json_string();
 * jansson escapes '"', '\\' and control characters itself). Otherwise each
 * byte that is not part of a valid UTF-8 sequence (overlong forms,
 * surrogates and code points above U+10FFFF are invalid, as for jansson) is
 * replaced by the four characters \xNN, NN its value in lowercase hex, the
 * form systemd-escape(1) uses: "/a\xffb" for the bytes '/', 'a', 0xff, 'b'.
 * The valid parts around it are kept.
 * A NULL @s gives JSON null. Returns a new reference, NULL only when out of
 * memory.
 */
json_t *td_json_bytes(const char *s);

/* json_integer(); values above INT64_MAX (no counter gets there) are
 * clamped to INT64_MAX. NULL when out of memory. */
json_t *td_json_u64(uint64_t v);

/* json_real(); NaN and infinities, which JSON cannot write, give null.
 * NULL when out of memory. */
json_t *td_json_double(double v);

/* A new reply object holding "version" (TD_PROTO_VERSION) and "ok";
 * the caller adds the verb's members. NULL when out of memory. */
json_t *td_reply_new(bool ok);

/*
 * Dumps @reply (TD_JSON_DUMP_FLAGS) with a trailing "\n" into a new
 * NUL-terminated buffer (caller frees) and stores its length, "\n"
 * included, in @ret_len (may be NULL). Does not take @reply. NULL when
 * out of memory or @reply is NULL.
 */
char *td_reply_dump(const json_t *reply, size_t *ret_len);

/* A whole error reply, {"version":1,"ok":false,"error":@msg} and "\n",
 * @msg through td_json_bytes(); as td_reply_dump(). */
char *td_reply_error(const char *msg, size_t *ret_len);

/*
 * For tieringctl: parses one reply of @len bytes (trailing whitespace
 * allowed) with TD_JSON_LOAD_FLAGS. Returns 0 with the object in *@ret
 * (caller drops it with json_decref()) and the value of "ok" in *@ret_ok;
 * -EINVAL if it is not valid JSON, not an object with a boolean "ok" or,
 * when ok is false, has no string "error"; -EPROTONOSUPPORT if "version"
 * is not TD_PROTO_VERSION. @err (may be NULL) says what was wrong.
 */
int td_reply_parse(const char *buf, size_t len, json_t **ret, bool *ret_ok,
		   char *err, size_t errlen);

#endif
