// SPDX-License-Identifier: GPL-2.0-only
/*
 * mcskew - a skewed memcached client (text protocol over TCP), for suites
 * that run Debian's memcached as the workload.
 *
 *   mcskew [--port P] load --items N [--value-bytes B]
 *   mcskew [--port P] stats [slabs|items|...]
 *   mcskew [--port P] run --hot H [--hot-first F] [--zipf S] [--seconds T]
 *          [--interval-ms MS] [--batch K] [--seed X]
 *
 * load: sets keys k0 .. k<N-1> in that order (noreply, pipelined), so that
 * memcached's slab allocator fills its slab pages in key order: the first H
 * keys set sit in the last slab pages of their class.
 * Then one "version" round trip (every set is in), and "LOADED <n> <bytes>".
 * stats: prints memcached's "STAT" lines as "STAT name value".
 * run: multi-gets of --batch keys (default 8) drawn from ranks 0..H-1 by
 * Zipf(S) (default 0.99), rank r being key k<F + r> (--hot-first, default 0).
 * The other keys are never asked for again: the cold part of the cache.
 * With F = N - H the hot keys are the last ones set: at the head of their
 * hash chains (memcached inserts there), so a lookup never walks a cold
 * item's header, and in the last slab pages. Every --interval-ms
 * (default 1000) it prints
 *   T <secs> ops_s <gets per s in the interval> misses <n> mono <CLOCK_MONOTONIC s>
 * and at the end "FINAL secs <s> ops_s <average> gets <n> misses <n>".
 * A miss (an item not returned) is counted: the suite asserts there is none.
 * Exit 0 unless the connection or the protocol fails.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "payload.h"

struct conn {
	int fd;
	char *buf;		/* received, not yet parsed: buf[head..tail) */
	size_t head, tail, cap;
};

static int conn_open(struct conn *c, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "mcskew: connect 127.0.0.1:%d: %s\n", port, strerror(errno));
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->cap = 4 << 20;
	c->buf = malloc(c->cap);
	c->head = c->tail = 0;
	return c->buf ? 0 : -1;
}

