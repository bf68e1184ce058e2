#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=1024 timeout=240 kernels=6.12
#
# Benchmark figures in the guest (printed, not timed assertions): move_pages
# batched (512 pages per call, the promoter's default) against one page per
# call, on the same 32 MiB. The only assertions are on placement.
. /tvm/lib.sh

t_require_bin bench_move_pages
t_sysctl kernel.numa_balancing 0
out=$(t_result_file bench_move_pages.txt)
bench_move_pages --mib 32 --batch 512 --from 1 --to 0 > "$out" 2>&1
rc=$?
sed 's/^/  /' "$out"
t_check "bench_move_pages: every pass placed every page" t_eq 0 "$rc"
t_check "bench_move_pages printed the speedup" grep -q "batch_speedup=" "$out"
