// SPDX-License-Identifier: GPL-2.0-only
/*
 * tieringctl - talks to tieringd over its Unix socket: one request line,
 * one JSON reply (lib/reply.h), parsed with jansson. Links lib/ and jansson
 * only.
 * Exit codes: 0 ok, 1 error (connection, I/O, malformed or failed reply),
 * 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto.h"
#include "reply.h"

#define DEFAULT_SOCKET "/run/tieringd/tieringd.sock"
#define MAX_REPLY (16u << 20)
#define TIMEOUT_S 10
#define TEXT_MAX 4096		/* one value as printed */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tieringctl [--socket PATH] [-j|--json] VERB [ARGS]\n"
		"verbs:\n"
		"  status                  daemon state, sources, counters\n"
		"  stats                   counters\n"
		"  cgroups                 per-cgroup policy and counters\n"
		"  top [-n N] [--pid PID]  hottest pages (N 1..10000, default 20)\n"
		"  why PID ADDR            explain one page\n"
		"  reload                  reload the configuration\n"
		"  pause [CGROUP]          stop moving pages (all, or one cgroup)\n"
		"  resume [CGROUP]         start again\n"
		"options:\n"
		"  --socket PATH           default " DEFAULT_SOCKET "\n"
		"  -j, --json              print the reply as one JSON document\n");
}

/* ---------------------------------------------------------------- socket */

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = TIMEOUT_S };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* the send timeout also bounds connect() on a full backlog */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = errno == EAGAIN ? -ETIMEDOUT : -errno;

		close(fd);
		return r;
	}
	return fd;
}

static int send_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		s += n;
		len -= n;
	}
	return 0;
}

