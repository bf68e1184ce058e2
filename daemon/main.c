// SPDX-License-Identifier: GPL-2.0-only
/* tieringd - userspace memory-tiering daemon. main() parses arguments,
 * loads the configuration, creates, runs and frees the daemon; nothing else. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/conffile.h"
#include "daemon.h"
#include "move/demoter.h"
#include "move/kernel.h"
#include "move/topology.h"
#include "ops/log.h"
#include "ops/privs.h"

#define TIERINGD_VERSION "0.1"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tieringd [--config PATH] [--socket PATH] [--dry-run] [-v]\n"
		"       tieringd --check-config [PATH]\n"
		"       tieringd [--config PATH] --has-slow-tier\n"
		"       tieringd --restore-kernel-state\n"
		"  --config PATH     configuration (default " TD_DEFAULT_CONFIG ", drop-ins in PATH.d/)\n"
		"  --socket PATH     control socket (default " TD_DEFAULT_SOCKET ")\n"
		"  --dry-run         decide and log, move nothing\n"
		"  --no-restorer     the service manager runs --restore-kernel-state after\n"
		"                    every exit (the shipped unit does): start no restorer\n"
		"  --run-for S       stop after S seconds (tests)\n"
		"  --has-slow-tier   exit 0 if there is a slow memory node to promote from, else 1\n"
		"  --restore-kernel-state\n"
		"                    put back the kernel settings a tieringd that died changed\n"
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

/* What the command line asked for, beyond the daemon's own options. */
struct cmdline {
	const char *config_path;
	bool config_given;
	bool slow_tier_check;	/* --has-slow-tier */
	bool restore_kernel;	/* --restore-kernel-state */
	int restorer_fd;	/* --restorer=FD (tieringd starts it itself), else -1 */
	int prio;
};

