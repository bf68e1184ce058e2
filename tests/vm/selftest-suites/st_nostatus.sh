#!/bin/sh
# vm: timeout=60
# Runs st_vanish, a broken payload that takes the guest down (reboot(2)
# power-off) in the middle of the suite: no status ever reaches the host.
. /tvm/lib.sh
t_require_bin st_vanish
t_log "running st_vanish"
st_vanish
t_fail "st_vanish returned: the guest should be gone"
