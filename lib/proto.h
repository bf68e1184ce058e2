/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * proto.h - the tieringd socket protocol, a pure codec.
 *
 * One request per connection: one line of printable ASCII,
 *
 *	VERB [ARGS...]\n
 *
 * words separated by spaces and/or tabs, at most TD_PROTO_MAX_REQUEST bytes
 * including the newline. Verbs:
 *
 *	status | stats | cgroups | reload
 *	top [-n N] [--pid PID]		N 1..10000 (default 20)
 *	why PID ADDR			ADDR hex with 0x, or decimal; any alignment
 *	pause [CGROUP] | resume [CGROUP]	CGROUP absolute, no ".." component
 *
 * PID is decimal, 1..2147483647. One reply: a JSON object followed by "\n"
 * (lib/reply.h builds and parses it).
 */
#ifndef TIERINGD_PROTO_H
#define TIERINGD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TD_PROTO_VERSION 1
#define TD_PROTO_MAX_REQUEST (4 << 10)	/* bytes, the newline included */
#define TD_PROTO_CGROUP_MAX 512		/* bytes, the NUL included */
#define TD_PROTO_TOP_DEFAULT 20
#define TD_PROTO_TOP_MAX 10000
#define TD_PROTO_PID_MAX 2147483647U

enum td_verb {
	TD_VERB_STATUS,
	TD_VERB_STATS,
	TD_VERB_CGROUPS,
	TD_VERB_TOP,
	TD_VERB_WHY,
	TD_VERB_RELOAD,
	TD_VERB_PAUSE,
	TD_VERB_RESUME,
	_TD_VERB_MAX,
};

/* Fields a verb does not take are zero. */
struct td_request {
	enum td_verb verb;
	uint32_t top_n;			/* top: 1..TD_PROTO_TOP_MAX */
	bool has_pid;			/* top --pid given; always for why */
	uint32_t pid;			/* top --pid, why: 1..TD_PROTO_PID_MAX */
	uint64_t addr;			/* why: as given, not page-aligned */
	bool has_cgroup;		/* pause/resume: one cgroup, else all */
	char cgroup[TD_PROTO_CGROUP_MAX];
};

/*
 * Parses one request line of @len bytes (a trailing "\n" is optional; @buf
 * need not be NUL-terminated). Returns 0 and fills *@ret, or -EINVAL with a
 * short message in @err ("unknown verb 'x'", "request too long",
 * "bad PID 'x'", ...), which may be NULL.
 */
int td_proto_parse_request(const char *buf, size_t len, struct td_request *ret,
			   char *err, size_t errlen);

/* "status", "top", ...; NULL for a value out of range. */
const char *td_proto_verb_name(enum td_verb verb);

/* True for the verbs that change the daemon: reload, pause, resume. */
bool td_proto_verb_mutating(enum td_verb verb);

/*
 * For tieringctl: @argv[0] is the verb, the rest its arguments. Validates
 * them exactly as td_proto_parse_request() would (and refuses empty
 * arguments or ones with blanks or newlines, which a line cannot carry),
 * then writes
 * the request line with its "\n" and a NUL to @buf. Returns the line's
 * length, -EINVAL with a message in @err for bad usage, -ENOBUFS if @size
 * is too small.
 */
int td_proto_format_request(int argc, char **argv, char *buf, size_t size,
			    char *err, size_t errlen);

/*
 * The canonical line for a parsed request (top always with "-n N"), with
 * its "\n" and a NUL; parsing it gives back an equal request. Returns the
 * line's length, -EINVAL if @req is out of range, -ENOBUFS if @size is
 * too small (TD_PROTO_MAX_REQUEST + 1 is always enough).
 */
int td_proto_request_line(const struct td_request *req, char *buf, size_t size);

/* True if the two requests have the same verb and arguments. */
bool td_proto_request_equal(const struct td_request *a, const struct td_request *b);

#endif
