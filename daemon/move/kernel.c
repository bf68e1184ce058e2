// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel.c - see kernel.h. The state file is small text, one line per
 * setting tieringd holds changed:
 *
 *	boot_id=<the boot's /proc/sys/kernel/random/boot_id>
 *	kernel.numa_balancing=<original> <set>
 *
 * It lives on tmpfs (/run), so it never outlives the boot it was written
 * in; the boot id still guards a state file put elsewhere. No fsync: a
 * rename on tmpfs is atomic and there is no disk to reach.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "move/kernel.h"
#include "ops/log.h"

#define BOOT_ID "sys/kernel/random/boot_id"
#define ROOT_MAX 1024		/* the roots and the state file's path */

struct knob {
	const char *name;	/* in the state file and the journal */
	bool under_sys;		/* below sys_root, else below proc_root */
	const char *rel;
	bool boolean;		/* a "true"/"false" file */
};

static const struct knob knobs[TD_KNOB__MAX] = {
	[TD_KNOB_NUMA_BALANCING] = { "kernel.numa_balancing", false,
				     "sys/kernel/numa_balancing", false },
	[TD_KNOB_PROMOTE_RATE_LIMIT] = { "kernel.numa_balancing_promote_rate_limit_MBps", false,
					 "sys/kernel/numa_balancing_promote_rate_limit_MBps", false },
	[TD_KNOB_DEMOTION] = { "demotion_enabled", true, "kernel/mm/numa/demotion_enabled", true },
};

/* A knob tieringd holds changed. */
struct held {
	bool held;
	int original;
	int set;
};

struct td_kernel {
	char proc_root[ROOT_MAX];
	char sys_root[ROOT_MAX];
	char state_file[ROOT_MAX];
	char boot_id[64];	/* "" when unreadable: no file is then trusted */
	struct held h[TD_KNOB__MAX];
	const char *deferred_to;	/* td_kernel_defer(): who puts back what we cannot */
	bool deferred[TD_KNOB__MAX];	/* left in the file for deferred_to */
};

static void knob_path(const struct td_kernel *k, enum td_kernel_knob i, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", knobs[i].under_sys ? k->sys_root : k->proc_root, knobs[i].rel);
}

/* The knob's value (>= 0) or a negative errno. */
static int knob_read(const struct td_kernel *k, enum td_kernel_knob i)
{
	char path[PATH_MAX], buf[32] = "";
	FILE *f;
	int v;

	knob_path(k, i, path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	if (knobs[i].boolean)
		return !strncmp(buf, "true", 4) ? 1 : !strncmp(buf, "false", 5) ? 0 : -EINVAL;
	return sscanf(buf, "%d", &v) == 1 && v >= 0 ? v : -EINVAL;
}

static int knob_write(const struct td_kernel *k, enum td_kernel_knob i, int v)
{
	char path[PATH_MAX];
	FILE *f;
	int r = 0;

	knob_path(k, i, path, sizeof(path));
	f = fopen(path, "we");
	if (!f)
		return -errno;
	if (knobs[i].boolean ? fputs(v ? "true" : "false", f) < 0 : fprintf(f, "%d\n", v) < 0)
		r = -EIO;
	if (fclose(f) && !r)
		r = -errno;
	return r;
}

static void read_boot_id(struct td_kernel *k)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", k->proc_root, BOOT_ID);
	f = fopen(path, "re");
	k->boot_id[0] = '\0';
	if (f) {
		if (!fgets(k->boot_id, sizeof(k->boot_id), f))
			k->boot_id[0] = '\0';
		fclose(f);
	}
	k->boot_id[strcspn(k->boot_id, "\n")] = '\0';
}

/* The state file's directory, if missing (a tieringd run by hand before
 * its socket made it). One level: /run itself is there. */
static void make_state_dir(const struct td_kernel *k)
{
	char dir[ROOT_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", k->state_file);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) == 0)
			(void)chmod(dir, 0755);
	}
}

static int write_state(const struct td_kernel *k, FILE *f)
{
	fprintf(f, "# tieringd: kernel settings it changed, original and set (tieringd(8))\n");
	fprintf(f, "boot_id=%s\n", k->boot_id);
	for (int i = 0; i < TD_KNOB__MAX; i++)
		if (k->h[i].held)
			fprintf(f, "%s=%d %d\n", knobs[i].name, k->h[i].original, k->h[i].set);
	return ferror(f) ? -EIO : 0;
}

/* The state file as k holds it, atomically (temp + rename); removed when
 * no knob is held. 0 or a negative errno. */
