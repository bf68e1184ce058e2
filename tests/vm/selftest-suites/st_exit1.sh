#!/bin/sh
# vm: timeout=60
# Exits 1 without any check: the host must report the status.
. /tvm/lib.sh
t_log "exiting 1 on purpose"
exit 1
