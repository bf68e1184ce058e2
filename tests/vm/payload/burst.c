// SPDX-License-Identifier: GPL-2.0-only
/*
 * burst - a slow-node buffer read in full until told to stop, then watched
 * while it is promoted: the timing side of a promotion burst.
 *
 *   burst [--mib N] [--node N] [--fast N] [--poll-ms MS] [--stride K] [--seconds S]
 *         [--batch N] [--trace] [--no-raw]
 *
 * Places --mib MiB of 4 KiB pages (MADV_NOHUGEPAGE) on --node (mbind, touch,
 * MPOL_DEFAULT again), prints "READY <pid> pages <n>", and reads one word of
 * every page in a loop, so NUMA balancing's hint faults tell tieringd about
 * each page. On SIGUSR1 it stops reading and queries the node of every
 * --stride-th page every --poll-ms (move_pages(2) query) until all of them
 * are on --fast, or --seconds pass. Then it queries every page and prints
 *   BURST pages <n> on_fast <n> first_ms <a> prev_ms <b> done_ms <c>
 *         pages_per_s_lo <x> pages_per_s_hi <y>
 * first_ms: the first poll that saw a sampled page on --fast; prev_ms the
 * poll before it (the burst began in between); done_ms: the first poll with
 * all of them there (all in ms after SIGUSR1). pages_per_s_lo = on_fast /
 * (done - prev), _hi = on_fast / (done - first) (0: not finished).
 * Then the raw syscall on the same memory: every page moved back to --node
 * and again to --fast with move_pages(2) in batches of --batch (512), the
 * second move watched by the same poll in a thread (the same interference
 * as during the burst): "RAW_WATCHED ..." with the BURST line's fields, and
 * the moves' own timing:
 *   RAW batch <b> back_pages_per_s <x> pages_per_s <y> on_fast <n>
 * Then three times, interleaved: the pages back on --node, a second of
 * running (the NUMA scanner arms their PTEs, as before the burst) and the
 * move from another process (a child, as tieringd calls it), watched:
 *   RAW_OTHER armed pages_per_s <x> watched_hi <y> on_fast <n>
 * and back again and the move by this process at once, watched:
 *   RAW_SELF fresh pages_per_s <x> watched_hi <y> on_fast <n>
 * --no-raw: exit after the BURST line.
 * Exit 0 unless setup fails.
 */
#include <getopt.h>
#include <numaif.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "payload.h"
#include "slowbuf.h"

#define PAGE 4096UL

static volatile sig_atomic_t stop_reading;

static void on_usr1(int sig)
{
	(void)sig;
	stop_reading = 1;
}

static double now_ms(void)
{
	return now_s() * 1e3;
}

/* Moves pages[0..n) of process pid (0: this one) to node in batches;
 * pages/s (exits on a failed call). */
static double raw_move_of(pid_t pid, void **pages, int *status, size_t n, int node, size_t batch)
{
	int *nodes = calloc(batch, sizeof(*nodes));
	double t0 = now_ms(), dt;

	if (!nodes)
		exit(1);
	for (size_t i = 0; i < batch; i++)
		nodes[i] = node;
	for (size_t off = 0; off < n; off += batch) {
		size_t c = n - off < batch ? n - off : batch;

		if (move_pages(pid, c, pages + off, nodes, status + off, MPOL_MF_MOVE) < 0) {
			perror("burst: move_pages");
			exit(1);
		}
	}
	dt = now_ms() - t0;
	free(nodes);
	return n * 1e3 / dt;
}

/* The placement of every stride-th page, polled until all are on fast. */
struct watch {
	void **smp;
	int *status;
	size_t ns;
	int fast;
	double poll_ms, seconds;
	double first, prev, done;	/* ms after the watch began; -1: never */
	unsigned polls;
	bool trace;	/* a "P <ms> <sampled pages on fast>" line per poll */
};

static void watch(struct watch *w)
{
	double t0 = now_ms(), last = 0;

	w->first = w->done = -1;
	w->prev = 0;
	w->polls = 0;
	while (now_ms() - t0 < w->seconds * 1e3) {
		double t = now_ms() - t0;
		size_t on = count_on(w->smp, w->status, w->ns, w->fast, "burst");

		w->polls++;
		if (w->trace && on)
			printf("P %.1f %zu\n", t, on);
		if (on && w->first < 0) {
			w->first = t;
			w->prev = last;
		}
		if (on == w->ns) {
			w->done = t;
			return;
		}
		last = t;
		usleep((useconds_t)(w->poll_ms * 1000));
	}
}

static double raw_move(void **pages, int *status, size_t n, int node, size_t batch)
{
	return raw_move_of(0, pages, status, n, node, batch);
}

static void *watch_thread(void *arg)
{
	watch(arg);
	return NULL;
}

/* Runs without touching the buffer: NUMA balancing scans a task's memory in
 * the task's own context, so this arms the buffer's PTEs (PROT_NONE) as the
 * reader loop's scans did before the burst. */
static void spin_ms(double ms)
{
	for (double t0 = now_ms(); now_ms() - t0 < ms;)
		;
}

/*
 * The raw syscall as tieringd makes it: from another process (a child; the
 * buffer is MADV_DONTFORK, so it shares none of its pages) on this one's
 * pages, watched here. Its pages/s (its own clock, through a pipe), or -1.
 */