static int send_all(struct conn *c, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(c->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fprintf(stderr, "mcskew: write: %s\n", strerror(errno));
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads more into the buffer (compacting it first). */
static int fill(struct conn *c)
{
	ssize_t r;

	if (c->head) {
		memmove(c->buf, c->buf + c->head, c->tail - c->head);
		c->tail -= c->head;
		c->head = 0;
	}
	if (c->tail == c->cap) {
		fprintf(stderr, "mcskew: reply too large\n");
		return -1;
	}
	do
		r = read(c->fd, c->buf + c->tail, c->cap - c->tail);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		fprintf(stderr, "mcskew: read: %s\n", r ? strerror(errno) : "connection closed");
		return -1;
	}
	c->tail += (size_t)r;
	return 0;
}

/* The next "\r\n"-terminated line, NUL-terminated in place; NULL on error. */
static char *get_line(struct conn *c)
{
	for (;;) {
		char *s = c->buf + c->head;
		char *e = memmem(s, c->tail - c->head, "\r\n", 2);

		if (e) {
			*e = '\0';
			c->head = (size_t)(e - c->buf) + 2;
			return s;
		}
		if (fill(c))
			return NULL;
	}
}

static int skip_bytes(struct conn *c, size_t n)
{
	while (c->tail - c->head < n) {
		n -= c->tail - c->head;
		c->head = c->tail;
		if (fill(c))
			return -1;
	}
	c->head += n;
	return 0;
}

static int do_load(struct conn *c, long items, long vbytes)
{
	size_t cap = (size_t)vbytes + 128, n;
	char *req = malloc(cap * 16), *line;
	long i;

	if (!req)
		return 1;
	for (i = 0; i < items;) {
		n = 0;
		for (int k = 0; k < 16 && i < items; k++, i++) {
			n += (size_t)sprintf(req + n, "set k%ld 0 0 %ld noreply\r\n", i, vbytes);
			memset(req + n, 'a' + (int)(i % 26), (size_t)vbytes);
			n += (size_t)vbytes;
			memcpy(req + n, "\r\n", 2);
			n += 2;
		}
		if (send_all(c, req, n))
			return 1;
	}
	/* one round trip after the noreply sets: they are all in */
	if (send_all(c, "version\r\n", 9) || !(line = get_line(c)))
		return 1;
	if (strncmp(line, "VERSION", 7)) {
		fprintf(stderr, "mcskew: after load: %s\n", line);
		return 1;
	}
	printf("LOADED %ld %ld\n", items, items * vbytes);
	free(req);
	return 0;
}

static int do_stats(struct conn *c, const char *what)
{
	char req[64], *line;

	snprintf(req, sizeof(req), "stats%s%s\r\n", what ? " " : "", what ? what : "");
	if (send_all(c, req, strlen(req)))
		return 1;
	while ((line = get_line(c)) && strcmp(line, "END"))
		printf("%s\n", line);
	return line ? 0 : 1;
}

/* cdf[0..h): Zipf(s) over ranks 1..h. */
static double *zipf_cdf(long h, double s)
{
	double *cdf = malloc(sizeof(*cdf) * (size_t)h), sum = 0;

	if (!cdf)
		return NULL;
	for (long r = 0; r < h; r++)
		cdf[r] = (sum += 1.0 / pow((double)(r + 1), s));
	for (long r = 0; r < h; r++)
		cdf[r] /= sum;
	return cdf;
}

static long zipf_draw(const double *cdf, long h, uint64_t *seed)
{
	double u = (double)(rng(seed) >> 11) / 9007199254740992.0;
	long lo = 0, hi = h - 1;

	while (lo < hi) {
		long mid = (lo + hi) / 2;

		if (cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct run_opts {
	long hot, first;
	double zipf, seconds;
	long interval_ms;
	int batch;
	uint64_t seed;
};

/* One multi-get of k keys; adds the items returned to *got. */
static int multi_get(struct conn *c, const double *cdf, const struct run_opts *o,
		     uint64_t *seed, long *got)
{
	char req[4096], *line;
	size_t n = 3;
	unsigned long flags, bytes;

	memcpy(req, "get", 3);
	for (int i = 0; i < o->batch; i++)
		n += (size_t)sprintf(req + n, " k%ld", o->first + zipf_draw(cdf, o->hot, seed));
	memcpy(req + n, "\r\n", 2);
	if (send_all(c, req, n + 2))
		return -1;
	while ((line = get_line(c)) && strcmp(line, "END")) {
		if (sscanf(line, "VALUE %*s %lu %lu", &flags, &bytes) != 2) {
			fprintf(stderr, "mcskew: get: %s\n", line);
			return -1;
		}
		if (skip_bytes(c, bytes + 2))
			return -1;
		(*got)++;
	}
	return line ? 0 : -1;
}


static int do_run(struct conn *c, const struct run_opts *o)
{
	double *cdf = zipf_cdf(o->hot, o->zipf), t0 = now_s(), last = t0, t;
	long gets = 0, got = 0, last_gets = 0, misses;
	uint64_t seed = o->seed;

	if (!cdf)
		return 1;
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	while ((t = now_s()) - t0 < o->seconds) {
		if (multi_get(c, cdf, o, &seed, &got))
			return 1;
		gets += o->batch;
		if (t - last >= o->interval_ms / 1000.0) {
			printf("T %.1f ops_s %.0f misses %ld mono %.3f\n", t - t0,
			       (gets - last_gets) / (t - last), gets - got, t);
			fflush(stdout);
			last = t;
			last_gets = gets;
		}
	}
	misses = gets - got;
	printf("FINAL secs %.1f ops_s %.0f gets %ld misses %ld\n", t - t0, gets / (t - t0), gets,
	       misses);
	free(cdf);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: mcskew [--port P] load --items N [--value-bytes B] | stats [WHAT] |\n"
			"       run --hot H [--hot-first F] [--zipf S] [--seconds T] [--interval-ms MS] [--batch K] [--seed X]\n");
	return 2;
}

static const struct option long_opts[] = {
	{ "port", 1, 0, 'p' }, { "items", 1, 0, 'n' }, { "value-bytes", 1, 0, 'v' },
	{ "hot", 1, 0, 'h' }, { "zipf", 1, 0, 'z' }, { "seconds", 1, 0, 's' },
	{ "interval-ms", 1, 0, 'i' }, { "batch", 1, 0, 'b' }, { "seed", 1, 0, 'r' },
	{ "hot-first", 1, 0, 'f' }, { 0 },
};

struct opts {
	struct run_opts ro;
	long items, vbytes;
	int port;
};

/* Options up to the next non-option; -1 on a bad one. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "+", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'p': o->port = atoi(optarg); break;
		case 'n': o->items = atol(optarg); break;
		case 'v': o->vbytes = atol(optarg); break;
		case 'h': o->ro.hot = atol(optarg); break;
		case 'z': o->ro.zipf = atof(optarg); break;
		case 's': o->ro.seconds = atof(optarg); break;
		case 'i': o->ro.interval_ms = atol(optarg); break;
		case 'b': o->ro.batch = atoi(optarg); break;
		case 'f': o->ro.first = atol(optarg); break;
		case 'r': o->ro.seed = strtoull(optarg, NULL, 0) | 1; break;
		default: return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {
		.ro = { .zipf = 0.99, .seconds = 30, .interval_ms = 1000, .batch = 8,
			.seed = 0x9e3779b97f4a7c15ULL },
		.vbytes = 16384, .port = 11211,
	};
	struct conn c;
	const char *cmd;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_opts(argc, argv, &o) || optind >= argc)
		return usage();
	cmd = argv[optind++];
	/* options may follow the command too */
	if (parse_opts(argc, argv, &o))
		return usage();
	if (conn_open(&c, o.port))
		return 1;
	if (!strcmp(cmd, "load") && o.items > 0 && o.vbytes > 0 && o.vbytes <= (1 << 20))
		rc = do_load(&c, o.items, o.vbytes);
	else if (!strcmp(cmd, "stats"))
		rc = do_stats(&c, optind < argc ? argv[optind] : NULL);
	else if (!strcmp(cmd, "run") && o.ro.hot > 0 && o.ro.first >= 0 && o.ro.batch > 0 && o.ro.batch <= 64)
		rc = do_run(&c, &o.ro);
	else
		rc = usage();
	close(c.fd);
	return rc;
}
