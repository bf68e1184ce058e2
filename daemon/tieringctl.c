// SPDX-License-Identifier: GPL-2.0-only
/*
 * tieringctl - talks to tieringd over its Unix socket: one request line,
 * one reply. Links lib/ only. Exit codes: 0 ok, 1 error, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#define DEFAULT_SOCKET "/run/tieringd/tieringd.sock"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tieringctl [--socket PATH] [-j|--json] VERB [ARGS]\n"
		"verbs:\n"
		"  status                  daemon state, sources, counters\n"
		"  stats                   counters\n"
		"  cgroups                 per-cgroup policy and counters\n"
		"  top [-n N] [--pid PID]  hottest pages\n"
		"  why PID ADDR            explain one page\n"
		"  reload                  reload the configuration\n"
		"  pause [CGROUP]          stop moving pages (all, or one cgroup)\n"
		"  resume [CGROUP]\n");
}

struct verb {
	const char *name;
	int min_args, max_args;
};

static const struct verb verbs[] = {
	{ "status", 0, 0 }, { "stats", 0, 0 }, { "cgroups", 0, 0 },
	{ "top", 0, 4 }, { "why", 2, 2 }, { "reload", 0, 0 },
	{ "pause", 0, 1 }, { "resume", 0, 1 },
};

static const struct verb *find_verb(const char *name)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(verbs[i].name, name))
			return &verbs[i];
	return NULL;
}

/* Sends "VERB ARGS...\n" and copies the reply to stdout. */
static int request(const char *path, bool json, int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[4096], buf[65536];
	size_t off = 0;
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "tieringctl: socket path too long\n");
		return 1;
	}
	strcpy(sa.sun_path, path);
	off += snprintf(line + off, sizeof(line) - off, "%s", json ? "json" : "text");
	for (int i = 0; i < argc && off < sizeof(line); i++)
		off += snprintf(line + off, sizeof(line) - off, " %s", argv[i]);
	if (off >= sizeof(line) - 1) {
		fprintf(stderr, "tieringctl: request too long\n");
		return 2;
	}
	line[off++] = '\n';
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "tieringctl: cannot connect to %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (write(fd, line, off) != (ssize_t)off) {
		fprintf(stderr, "tieringctl: write: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, stdout);
	close(fd);
	return n < 0 ? 1 : 0;
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
	const struct verb *v;
	bool json = false;
	int c, nargs;

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
	v = find_verb(argv[optind]);
	nargs = argc - optind - 1;
	if (!v) {
		fprintf(stderr, "tieringctl: unknown verb '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (nargs < v->min_args || nargs > v->max_args) {
		fprintf(stderr, "tieringctl: wrong number of arguments for '%s'\n", v->name);
		return 2;
	}
	return request(path, json, argc - optind, argv + optind);
}
