// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_config - libFuzzer target for lib/config.c, the tieringd.conf parser.
 *
 * Each input is parsed
 *   1. whole, as one file ("tieringd.conf"); and
 *   2. if it holds a 0x00 byte, split at the first one into a main file and
 *      a drop-in ("50-dropin.conf") parsed after it into the same config, so
 *      merging (a later file wins per key) is exercised too.
 * A file that parsed without errors is parsed once more as a further
 * drop-in: that must again be error-free and change nothing.
 *
 * After every td_config_parse() the harness checks what the header promises
 * and abort()s on a violation (libFuzzer then keeps the input):
 *   - the return value is 0 exactly when this file added no errors, else -EINVAL;
 *   - every error this file added reads "FNAME:LINE: message", LINE within
 *     the file, errors in line order;
 *   - n_cgroups <= TD_CONFIG_MAX_CGROUPS; every path is absolute, normal
 *     and unique; every field within its documented range, weight 1..10000;
 *     set_mask holds only bits of [Cgroup] keys of the key table;
 *   - td_config_policy_for() on a section's path returns that section, and
 *     on a child's path that section or a deeper one;
 *   - every [Daemon] value within its documented range.
 *
 * Speed (tests/fuzz/run wants 10^6 inputs a minute):
 *   - struct td_config is ~150 KiB, nearly all of it the cgroups[] and
 *     errors[] arrays, which td_config_init() clears. The parser only reads
 *     daemon, n_cgroups, n_errors and the slots below the two counts (a new
 *     section's slot is cleared when it is created), so per run the harness
 *     restores those three from one td_config_init()ed template instead.
 *   - td_config_policy_for() scans every section: asked for each of 256
 *     sections after each parse, it took most of the time. With more than
 *     POLICY_SAMPLES sections a fixed spread of them, and the newest, is asked.
 *   - The checks are left out of the coverage instrumentation.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define MAIN_NAME	"tieringd.conf"
#define DROPIN_NAME	"50-dropin.conf"
#define AGAIN_NAME	"99-again.conf"
#define POLICY_SAMPLES	8

/*
 * The checks are not what is being fuzzed: keep them out of the coverage
 * feedback (and its cost).
 */
#define NO_COVERAGE	__attribute__((no_sanitize("coverage")))

static struct td_config *cfg;		/* the one under test, allocated once */
static struct td_config *tmpl;		/* td_config_init()ed: the defaults */
static struct td_daemon_config snap_daemon;
static struct td_cgroup_policy *snap_cgroups;
static size_t snap_n_cgroups;
static uint32_t cgroup_bits;		/* the key table's [Cgroup] set_mask bits */

#define check(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_config: %s:%d: invariant violated: %s\n", \
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

NO_COVERAGE static void reset(struct td_config *c)
{
	c->daemon = tmpl->daemon;
	c->n_cgroups = 0;
	c->n_errors = 0;
}

/* Lines in text as the parser counts them: each '\n' ends one, and a last line may lack it. */
NO_COVERAGE static unsigned count_lines(const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;
	unsigned n = 0;

	for (; p < end && (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1)
		n++;
	return n + (len && text[len - 1] != '\n');
}

/* errors[first..] came from fname, whose text has nlines lines. */
NO_COVERAGE static void check_errors(const struct td_config *c, size_t first, const char *fname, unsigned nlines)
{
	size_t flen = strlen(fname), last = c->n_errors < TD_CONFIG_MAX_ERRORS ? c->n_errors : TD_CONFIG_MAX_ERRORS;
	unsigned prev = 0;

	for (size_t i = first; i < last; i++) {
		const char *e = c->errors[i], *p;
		unsigned long line = 0;

		check(memchr(e, '\0', sizeof(c->errors[0])));
		check(!strncmp(e, fname, flen) && e[flen] == ':');
		p = e + flen + 1;
		check(*p >= '1' && *p <= '9');
		for (; *p >= '0' && *p <= '9'; p++) {
			line = line * 10 + (unsigned long)(*p - '0');
			check(line <= nlines);
		}
		check(p[0] == ':' && p[1] == ' ' && p[2] != '\0');
		check(line >= prev);
		prev = (unsigned)line;
	}
}

/* Absolute, no "//", no "." or ".." component, no trailing '/' (but "/"). */
NO_COVERAGE static bool normal_path(const char *p)
{
	if (p[0] != '/')
		return false;
	if (!p[1])
		return true;
	for (const char *s = p; *s; ) {
		size_t n;

		s++;
		n = strcspn(s, "/");
		if (!n || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s += n;
	}
	return true;
}

/* FNV-1a, for the uniqueness check. */
NO_COVERAGE static uint32_t hash_path(const char *p)
{
	uint32_t h = 2166136261u;

	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

/* No two sections share a path: O(n) with a small open-addressing table. */
NO_COVERAGE static void check_unique(const struct td_config *c)
{
	static int16_t slot[2 * TD_CONFIG_MAX_CGROUPS];	/* index + 1, 0 = empty */
	const size_t mask = 2 * TD_CONFIG_MAX_CGROUPS - 1;

	memset(slot, 0, sizeof(slot));
	for (size_t i = 0; i < c->n_cgroups; i++) {
		const char *p = c->cgroups[i].path;
		size_t h = hash_path(p) & mask;

		for (; slot[h]; h = (h + 1) & mask) {
			const char *q = c->cgroups[slot[h] - 1].path;
			size_t k = 0;

			while (p[k] && p[k] == q[k])
				k++;
			check(p[k] != q[k]);
		}
		slot[h] = (int16_t)(i + 1);
	}
}

/*
 * td_config_policy_for(): a section's own path returns that section (an
 * exact match is the longest), and a child path returns it or a deeper
 * one. Each call scans every section, so with many sections only a spread
 * of POLICY_SAMPLES of them, and always the newest, is asked: asking all
 * would be O(n^2) and a 4 KiB input can hold 256 sections.
 */
NO_COVERAGE static void check_policy_for(const struct td_config *c, size_t i)
{
	const struct td_cgroup_policy *p = &c->cgroups[i], *q;
	char child[TD_CONFIG_PATH_MAX + 8];
	size_t n = strlen(p->path);

	check(td_config_policy_for(c, p->path) == p);
	snprintf(child, sizeof(child), "%s/x", n == 1 ? "" : p->path);
	q = td_config_policy_for(c, child);
	check(q && strlen(q->path) >= n);
}

NO_COVERAGE static void check_cgroups(const struct td_config *c)
{
	size_t n = c->n_cgroups;

	check(n <= TD_CONFIG_MAX_CGROUPS);
	for (size_t i = 0; i < n; i++) {
		const struct td_cgroup_policy *p = &c->cgroups[i];

		check(memchr(p->path, '\0', sizeof(p->path)));
		check(p->path[0] == '/');
		check(normal_path(p->path));
		check(p->mode == TD_MODE_PROMOTE || p->mode == TD_MODE_OBSERVE || p->mode == TD_MODE_OFF);
		check(p->hot_threshold <= 1000000);
		check(p->promote_rate_limit_mbps <= (1u << 20));
		check(p->max_fast_percent <= 100);
		check(!p->max_fast_percent || !p->max_fast_bytes);
		check(p->weight >= 1 && p->weight <= 10000);
		check(!(p->set_mask & ~cgroup_bits));
		/* a section that set nothing has the defaults */
		if (!p->set_mask)
			check(p->mode == c->daemon.default_mode && !p->hot_threshold &&
			      !p->promote_rate_limit_mbps && !p->max_fast_bytes &&
			      !p->max_fast_percent && p->weight == 100);
	}
	check_unique(c);
	if (n <= POLICY_SAMPLES) {
		for (size_t i = 0; i < n; i++)
			check_policy_for(c, i);
	} else {
		for (size_t k = 0; k < POLICY_SAMPLES - 1; k++)
			check_policy_for(c, k * n / (POLICY_SAMPLES - 1));
		check_policy_for(c, n - 1);
	}
}

NO_COVERAGE static void check_daemon(const struct td_daemon_config *d)
{
	check(d->sources && !(d->sources & ~(uint32_t)(TD_SOURCES_HINT | TD_SOURCES_SAMPLE)));
	check(d->hint_hook >= TD_HINT_HOOK_AUTO && d->hint_hook <= TD_HINT_HOOK_TASK_NUMA_FAULT);
	check(d->sample_period >= 1 && d->sample_period <= UINT32_MAX);
	check(d->numa_balancing >= TD_KEEP && d->numa_balancing <= 3);
	check(d->kernel_promote_rate_limit_mbps >= TD_KEEP && d->kernel_promote_rate_limit_mbps <= (1 << 20));
	check(d->tick_ms >= 10 && d->tick_ms <= 60000);
	check(d->batch_size >= 1 && d->batch_size <= 65536);
	check(d->rate_limit_mbps <= (1u << 20));
	check(d->hotness_capacity >= 1024 && d->hotness_capacity <= (1u << 28));
	check(d->hotness_half_life_ms >= 1 && d->hotness_half_life_ms <= 86400000);
	check(d->hot_threshold >= 1 && d->hot_threshold <= 1000000);
	check(d->ring_buffer_bytes >= 4096 && d->ring_buffer_bytes <= (1u << 30) &&
	      !(d->ring_buffer_bytes & (d->ring_buffer_bytes - 1)));
	check(d->default_mode == TD_MODE_PROMOTE || d->default_mode == TD_MODE_OBSERVE ||
	      d->default_mode == TD_MODE_OFF);
	check(d->demote_rate_limit_mbps <= (1u << 20));
	check(memchr(d->metrics_file, '\0', sizeof(d->metrics_file)));
	check(!d->metrics_file[0] || d->metrics_file[0] == '/');
	check(d->fast_nodes_auto || d->fast_nodes);
	check(d->slow_nodes_auto || d->slow_nodes);
}

/* Parses one file into c and checks everything; returns td_config_parse()'s value. */
NO_COVERAGE static int parse_checked(struct td_config *c, const char *fname, const char *text, size_t len)
{
	size_t before = c->n_errors;
	int r = td_config_parse(c, fname, text, len);

	check(r == 0 || r == -EINVAL);
	check(c->n_errors >= before);
	check((r == 0) == (c->n_errors == before));
	if (c->n_errors > before)
		check_errors(c, before, fname, count_lines(text, len));
	check_daemon(&c->daemon);
	check_cgroups(c);
	return r;
}

/* An error-free file, given again as a drop-in: no errors, nothing changes. */
NO_COVERAGE static void check_again(struct td_config *c, const char *text, size_t len)
{
	/* memcpy, not assignment: the padding must compare equal too */
	memcpy(&snap_daemon, &c->daemon, sizeof(snap_daemon));
	snap_n_cgroups = c->n_cgroups;
	memcpy(snap_cgroups, c->cgroups, c->n_cgroups * sizeof(c->cgroups[0]));
	check(parse_checked(c, AGAIN_NAME, text, len) == 0);
	check(!memcmp(&snap_daemon, &c->daemon, sizeof(snap_daemon)));
	check(c->n_cgroups == snap_n_cgroups);
	check(!memcmp(snap_cgroups, c->cgroups, c->n_cgroups * sizeof(c->cgroups[0])));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const struct td_config_key *keys;
	size_t n_keys;

	(void)argc;
	(void)argv;
	cfg = malloc(sizeof(*cfg));
	tmpl = malloc(sizeof(*tmpl));
	snap_cgroups = malloc(sizeof(tmpl->cgroups));
	if (!cfg || !tmpl || !snap_cgroups)
		abort();
	td_config_init(tmpl);
	td_config_init(cfg);
	keys = td_config_keys(&n_keys);
	for (size_t i = 0; i < n_keys; i++)
		if (keys[i].section == TD_CONFIG_CGROUP)
			cgroup_bits |= keys[i].set_bit;
	check(cgroup_bits);
	check_daemon(&tmpl->daemon);
	check(!tmpl->n_cgroups && !tmpl->n_errors);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *nul = memchr(data, '\0', size);

	reset(cfg);
	if (parse_checked(cfg, MAIN_NAME, text, size) == 0)
		check_again(cfg, text, size);

	if (nul) {
		size_t n = (size_t)(nul - text);
		const char *drop = nul + 1;
		size_t dlen = size - n - 1;

		reset(cfg);
		parse_checked(cfg, MAIN_NAME, text, n);
		if (parse_checked(cfg, DROPIN_NAME, drop, dlen) == 0)
			check_again(cfg, drop, dlen);
	}
	return 0;
}
