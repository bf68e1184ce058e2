#!/bin/sh
# vm: timeout=60
# Skips: the host must say SKIPPED and exit 77, never 0.
. /tvm/lib.sh
t_skip "deliberately skipped"
