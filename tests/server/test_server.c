// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_server.c - host test of daemon/ops/server.c. Real servers on temp
 * paths, attached to one sd-event loop that runs in the main thread the way
 * the daemon runs it; clients are driven from a second thread (and a third
 * for the connection storm) and, for other credentials, from forked children.
 * No root needed; the credential checks that need root say SKIP without it.
 * Exit 0 when every check passed; one "FAIL file:line: what" per failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <signal.h>
#include <sys/wait.h>

#include <systemd/sd-event.h>

#include "ops/log.h"
#include "ops/server.h"

#define BIG_BYTES	(1 << 20)
#define FAST_IDLE_MS	300
#define MAX_REQUEST	4096

#define REPLY_DENIED	"{\"version\":1,\"ok\":false,\"error\":\"permission denied\"}\n"
#define REPLY_TOO_LONG	"{\"version\":1,\"ok\":false,\"error\":\"request too long\"}\n"
#define REPLY_NOMEM	"{\"version\":1,\"ok\":false,\"error\":\"out of memory\"}\n"
#define REPLY_BUSY	"{\"version\":1,\"ok\":false,\"error\":" \
			"\"busy: too many connections from this user, try again\"}\n"
#define UID_SHARE	4	/* max_clients 16 / 4 */

static atomic_int failures;
static atomic_bool done;
static atomic_int recorded;	/* "record" requests the handler saw */
static sd_event *loop;		/* the servers' loop, run by run_loop() */

/* Prints "ok" for a section when it added no failures since section_start(). */
static int section_failures;

static void section_start(void)
{
	section_failures = atomic_load(&failures);
}

static void section_end(const char *what)
{
	printf("%s %s\n", atomic_load(&failures) == section_failures ? "ok  " : "FAIL", what);
}

static bool check(bool ok, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool check(bool ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return true;
	fprintf(stderr, "FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	atomic_fetch_add(&failures, 1);
	return false;
}
#define CHECK(cond, ...) check((cond), __FILE__, __LINE__, __VA_ARGS__)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t now_ms(void)
{
	return now_ns() / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ------------------------------------------------------------ the handler */

struct test_srv {
	struct td_server *s;
	char path[256];
};

static char *echo_reply(const char *line, size_t len, size_t *ret_len)
{
	static const char head[] = "{\"version\":1,\"ok\":true,\"echo\":\"";
	char *out = malloc(sizeof(head) + len * 6 + 4), *p;

	if (!out)
		return NULL;
	p = stpcpy(out, head);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = line[i];

		if (ch == '"' || ch == '\\')
			p += sprintf(p, "\\%c", ch);
		else if (ch < 0x20)
			p += sprintf(p, "\\u%04x", ch);
		else
			*p++ = ch;
	}
	p = stpcpy(p, "\"}\n");
	*ret_len = p - out;
	return out;
}

static char *big_reply(size_t *ret_len)
{
	char *line = malloc(BIG_BYTES), *out;

	if (!line)
		return NULL;
	memset(line, 'x', BIG_BYTES);
	out = echo_reply(line, BIG_BYTES, ret_len);
	free(line);
	return out;
}

static bool line_is(const char *line, size_t len, const char *what)
{
	return len == strlen(what) && !memcmp(line, what, len);
}

/* Echoes the line; a few lines are verbs of the test. Runs in the main
 * thread, so it may read the server's counters. */
static char *handle(void *ctx, const char *line, size_t len, const struct td_peer *peer,
		    size_t *ret_len)
{
	struct test_srv *t = ctx;
	const struct td_server_counters *k;
	char *out = NULL;
	int n = -1;

	if (line[len] != '\0')
		return NULL;
	if (line_is(line, len, "big"))
		return big_reply(ret_len);
	if (line_is(line, len, "oom"))
		return NULL;
	if (line_is(line, len, "record"))
		atomic_fetch_add(&recorded, 1);
	if (len > 6 && !memcmp(line, "sleep ", 6))
		sleep_ms(atoi(line + 6));	/* the loop is busy meanwhile */
	if (line_is(line, len, "peer")) {
		n = asprintf(&out, "{\"version\":1,\"ok\":true,\"uid\":%u,\"gid\":%u,\"pid\":%d,"
			     "\"in_group\":%s}\n", (unsigned)peer->uid, (unsigned)peer->gid,
			     (int)peer->pid, peer->in_group ? "true" : "false");
	} else if (len > 5 && !memcmp(line, "held ", 5)) {
		n = asprintf(&out, "{\"version\":1,\"ok\":true,\"held\":%u,\"busy\":%" PRIu64 "}\n",
			     td_server_clients(t->s, (uid_t)strtoul(line + 5, NULL, 10)),
			     td_server_counters(t->s)->busy);
	} else if (line_is(line, len, "counters")) {
		k = td_server_counters(t->s);
		n = asprintf(&out, "{\"version\":1,\"ok\":true,\"accepted\":%" PRIu64 ",\"evicted\":%"
			     PRIu64 ",\"timed_out\":%" PRIu64 ",\"too_long\":%" PRIu64
			     ",\"denied\":%" PRIu64 "}\n", k->accepted, k->evicted, k->timed_out,
			     k->too_long, k->denied);
	} else {
		return echo_reply(line, len, ret_len);
	}
	if (n < 0)
		return NULL;
	*ret_len = n;
	return out;
}

/* ------------------------------------------------------------ clients */

static char tmpdir[] = "/tmp/test_server.XXXXXX";
static struct test_srv fast, slow;	/* idle 300 ms, group; idle 5 s, no group */
static const char *test_group;		/* NULL: no usable group here */
static gid_t test_gid;

static void set_sun_path(struct sockaddr_un *sa, const char *path)
{
	size_t n = strnlen(path, sizeof(sa->sun_path) - 1);

	memcpy(sa->sun_path, path, n);
	sa->sun_path[n] = '\0';
}

/* Whether this process is in test_group, as the server should see it. */
static bool member_of_test_group(void)
{
	gid_t groups[256];
	int n = getgroups(256, groups);

	if (!test_group)
		return false;
	if (getegid() == test_gid)
		return true;
	for (int i = 0; i < n; i++)
		if (groups[i] == test_gid)
			return true;
	return false;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	set_sun_path(&sa, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static bool send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t k = send(fd, buf, len, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		buf += k;
		len -= k;
	}
	return true;
}

/*
 * Reads until the server closes (EOF or reset) or timeout_ms pass. Returns
 * the bytes NUL-terminated; *ret_end is 0 for EOF, -ECONNRESET and such for
 * an error after the data, -ETIMEDOUT when the server never closed.
 */
static char *read_all(int fd, int timeout_ms, size_t *ret_len, int *ret_end)
{
	uint64_t deadline = now_ms() + timeout_ms;
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	*ret_end = -ETIMEDOUT;
	while (buf) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = (int64_t)(deadline - now_ms());
		ssize_t k;

		if (left <= 0 || poll(&pfd, 1, (int)left) == 0)
			break;
		if (len + 1 >= cap) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				free(buf);
				return NULL;
			}
			buf = bigger;
			cap *= 2;
		}
		k = recv(fd, buf + len, cap - len - 1, MSG_DONTWAIT);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0) {
			*ret_end = k < 0 ? -errno : 0;
			break;
		}
		len += k;
	}
	if (buf)
		buf[len] = '\0';
	*ret_len = len;
	return buf;
}

