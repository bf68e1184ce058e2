// SPDX-License-Identifier: GPL-2.0-only
/* tieringd - userspace memory-tiering daemon. main() parses arguments,
 * loads the configuration, creates, runs and frees the daemon; nothing else. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/conffile.h"
#include "daemon.h"
#include "ops/log.h"

#define TIERINGD_VERSION "0.1"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tieringd [--config PATH] [--socket PATH] [--dry-run] [-v]\n"
		"       tieringd --check-config [PATH]\n"
		"  --config PATH     configuration (default " TD_DEFAULT_CONFIG ", drop-ins in PATH.d/)\n"
		"  --socket PATH     control socket (default " TD_DEFAULT_SOCKET ")\n"
		"  --dry-run         decide and log, move nothing\n"
		"  --run-for S       stop after S seconds (tests)\n"
		"  -v, --verbose     debug logging\n"
		"  -V, --version\n"
		"  -h, --help\n");
}

/* tieringd --check-config [PATH]: 0 when valid, 1 with FILE:LINE errors. */
static int check_config(const char *path)
{
	struct td_config *c = malloc(sizeof(*c));
	int r;

	if (!c)
		return 1;
	r = td_conffile_load(path, /* missing_ok= */ false, c);
	if (r)
		td_conffile_print_errors(c);
	else
		printf("%s: ok\n", path);
	free(c);
	return r ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "run-for", required_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct td_daemon_options o = { .socket_path = TD_DEFAULT_SOCKET };
	const char *config_path = TD_DEFAULT_CONFIG;
	bool config_given = false;
	struct td_config *cfg;
	struct td_daemon *d = NULL;
	int prio = LOG_INFO, c, r;
	char *end;

	if (argc >= 2 && !strcmp(argv[1], "--check-config")) {
		if (argc > 3) {
			usage(stderr);
			return 2;
		}
		return check_config(argc == 3 ? argv[2] : TD_DEFAULT_CONFIG);
	}
	while ((c = getopt_long(argc, argv, "vVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			config_given = true;
			break;
		case 's':
			o.socket_path = optarg;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 'R':
			errno = 0;
			o.run_for_s = strtoul(optarg, &end, 10);
			if (errno || *end || !o.run_for_s || optarg[0] == '-') {
				fprintf(stderr, "tieringd: invalid --run-for '%s'\n", optarg);
				return 2;
			}
			break;
		case 'v':
			prio = LOG_DEBUG;
			break;
		case 'V':
			printf("tieringd %s\n", TIERINGD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tieringd: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	td_log_init(prio);
	td_log_libbpf();

	cfg = malloc(sizeof(*cfg));
	if (!cfg)
		return 1;
	r = td_conffile_load(config_path, /* missing_ok= */ !config_given, cfg);
	if (r) {
		td_conffile_print_errors(cfg);
		free(cfg);
		return 1;
	}
	o.config = cfg;
	o.config_path = config_path;
	o.config_missing_ok = !config_given;
	r = td_daemon_new(&o, &d);
	if (!r) {
		r = td_daemon_run(d);
		td_daemon_print_summary(d);
	}
	td_daemon_free(d);
	free(cfg);
	return r ? 1 : 0;
}
