// SPDX-License-Identifier: GPL-2.0-only
/*
 * lsanprobe - leaks 64 bytes and exits 0: the positive control of the ASan
 * soak (tests/vm/suites/soak.sh). Built with -fsanitize=address (make
 * soak-asan does), LeakSanitizer must report "detected memory leaks" at
 * exit; if it does not in a guest, a clean report of the daemon there
 * proves nothing. Built without it (make vm-payloads), it just exits 0.
 *
 *   lsanprobe
 */
#include <stdlib.h>
#include <string.h>

/* the only pointer to the block, cleared: unreachable at exit */
static void *leak;

int main(void)
{
	leak = malloc(64);
	if (!leak)
		return 1;
	memset(leak, 1, 64);
	leak = NULL;
	return 0;
}
