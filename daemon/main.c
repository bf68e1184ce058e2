// SPDX-License-Identifier: GPL-2.0-only
/* tieringd - userspace memory-tiering daemon. main() parses arguments,
 * creates, runs and frees the daemon; nothing else. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"

#define TIERINGD_VERSION "0.1"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tieringd [OPTIONS]\n"
		"  --sources LIST       hint,sample (default: hint)\n"
		"  --sample-period N    page faults per sample (default 1)\n"
		"  --ringbuf-size BYTES ring buffer size, power of two (default 4194304)\n"
		"  --tick-ms MS         tick interval (default 1000)\n"
		"  --run-for S          stop after S seconds (default: run until SIGTERM)\n"
		"  --dry-run            decide and log, move nothing\n"
		"  -v, --verbose        debug logging\n"
		"  -V, --version\n"
		"  -h, --help\n");
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_sources(const char *s, struct td_daemon_options *o)
{
	char buf[64], *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	o->hint_faults = o->sampling = false;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "hint"))
			o->hint_faults = true;
		else if (!strcmp(t, "sample"))
			o->sampling = true;
		else
			return -EINVAL;
	}
	return o->hint_faults || o->sampling ? 0 : -EINVAL;
}

static int parse_args(int argc, char **argv, struct td_daemon_options *o, int *ret_prio)
{
	static const struct option opts[] = {
		{ "sources", required_argument, NULL, 's' },
		{ "sample-period", required_argument, NULL, 'p' },
		{ "ringbuf-size", required_argument, NULL, 'r' },
		{ "tick-ms", required_argument, NULL, 't' },
		{ "run-for", required_argument, NULL, 'R' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "vVh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_sources(optarg, o))
				goto bad;
			break;
		case 'p':
			if (parse_u64(optarg, 1, UINT32_MAX, &v))
				goto bad;
			o->sample_period = v;
			break;
		case 'r':
			if (parse_u64(optarg, 4096, 1ULL << 30, &v) || (v & (v - 1)))
				goto bad;
			o->ringbuf_bytes = v;
			break;
		case 't':
			if (parse_u64(optarg, 10, 60000, &v))
				goto bad;
			o->tick_ms = v;
			break;
		case 'R':
			if (parse_u64(optarg, 1, 86400, &v))
				goto bad;
			o->run_for_s = v;
			break;
		case 'n':
			o->dry_run = true;
			break;
		case 'v':
			*ret_prio = LOG_DEBUG;
			break;
		case 'V':
			printf("tieringd %s\n", TIERINGD_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tieringd: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
bad:
	fprintf(stderr, "tieringd: invalid value '%s'\n", optarg);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	struct td_daemon_options o = {
		.hint_faults = true,
		.sample_period = 1,
		.ringbuf_bytes = 4 << 20,
		.tick_ms = 1000,
	};
	struct td_daemon *d = NULL;
	int prio = LOG_INFO, r;

	if (parse_args(argc, argv, &o, &prio))
		return 2;
	td_log_init(prio);
	td_log_libbpf();

	r = td_daemon_new(&o, &d);
	if (r)
		return 1;
	r = td_daemon_run(d);
	td_daemon_print_summary(d);
	td_daemon_free(d);
	return r ? 1 : 0;
}
