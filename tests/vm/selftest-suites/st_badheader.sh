#!/bin/sh
# vm: timeout=60 memX=512
# A header with an unknown key: the host must refuse before booting.
. /tvm/lib.sh
