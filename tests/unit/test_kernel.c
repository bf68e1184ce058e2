// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for daemon/move/kernel.c without a kernel: a temp /proc
 * (sys/kernel/numa_balancing, its promote rate limit, random/boot_id) and
 * a temp /sys (kernel/mm/numa/demotion_enabled) as regular files, and the
 * state file in a temp run/tieringd. A "crash" is td_kernel_free() without
 * td_kernel_restore(); a "reboot" is a new boot_id.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cap-ng.h>
#include <cmocka.h>

#include "move/kernel.h"
#include "tmptree.h"

#define NB "proc/sys/kernel/numa_balancing"
#define RATE "proc/sys/kernel/numa_balancing_promote_rate_limit_MBps"
#define DEMOTION "sys/kernel/mm/numa/demotion_enabled"
#define BOOT "proc/sys/kernel/random/boot_id"
#define STATE "run/tieringd/kernel-state"
#define BOOT_A "0b5e6f0e-1111-4c6e-9d7a-000000000001"
#define BOOT_B "0b5e6f0e-2222-4c6e-9d7a-000000000002"

struct world {
	struct tmptree t;
	char proc[PATH_MAX], sys[PATH_MAX], state[PATH_MAX];
	struct td_kernel_paths p;
};

/* The operator's host: numa_balancing=1, rate limit 65536, demotion off. */
static void world_new(struct world *w)
{
	memset(w, 0, sizeof(*w));
	tmptree_new(&w->t);
	tmptree_mkdir(&w->t, "proc/sys/kernel/random");
	tmptree_mkdir(&w->t, "sys/kernel/mm/numa");
	tmptree_mkdir(&w->t, "run");	/* run/tieringd: made by the first save */
	tmptree_write(&w->t, NB, "1\n");
	tmptree_write(&w->t, RATE, "65536\n");
	tmptree_write(&w->t, DEMOTION, "false");	/* as the kernel.c writes it */
	tmptree_write(&w->t, BOOT, "%s\n", BOOT_A);
	w->p = (struct td_kernel_paths){
		.proc_root = tmptree_path(&w->t, "proc", w->proc, sizeof(w->proc)),
		.sys_root = tmptree_path(&w->t, "sys", w->sys, sizeof(w->sys)),
		.state_file = tmptree_path(&w->t, STATE, w->state, sizeof(w->state)),
	};
}

static struct td_kernel *kernel_new(struct world *w)
{
	struct td_kernel *k = NULL;

	assert_int_equal(td_kernel_new(&w->p, &k), 0);
	assert_non_null(k);
	return k;
}

static const char *rd(struct world *w, const char *rel)
{
	static char buf[512];

	return tmptree_read(&w->t, rel, buf, sizeof(buf));
}

static bool exists(struct world *w, const char *rel)
{
	char p[PATH_MAX];

	return access(tmptree_path(&w->t, rel, p, sizeof(p)), F_OK) == 0;
}

static void apply(struct td_kernel *k, int nb, int64_t rate)
{
	struct td_daemon_config c = { .numa_balancing = nb, .kernel_promote_rate_limit_mbps = rate };

	td_kernel_apply(k, &c);
}

/* What tieringd does at start with NumaBalancing=2, rate 0, Demotion=yes. */
static struct td_kernel *start(struct world *w)
{
	struct td_kernel *k = kernel_new(w);

	assert_int_equal(td_kernel_demotion(k, true), 0);
	apply(k, 2, 0);
	return k;
}

static void assert_operator_values(struct world *w)
{
	assert_string_equal(rd(w, NB), "1\n");
	assert_string_equal(rd(w, RATE), "65536\n");
	assert_string_equal(rd(w, DEMOTION), "false");
}

/* ------------------------------------------------------------ apply, restore */

/* Each change is in the state file, with the boot id, original and set. */
static void test_apply_records_state(void **state)
{
	struct world w;
	struct td_kernel *k;

	world_new(&w);
	k = start(&w);
	assert_string_equal(rd(&w, NB), "2\n");
	assert_string_equal(rd(&w, RATE), "0\n");
	assert_string_equal(rd(&w, DEMOTION), "true");
	assert_non_null(strstr(rd(&w, STATE), "boot_id=" BOOT_A "\n"));
	assert_non_null(strstr(rd(&w, STATE), "\nkernel.numa_balancing=1 2\n"));
	assert_non_null(strstr(rd(&w, STATE),
			       "\nkernel.numa_balancing_promote_rate_limit_MBps=65536 0\n"));
	assert_non_null(strstr(rd(&w, STATE), "\ndemotion_enabled=0 1\n"));
	assert_false(exists(&w, STATE ".tmp"));
	assert_int_equal(td_kernel_original(k, TD_KNOB_NUMA_BALANCING), 1);
	assert_int_equal(td_kernel_original(k, TD_KNOB_PROMOTE_RATE_LIMIT), 65536);
	assert_int_equal(td_kernel_restore(k), 0);
	assert_operator_values(&w);
	assert_false(exists(&w, STATE));
	assert_int_equal(td_kernel_original(k, TD_KNOB_NUMA_BALANCING), -1);
	td_kernel_free(k);
	tmptree_free(&w.t);
}