/* --run-for S: a positive number of seconds. 0 or -EINVAL (said). */
static int parse_run_for(const char *arg, uint32_t *ret)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || !v || v > UINT32_MAX || arg[0] == '-') {
		fprintf(stderr, "tieringd: invalid --run-for '%s'\n", arg);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* One option c (with optarg) into o and cl. -1 to go on, else the exit status. */
static int parse_opt(int c, struct td_daemon_options *o, struct cmdline *cl)
{
	switch (c) {
	case 'c':
		cl->config_path = optarg;
		cl->config_given = true;
		return -1;
	case 's':
		o->socket_path = optarg;
		return -1;
	case 'n':
		o->dry_run = true;
		return -1;
	case 'R':
		return parse_run_for(optarg, &o->run_for_s) < 0 ? 2 : -1;
	case 'S':
		cl->slow_tier_check = true;
		return -1;
	case 'K':
		cl->restore_kernel = true;
		return -1;
	case 'N':
		o->no_restorer = true;
		return -1;
	case 'r':
		cl->restorer_fd = atoi(optarg);
		return cl->restorer_fd < 3 ? 2 : -1;	/* only tieringd itself passes it */
	case 'v':
		cl->prio = LOG_DEBUG;
		return -1;
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

/* Parses argv into o and cl. Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct td_daemon_options *o, struct cmdline *cl)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "run-for", required_argument, NULL, 'R' },
		{ "has-slow-tier", no_argument, NULL, 'S' },
		{ "restore-kernel-state", no_argument, NULL, 'K' },
		{ "no-restorer", no_argument, NULL, 'N' },
		{ "restorer", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c, r;

	while ((c = getopt_long(argc, argv, "vVh", opts, NULL)) != -1) {
		r = parse_opt(c, o, cl);
		if (r >= 0)
			return r;
	}
	if (optind < argc) {
		fprintf(stderr, "tieringd: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return -1;
}

/*
 * The slow nodes the daemon would promote from: the detected topology with
 * the configuration's FastNodes=/SlowNodes= over it, as td_daemon_new()
 * computes them. 0 (*ret_slow may be 0: a one-node host; no NUMA at all
 * counts as that), or -errno when the topology cannot be read.
 */
static int slow_nodes(const struct td_daemon_config *dc, uint64_t *ret_slow)
{
	uint64_t fast = 0, slow = 0;
	int r = td_topology_detect(&fast, &slow);

	*ret_slow = 0;
	if (r == -ENOSYS)
		return 0;
	if (r < 0)
		return r;
	if (!dc->fast_nodes_auto)
		fast = dc->fast_nodes;
	if (!dc->slow_nodes_auto)
		slow = dc->slow_nodes;
	*ret_slow = slow & ~fast;
	return 0;
}

/*
 * tieringd --has-slow-tier, the unit's ExecCondition=: 1 when there is no
 * slow node (systemd then skips the unit: not failed, not restarted), 0
 * when there is one, and also when it cannot tell (a configuration with
 * errors, an unreadable topology): the daemon then starts and fails with
 * the reason, where an operator sees it.
 */
static int check_slow_tier(const struct td_config *cfg, int load_r)
{
	uint64_t slow;
	char buf[64];

	if (load_r) {
		printf("cannot tell: the configuration has errors (see tieringd --check-config)\n");
		return 0;
	}
	if (slow_nodes(&cfg->daemon, &slow) < 0) {
		printf("cannot tell: the NUMA topology cannot be read\n");
		return 0;
	}
	if (!slow) {
		printf("no slow memory tier on this host\n");
		return 1;
	}
	printf("slow memory tier: node %s\n", td_nodemask_str(slow, buf, sizeof(buf)));
	return 0;
}

static int run_daemon(struct td_daemon_options *o, const struct cmdline *cl,
		      const struct td_config *cfg)
{
	struct td_daemon *d = NULL;
	uint64_t slow;
	int r;

	if (!slow_nodes(&cfg->daemon, &slow) && !slow) {
		/* nothing to tier here: a clean exit, not a failure to retry */
		td_info("no slow memory tier on this host");
		return 0;
	}
	o->config = cfg;
	o->config_path = cl->config_path;
	o->config_missing_ok = !cl->config_given;
	r = td_daemon_new(o, &d);
	if (!r) {
		r = td_daemon_run(d);
		td_daemon_print_summary(d);
	}
	td_daemon_free(d);
	return r ? 1 : 0;
}

/*
 * Before anything else: SIGTERM, SIGINT and SIGHUP blocked, so that a stop
 * during start-up (BPF loading takes seconds) waits for the loop's signal
 * sources, which take it as soon as they exist, and the kernel settings
 * are put back on the way out; SIGPIPE ignored, so that a closed stdout or
 * peer gives EPIPE instead of killing the daemon before that.
 */
static void early_signals(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	(void)sigprocmask(SIG_BLOCK, &mask, NULL);
	(void)signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	struct td_daemon_options o = { .socket_path = TD_DEFAULT_SOCKET };
	struct cmdline cl = { .config_path = TD_DEFAULT_CONFIG, .prio = LOG_INFO, .restorer_fd = -1 };
	struct td_config *cfg;
	int r;

	early_signals();
	if (argc >= 2 && !strcmp(argv[1], "--check-config")) {
		if (argc > 3) {
			usage(stderr);
			return 2;
		}
		return check_config(argc == 3 ? argv[2] : TD_DEFAULT_CONFIG);
	}
	r = parse_args(argc, argv, &o, &cl);
	if (r >= 0)
		return r;
	td_log_init(cl.prio);
	if (cl.restore_kernel) {
		/* a cgroup's memory.swap.max left at 0 by a kill mid-demotion */
		td_demoter_restore_fence(TD_DEMOTER_FENCE_FILE);
		return td_kernel_restore_state(NULL) < 0 ? 1 : 0;
	}
	if (cl.restorer_fd >= 0)
		return td_privs_run_restorer(cl.restorer_fd) < 0 ? 1 : 0;
	td_log_libbpf();

	cfg = malloc(sizeof(*cfg));
	if (!cfg)
		return 1;
	r = td_conffile_load(cl.config_path, /* missing_ok= */ !cl.config_given, cfg);
	if (cl.slow_tier_check)
		r = check_slow_tier(cfg, r);
	else if (r) {
		td_conffile_print_errors(cfg);
		r = 1;
	} else {
		r = run_daemon(&o, &cl, cfg);
	}
	free(cfg);
	return r;
}
