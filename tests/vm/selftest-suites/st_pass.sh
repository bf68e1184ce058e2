#!/bin/sh
# vm: timeout=60
# Control case: passes, with a result file. A harness that always fails fails here.
. /tvm/lib.sh
t_check "true is true" true
t_check "guest has 2 CPUs" t_eq 2 "$(nproc)"
echo "from the guest" > "$(t_result_file st_pass.txt)"
