// SPDX-License-Identifier: GPL-2.0-only
/*
 * sockhog - a hostile client of a Unix stream socket (tieringd's control
 * socket): many idle connections and one that floods it with garbage.
 *
 *   sockhog SOCKET [--idle N] [--garbage BYTES] [--hold SECONDS] [--reconnect]
 *
 * Connects N clients (default 100) that never send a byte, then one more
 * that writes BYTES (default 1 MiB) of 'x' with no newline, non-blocking, as
 * fast as the socket takes them, stopping when all are sent or the peer has
 * closed. Keeps everything open for SECONDS (default 10) and watches which
 * connections the server closes. With --reconnect, an idle client the server
 * closed is replaced by a new one at once, so that N idle clients are
 * connected (or waiting in the backlog) during the whole hold.
 *
 * Output: "READY idle N" once the first N idle clients are connected, one
 *   H <secs> open <n> connects <n> closed_by_server <n> garbage_sent <bytes>
 * line per second, and at the end
 *   FINAL connects <n> connect_failed <n> closed_by_server <n> open <n>
 *         garbage_sent <bytes> garbage_closed yes|no garbage_reply <text>
 *         busy_replies <n>
 * (one line). garbage_reply is what the server sent the garbage client
 * before closing, newlines removed ("-" for nothing); busy_replies counts
 * the idle clients the server told "busy" (the last field). Exit 0, or 1 when no
 * connection could be made at all, 2 for usage.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "payload.h"

struct conn {
	int fd;
	int garbage;
};

static struct sockaddr_un addr;
static unsigned long connects, connect_failed, closed_by_server, busy_replies;

/* A connected non-blocking socket, or -1. A full backlog (EAGAIN) is
 * retried for up to 2 s. */
static int connect_one(void)
{
	double deadline = now_s() + 2;

	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0)
			break;
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
			connects++;
			return fd;
		}
		int e = errno;

		close(fd);
		if ((e != EAGAIN && e != EINTR) || now_s() > deadline)
			break;
		usleep(1000);
	}
	connect_failed++;
	return -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: sockhog SOCKET [--idle N] [--garbage BYTES] [--hold SECONDS] [--reconnect]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "idle", 1, NULL, 'i' }, { "garbage", 1, NULL, 'g' }, { "hold", 1, NULL, 'H' },
		{ "reconnect", 0, NULL, 'r' }, {}
	};
	unsigned long n_idle = 100, garbage_bytes = 1 << 20, sent = 0;
	double hold = 10, t0, next_report;
	int reconnect = 0, c, garbage_closed = 0, garbage_done = 0;
	char reply[512] = "", *junk;
	size_t reply_len = 0;
	struct conn *cs;
	struct pollfd *pf;
	unsigned long n, i;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'i': n_idle = strtoul(optarg, NULL, 0); break;
		case 'g': garbage_bytes = strtoul(optarg, NULL, 0); break;
		case 'H': hold = atof(optarg); break;
		case 'r': reconnect = 1; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || strlen(argv[optind]) >= sizeof(addr.sun_path))
		usage();
	signal(SIGPIPE, SIG_IGN);
	addr.sun_family = AF_UNIX;
	strcpy(addr.sun_path, argv[optind]);
	setvbuf(stdout, NULL, _IOLBF, 0);

	n = n_idle + (garbage_bytes ? 1 : 0);
	cs = calloc(n ? n : 1, sizeof(*cs));
	pf = calloc(n ? n : 1, sizeof(*pf));
	junk = malloc(garbage_bytes ? garbage_bytes : 1);
	if (!cs || !pf || !junk)
		return 1;
	memset(junk, 'x', garbage_bytes);
	for (i = 0; i < n_idle; i++)
		cs[i].fd = connect_one();
	printf("READY idle %lu\n", connects);
	if (garbage_bytes) {
		cs[n_idle].fd = connect_one();
		cs[n_idle].garbage = 1;
	}
	if (!connects) {
		fprintf(stderr, "sockhog: cannot connect to %s\n", addr.sun_path);
		return 1;
	}

	t0 = now_s();
	next_report = t0 + 1;
	while (now_s() < t0 + hold) {
		unsigned long open_now = 0;
		int timeout;

		for (i = 0; i < n; i++) {
			if (cs[i].fd < 0 && reconnect && !cs[i].garbage)
				cs[i].fd = connect_one();
			pf[i].fd = cs[i].fd;
			pf[i].events = POLLIN;
			if (cs[i].garbage && !garbage_done)
				pf[i].events |= POLLOUT;
			pf[i].revents = 0;
			open_now += cs[i].fd >= 0;
		}
		if (now_s() >= next_report) {
			printf("H %.0f open %lu connects %lu closed_by_server %lu garbage_sent %lu\n",
			       now_s() - t0, open_now, connects, closed_by_server, sent);
			next_report += 1;
		}
		timeout = (int)((next_report - now_s()) * 1000) + 1;
		if (timeout < 1)
			timeout = 1;
		if (poll(pf, n, timeout) < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			struct conn *k = &cs[i];
			int closed = 0;

			if (k->fd < 0 || !pf[i].revents)
				continue;
			if (k->garbage && !garbage_done && (pf[i].revents & POLLOUT)) {
				while (sent < garbage_bytes) {
					ssize_t w = send(k->fd, junk + sent, garbage_bytes - sent,
							 MSG_NOSIGNAL | MSG_DONTWAIT);

					if (w > 0) {
						sent += w;
						continue;
					}
					if (w < 0 && (errno == EAGAIN || errno == EINTR))
						break;
					garbage_done = 1;	/* EPIPE, ECONNRESET: the peer closed */
					break;
				}
				if (sent == garbage_bytes)
					garbage_done = 1;
			}
			if (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				char buf[4096];
				ssize_t r = recv(k->fd, buf, sizeof(buf), MSG_DONTWAIT);

				if (r > 0 && !k->garbage && memmem(buf, r, "\"busy", 5))
					busy_replies++;
				if (r > 0 && k->garbage) {
					for (ssize_t b = 0; b < r && reply_len < sizeof(reply) - 1; b++)
						if (buf[b] != '\n' && buf[b] != '\r')
							reply[reply_len++] = buf[b];
					reply[reply_len] = '\0';
				}
				if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
					closed = 1;
			}
			if (closed) {
				closed_by_server++;
				close(k->fd);
				k->fd = -1;
				if (k->garbage) {
					garbage_closed = 1;
					garbage_done = 1;
				}
			}
		}
	}
	n_idle = 0;
	for (i = 0; i < n; i++)
		if (cs[i].fd >= 0) {
			n_idle++;
			close(cs[i].fd);
		}
	printf("FINAL connects %lu connect_failed %lu closed_by_server %lu open %lu garbage_sent %lu "
	       "garbage_closed %s garbage_reply %s busy_replies %lu\n", connects, connect_failed,
	       closed_by_server, n_idle, sent, garbage_closed ? "yes" : "no",
	       reply_len ? reply : "-", busy_replies);
	free(cs);
	free(pf);
	free(junk);
	return 0;
}
