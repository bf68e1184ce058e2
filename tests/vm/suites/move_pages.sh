#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=1024 timeout=150
#
# move_pages(2) on a real two-node kernel, through the mp_place payload:
# 64 MiB bound to node1, the first half moved to node0 in batches, every
# per-page status and the placement checked by the payload; then numastat
# and /proc/PID/numa_maps checked here, from outside the process.
. /tvm/lib.sh

t_require_bin mp_place numastat
# NUMA balancing would move pages behind the payload's back (and on 6.1 makes
# armed pages report -ENOENT); this suite tests move_pages alone.
t_sysctl kernel.numa_balancing 0

# Runs mp_place with a batch size that does not divide the page count, to
# cover the last, short batch; no waiting.
out=$(t_result_file mp_place-b37.out)
mp_place -b 37 > "$out" 2>&1
rc=$?
sed 's/^/  /' "$out"
t_check "mp_place -b 37: placement and per-page statuses" t_eq 0 "$rc"

out=$(t_result_file mp_place.out)
mp_place -b 512 -w > "$out" 2>&1 &
pid=$!
i=0
while ! grep -q READY "$out" && kill -0 $pid 2>/dev/null && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
sed 's/^/  /' "$out"
if ! grep -q READY "$out"; then
	kill $pid 2>/dev/null
	wait $pid
	t_fatal "mp_place -b 512 -w did not get to READY (exit status $?)"
fi
t_check "mp_place -b 512: placement and per-page statuses" grep -q "^mp_place: OK" "$out"

numastat -p "$pid" > "$(t_result_file numastat.txt)" 2>&1
sed 's/^/  /' "$(t_result_file numastat.txt)"
n0=$(awk '$1 == "Total" { print $2 }' "$(t_result_file numastat.txt)")
n1=$(awk '$1 == "Total" { print $3 }' "$(t_result_file numastat.txt)")
t_log "numastat -p $pid: node0 $n0 MiB, node1 $n1 MiB"
# node0 also holds the process's text, libraries, stack and the page arrays.
t_check "numastat: ~32 MiB of the process on node0" t_range "$n0" 31 35
t_check "numastat: ~32 MiB of the process on node1" t_range "$n1" 31 34

addr=$(sed -n 's/.*READY pid=[0-9]* addr=0x\([0-9a-f]*\).*/\1/p' "$out")
line=$(grep "^0*$addr " /proc/$pid/numa_maps)
t_log "numa_maps: $line"
t_check "numa_maps: buffer has 8192 pages on node0" t_eq N0=8192 "$(printf '%s\n' "$line" | tr ' ' '\n' | grep '^N0=')"
t_check "numa_maps: buffer has 8192 pages on node1" t_eq N1=8192 "$(printf '%s\n' "$line" | tr ' ' '\n' | grep '^N1=')"

kill -TERM $pid
wait $pid
t_check "mp_place exits 0 on SIGTERM" t_eq 0 $?