/* One request line (without '\n'), the whole reply; NULL on failure. */
static char *request(const char *path, const char *line, int timeout_ms, size_t *ret_len)
{
	size_t n = strlen(line), len;
	char *msg = malloc(n + 2), *reply = NULL;
	int fd, end;

	if (!msg)
		return NULL;
	memcpy(msg, line, n);
	msg[n] = '\n';
	fd = connect_to(path);
	if (fd >= 0 && send_all(fd, msg, n + 1)) {
		reply = read_all(fd, timeout_ms, &len, &end);
		if (reply && end != 0) {
			free(reply);
			reply = NULL;
		}
	}
	if (fd >= 0)
		close(fd);
	free(msg);
	if (reply && ret_len)
		*ret_len = len;
	return reply;
}

static bool reply_is(const char *reply, const char *want)
{
	return reply && !strcmp(reply, want);
}

static char *echo_of(const char *line)
{
	size_t len;

	return echo_reply(line, strlen(line), &len);
}

static bool get_counters(const char *path, struct td_server_counters *k)
{
	char *reply = request(path, "counters", 1000, NULL);
	bool ok = reply && sscanf(reply, "{\"version\":1,\"ok\":true,\"accepted\":%" SCNu64
				  ",\"evicted\":%" SCNu64 ",\"timed_out\":%" SCNu64
				  ",\"too_long\":%" SCNu64 ",\"denied\":%" SCNu64 "}",
				  &k->accepted, &k->evicted, &k->timed_out, &k->too_long,
				  &k->denied) == 5;

	CHECK(ok, "counters request on %s: %s", path, reply ?: "(no reply)");
	free(reply);
	return ok;
}

/* ------------------------------------------------------------ client cases */

/* (a) one request answered; credentials; split and trailing bytes */
static void test_one_request(void)
{
	char *want = echo_of("hello"), *reply, in_group[8] = "";
	unsigned uid = -1, gid = -1;
	int pid = 0, fd, end;
	size_t len;

	reply = request(fast.path, "hello", 1000, NULL);
	CHECK(reply_is(reply, want), "(a) hello answered: %s", reply ?: "(none)");
	free(reply);

	reply = request(fast.path, "peer", 1000, NULL);
	CHECK(reply && sscanf(reply, "{\"version\":1,\"ok\":true,\"uid\":%u,\"gid\":%u,\"pid\":%d,"
			      "\"in_group\":%7[a-z]}", &uid, &gid, &pid, in_group) == 4,
	      "(a) peer reply: %s", reply ?: "(none)");
	CHECK(uid == getuid() && gid == getgid() && pid == getpid(),
	      "(a) SO_PEERCRED: uid %u gid %u pid %d", uid, gid, pid);
	CHECK(!strcmp(in_group, member_of_test_group() ? "true" : "false"),
	      "(a) in_group %s with group %s", in_group, test_group ?: "(none)");
	free(reply);

	reply = request(slow.path, "peer", 1000, NULL);
	CHECK(reply && strstr(reply, "\"in_group\":false}"),
	      "(a) nonexistent group: not in it, still allowed: %s", reply ?: "(none)");
	free(reply);

	/* a request in pieces, with bytes after the '\n' that are ignored */
	fd = connect_to(fast.path);
	CHECK(fd >= 0, "(a) connect: %s", strerror(-fd));
	if (fd < 0)
		goto out;
	send_all(fd, "hel", 3);
	sleep_ms(50);
	send_all(fd, "lo\nstatus\n", 10);
	reply = read_all(fd, 1000, &len, &end);
	CHECK(end == 0 && reply_is(reply, want), "(a) split request: end %d reply %s", end,
	      reply ?: "(none)");
	free(reply);
	close(fd);
out:
	free(want);
	section_end("(a) one request answered");
}

