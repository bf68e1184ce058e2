// SPDX-License-Identifier: GPL-2.0-only
/*
 * st_vanish — a deliberately broken payload for tests/vm/selftest: powers the
 * guest off on the spot, the way a payload that crashes the machine would
 * end it, so that the suite never reports a status.
 */
#include <stdio.h>
#include <sys/reboot.h>
#include <unistd.h>

int main(void)
{
	sync();
	reboot(RB_POWER_OFF);
	perror("st_vanish: reboot(RB_POWER_OFF)");
	return 1;
}