static double other_move(struct watch *w, void **pages, int *status, size_t n, int node,
			 size_t batch)
{
	pid_t parent = getpid(), ch;
	double rate = -1;
	int fds[2];

	if (pipe(fds))
		return -1;
	fflush(stdout);
	ch = fork();
	if (ch == 0) {
		close(fds[0]);
		rate = raw_move_of(parent, pages, status, n, node, batch);
		_exit(write(fds[1], &rate, sizeof(rate)) != sizeof(rate));
	}
	close(fds[1]);
	if (ch > 0) {
		watch(w);
		if (read(fds[0], &rate, sizeof(rate)) != sizeof(rate))
			rate = -1;
		waitpid(ch, NULL, 0);
	}
	close(fds[0]);
	return rate;
}

static void report(const char *tag, const struct watch *w, size_t n, size_t on)
{
	printf("%s pages %zu on_fast %zu first_ms %.1f prev_ms %.1f done_ms %.1f"
	       " pages_per_s_lo %.0f pages_per_s_hi %.0f polls %u\n", tag, n, on, w->first, w->prev,
	       w->done, w->done > w->prev ? on * 1e3 / (w->done - w->prev) : 0.0,
	       w->done > w->first && w->first >= 0 ? on * 1e3 / (w->done - w->first) : 0.0, w->polls);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mib", 1, NULL, 'm' }, { "node", 1, NULL, 'n' }, { "fast", 1, NULL, 'f' },
		{ "poll-ms", 1, NULL, 'p' }, { "stride", 1, NULL, 'k' }, { "seconds", 1, NULL, 's' },
		{ "batch", 1, NULL, 'b' }, { "trace", 0, NULL, 'T' }, { "no-raw", 0, NULL, 'R' },
		{}
	};
	unsigned long mib = 64, stride = 16, batch = 512;
	int node = 1, fast = 0, c;
	double poll_ms = 5, seconds = 60, back, fwd;
	struct watch w = { 0 };
	bool trace = false, no_raw = false;
	pthread_t tid;
	size_t n, ns;
	void **all, **smp;
	int *status;
	char *buf;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'm': mib = strtoul(optarg, NULL, 0); break;
		case 'n': node = atoi(optarg); break;
		case 'f': fast = atoi(optarg); break;
		case 'p': poll_ms = atof(optarg); break;
		case 'k': stride = strtoul(optarg, NULL, 0); break;
		case 's': seconds = atof(optarg); break;
		case 'b': batch = strtoul(optarg, NULL, 0); break;
		case 'T': trace = true; break;
		case 'R': no_raw = true; break;
		default: return 2;
		}
	}
	if (!mib || !stride || !batch)
		return 2;
	n = mib * (1 << 20) / PAGE;
	ns = (n + stride - 1) / stride;
	all = calloc(n, sizeof(*all));
	smp = calloc(ns, sizeof(*smp));
	status = calloc(n, sizeof(*status));
	buf = slowbuf_place(n, node);
	if (!all || !smp || !status || !buf) {
		perror("burst: setup");
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		all[i] = buf + i * PAGE;
	for (size_t i = 0; i < ns; i++)
		smp[i] = all[i * stride];
	w = (struct watch){ .smp = smp, .status = calloc(ns, sizeof(int)), .ns = ns,
			    .poll_ms = poll_ms, .trace = trace };
	if (!w.status)
		return 1;
	signal(SIGUSR1, on_usr1);
	printf("READY %d pages %zu on_node %zu\n", getpid(), n, count_on(all, status, n, node, "burst"));
	fflush(stdout);
	while (!stop_reading)
		for (size_t i = 0; i < n && !stop_reading; i++)
			(void)*(volatile char *)all[i];
	w.fast = fast;
	w.seconds = seconds;
	watch(&w);
	report("BURST", &w, n, count_on(all, status, n, fast, "burst"));
	if (no_raw)
		return fflush(stdout) ? 1 : 0;
	/* the raw syscall on the same memory, watched the same way */
	back = raw_move(all, status, n, node, batch);
	if (pthread_create(&tid, NULL, watch_thread, &w))
		return 1;
	fwd = raw_move(all, status, n, fast, batch);
	pthread_join(tid, NULL);
	report("RAW_WATCHED", &w, n, count_on(all, status, n, fast, "burst"));
	printf("RAW batch %lu back_pages_per_s %.0f pages_per_s %.0f on_fast %zu\n", batch,
	       back, fwd, count_on(all, status, n, fast, "burst"));
	/* the like-for-like raw call, interleaved with the self one */
	if (madvise(buf, n * PAGE, MADV_DONTFORK))
		return 1;
	for (int rep = 0; rep < 3; rep++) {
		raw_move(all, status, n, node, batch);
		spin_ms(1000);
		fwd = other_move(&w, all, status, n, fast, batch);
		printf("RAW_OTHER armed pages_per_s %.0f watched_hi %.0f on_fast %zu\n", fwd,
		       w.done > w.first && w.first >= 0 ? n * 1e3 / (w.done - w.first) : 0.0,
		       count_on(all, status, n, fast, "burst"));
		raw_move(all, status, n, node, batch);
		if (pthread_create(&tid, NULL, watch_thread, &w))
			return 1;
		fwd = raw_move(all, status, n, fast, batch);
		pthread_join(tid, NULL);
		printf("RAW_SELF fresh pages_per_s %.0f watched_hi %.0f on_fast %zu\n", fwd,
		       w.done > w.first && w.first >= 0 ? n * 1e3 / (w.done - w.first) : 0.0,
		       count_on(all, status, n, fast, "burst"));
	}
	fflush(stdout);
	return 0;
}
