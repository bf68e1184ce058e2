#!/bin/sh
# vm: timeout=60
# One failed check, then a normal end: lib.sh must turn exit 0 into 1.
. /tvm/lib.sh
t_check "true is true" true
t_check "deliberately false" false
t_log "ending normally after a failed check"
