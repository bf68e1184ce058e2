/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kernel.h - the kernel settings tieringd changes while it runs, and their
 * one owner: kernel.numa_balancing, its promotion rate limit and
 * /sys/kernel/mm/numa/demotion_enabled (turned on for the demoter).
 *
 * Crash-safe: before the first change, the value found and the value set
 * are written (temp file + rename) to a state file with the boot id. A
 * tieringd that starts in the same boot while the file exists (its
 * predecessor was killed, crashed or aborted by the watchdog) trusts the
 * file's originals over what it reads now, which is its predecessor's
 * work. A setting is put back only while it still holds the value tieringd
 * set: an operator who changed it meanwhile wins. The file is removed once
 * everything in it is put back; `tieringd --restore-kernel-state` (the
 * unit's ExecStopPost=) does that after any exit.
 */
#ifndef TIERINGD_KERNEL_H
#define TIERINGD_KERNEL_H

#include <stdbool.h>

#include "config.h"

#define TD_KERNEL_STATE_FILE "/run/tieringd/kernel-state"

enum td_kernel_knob {
	TD_KNOB_NUMA_BALANCING,		/* kernel.numa_balancing */
	TD_KNOB_PROMOTE_RATE_LIMIT,	/* kernel.numa_balancing_promote_rate_limit_MBps */
	TD_KNOB_DEMOTION,		/* demotion_enabled: 0 false, 1 true */
	TD_KNOB__MAX,
};

/* Where the settings and the state are; a NULL member (or a NULL struct)
 * takes the default. */
struct td_kernel_paths {
	const char *proc_root;		/* "/proc": sys/kernel/..., the boot id */
	const char *sys_root;		/* "/sys": kernel/mm/numa/demotion_enabled */
	const char *state_file;		/* TD_KERNEL_STATE_FILE */
};

struct td_kernel;

/*
 * Reads the state file: one of this boot is adopted (its originals are
 * restored at the end), one of another boot or unreadable is logged and
 * removed. Changes nothing in the kernel. 0 or -ENOMEM.
 */
int td_kernel_new(const struct td_kernel_paths *p, struct td_kernel **ret);

/* Frees k; puts nothing back (td_kernel_restore() does). NULL-safe. */
void td_kernel_free(struct td_kernel *k);

/*
 * Sets knob to value. The original is what the file says if a tieringd of
 * this boot set the value found now, else the value found now; it is saved
 * with value to the state file before the write. 0 (also when the knob
 * already holds value: nothing is written), or a negative errno: the knob
 * cannot be read or written, or the state cannot be saved (then the knob
 * is left alone: a change that a crash could not undo is not made).
 */
int td_kernel_set(struct td_kernel *k, enum td_kernel_knob knob, int value);

/*
 * Puts knob's original back if it still holds the value tieringd set (if
 * not, logs that and forgets it), then saves the state file, removed when
 * nothing is left in it. 0 (also when knob was never set), or a negative
 * errno: the knob stays in the file for a later restore.
 */
int td_kernel_put_back(struct td_kernel *k, enum td_kernel_knob knob);

/* td_kernel_put_back() of every knob. 0 or the first negative errno;
 * knobs deferred (td_kernel_defer()) count as put back. */
int td_kernel_restore(struct td_kernel *k);

/*
 * After tieringd dropped the capabilities (kernel.numa_balancing wants
 * CAP_SYS_ADMIN for a write): from now on a put-back that fails with EPERM
 * or EACCES is no error but left in the state file for who (e.g.
 * "tieringd --restore-kernel-state", a string that outlives k), and
 * td_kernel_restore() says once which settings it left to who.
 */
void td_kernel_defer(struct td_kernel *k, const char *who);

/* The original value of knob while tieringd holds it changed, else -1. */
int td_kernel_original(const struct td_kernel *k, enum td_kernel_knob knob);

/* The demoter's switch: on sets demotion_enabled, off puts it back.
 * As td_kernel_set() / td_kernel_put_back(). */
int td_kernel_demotion(struct td_kernel *k, bool on);

/* NumaBalancing= and KernelPromoteRateLimitMBps= (TD_KEEP: left alone).
 * Failures are logged and ignored: tieringd still runs. */
void td_kernel_apply(struct td_kernel *k, const struct td_daemon_config *cfg);

/*
 * tieringd --restore-kernel-state: puts back what the state file of this
 * boot holds and removes it. 0, also when there is no file; a negative
 * errno when a setting could not be put back (the file keeps it).
 */
int td_kernel_restore_state(const struct td_kernel_paths *p);

/* kernel.numa_balancing now, or a negative errno. */
int td_kernel_numa_balancing(void);

#endif