static int grow(char **buf, size_t *cap)
{
	size_t n = *cap ? *cap * 2 : 65536;
	char *p;

	if (n > MAX_REPLY)
		n = MAX_REPLY;
	p = realloc(*buf, n);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

/* Reads up to the first '\n' (not included in *@ret_len) or EOF.
 * -EMSGSIZE beyond MAX_REPLY bytes, -ETIMEDOUT after TIMEOUT_S of silence. */
static int read_reply(int fd, char **ret, size_t *ret_len)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *nl = NULL;
	int r = 0;

	while (!nl) {
		ssize_t n;

		if (len == cap) {
			r = cap == MAX_REPLY ? -EMSGSIZE : grow(&buf, &cap);
			if (r < 0)
				break;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		if (n == 0)
			break;
		nl = memchr(buf + len, '\n', n);
		len += n;
	}
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret_len = nl ? (size_t)(nl - buf) : len;
	*ret = buf;
	return 0;
}

/* Sends @line, reads the reply; prints what failed and returns exit code 1. */
static int exchange(const char *path, const char *line, size_t len, char **ret, size_t *ret_len)
{
	int fd = connect_to(path), r;

	if (fd < 0) {
		fprintf(stderr, "tieringctl: cannot connect to %s: %s\n", path, strerror(-fd));
		return 1;
	}
	r = send_all(fd, line, len);
	if (r < 0)
		fprintf(stderr, "tieringctl: sending to %s: %s\n", path, strerror(-r));
	else if ((r = read_reply(fd, ret, ret_len)) == -ETIMEDOUT)
		fprintf(stderr, "tieringctl: no reply from %s within %d s\n", path, TIMEOUT_S);
	else if (r == -EMSGSIZE)
		fprintf(stderr, "tieringctl: reply from %s longer than %u bytes\n", path, MAX_REPLY);
	else if (r < 0)
		fprintf(stderr, "tieringctl: reading from %s: %s\n", path, strerror(-r));
	close(fd);
	return r < 0 ? 1 : 0;
}

/* ---------------------------------------------------------------- values */

/* Copies @n bytes, control characters shown as '?', cut to fit. */
static char *sanitize(const char *s, size_t n, char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < n && i + 1 < size; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

static char *list_text(const json_t *n, char *buf, size_t size);

/* A number or object as the daemon wrote it (compact, members in order). */
static char *dumped(const json_t *n, char *buf, size_t size)
{
	char *s = json_dumps(n, JSON_ENCODE_ANY | TD_JSON_DUMP_FLAGS);

	if (!s)
		return sanitize("-", 1, buf, size);
	sanitize(s, strlen(s), buf, size);
	free(s);
	return buf;
}

/* A value for humans: strings bare, yes/no, numbers as sent, "-" if missing. */
static char *text(const json_t *n, char *buf, size_t size)
{
	switch (n ? json_typeof(n) : JSON_NULL) {
	case JSON_STRING:
		return sanitize(json_string_value(n), json_string_length(n), buf, size);
	case JSON_TRUE:
		return sanitize("yes", 3, buf, size);
	case JSON_FALSE:
		return sanitize("no", 2, buf, size);
	case JSON_ARRAY:
		return list_text(n, buf, size);
	case JSON_INTEGER:
	case JSON_REAL:
	case JSON_OBJECT:
		return dumped(n, buf, size);
	default:
		return sanitize("-", 1, buf, size);
	}
}

/* "0,1"; an empty list is "-". */
static char *list_text(const json_t *n, char *buf, size_t size)
{
	char item[TEXT_MAX];
	size_t off = 0, i;
	const json_t *v;

	buf[0] = '\0';
	json_array_foreach(n, i, v) {
		if (off >= size)
			break;
		off += snprintf(buf + off, size - off, "%s%s", off ? "," : "",
				text(v, item, sizeof(item)));
	}
	return off ? buf : sanitize("-", 1, buf, size);
}

/* A non-negative JSON integer. */
static bool as_u64(const json_t *n, uint64_t *ret)
{
	if (!json_is_integer(n) || json_integer_value(n) < 0)
		return false;
	*ret = json_integer_value(n);
	return true;
}

static char *human_bytes(const json_t *n, char *buf, size_t size)
{
	static const char units[] = "KMGTPE";
	uint64_t v;
	double d;
	int u;

	if (!as_u64(n, &v))
		return text(n, buf, size);
	if (v < 1024) {
		snprintf(buf, size, "%" PRIu64 "B", v);
		return buf;
	}
	for (d = v / 1024.0, u = 0; d >= 1024 && u < 5; u++)
		d /= 1024;
	snprintf(buf, size, "%.1f%c", d, units[u]);
	return buf;
}

static char *duration(const json_t *n, char *buf, size_t size)
{
	uint64_t s;

	if (!as_u64(n, &s))
		return text(n, buf, size);
	if (s >= 86400)
		snprintf(buf, size, "%" PRIu64 "d %" PRIu64 "h %" PRIu64 "m", s / 86400,
			 s / 3600 % 24, s / 60 % 60);
	else if (s >= 3600)
		snprintf(buf, size, "%" PRIu64 "h %" PRIu64 "m %" PRIu64 "s", s / 3600,
			 s / 60 % 60, s % 60);
	else if (s >= 60)
		snprintf(buf, size, "%" PRIu64 "m %" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(buf, size, "%" PRIu64 "s", s);
	return buf;
}

static char *fixed2(const json_t *n, char *buf, size_t size)
{
	if (!json_is_number(n))
		return text(n, buf, size);
	snprintf(buf, size, "%.2f", json_number_value(n));
	return buf;
}

typedef char *(*format_fn)(const json_t *n, char *buf, size_t size);

/* ---------------------------------------------------------------- key: value */

struct field {
	const char *key, *label;
	format_fn format;	/* NULL: text() */
};

static void print_sources(const json_t *sources, int width)
{
	char name[TEXT_MAX], hook[TEXT_MAX];
	const char *label = "Sources:";
	const json_t *s;
	size_t i;

	if (json_array_size(sources) == 0)
		printf("%-*s -\n", width, label);
	json_array_foreach(sources, i, s) {
		const json_t *attached = json_object_get(s, "attached");

		printf("%-*s %s (%s, %s)\n", width, label,
		       text(json_object_get(s, "name"), name, sizeof(name)),
		       text(json_object_get(s, "hook"), hook, sizeof(hook)),
		       !json_is_boolean(attached) ? "-" :
		       json_is_true(attached) ? "attached" : "not attached");
		label = "";
	}
}

/* Aligned "Label: value" lines; the "sources" key prints a list. */
static void print_fields(const json_t *root, const struct field *f, size_t n)
{
	char value[TEXT_MAX];
	int width = 0;

	for (size_t i = 0; i < n; i++)
		if ((int)strlen(f[i].label) + 1 > width)
			width = strlen(f[i].label) + 1;
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_object_get(root, f[i].key);
		char label[64];

		if (!strcmp(f[i].key, "sources")) {
			print_sources(v, width);
			continue;
		}
		snprintf(label, sizeof(label), "%s:", f[i].label);
		printf("%-*s %s\n", width, label,
		       (f[i].format ? f[i].format : text)(v, value, sizeof(value)));
	}
}

static int print_status(const json_t *root, const struct td_request *req)
{
	static const struct field fields[] = {
		{ .key = "uptime_s", .label = "Uptime", .format = duration },
		{ .key = "paused", .label = "Paused" },
		{ .key = "fast_nodes", .label = "Fast nodes" },
		{ .key = "slow_nodes", .label = "Slow nodes" },
		{ .key = "sources", .label = "Sources" },
		{ .key = "events_received", .label = "Events received" },
		{ .key = "events_dropped", .label = "Events dropped" },
		{ .key = "hot_entries", .label = "Hot entries" },
		{ .key = "pages_promoted", .label = "Pages promoted" },
		{ .key = "bytes_promoted", .label = "Bytes promoted" },
		{ .key = "pages_failed", .label = "Pages failed" },
		{ .key = "hot_threshold", .label = "Hot threshold", .format = fixed2 },
		{ .key = "hot_threshold_reason", .label = "Threshold reason" },
		{ .key = "pages_demoted", .label = "Pages demoted" },
		{ .key = "kernel_numa_balancing", .label = "Kernel NUMA balancing" },
		{ .key = "limitation", .label = "Limitation" },
		{ .key = "reloads", .label = "Reloads" },
		{ .key = "reload_failures", .label = "Reload failures" },
		{ .key = "config", .label = "Config" },
	};

	print_fields(root, fields, ARRAY_SIZE(fields));
	return 0;
}

static int print_why(const json_t *root, const struct td_request *req)
{
	static const struct field fields[] = {
		{ .key = "pid", .label = "PID" },
		{ .key = "addr", .label = "Address" },
		{ .key = "tracked", .label = "Tracked" },
		{ .key = "hotness", .label = "Hotness", .format = fixed2 },
		{ .key = "threshold", .label = "Threshold", .format = fixed2 },
		{ .key = "threshold_reason", .label = "Threshold reason" },
		{ .key = "bytes", .label = "Folio bytes" },
		{ .key = "node", .label = "Node" },
		{ .key = "tier", .label = "Tier" },
		{ .key = "cpu_node", .label = "Accessed from node" },
		{ .key = "target_node", .label = "Target node" },
		{ .key = "target", .label = "Target" },
		{ .key = "cgroup", .label = "Cgroup" },
		{ .key = "mode", .label = "Mode" },
		{ .key = "decision", .label = "Decision" },
		{ .key = "reason", .label = "Reason" },
	};

	print_fields(root, fields, ARRAY_SIZE(fields));
	return 0;
}

static int print_stats(const json_t *root, const struct td_request *req)
{
	const json_t *counters = json_object_get(root, "counters"), *v;
	char name[TEXT_MAX], value[TEXT_MAX];
	const char *k;
	int width = 0;

	json_object_foreach((json_t *)counters, k, v)
		if ((int)strlen(sanitize(k, strlen(k), name, sizeof(name))) > width)
			width = strlen(name);
	json_object_foreach((json_t *)counters, k, v)
		printf("%-*s %s\n", width, sanitize(k, strlen(k), name, sizeof(name)),
		       text(v, value, sizeof(value)));
	return 0;
}

/* ---------------------------------------------------------------- tables */

struct column {
	const char *header;
	const char *key;	/* NULL: format() gets the whole row */
	format_fn format;	/* NULL: text() */
	bool right;		/* right-aligned (numbers) */
};

static char *cell(const json_t *row, const struct column *c, char *buf, size_t size)
{
	const json_t *n = c->key ? json_object_get(row, c->key) : row;

	return (c->format ? c->format : text)(n, buf, size);
}

static void free_cells(char **cells, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(cells[i]);
	free(cells);
}

static int table_cells(const json_t *rows, const struct column *c, size_t ncols,
		       char ***ret)
{
	size_t nrows = json_array_size(rows) + 1, i = 0, ri;
	char **cells = calloc(nrows * ncols, sizeof(*cells)), buf[TEXT_MAX];
	const json_t *r;

	if (!cells)
		return -ENOMEM;
	for (size_t k = 0; k < ncols; k++)
		cells[i++] = strdup(c[k].header);
	json_array_foreach(rows, ri, r)
		for (size_t k = 0; k < ncols; k++)
			cells[i++] = strdup(cell(r, &c[k], buf, sizeof(buf)));
	for (i = 0; i < nrows * ncols; i++)
		if (!cells[i]) {
			free_cells(cells, nrows * ncols);
			return -ENOMEM;
		}
	*ret = cells;
	return nrows;
}

/* A header line and one line per element of @rows, columns padded to fit. */
static int print_table(const json_t *rows, const struct column *c, size_t ncols)
{
	int width[8] = {}, nrows;
	char **cells;

	if (ncols > ARRAY_SIZE(width))
		return -EINVAL;
	nrows = table_cells(rows, c, ncols, &cells);
	if (nrows < 0)
		return nrows;
	for (int i = 0; i < nrows; i++)
		for (size_t k = 0; k < ncols; k++)
			if ((int)strlen(cells[i * ncols + k]) > width[k])
				width[k] = strlen(cells[i * ncols + k]);
	for (int i = 0; i < nrows; i++)
		for (size_t k = 0; k < ncols; k++) {
			const char *s = cells[i * ncols + k];
			bool last = k + 1 == ncols;

			printf("%*s%s", c[k].right ? width[k] : last ? 0 : -width[k], s, last ? "\n" : "  ");
		}
	free_cells(cells, nrows * ncols);
	return 0;
}

/* "promote", or "promote (paused)" */
static char *mode_text(const json_t *row, char *buf, size_t size)
{
	size_t len = strlen(text(json_object_get(row, "mode"), buf, size));

	if (json_is_true(json_object_get(row, "paused")) && len < size)
		snprintf(buf + len, size - len, " (paused)");
	return buf;
}

static int print_cgroups(const json_t *root, const struct td_request *req)
{
	static const struct column cols[] = {
		{ .header = "PATH", .key = "path" },
		{ .header = "MODE", .format = mode_text },
		{ .header = "WEIGHT", .key = "weight", .right = true },
		{ .header = "THRESHOLD", .key = "threshold", .format = fixed2, .right = true },
		{ .header = "PROMOTED", .key = "pages_promoted", .right = true },
		{ .header = "FAILED", .key = "pages_failed", .right = true },
		{ .header = "FAST", .key = "fast_bytes", .format = human_bytes, .right = true },
		{ .header = "SLOW", .key = "slow_bytes", .format = human_bytes, .right = true },
	};

	return print_table(json_object_get(root, "cgroups"), cols, ARRAY_SIZE(cols));
}

static int print_top(const json_t *root, const struct td_request *req)
{
	static const struct column cols[] = {
		{ .header = "PID", .key = "pid", .right = true },
		{ .header = "ADDR", .key = "addr" },
		{ .header = "HOTNESS", .key = "hotness", .format = fixed2, .right = true },
		{ .header = "SIZE", .key = "bytes", .format = human_bytes, .right = true },
		{ .header = "NODE", .key = "node", .right = true },
		{ .header = "CGROUP", .key = "cgroup" },
	};

	return print_table(json_object_get(root, "pages"), cols, ARRAY_SIZE(cols));
}

/* ---------------------------------------------------------------- actions */

static int print_reload(const json_t *root, const struct td_request *req)
{
	const json_t *r = json_object_get(root, "reloaded");
	bool reloaded = json_is_boolean(r) ? json_is_true(r) : true;

	const json_t *restart = json_object_get(root, "restart_needed"), *k;
	size_t i;

	printf("%s\n", reloaded ? "Configuration reloaded." : "Configuration unchanged.");
	/* start-only keys the file changed keep their running values */
	json_array_foreach(restart, i, k)
		fprintf(stderr, "tieringctl: %s is read at start only: restart tieringd to apply it\n",
			json_is_string(k) ? json_string_value(k) : "?");
	return 0;
}

static int print_pause(const json_t *root, const struct td_request *req)
{
	const json_t *cgroup = json_object_get(root, "cgroup"), *p = json_object_get(root, "paused");
	bool paused = json_is_boolean(p) ? json_is_true(p) : req->verb == TD_VERB_PAUSE;
	char path[TEXT_MAX];

	if (json_is_string(cgroup))
		printf("%s page moves for %s.\n", paused ? "Paused" : "Resumed",
		       text(cgroup, path, sizeof(path)));
	else
		printf("%s page moves for all cgroups.\n", paused ? "Paused" : "Resumed");
	return 0;
}

typedef int (*print_fn)(const json_t *root, const struct td_request *req);

static const print_fn printers[_TD_VERB_MAX] = {
	[TD_VERB_STATUS] = print_status,
	[TD_VERB_STATS] = print_stats,
	[TD_VERB_CGROUPS] = print_cgroups,
	[TD_VERB_TOP] = print_top,
	[TD_VERB_WHY] = print_why,
	[TD_VERB_RELOAD] = print_reload,
	[TD_VERB_PAUSE] = print_pause,
	[TD_VERB_RESUME] = print_pause,
};

/* ---------------------------------------------------------------- main */

/* -j: the list for cgroups and top, the whole reply otherwise, dumped as
 * the daemon dumps it (the same text as sent). */
static int print_json(const json_t *root, const struct td_request *req)
{
	const json_t *n = root;
	char *s;

	if (req->verb == TD_VERB_CGROUPS || req->verb == TD_VERB_TOP) {
		const char *key = req->verb == TD_VERB_TOP ? "pages" : "cgroups";

		n = json_object_get(root, key);
		if (!json_is_array(n)) {
			fprintf(stderr, "tieringctl: malformed reply: no \"%s\" list\n", key);
			return 1;
		}
	}
	s = json_dumps(n, TD_JSON_DUMP_FLAGS);
	if (!s) {
		fprintf(stderr, "tieringctl: %s\n", strerror(ENOMEM));
		return 1;
	}
	printf("%s\n", s);
	free(s);
	return 0;
}

/* The daemon's message, one "tieringctl: " line per line of it. */
static void print_error(const json_t *root)
{
	const json_t *e = json_object_get(root, "error");
	const char *s = json_string_value(e);
	size_t len = json_string_length(e), n;
	char line[TEXT_MAX];

	if (!s || len == 0) {
		fprintf(stderr, "tieringctl: request failed\n");
		return;
	}
	do {
		const char *nl = memchr(s, '\n', len);

		n = nl ? (size_t)(nl - s) : len;
		fprintf(stderr, "tieringctl: %s\n", sanitize(s, n, line, sizeof(line)));
		s += n + !!nl;
		len -= n + !!nl;
	} while (len > 0);
}

static int handle_reply(const char *buf, size_t len, const struct td_request *req, bool json)
{
	json_t *doc;
	char err[128];
	bool ok;
	int r;

	r = td_reply_parse(buf, len, &doc, &ok, err, sizeof(err));
	if (r == -EPROTONOSUPPORT)
		fprintf(stderr, "tieringctl: %s (this tieringctl speaks %d)\n", err, TD_PROTO_VERSION);
	else if (r < 0)
		fprintf(stderr, "tieringctl: malformed reply: %s\n", r == -ENOMEM ? strerror(ENOMEM) : err);
	if (r < 0)
		return 1;
	if (!ok) {
		print_error(doc);
		r = 1;
	} else if (json) {
		r = print_json(doc, req);
	} else if (printers[req->verb](doc, req) < 0) {
		fprintf(stderr, "tieringctl: %s\n", strerror(ENOMEM));
		r = 1;
	}
	json_decref(doc);
	return r;
}

static int run(const char *path, bool json, int argc, char **argv)
{
	char line[TD_PROTO_MAX_REQUEST + 1], err[128], *reply = NULL;
	struct td_request req;
	size_t len;
	int n, r;

	n = td_proto_format_request(argc, argv, line, sizeof(line), err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "tieringctl: %s\n", n == -EINVAL ? err : strerror(-n));
		if (n == -EINVAL)
			fprintf(stderr, "Try 'tieringctl --help'.\n");
		return 2;
	}
	/* the same validation again, for the verb and arguments as fields */
	if (td_proto_parse_request(line, n, &req, err, sizeof(err)) < 0)
		return 2;
	r = exchange(path, line, n, &reply, &len);
	if (r == 0 && len == 0) {
		fprintf(stderr, "tieringctl: %s closed the connection without a reply\n", path);
		r = 1;
	} else if (r == 0) {
		r = handle_reply(reply, len, &req, json);
	}
	free(reply);
	return r;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *path = DEFAULT_SOCKET;
	bool json = false;
	int c;

	/* "+": stop at the verb, so "top -n 5" keeps its own options */
	while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	return run(path, json, argc - optind, argv + optind);
}