static int save_state(const struct td_kernel *k)
{
	char tmp[ROOT_MAX + 8];
	bool any = false;
	FILE *f;
	int r;

	for (int i = 0; i < TD_KNOB__MAX; i++)
		any |= k->h[i].held;
	if (!any)
		return unlink(k->state_file) < 0 && errno != ENOENT ? -errno : 0;
	make_state_dir(k);
	snprintf(tmp, sizeof(tmp), "%s.tmp", k->state_file);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	r = write_state(k, f);
	if (fclose(f) && !r)
		r = -errno;
	if (!r && rename(tmp, k->state_file) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}

/* One "name=original set" line into k. 0, or -EINVAL. */
static int parse_held(struct td_kernel *k, const char *line)
{
	const char *eq = strchr(line, '=');
	int orig, set;

	for (int i = 0; eq && i < TD_KNOB__MAX; i++) {
		if (strlen(knobs[i].name) != (size_t)(eq - line) ||
		    strncmp(line, knobs[i].name, eq - line))
			continue;
		if (sscanf(eq + 1, "%d %d", &orig, &set) != 2 || orig < 0 || set < 0)
			return -EINVAL;
		k->h[i] = (struct held){ .held = true, .original = orig, .set = set };
		return 0;
	}
	return -EINVAL;
}

/* Reads the state file into k: 0 when adopted, -ENOENT when there is
 * none, -ESTALE when written in another boot, -EINVAL when unreadable. */
static int parse_state(struct td_kernel *k, FILE *f)
{
	char line[256];
	bool boot_ok = false;
	int r = 0;

	while (!r && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		if (!strncmp(line, "boot_id=", 8))
			boot_ok = k->boot_id[0] && !strcmp(line + 8, k->boot_id);
		else
			r = parse_held(k, line);
	}
	if (!r && !boot_ok)
		r = -ESTALE;
	if (r)
		memset(k->h, 0, sizeof(k->h));
	return r;
}

static void load_state(struct td_kernel *k)
{
	FILE *f = fopen(k->state_file, "re");
	int r;

	if (!f) {
		if (errno != ENOENT)
			td_warn("cannot read %s (%s): earlier kernel settings unknown, ignoring",
				k->state_file, strerror(errno));
		return;
	}
	r = parse_state(k, f);
	fclose(f);
	if (r == -ESTALE)
		td_info("%s was written in another boot: ignoring it", k->state_file);
	else if (r)
		td_warn("%s is not a tieringd kernel state file: ignoring it", k->state_file);
	if (r) {
		unlink(k->state_file);
		return;
	}
	for (int i = 0; i < TD_KNOB__MAX; i++)
		if (k->h[i].held)
			td_info("%s: an earlier tieringd of this boot set %s=%d over %d, "
				"which is the original", k->state_file, knobs[i].name,
				k->h[i].set, k->h[i].original);
}

int td_kernel_new(const struct td_kernel_paths *p, struct td_kernel **ret)
{
	static const struct td_kernel_paths defaults = {
		.proc_root = "/proc", .sys_root = "/sys", .state_file = TD_KERNEL_STATE_FILE,
	};
	struct td_kernel *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	if (!p)
		p = &defaults;
	snprintf(k->proc_root, sizeof(k->proc_root), "%s", p->proc_root ?: defaults.proc_root);
	snprintf(k->sys_root, sizeof(k->sys_root), "%s", p->sys_root ?: defaults.sys_root);
	snprintf(k->state_file, sizeof(k->state_file), "%s",
		 p->state_file ?: defaults.state_file);
	read_boot_id(k);
	load_state(k);
	*ret = k;
	return 0;
}

void td_kernel_free(struct td_kernel *k)
{
	free(k);
}

/* A knob held but no longer at the value set: someone else changed it,
 * and what it holds now is theirs. Forgets it; true if it did. */
static bool forget_if_changed(struct td_kernel *k, enum td_kernel_knob i, int cur)
{
	struct held *h = &k->h[i];

	if (!h->held || cur == h->set)
		return false;
	td_warn("%s is %d, not the %d tieringd set: changed by someone else, "
		"left as it is", knobs[i].name, cur, h->set);
	h->held = false;
	return true;
}

int td_kernel_set(struct td_kernel *k, enum td_kernel_knob i, int value)
{
	struct held *h = &k->h[i], prev;
	int cur = knob_read(k, i), r;
	bool forgot;

	if (cur < 0)
		return cur;
	forgot = forget_if_changed(k, i, cur);
	if (cur == value)
		return forgot ? save_state(k) : 0;
	prev = *h;
	if (!h->held)
		*h = (struct held){ .held = true, .original = cur };
	h->set = value;
	r = save_state(k);
	if (r < 0) {
		*h = prev;
		return td_err(r, "not changing %s: cannot save its value to %s",
			      knobs[i].name, k->state_file);
	}
	r = knob_write(k, i, value);
	if (r < 0) {
		*h = prev;
		(void)save_state(k);
	}
	return r;
}

int td_kernel_put_back(struct td_kernel *k, enum td_kernel_knob i)
{
	struct held *h = &k->h[i];
	int cur, r;

	if (!h->held)
		return 0;
	cur = knob_read(k, i);
	if (cur < 0)
		return td_err(cur, "cannot read %s to restore it", knobs[i].name);
	if (!forget_if_changed(k, i, cur)) {
		r = knob_write(k, i, h->original);
		if (r < 0 && k->deferred_to && (r == -EPERM || r == -EACCES)) {
			k->deferred[i] = true;	/* stays in the file; said by td_kernel_restore() */
			return r;
		}
		if (r < 0)
			return td_err(r, "cannot restore %s=%d", knobs[i].name, h->original);
		td_info("%s restored to %d (was %d)", knobs[i].name, h->original, h->set);
		h->held = false;
	}
	r = save_state(k);
	return r < 0 ? td_err(r, "cannot update %s", k->state_file) : 0;
}

/* Says once which knobs are left to deferred_to, with their originals. */
static void say_deferred(const struct td_kernel *k)
{
	char buf[256] = "";
	size_t off = 0;

	for (int i = 0; i < TD_KNOB__MAX && off < sizeof(buf); i++)
		if (k->deferred[i] && k->h[i].held)
			off += snprintf(buf + off, sizeof(buf) - off, "%s%s=%d", off ? ", " : "",
					knobs[i].name, k->h[i].original);
	if (off)
		td_info("kernel settings left to %s: %s, kept in %s (this process dropped the "
			"capabilities to write them)", k->deferred_to, buf, k->state_file);
}

int td_kernel_restore(struct td_kernel *k)
{
	int r = 0, q;

	for (int i = 0; i < TD_KNOB__MAX; i++) {
		k->deferred[i] = false;
		q = td_kernel_put_back(k, i);
		if (q < 0 && !k->deferred[i] && !r)
			r = q;
	}
	say_deferred(k);
	return r;
}

void td_kernel_defer(struct td_kernel *k, const char *who)
{
	k->deferred_to = who;
}

int td_kernel_original(const struct td_kernel *k, enum td_kernel_knob i)
{
	return k->h[i].held ? k->h[i].original : -1;
}

int td_kernel_demotion(struct td_kernel *k, bool on)
{
	return on ? td_kernel_set(k, TD_KNOB_DEMOTION, 1) : td_kernel_put_back(k, TD_KNOB_DEMOTION);
}

void td_kernel_apply(struct td_kernel *k, const struct td_daemon_config *cfg)
{
	if (cfg->numa_balancing != TD_KEEP &&
	    td_kernel_set(k, TD_KNOB_NUMA_BALANCING, cfg->numa_balancing) < 0)
		td_warn("cannot set kernel.numa_balancing=%d, ignoring", cfg->numa_balancing);
	if (cfg->kernel_promote_rate_limit_mbps != TD_KEEP &&
	    td_kernel_set(k, TD_KNOB_PROMOTE_RATE_LIMIT,
			  (int)cfg->kernel_promote_rate_limit_mbps) < 0)
		td_warn("cannot set kernel.numa_balancing_promote_rate_limit_MBps, ignoring");
	td_info("kernel: numa_balancing=%d (was %d), promote_rate_limit_MBps=%d (was %d)",
		knob_read(k, TD_KNOB_NUMA_BALANCING), td_kernel_original(k, TD_KNOB_NUMA_BALANCING),
		knob_read(k, TD_KNOB_PROMOTE_RATE_LIMIT),
		td_kernel_original(k, TD_KNOB_PROMOTE_RATE_LIMIT));
}

int td_kernel_restore_state(const struct td_kernel_paths *p)
{
	struct td_kernel *k;
	int r = td_kernel_new(p, &k);

	if (r)
		return r;
	r = td_kernel_restore(k);
	td_kernel_free(k);
	return r;
}

int td_kernel_numa_balancing(void)
{
	static const struct td_kernel k = { .proc_root = "/proc" };

	return knob_read(&k, TD_KNOB_NUMA_BALANCING);
}
