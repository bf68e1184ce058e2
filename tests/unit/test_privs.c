// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for daemon/ops/privs.c: which capabilities the running daemon
 * keeps, and (as root) the drop itself, in a child process so that the
 * test runner keeps its own. The restorer is exec'd from /proc/self/exe
 * and works on the host's kernel settings: the VM suites kernel_state and
 * kernel_state_unit test it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "ops/privs.h"

#define BIT(c) (1ULL << (c))

static void test_keep_mask(void **state)
{
	static const struct {
		bool sys_admin;
		uint64_t keep;
	} cases[] = {
		{ false, BIT(CAP_SYS_PTRACE) | BIT(CAP_DAC_OVERRIDE) },
		{ true, BIT(CAP_SYS_PTRACE) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_SYS_ADMIN) },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct td_privs_params p = { .sys_admin = cases[i].sys_admin };
		uint64_t m = td_privs_keep_mask(&p);

		assert_int_equal(m, cases[i].keep);
		assert_false(m & (BIT(CAP_BPF) | BIT(CAP_PERFMON) | BIT(CAP_SETPCAP)));
	}
}

/* The "Name:\t<hex>" line of /proc/self/status, or ~0 when missing. */
static uint64_t status_hex(const char *name)
{
	char line[256];
	size_t n = strlen(name);
	uint64_t v = ~0ULL;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ':')
			v = strtoull(line + n + 1, NULL, 16);
	if (f)
		fclose(f);
	return v;
}

/* What the child found: 0 when every set is as expected, else a bit per
 * failed check (the exit status). */
static int drop_in_child(bool sys_admin)
{
	struct td_privs_params p = { .sys_admin = sys_admin };
	uint64_t keep = td_privs_keep_mask(&p);
	struct td_privs *pv = NULL;
	int bad = 0;

	if (td_privs_drop(&p, &pv) < 0)
		return 1;
	bad |= status_hex("CapEff") != keep ? 2 : 0;
	bad |= status_hex("CapPrm") != keep ? 4 : 0;
	bad |= status_hex("CapInh") != 0 ? 8 : 0;
	bad |= status_hex("CapBnd") != keep ? 16 : 0;	/* root here: CAP_SETPCAP */
	bad |= status_hex("NoNewPrivs") != 1 ? 32 : 0;
	td_privs_free(pv);
	return bad;
}

static void test_drop(void **state)
{
	if (geteuid() != 0 || !(status_hex("CapEff") & BIT(CAP_SETPCAP))) {
		skip();	/* needs root with CAP_SETPCAP (the bounding set) */
		return;
	}
	for (int sys_admin = 0; sys_admin < 2; sys_admin++) {
		pid_t pid = fork();
		int st;

		assert_true(pid >= 0);
		if (pid == 0)
			_exit(drop_in_child(sys_admin));
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	/* the runner's own sets are untouched */
	assert_true(status_hex("CapEff") & BIT(CAP_SYS_ADMIN));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keep_mask),
		cmocka_unit_test(test_drop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