/* The state cannot be saved (its directory cannot be made): nothing is
 * changed, so the save comes before the change. */
static void test_no_change_without_state(void **state)
{
	char bad[PATH_MAX];
	struct world w;
	struct td_kernel *k;

	world_new(&w);
	w.p.state_file = tmptree_path(&w.t, "no/such/dir/kernel-state", bad, sizeof(bad));
	k = kernel_new(&w);
	assert_true(td_kernel_set(k, TD_KNOB_NUMA_BALANCING, 2) < 0);
	assert_true(td_kernel_demotion(k, true) < 0);
	apply(k, 3, 0);
	assert_operator_values(&w);
	assert_int_equal(td_kernel_original(k, TD_KNOB_NUMA_BALANCING), -1);
	assert_int_equal(td_kernel_restore(k), 0);
	td_kernel_free(k);
	tmptree_free(&w.t);
}

/* A value already in place is not written and not recorded; TD_KEEP
 * leaves a knob alone. */
static void test_already_set_and_keep(void **state)
{
	struct world w;
	struct td_kernel *k;

	world_new(&w);
	tmptree_write(&w.t, DEMOTION, "true\n");
	k = kernel_new(&w);
	assert_int_equal(td_kernel_demotion(k, true), 0);
	apply(k, 1, TD_KEEP);
	assert_false(exists(&w, STATE));
	assert_int_equal(td_kernel_demotion(k, false), 0);
	assert_int_equal(td_kernel_restore(k), 0);
	assert_string_equal(rd(&w, DEMOTION), "true\n");	/* not ours to switch off */
	assert_string_equal(rd(&w, NB), "1\n");
	td_kernel_free(k);
	tmptree_free(&w.t);
}

/* The demoter's switch off puts demotion_enabled back alone. */
static void test_demotion_put_back(void **state)
{
	struct world w;
	struct td_kernel *k;

	world_new(&w);
	k = start(&w);
	assert_int_equal(td_kernel_demotion(k, false), 0);
	assert_string_equal(rd(&w, DEMOTION), "false");
	assert_string_equal(rd(&w, NB), "2\n");
	assert_null(strstr(rd(&w, STATE), "demotion_enabled"));
	assert_non_null(strstr(rd(&w, STATE), "kernel.numa_balancing=1 2\n"));
	assert_int_equal(td_kernel_restore(k), 0);
	assert_operator_values(&w);
	td_kernel_free(k);
	tmptree_free(&w.t);
}

/* ------------------------------------------------------------ crashes */

/* A crash, then a new tieringd in the same boot: it finds 2/0/true, its
 * predecessor's values, but keeps the file's originals and restores them. */
static void test_restart_keeps_originals(void **state)
{
	struct world w;
	struct td_kernel *k;

	world_new(&w);
	td_kernel_free(start(&w));	/* SIGKILL */
	k = start(&w);
	assert_int_equal(td_kernel_original(k, TD_KNOB_NUMA_BALANCING), 1);
	assert_int_equal(td_kernel_original(k, TD_KNOB_PROMOTE_RATE_LIMIT), 65536);
	assert_int_equal(td_kernel_original(k, TD_KNOB_DEMOTION), 0);
	assert_non_null(strstr(rd(&w, STATE), "kernel.numa_balancing=1 2\n"));
	assert_non_null(strstr(rd(&w, STATE), "demotion_enabled=0 1\n"));
	td_kernel_free(k);		/* and again */
	k = start(&w);
	assert_int_equal(td_kernel_restore(k), 0);
	assert_operator_values(&w);
	assert_false(exists(&w, STATE));
	td_kernel_free(k);
	tmptree_free(&w.t);
}

/* A state file of another boot is ignored (removed at once) and replaced:
 * the values found now are the originals. */
