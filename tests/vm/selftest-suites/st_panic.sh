#!/bin/sh
# vm: timeout=60
# Crashes the kernel: the host must report a panic, not a status.
. /tvm/lib.sh
t_log "crashing the kernel on purpose"
echo c > /proc/sysrq-trigger
sleep 30
