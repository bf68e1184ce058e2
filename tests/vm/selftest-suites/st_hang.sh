#!/bin/sh
# vm: timeout=20
# Hangs: the host must kill QEMU at the (tiny) timeout and say so.
. /tvm/lib.sh
t_log "hanging on purpose"
while :; do sleep 1; done