static void test_other_boot_ignored(void **state)
{
	struct world w;
	struct td_kernel *k;

	world_new(&w);
	tmptree_mkdir(&w.t, "run/tieringd");
	tmptree_write(&w.t, STATE, "boot_id=%s\nkernel.numa_balancing=0 2\n", BOOT_B);
	k = kernel_new(&w);
	assert_false(exists(&w, STATE));
	assert_int_equal(td_kernel_original(k, TD_KNOB_NUMA_BALANCING), -1);
	apply(k, 2, TD_KEEP);
	assert_non_null(strstr(rd(&w, STATE), "boot_id=" BOOT_A "\nkernel.numa_balancing=1 2\n"));
	assert_int_equal(td_kernel_restore(k), 0);
	assert_string_equal(rd(&w, NB), "1\n");
	td_kernel_free(k);
	tmptree_free(&w.t);
}

/* Not trusted either: a file that is not ours, and any file when this
 * boot's id cannot be read. */
static void test_untrusted_files(void **state)
{
	static const char *const bodies[] = {
		"boot_id=" BOOT_A "\nkernel.numa_balancing=1\n",	/* no set value */
		"boot_id=" BOOT_A "\nvm.swappiness=60 0\n",		/* not a knob */
		"kernel.numa_balancing=0 2\n",				/* no boot id */
	};
	struct world w;
	struct td_kernel *k;

	for (size_t i = 0; i <= sizeof(bodies) / sizeof(bodies[0]); i++) {
		world_new(&w);
		tmptree_mkdir(&w.t, "run/tieringd");
		if (i < sizeof(bodies) / sizeof(bodies[0])) {
			tmptree_write(&w.t, STATE, "%s", bodies[i]);
		} else {
			tmptree_write(&w.t, STATE, "boot_id=%s\nkernel.numa_balancing=0 2\n",
				      BOOT_A);
			tmptree_rm(&w.t, BOOT);
		}
		tmptree_write(&w.t, NB, "2\n");
		k = kernel_new(&w);
		assert_int_equal(td_kernel_original(k, TD_KNOB_NUMA_BALANCING), -1);
		assert_false(exists(&w, STATE));
		assert_int_equal(td_kernel_restore(k), 0);
		assert_string_equal(rd(&w, NB), "2\n");
		td_kernel_free(k);
		tmptree_free(&w.t);
	}
}

/* ------------------------------------------------------------ the operator wins */

/* Changed by someone else while tieringd ran: left as it is (and the file
 * still goes: nothing is left to restore). */
static void test_restore_only_ours(void **state)
{
	struct world w;
	struct td_kernel *k;

	world_new(&w);
	k = start(&w);
	tmptree_write(&w.t, NB, "3\n");
	assert_int_equal(td_kernel_restore(k), 0);
	assert_string_equal(rd(&w, NB), "3\n");
	assert_string_equal(rd(&w, RATE), "65536\n");
	assert_string_equal(rd(&w, DEMOTION), "false");
	assert_false(exists(&w, STATE));
	td_kernel_free(k);
	tmptree_free(&w.t);
}

/* Changed by the operator between a crash and the restart: the value
 * found is the original now, not the file's. */
static void test_changed_between_crash_and_restart(void **state)
{
	struct world w;
	struct td_kernel *k;

	world_new(&w);
	td_kernel_free(start(&w));
	tmptree_write(&w.t, NB, "0\n");
	k = start(&w);
	assert_int_equal(td_kernel_original(k, TD_KNOB_NUMA_BALANCING), 0);
	assert_int_equal(td_kernel_original(k, TD_KNOB_PROMOTE_RATE_LIMIT), 65536);
	assert_non_null(strstr(rd(&w, STATE), "kernel.numa_balancing=0 2\n"));
	assert_int_equal(td_kernel_restore(k), 0);
	assert_string_equal(rd(&w, NB), "0\n");
	assert_string_equal(rd(&w, RATE), "65536\n");
	td_kernel_free(k);
	tmptree_free(&w.t);
}

/* A knob that cannot be put back stays in the file, for a later
 * --restore-kernel-state; the others are restored and leave it. */
static void test_failed_restore_keeps_file(void **state)
{
	struct world w;
	struct td_kernel *k;

	world_new(&w);
	k = start(&w);
	tmptree_rm(&w.t, RATE);
	tmptree_mkdir(&w.t, RATE);	/* neither readable nor writable as a value */
	assert_true(td_kernel_restore(k) < 0);
	assert_string_equal(rd(&w, NB), "1\n");
	assert_string_equal(rd(&w, DEMOTION), "false");
	assert_null(strstr(rd(&w, STATE), "kernel.numa_balancing="));
	assert_non_null(strstr(rd(&w, STATE),
			       "kernel.numa_balancing_promote_rate_limit_MBps=65536 0\n"));
	td_kernel_free(k);
	tmptree_rm(&w.t, RATE);
	tmptree_write(&w.t, RATE, "0\n");
	assert_int_equal(td_kernel_restore_state(&w.p), 0);
	assert_operator_values(&w);
	assert_false(exists(&w, STATE));
	tmptree_free(&w.t);
}