/* Whether the server closed fd (EOF without data), without waiting. */
static bool closed_by_server(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	return fd >= 0 && poll(&pfd, 1, 0) == 1 && recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

/* (b) 100 idle clients and a 1 MiB line without '\n' lock nobody out */
static void test_flood(void)
{
	struct td_server_counters k = { 0 };
	int idle[100], g, end, n_idle = 0;
	char *junk = malloc(BIG_BYTES), *reply, *want = echo_of("status");
	size_t sent = 0, len;
	uint64_t t0, dt;

	for (int i = 0; i < 100; i++) {
		idle[i] = connect_to(slow.path);
		if (idle[i] >= 0)
			n_idle++;
	}
	CHECK(n_idle == 100, "(b) %d of 100 idle clients connected", n_idle);
	/* part of a line: idle[84] is kept over the clients that sent nothing */
	sleep_ms(50);
	CHECK(idle[84] >= 0 && send_all(idle[84], "x", 1), "(b) partial line");
	sleep_ms(50);

	g = connect_to(slow.path);
	CHECK(g >= 0 && junk, "(b) garbage client connects");
	memset(junk, 'g', BIG_BYTES);
	t0 = now_ms();
	while (g >= 0 && junk && sent < BIG_BYTES && now_ms() - t0 < 2000) {
		struct pollfd pfd = { .fd = g, .events = POLLOUT };
		ssize_t k2;

		poll(&pfd, 1, 100);
		k2 = send(g, junk + sent, BIG_BYTES - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k2 > 0)
			sent += k2;
		else if (k2 < 0 && errno != EAGAIN && errno != EINTR)
			break;	/* the server closed it: EPIPE */
	}
	CHECK(sent < BIG_BYTES, "(b) the server stopped reading the garbage after %zu bytes", sent);

	t0 = now_ms();
	reply = request(slow.path, "status", 1000, NULL);
	dt = now_ms() - t0;
	CHECK(reply_is(reply, want) && dt < 1000, "(b) status answered in %" PRIu64 " ms: %s", dt,
	      reply ?: "(none)");
	free(reply);

	reply = g >= 0 ? read_all(g, 1000, &len, &end) : NULL;
	CHECK(reply_is(reply, REPLY_TOO_LONG), "(b) garbage client told: %s", reply ?: "(none)");
	free(reply);

	/* silent clients go first, oldest first: the table ends with idle[84]
	 * and the newest silent ones, and idle[85] went for the garbage client */
	CHECK(closed_by_server(idle[0]) && closed_by_server(idle[83]) &&
	      closed_by_server(idle[85]), "(b) the oldest silent clients evicted");
	CHECK(!closed_by_server(idle[84]) && !closed_by_server(idle[86]) &&
	      !closed_by_server(idle[99]), "(b) the partial line and the newest clients kept");

	if (get_counters(slow.path, &k))
		CHECK(k.evicted >= 85 && k.too_long == 1 && k.accepted >= 102 && k.timed_out == 0,
		      "(b) counters: accepted %" PRIu64 " evicted %" PRIu64 " too_long %" PRIu64
		      " timed_out %" PRIu64, k.accepted, k.evicted, k.too_long, k.timed_out);
	for (int i = 0; i < 100; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	if (g >= 0)
		close(g);
	free(junk);
	free(want);
	section_end("(b) 100 idle clients + 1 MiB garbage: status still answered");
}

/* Sends n bytes of 'a' (plus '\n' when newline) and returns the reply. */
static char *send_as(size_t n, bool newline, int *ret_end)
{
	char *msg = malloc(n + 1), *reply = NULL;
	size_t len;
	int fd;

	*ret_end = -EIO;
	fd = connect_to(fast.path);
	if (msg && fd >= 0) {
		memset(msg, 'a', n);
		msg[n] = '\n';
		if (send_all(fd, msg, n + newline))
			reply = read_all(fd, 2000, &len, ret_end);
	}
	if (fd >= 0)
		close(fd);
	free(msg);
	return reply;
}

/* (c) max_request counts the '\n' */
static void test_lengths(void)
{
	char *line = malloc(MAX_REQUEST), *want, *reply;
	int end;

	memset(line, 'a', MAX_REQUEST - 1);
	line[MAX_REQUEST - 1] = '\0';
	want = echo_of(line);

	reply = send_as(MAX_REQUEST - 1, /* newline= */ true, &end);
	CHECK(reply_is(reply, want) && end == 0, "(c) 4095 bytes + '\\n' answered (%zu bytes back)",
	      reply ? strlen(reply) : 0);
	free(reply);
	reply = send_as(MAX_REQUEST, /* newline= */ false, &end);
	CHECK(reply_is(reply, REPLY_TOO_LONG), "(c) 4096 bytes without '\\n': %.80s",
	      reply ?: "(none)");
	free(reply);
	reply = send_as(MAX_REQUEST, /* newline= */ true, &end);
	CHECK(reply_is(reply, REPLY_TOO_LONG), "(c) 4096 bytes + '\\n': %.80s", reply ?: "(none)");
	free(reply);
	reply = send_as(0, /* newline= */ true, &end);
	free(want);
	want = echo_of("");
	CHECK(reply_is(reply, want), "(c) empty line answered: %s", reply ?: "(none)");
	free(reply);
	free(want);
	free(line);
	section_end("(c) 4095+'\\n' answered, 4096 without '\\n' too long");
}

/* Connects, sends what (may be empty), and measures until the server closes. */
static void expect_timeout(const char *what, const char *label)
{
	uint64_t t0 = now_ms(), dt;
	char *reply = NULL;
	size_t len = 0;
	int fd = connect_to(fast.path), end = -EIO;

	if (fd >= 0 && send_all(fd, what, strlen(what)))
		reply = read_all(fd, 3000, &len, &end);
	dt = now_ms() - t0;
	CHECK(reply && len == 0 && end == 0 && dt >= FAST_IDLE_MS - 50 && dt < 2000,
	      "(d) %s: closed after %" PRIu64 " ms (end %d, %zu bytes)", label, dt, end, len);
	free(reply);
	if (fd >= 0)
		close(fd);
}

/* (d) idle clients are closed idle_timeout after their last progress */
static void test_idle_timeout(void)
{
	struct td_server_counters k0 = { 0 }, k1 = { 0 };
	char *reply, *want = echo_of("aaaaaaaa");
	size_t len;
	int fd, end;

	get_counters(fast.path, &k0);
	expect_timeout("", "silent client");
	expect_timeout("abc", "partial line");

	/* progress every 100 ms keeps a client for longer than 300 ms */
	fd = connect_to(fast.path);
	for (int i = 0; fd >= 0 && i < 8; i++) {
		send_all(fd, "a", 1);
		sleep_ms(100);
	}
	if (fd >= 0)
		send_all(fd, "\n", 1);
	reply = fd >= 0 ? read_all(fd, 1000, &len, &end) : NULL;
	CHECK(reply_is(reply, want), "(d) trickling client answered after 800 ms: %s",
	      reply ?: "(none)");
	free(reply);
	if (fd >= 0)
		close(fd);

	/* EOF before '\n': closed at once, no reply, not a timeout */
	fd = connect_to(fast.path);
	if (fd >= 0) {
		uint64_t t0 = now_ms();

		send_all(fd, "abc", 3);
		shutdown(fd, SHUT_WR);
		reply = read_all(fd, 1000, &len, &end);
		CHECK(reply && len == 0 && end == 0 && now_ms() - t0 < FAST_IDLE_MS - 50,
		      "(d) EOF before '\\n': closed at once (%" PRIu64 " ms)", now_ms() - t0);
		free(reply);
		close(fd);
	}
	if (get_counters(fast.path, &k1))
		CHECK(k1.timed_out == k0.timed_out + 2, "(d) timed_out %" PRIu64 " -> %" PRIu64,
		      k0.timed_out, k1.timed_out);
	free(want);
	section_end("(d) idle clients closed after 300 ms without progress");
}

/* (e) a client that never reads its 1 MiB reply stalls nobody */
static void test_slow_reader(void)
{
	struct td_server_counters k0 = { 0 }, k1 = { 0 };
	char *want = echo_of("hello"), *big, *reply;
	size_t big_len = 0, len = 0;
	uint64_t t0, dt;
	int a, end = -EIO;

	big = big_reply(&big_len);
	get_counters(fast.path, &k0);
	a = connect_to(fast.path);
	CHECK(a >= 0 && send_all(a, "big\n", 4), "(e) slow reader sends its request");
	sleep_ms(50);

	t0 = now_ms();
	reply = request(fast.path, "hello", 1000, NULL);
	dt = now_ms() - t0;
	CHECK(reply_is(reply, want) && dt < 1000, "(e) hello beside a stalled reply: %" PRIu64
	      " ms, %s", dt, reply ?: "(none)");
	free(reply);

	/* the stalled client is dropped after the idle timeout */
	sleep_ms(FAST_IDLE_MS * 3);
	if (get_counters(fast.path, &k1))
		CHECK(k1.timed_out == k0.timed_out + 1, "(e) stalled reader timed out: %" PRIu64
		      " -> %" PRIu64, k0.timed_out, k1.timed_out);
	reply = a >= 0 ? read_all(a, 1000, &len, &end) : NULL;
	CHECK(reply && len < big_len && end != -ETIMEDOUT,
	      "(e) stalled reader got %zu of %zu bytes, then the end (%d)", len, big_len, end);
	free(reply);
	if (a >= 0)
		close(a);

	/* a reader that keeps up gets all of it */
	reply = request(fast.path, "big", 5000, &len);
	CHECK(big && reply && len == big_len && !memcmp(reply, big, len),
	      "(e) 1 MiB reply intact: %zu of %zu bytes", reply ? len : 0, big_len);
	free(reply);

	reply = request(fast.path, "oom", 1000, NULL);
	CHECK(reply_is(reply, REPLY_NOMEM), "(e) handler NULL -> %s", reply ?: "(none)");
	free(reply);
	free(big);
	free(want);
	section_end("(e) a stalled 1 MiB reply stalls nobody");
}

/* In a forked child: becomes uid with primary group gid and the given
 * supplementary groups, or exits 2. */
static void drop_to(uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups)
{
	if (setgroups(n_groups, groups) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		_exit(2);
}

/* In a child: drops to uid 65534 with the given groups, asks "peer". */
static char *peer_as(gid_t gid, const gid_t *groups, size_t n_groups)
{
	char buf[512] = "";
	int pfd[2], status;
	ssize_t n = 0, k;
	pid_t pid;

	if (pipe(pfd) < 0)
		return NULL;
	pid = fork();
	if (pid == 0) {
		char *reply;

		close(pfd[0]);
		drop_to(65534, gid, groups, n_groups);
		reply = request(fast.path, "peer", 2000, NULL);
		if (reply)
			(void)!write(pfd[1], reply, strlen(reply));
		_exit(reply ? 0 : 1);
	}
	close(pfd[1]);
	while (pid > 0 && (k = read(pfd[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += k;
	close(pfd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

/* (f) peers that are neither root nor in the group are refused */
static void test_permissions(void)
{
	struct td_server_counters k0 = { 0 }, k1 = { 0 };
	char *reply;

	if (geteuid() != 0 || !test_group) {
		printf("SKIP (f) other credentials: needs root and a group\n");
		return;
	}
	/* a misconfigured socket: the file lets anyone connect */
	CHECK(chmod(tmpdir, 0711) == 0 && chmod(fast.path, 0666) == 0, "(f) chmod: %s",
	      strerror(errno));
	get_counters(fast.path, &k0);
	reply = peer_as(65534, NULL, 0);
	CHECK(reply_is(reply, REPLY_DENIED), "(f) stranger: %s", reply ?: "(none)");
	free(reply);
	reply = peer_as(65534, &test_gid, 1);
	CHECK(reply && strstr(reply, "\"uid\":65534,") && strstr(reply, "\"in_group\":true}"),
	      "(f) supplementary member: %s", reply ?: "(none)");
	free(reply);
	reply = peer_as(test_gid, NULL, 0);
	CHECK(reply && strstr(reply, "\"in_group\":true}"), "(f) primary member: %s",
	      reply ?: "(none)");
	free(reply);
	if (get_counters(fast.path, &k1))
		CHECK(k1.denied == k0.denied + 1, "(f) denied %" PRIu64 " -> %" PRIu64, k0.denied,
		      k1.denied);
	chmod(fast.path, 0660);
	chmod(tmpdir, 0700);
	section_end("(f) strangers denied, group members (primary, supplementary) allowed");
}

/* Sends "sleep MS": the server's loop is busy in the handler for MS ms.
 * Returns the connection, to be read and closed by the caller. */
static int busy_loop(const char *path, unsigned ms)
{
	char line[32];
	int fd = connect_to(path), n = snprintf(line, sizeof(line), "sleep %u\n", ms);

	CHECK(fd >= 0 && send_all(fd, line, n), "sleep request on %s", path);
	sleep_ms(50);	/* the server is in the handler now */
	return fd;
}

static void read_and_close(int fd, const char *label)
{
	size_t len;
	int end;
	char *reply = fd >= 0 ? read_all(fd, 3000, &len, &end) : NULL;

	CHECK(reply && len > 0, "%s: reply %s", label, reply ?: "(none)");
	free(reply);
	if (fd >= 0)
		close(fd);
}

/* (g) a full table of silent clients, then 20 requests accepted in one
 * wake-up: each newcomer is read before anyone could evict it */
static void test_batch(void)
{
	struct td_server_counters k0 = { 0 }, k1 = { 0 };
	char *want = echo_of("hello"), *reply;
	int idle[16], fds[20], busy, answered = 0, end;
	size_t len;

	for (int i = 0; i < 16; i++)
		idle[i] = connect_to(slow.path);
	sleep_ms(300);		/* past their grace: evictable */
	get_counters(slow.path, &k0);
	busy = busy_loop(slow.path, 300);
	for (int i = 0; i < 20; i++) {
		fds[i] = connect_to(slow.path);
		if (fds[i] >= 0 && !send_all(fds[i], "hello\n", 6)) {
			close(fds[i]);
			fds[i] = -1;
		}
	}
	read_and_close(busy, "(g) busy loop");
	for (int i = 0; i < 20; i++) {
		reply = fds[i] >= 0 ? read_all(fds[i], 3000, &len, &end) : NULL;
		answered += reply_is(reply, want);
		free(reply);
		if (fds[i] >= 0)
			close(fds[i]);
	}
	CHECK(answered == 20, "(g) %d of 20 requests of one batch answered", answered);
	if (get_counters(slow.path, &k1))
		CHECK(k1.evicted == k0.evicted, "(g) nobody evicted for them: evicted %" PRIu64
		      " -> %" PRIu64, k0.evicted, k1.evicted);
	for (int i = 0; i < 16; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	free(want);
	section_end("(g) 20 requests in one batch beside a full table: all answered");
}

/* Waits up to 1 s for the handler to have seen n "record" requests. */
static bool recorded_reaches(int n)
{
	for (int i = 0; i < 100 && atomic_load(&recorded) < n; i++)
		sleep_ms(10);
	return atomic_load(&recorded) == n;
}

/* (h) a request followed by close() or shutdown() is handled */
static void test_close_after_request(void)
{
	char *want = echo_of("record"), *reply;
	int a, b, busy, end;
	size_t len;

	atomic_store(&recorded, 0);
	/* accepted and read (nothing yet); then the line and the hangup
	 * arrive together while the loop is busy: EPOLLIN | EPOLLHUP */
	a = connect_to(fast.path);
	sleep_ms(50);
	busy = busy_loop(fast.path, 200);
	CHECK(a >= 0 && send_all(a, "record\n", 7), "(h) record request");
	if (a >= 0)
		close(a);
	/* never accepted before its close: line and hangup come with the accept */
	b = connect_to(fast.path);
	CHECK(b >= 0 && send_all(b, "record\n", 7), "(h) second record request");
	if (b >= 0)
		close(b);
	read_and_close(busy, "(h) busy loop");
	CHECK(recorded_reaches(2), "(h) requests followed by close() handled: %d of 2",
	      atomic_load(&recorded));

	/* shutdown(SHUT_WR) after the line: handled and answered */
	a = connect_to(fast.path);
	busy = busy_loop(fast.path, 100);
	if (a >= 0 && send_all(a, "record\n", 7) && shutdown(a, SHUT_WR) == 0)
		reply = read_all(a, 2000, &len, &end);
	else
		reply = NULL;
	CHECK(reply_is(reply, want), "(h) request + shutdown answered: %s", reply ?: "(none)");
	free(reply);
	if (a >= 0)
		close(a);
	read_and_close(busy, "(h) busy loop");
	free(want);
	section_end("(h) a request followed by close() or shutdown() is handled");
}

#define STORM_CLIENTS	100

static atomic_bool storm_stop;
static atomic_ulong storm_connects;

/* sockhog --reconnect: STORM_CLIENTS silent clients, each replaced as soon
 * as the server closes it. */
static void *storm_main(void *arg)
{
	struct pollfd pf[STORM_CLIENTS];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char c;

	set_sun_path(&sa, arg);
	for (int i = 0; i < STORM_CLIENTS; i++)
		pf[i] = (struct pollfd){ .fd = -1, .events = POLLIN };
	while (!atomic_load(&storm_stop)) {
		for (int i = 0; i < STORM_CLIENTS; i++) {
			if (pf[i].fd >= 0)
				continue;
			pf[i].fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (pf[i].fd >= 0 && connect(pf[i].fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
				close(pf[i].fd);	/* a full backlog: again next round */
				pf[i].fd = -1;
			} else if (pf[i].fd >= 0) {
				atomic_fetch_add(&storm_connects, 1);
			}
		}
		poll(pf, STORM_CLIENTS, 1);
		for (int i = 0; i < STORM_CLIENTS; i++)
			if (pf[i].fd >= 0 && (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    recv(pf[i].fd, &c, 1, MSG_DONTWAIT) <= 0) {
				close(pf[i].fd);
				pf[i].fd = -1;
			}
	}
	for (int i = 0; i < STORM_CLIENTS; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	return NULL;
}

/* (i) 100 clients reconnecting without pause: 20 requests all answered */
static void test_storm(void)
{
	char *want = echo_of("status"), *reply;
	uint64_t t0, dt, max_ms = 0;
	int answered = 0;
	pthread_t th;

	atomic_store(&storm_stop, false);
	if (pthread_create(&th, NULL, storm_main, slow.path)) {
		CHECK(false, "(i) pthread_create");
		free(want);
		return;
	}
	sleep_ms(300);		/* the table is full of storm clients */
	for (int i = 0; i < 20; i++) {
		t0 = now_ms();
		reply = request(slow.path, "status", 5000, NULL);
		dt = now_ms() - t0;
		max_ms = dt > max_ms ? dt : max_ms;
		answered += reply_is(reply, want);
		free(reply);
		sleep_ms(20);
	}
	atomic_store(&storm_stop, true);
	pthread_join(th, NULL);
	printf("     (i) storm: %lu storm connects, slowest answer %" PRIu64 " ms\n",
	       atomic_load(&storm_connects), max_ms);
	CHECK(atomic_load(&storm_connects) > 200, "(i) the storm reconnected (%lu connects)",
	      atomic_load(&storm_connects));
	CHECK(answered == 20, "(i) %d of 20 requests answered during the storm", answered);
	free(want);
	section_end("(i) a reconnect storm of 100 clients: 20 of 20 requests answered");
}

/* ------------------------------------------------------------ other uids */

#define MEMBER_UID	65534	/* nobody, a member of test_group here */
#define OTHER_UID	65533	/* a second member */

/* What fast.path says uid holds now, and its busy counter. */
static bool held_by(uid_t uid, unsigned *ret_held, uint64_t *ret_busy)
{
	char line[32], *reply;
	bool ok;

	snprintf(line, sizeof(line), "held %u", (unsigned)uid);
	reply = request(fast.path, line, 1000, NULL);
	ok = reply && sscanf(reply, "{\"version\":1,\"ok\":true,\"held\":%u,\"busy\":%" SCNu64 "}",
			     ret_held, ret_busy) == 2;
	CHECK(ok, "held %u: %s", (unsigned)uid, reply ?: "(none)");
	free(reply);
	return ok;
}

/* Root with a group, so that a child can be a member of test_group: the
 * sockets' directory opened to it for the test. */
static bool members_possible(const char *what)
{
	if (geteuid() != 0 || !test_group) {
		printf("SKIP %s: needs root and a group\n", what);
		return false;
	}
	CHECK(chmod(tmpdir, 0711) == 0, "chmod %s: %s", tmpdir, strerror(errno));
	return true;
}

/*
 * In a child as MEMBER_UID: n silent connections at once, then what the
 * server did with them 50 ms later ("open O busy B closed C") on out; keeps
 * them until in is closed.
 */
static int hold_child(unsigned n, int out, int in)
{
	unsigned open = 0, busy = 0, closed = 0;
	int fds[64];
	char c, msg[64];

	drop_to(MEMBER_UID, MEMBER_UID, &test_gid, 1);
	for (unsigned i = 0; i < n; i++)
		fds[i] = connect_to(fast.path);
	sleep_ms(50);
	for (unsigned i = 0; i < n; i++) {
		struct pollfd pfd = { .fd = fds[i], .events = POLLIN };
		size_t len;
		int end;
		char *reply;

		if (fds[i] < 0 || poll(&pfd, 1, 0) == 0) {
			open += fds[i] >= 0;
			continue;
		}
		reply = read_all(fds[i], 500, &len, &end);
		busy += reply_is(reply, REPLY_BUSY);
		closed += reply && len == 0;
		free(reply);
	}
	snprintf(msg, sizeof(msg), "open %u busy %u closed %u", open, busy, closed);
	(void)!write(out, msg, strlen(msg));
	close(out);
	(void)!read(in, &c, 1);
	_exit(0);
}

/* (j) one unprivileged uid holds at most its share; root still gets in */
static void test_uid_share(void)
{
	unsigned open = 0, busy = 0, closed = 0, held = 0;
	uint64_t busy0 = 0, busy1 = 0;
	char buf[64] = "", *want = echo_of("hello"), *reply;
	int up[2], down[2], status = 0, idle[12];
	pid_t pid;

	if (!members_possible("(j) per-uid share") || pipe(up) < 0 || pipe(down) < 0) {
		free(want);
		return;
	}
	held_by(MEMBER_UID, &held, &busy0);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		hold_child(16, up[1], down[0]);
	}
	close(up[1]);
	close(down[0]);
	CHECK(pid > 0 && read(up[0], buf, sizeof(buf) - 1) > 0 &&
	      sscanf(buf, "open %u busy %u closed %u", &open, &busy, &closed) == 3,
	      "(j) member's report: %s", buf);
	CHECK(open == UID_SHARE && busy == 16 - UID_SHARE && closed == 0,
	      "(j) 16 silent connections of uid %d: %u held, %u told busy, %u closed",
	      MEMBER_UID, open, busy, closed);
	if (held_by(MEMBER_UID, &held, &busy1))
		CHECK(held == UID_SHARE && busy1 - busy0 == 16 - UID_SHARE,
		      "(j) the server: uid %d holds %u, busy %" PRIu64 " -> %" PRIu64,
		      MEMBER_UID, held, busy0, busy1);
	/* root fills the rest of the table, and one more still gets in */
	for (int i = 0; i < 12; i++)
		idle[i] = connect_to(fast.path);
	sleep_ms(20);
	reply = request(fast.path, "hello", 1000, NULL);
	CHECK(reply_is(reply, want), "(j) root answered beside a full table: %s", reply ?: "(none)");
	free(reply);
	held_by(MEMBER_UID, &held, &busy1);
	CHECK(held < UID_SHARE, "(j) root took a member's slot: the member holds %u", held);
	for (int i = 0; i < 12; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	close(down[1]);
	close(up[0]);
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "(j) member child (status %#x)", status);
	chmod(tmpdir, 0700);
	free(want);
	section_end("(j) an unprivileged uid holds at most 4 of 16 slots; root gets in");
}

/* In a child as uid (a member): n "hello" requests; exits with the number
 * of them not answered. */
static pid_t member_requests(uid_t uid, int n)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		char *want = echo_of("hello"), *reply;
		int missed = 0;

		drop_to(uid, uid, &test_gid, 1);
		for (int i = 0; i < n; i++) {
			reply = request(fast.path, "hello", 3000, NULL);
			missed += !reply_is(reply, want);
			free(reply);
			sleep_ms(20);
		}
		_exit(missed);
	}
	return pid;
}

/* (k) a member's reconnect storm: root answered every time, the member
 * never holds more than its share, another member is answered too */
static void test_member_storm(void)
{
	char *want = echo_of("status"), *reply;
	uint64_t t0, dt, max_ms = 0, busy0 = 0, busy1 = 0;
	unsigned held = 0, max_held = 0;
	int answered = 0, status = -1;
	pid_t storm, other;

	if (!members_possible("(k) a member's storm")) {
		free(want);
		return;
	}
	held_by(MEMBER_UID, &held, &busy0);
	fflush(NULL);
	storm = fork();
	if (storm == 0) {
		drop_to(MEMBER_UID, MEMBER_UID, &test_gid, 1);
		atomic_store(&storm_stop, false);
		storm_main(fast.path);	/* until killed */
		_exit(0);
	}
	sleep_ms(300);
	other = member_requests(OTHER_UID, 10);
	for (int i = 0; i < 20; i++) {
		t0 = now_ms();
		reply = request(fast.path, "status", 5000, NULL);
		dt = now_ms() - t0;
		max_ms = dt > max_ms ? dt : max_ms;
		answered += reply_is(reply, want);
		free(reply);
		if (held_by(MEMBER_UID, &held, &busy1) && held > max_held)
			max_held = held;
		sleep_ms(10);
	}
	CHECK(other > 0 && waitpid(other, &status, 0) == other && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "(k) the other member: %d of 10 not answered (status %#x)",
	      WIFEXITED(status) ? WEXITSTATUS(status) : -1, status);
	if (storm > 0) {
		kill(storm, SIGKILL);
		waitpid(storm, NULL, 0);
	}
	printf("     (k) member storm: slowest root answer %" PRIu64 " ms, the member held at most "
	       "%u, busy +%" PRIu64 "\n", max_ms, max_held, busy1 - busy0);
	CHECK(answered == 20, "(k) %d of 20 root requests answered during the storm", answered);
	CHECK(max_held >= 1 && max_held <= UID_SHARE, "(k) the storm held at most %u slots (share %d)",
	      max_held, UID_SHARE);
	CHECK(busy1 - busy0 > 100, "(k) the storm was told busy %" PRIu64 " times", busy1 - busy0);
	chmod(tmpdir, 0700);
	free(want);
	section_end("(k) a member's reconnect storm: root 20 of 20, the member within its share");
}

static void *client_main(void *arg)
{
	section_start();
	test_one_request();
	section_start();
	test_flood();
	section_start();
	test_lengths();
	section_start();
	test_idle_timeout();
	section_start();
	test_slow_reader();
	section_start();
	test_permissions();
	section_start();
	test_batch();
	section_start();
	test_close_after_request();
	section_start();
	test_storm();
	section_start();
	test_uid_share();
	section_start();
	test_member_storm();
	atomic_store(&done, true);
	return NULL;
}

/* ------------------------------------------------------------ setup cases */

static int new_server(struct test_srv *t, const char *path, const char *group, uint64_t idle_ms)
{
	struct td_server_params p = {
		.path = path, .group = group, .max_clients = 16, .max_request = MAX_REQUEST,
		.idle_timeout_ms = idle_ms, .handle = handle, .ctx = t,
	};

	snprintf(t->path, sizeof(t->path), "%s", path);
	return td_server_new(&p, loop, &t->s);
}

static void pick_group(void)
{
	static const char *const names[] = { "users", "daemon", "adm", "nogroup" };
	struct group *gr = NULL;

	if (geteuid() == 0) {
		for (size_t i = 0; !gr && i < sizeof(names) / sizeof(names[0]); i++)
			gr = getgrnam(names[i]);
	} else {
		gr = getgrgid(getegid());
	}
	if (gr) {
		test_group = strdup(gr->gr_name);
		test_gid = gr->gr_gid;
	}
}

/* Bad parameters, what is at the path, directories, modes. */
static void test_setup(void)
{
	struct td_server_params p = { .path = "/nonexistent/x", .handle = handle };
	struct test_srv a = { 0 }, b = { 0 };
	struct td_server *s = NULL;
	char path[300], dir[256];
	struct stat st;
	mode_t old;
	int fd, r;

	p.handle = NULL;
	CHECK(td_server_new(&p, loop, &s) == -EINVAL, "no handler: -EINVAL");
	p.handle = handle;
	CHECK(td_server_new(&p, NULL, &s) == -EINVAL, "no event loop: -EINVAL");
	p.max_request = 1;
	CHECK(td_server_new(&p, loop, &s) == -EINVAL, "max_request 1: -EINVAL");
	p.max_request = 0;
	p.path = NULL;
	CHECK(td_server_new(&p, loop, &s) == -EINVAL, "no path: -EINVAL");

	/* a regular file is not ours to remove */
	snprintf(path, sizeof(path), "%s/file", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	CHECK(fd >= 0 && write(fd, "keep", 4) == 4, "creating %s", path);
	close(fd);
	r = new_server(&a, path, NULL, 1000);
	CHECK(r == -EEXIST, "regular file at the path: %d", r);
	CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 4, "file left alone");
	if (!r)
		td_server_free(a.s);

	/* a stale socket is replaced; a live one is not; free removes ours */
	snprintf(path, sizeof(path), "%s/stale.sock", tmpdir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		set_sun_path(&sa, path);
		CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "binding a stale socket");
		close(fd);
	}
	r = new_server(&a, path, NULL, 1000);
	CHECK(r == 0, "stale socket replaced: %d", r);
	r = new_server(&b, path, NULL, 1000);
	CHECK(r == -EADDRINUSE, "second server on a live socket: %d", r);
	if (!r)
		td_server_free(b.s);
	CHECK(lstat(path, &st) == 0 && S_ISSOCK(st.st_mode), "live socket left alone");
	CHECK(!a.s || !td_server_activated(a.s), "bound, not activated");
	td_server_free(a.s);
	CHECK(lstat(path, &st) < 0 && errno == ENOENT, "free unlinks the socket it bound");

	/* missing parents are created 0755 even under umask 077 */
	snprintf(dir, sizeof(dir), "%s/run/tieringd", tmpdir);
	snprintf(path, sizeof(path), "%s/tieringd.sock", dir);
	old = umask(077);
	r = new_server(&a, path, NULL, 1000);
	umask(old);
	CHECK(r == 0, "server in new directories: %d", r);
	CHECK(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0755, "%s mode %o", dir,
	      st.st_mode & 07777);
	CHECK(lstat(path, &st) == 0 && (st.st_mode & 07777) == 0660, "socket mode %o",
	      st.st_mode & 07777);
	CHECK(!r && !strcmp(td_server_path(a.s), path), "td_server_path");
	if (!r)
		td_server_free(a.s);
	section_end("setup: parameters, stale and live sockets, files, directories, modes");
}

/* In a child, so fd 3 and the LISTEN_* variables are ours to set. */
static int activation_child(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct test_srv t = { 0 };
	char env[32], path[256];
	struct stat st;
	int fd, r;

	/* an sd_event belongs to the process that made it */
	if (sd_event_new(&loop) < 0)
		return 1;
	snprintf(path, sizeof(path), "%s/activated.sock", tmpdir);
	set_sun_path(&sa, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0 ||
	    dup2(fd, 3) < 0)
		return 1;
	snprintf(env, sizeof(env), "%d", (int)getpid());
	setenv("LISTEN_PID", env, 1);
	setenv("LISTEN_FDS", "1", 1);
	r = new_server(&t, "/nonexistent/ignored.sock", NULL, 1000);
	CHECK(r == 0, "activation: %d", r);
	if (r)
		return 1;
	CHECK(td_server_activated(t.s), "activated");
	CHECK(!strcmp(td_server_path(t.s), path), "activated path %s", td_server_path(t.s));
	CHECK(fcntl(3, F_GETFL) & O_NONBLOCK, "passed socket made non-blocking");
	CHECK(!getenv("LISTEN_FDS"), "LISTEN_FDS unset");
	td_server_free(t.s);
	CHECK(lstat(path, &st) == 0, "passed socket's file not unlinked");

	/* two passed fds, or one that is not a listening stream socket */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	dup2(fd, 3);
	dup2(fd, 4);
	setenv("LISTEN_PID", env, 1);
	setenv("LISTEN_FDS", "2", 1);
	CHECK(new_server(&t, path, NULL, 1000) == -EINVAL, "two passed fds: -EINVAL");
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	dup2(fd, 3);
	setenv("LISTEN_PID", env, 1);
	setenv("LISTEN_FDS", "1", 1);
	CHECK(new_server(&t, path, NULL, 1000) == -EINVAL, "datagram fd passed: -EINVAL");
	return atomic_load(&failures);
}

static void test_activation(void)
{
	int status = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(activation_child() ? 1 : 0);
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "socket activation (status %#x)", status);
	section_end("socket activation");
}

/* The server side of test_emfile: out of fds for a while, then not. */
static int emfile_child(const char *path, int ready_fd)
{
	struct test_srv t = { 0 };
	struct rlimit old, lim;
	unsigned spins = 0;
	uint64_t t0;
	int free_fd;

	if (sd_event_new(&loop) < 0 || new_server(&t, path, NULL, 5000) ||
	    getrlimit(RLIMIT_NOFILE, &old) < 0)
		return 2;
	/* every fd below the lowest free one is taken: the next one is EMFILE */
	free_fd = dup(0);
	close(free_fd);
	lim = old;
	lim.rlim_cur = free_fd;
	if (write(ready_fd, "r", 1) != 1 || setrlimit(RLIMIT_NOFILE, &lim) < 0)
		return 2;
	for (t0 = now_ms(); now_ms() - t0 < 500;)
		if (sd_event_run(loop, 20 * 1000) > 0)
			spins++;
	setrlimit(RLIMIT_NOFILE, &old);
	for (t0 = now_ms(); now_ms() - t0 < 1000;)
		sd_event_run(loop, 20 * 1000);
	CHECK(spins < 50, "EMFILE: %u dispatches in 500 ms", spins);
	td_server_free(t.s);
	sd_event_unref(loop);
	return atomic_load(&failures) ? 1 : 0;
}

/* Out of fds: accepts pause instead of spinning, and resume. */
static void test_emfile(void)
{
	char path[300], *reply = NULL, *want = echo_of("hello"), c;
	int pfd[2], status = 0, fd, end = -EIO;
	size_t len;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/emfile.sock", tmpdir);
	fflush(NULL);
	if (pipe(pfd) < 0 || (pid = fork()) < 0) {
		CHECK(false, "pipe/fork: %s", strerror(errno));
		free(want);
		return;
	}
	if (pid == 0) {
		close(pfd[0]);
		_exit(emfile_child(path, pfd[1]));
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) == 1) {
		fd = connect_to(path);
		if (fd >= 0 && send_all(fd, "hello\n", 6))
			reply = read_all(fd, 3000, &len, &end);
		if (fd >= 0)
			close(fd);
	}
	close(pfd[0]);
	CHECK(reply_is(reply, want), "EMFILE: answered once fds are back: %s", reply ?: "(none)");
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "EMFILE: server child (status %#x)",
	      status);
	free(reply);
	free(want);
	section_end("out of fds: accepts pause, then resume");
}

/* ------------------------------------------------------------ the loop */

/* The daemon's side: both servers on one sd-event loop. */
static void run_loop(void)
{
	uint64_t start = now_ms();

	while (!atomic_load(&done)) {
		int r = sd_event_run(loop, 50 * 1000);

		CHECK(r >= 0, "sd_event_run: %d", r);
		if (now_ms() - start > 90000) {
			fprintf(stderr, "FAIL: clients still running after 90 s\n");
			_exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	char fast_path[256], slow_path[256];
	struct stat st;
	pthread_t th;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	td_log_init(argc > 1 && !strcmp(argv[1], "-v") ? LOG_DEBUG : LOG_EMERG);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	pick_group();
	r = sd_event_new(&loop);
	if (r < 0) {
		fprintf(stderr, "FAIL: sd_event_new: %s\n", strerror(-r));
		return 1;
	}
	section_start();
	test_setup();
	section_start();
	test_activation();
	section_start();
	test_emfile();

	snprintf(fast_path, sizeof(fast_path), "%s/fast.sock", tmpdir);
	snprintf(slow_path, sizeof(slow_path), "%s/slow.sock", tmpdir);
	r = new_server(&fast, fast_path, test_group, FAST_IDLE_MS);
	CHECK(r == 0, "fast server: %d", r);
	r = r ?: new_server(&slow, slow_path, "tieringd-test-no-such-group", 5000);
	CHECK(r == 0, "slow server: %d", r);
	if (r)
		return 1;
	CHECK(lstat(fast_path, &st) == 0 && (st.st_mode & 07777) == 0660 &&
	      (!test_group || st.st_gid == test_gid), "fast socket mode %o gid %u (group %s)",
	      st.st_mode & 07777, (unsigned)st.st_gid, test_group ?: "(none)");

	if (pthread_create(&th, NULL, client_main, NULL)) {
		fprintf(stderr, "FAIL: pthread_create\n");
		return 1;
	}
	run_loop();
	pthread_join(th, NULL);
	td_server_free(fast.s);
	td_server_free(slow.s);
	loop = sd_event_unref(loop);
	CHECK(lstat(fast_path, &st) < 0, "fast socket removed at free");
	rmdir(strcat(strcpy(fast_path, tmpdir), "/run/tieringd"));
	rmdir(strcat(strcpy(fast_path, tmpdir), "/run"));
	unlink(strcat(strcpy(fast_path, tmpdir), "/file"));
	unlink(strcat(strcpy(fast_path, tmpdir), "/activated.sock"));
	rmdir(tmpdir);
	free((char *)test_group);

	r = atomic_load(&failures);
	if (r) {
		printf("FAIL test_server: %d check(s) failed\n", r);
		return 1;
	}
	printf("PASS test_server\n");
	return 0;
}
