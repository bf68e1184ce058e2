#!/bin/sh
# vm: timeout=60
# Needs tieringd; the selftest's build dir has none: must fail, naming it.
. /tvm/lib.sh
t_require_bin tieringd
t_log "tieringd is there: $(command -v tieringd)"