/* Root writes a 0444 file through CAP_DAC_OVERRIDE: without it in the
 * effective set (a no-op for others) the write fails with EACCES, as the
 * kernel.numa_balancing handler refuses one without CAP_SYS_ADMIN (EPERM). */
static void dac_override(bool on)
{
	if (geteuid() != 0)
		return;
	assert_int_equal(capng_get_caps_process(), 0);
	assert_int_equal(capng_update(on ? CAPNG_ADD : CAPNG_DROP, CAPNG_EFFECTIVE,
				      CAP_DAC_OVERRIDE), 0);
	assert_int_equal(capng_apply(CAPNG_SELECT_CAPS), 0);
}

/* After the capability drop (td_kernel_defer()): a knob the daemon may no
 * longer write stays in the file for the restorer and is no error; the
 * others are put back. The restorer (--restore-kernel-state) then finds
 * only that knob. Without the deferral the same refusal is an error. */
static void test_deferred_restore(void **state)
{
	struct world w;
	struct td_kernel *k;
	char p[PATH_MAX];

	for (int defer = 0; defer < 2; defer++) {
		world_new(&w);
		k = start(&w);
		if (defer)
			td_kernel_defer(k, "the test's restorer");
		assert_int_equal(chmod(tmptree_path(&w.t, NB, p, sizeof(p)), 0444), 0);
		dac_override(false);
		if (defer)
			assert_int_equal(td_kernel_restore(k), 0);
		else
			assert_int_equal(td_kernel_restore(k), -EACCES);
		dac_override(true);
		assert_string_equal(rd(&w, NB), "2\n");
		assert_string_equal(rd(&w, RATE), "65536\n");
		assert_string_equal(rd(&w, DEMOTION), "false");
		assert_non_null(strstr(rd(&w, STATE), "kernel.numa_balancing=1 2\n"));
		assert_null(strstr(rd(&w, STATE), "kernel.numa_balancing_promote_rate_limit_MBps="));
		td_kernel_free(k);
		assert_int_equal(chmod(p, 0644), 0);
		assert_int_equal(td_kernel_restore_state(&w.p), 0);
		assert_operator_values(&w);
		assert_false(exists(&w, STATE));
		tmptree_free(&w.t);
	}
}

/* ------------------------------------------------------------ --restore-kernel-state */

static void test_restore_state_without_file(void **state)
{
	struct world w;

	world_new(&w);
	tmptree_write(&w.t, NB, "2\n");
	assert_int_equal(td_kernel_restore_state(&w.p), 0);
	assert_string_equal(rd(&w, NB), "2\n");
	assert_false(exists(&w, STATE));
	assert_false(exists(&w, "run/tieringd"));
	tmptree_free(&w.t);
}

/* After a SIGKILL: everything back, the file gone; a second run finds
 * nothing to do. */
static void test_restore_state_after_crash(void **state)
{
	struct world w;

	world_new(&w);
	td_kernel_free(start(&w));
	assert_true(exists(&w, STATE));
	assert_int_equal(td_kernel_restore_state(&w.p), 0);
	assert_operator_values(&w);
	assert_false(exists(&w, STATE));
	tmptree_write(&w.t, NB, "3\n");
	assert_int_equal(td_kernel_restore_state(&w.p), 0);
	assert_string_equal(rd(&w, NB), "3\n");
	tmptree_free(&w.t);
}

/* A state file of another boot: removed, nothing written. */
static void test_restore_state_other_boot(void **state)
{
	struct world w;

	world_new(&w);
	tmptree_mkdir(&w.t, "run/tieringd");
	tmptree_write(&w.t, STATE, "boot_id=%s\nkernel.numa_balancing=0 1\n", BOOT_B);
	assert_int_equal(td_kernel_restore_state(&w.p), 0);
	assert_string_equal(rd(&w, NB), "1\n");
	assert_false(exists(&w, STATE));
	tmptree_free(&w.t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tmptree_test(test_apply_records_state),
		tmptree_test(test_no_change_without_state),
		tmptree_test(test_already_set_and_keep),
		tmptree_test(test_demotion_put_back),
		tmptree_test(test_restart_keeps_originals),
		tmptree_test(test_other_boot_ignored),
		tmptree_test(test_untrusted_files),
		tmptree_test(test_restore_only_ours),
		tmptree_test(test_changed_between_crash_and_restart),
		tmptree_test(test_failed_restore_keeps_file),
		tmptree_test(test_deferred_restore),
		tmptree_test(test_restore_state_without_file),
		tmptree_test(test_restore_state_after_crash),
		tmptree_test(test_restore_state_other_boot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
