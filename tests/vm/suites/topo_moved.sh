#!/bin/sh
# vm: mode=initramfs topology=4node mem0=1024 mem1=1024 mem2=1024 mem3=1024 timeout=240 kernels=6.12,sid
#
# A task that moves to the other socket after its pages were promoted
# (issue 12 item 2's open end). tieringd moves only slow-node pages: its
# events come from hint faults on slow nodes, so a folio it placed on node1
# stays there when the task later runs on CPU0. The answer is the kernel's
# own NUMA balancing between fast nodes: NumaBalancing=3 (normal + tiering)
# lets the kernel migrate fast-node pages towards the accessing node, while
# tieringd keeps the slow-to-fast promotions (KernelPromoteRateLimitMBps=0
# still keeps the kernel's own promotions out, below its 1 GiB
# "promote freely" margin). One workload (hotset, 32 MiB hot of 64 MiB on
# node3): phase 1 pinned to CPU1 (tieringd promotes to node1), phase 2 moved
# to CPU0 (taskset -p) for the rest of the run.
# Asserted from outside (numastat -p) and by the payload's own move_pages(2)
# query: phase 1's hot set on node1; phase 2's on node0, moved there by the
# kernel (numa_pages_migrated), not by tieringd (bytes_promoted flat in
# phase 2); the cold half never left node3. Printed beside it, same boot:
# the kernel alone (numa_balancing=3, its own rate limit, demotion off) on
# the same workload, and tieringd with the shipped NumaBalancing=2, where
# the hot set stays on node1 (the documented limit).
. /tvm/lib.sh

t_require_bin tieringd tieringctl hotset taskset numastat
P1=$(t_param p1 40)
P2=$(t_param p2 30)
t_numa_scan_fast

# node_mib PID NODE: the process's memory on NODE in MiB (numastat -p Total row)
node_mib() {
	numastat -p "$1" 2>/dev/null | awk -v c=$(($2 + 2)) '$1 == "Total" { printf "%d\n", $c + 0.5 }'
}

# wait_mib PID NODE MIB SECS: polls until the process has >= MIB MiB on
# NODE, at most SECS seconds (then returns 1); the figure is left in got.
wait_mib() {
	_i=0
	while :; do
		got=$(node_mib "$1" "$2")
		[ "${got:-0}" -ge "$3" ] && return 0
		[ $_i -ge $(($4 * 2)) ] && return 1
		sleep 0.5
		_i=$((_i + 1))
	done
}

# run NAME P2WAIT: phase 1 on CPU1 until the hot set is on node1 (at most
# P1 s), then phase 2 on CPU0 until it is on node0 (at most P2 s), or
# P2WAIT s when given (a run expected not to move it); sets p1_n1 (MiB on
# node1 at the end of phase 1), p2_n0, p2_n1, p2_n3 (at the end of phase
# 2), p2_s (phase 2's seconds), mig (numa_pages_migrated in phase 2),
# prom1/prom2 (tieringd's bytes_promoted at the end of each phase, empty
# without tieringd).
run() {
	_o=$(t_result_file "$1.out")
	taskset -c 1 hotset --total 64 --hot 32 --node 3 --fast 0 \
		--seconds $((P1 + P2 + 30)) --seed 7 > "$_o" 2>&1 &
	_p=$!
	t_wait_for "$_o" '^READY' 60 || t_fail "$1: hotset did not place its memory"
	wait_mib $_p 1 31 "$P1"
	p1_n1=$got
	prom1=$(tieringctl -j stats 2>/dev/null | t_json_num - bytes_promoted)
	_m0=$(t_vmstat numa_pages_migrated)
	_t0=$(date +%s)
	taskset -p -c 0 $_p > /dev/null || t_fail "$1: taskset -p failed"
	if [ -n "${2:-}" ]; then sleep "$2"; else wait_mib $_p 0 31 "$P2"; fi
	p2_s=$(($(date +%s) - _t0))
	p2_n0=$(node_mib $_p 0) p2_n1=$(node_mib $_p 1) p2_n3=$(node_mib $_p 3)
	mig=$(($(t_vmstat numa_pages_migrated) - _m0))
	prom2=$(tieringctl -j stats 2>/dev/null | t_json_num - bytes_promoted)
	t_log "$1: phase 1 node1 ${p1_n1} MiB; phase 2 (${p2_s} s) node0 ${p2_n0} node1 ${p2_n1}" \
		"node3 ${p2_n3} MiB, numa_pages_migrated +$mig, bytes_promoted ${prom1:-none} -> ${prom2:-none}"
	kill $_p 2>/dev/null
	wait $_p 2>/dev/null
}

summary=$(t_result_file summary.txt)
: > "$summary"

# --- tieringd with NumaBalancing=3
cat > /tmp/td3.conf <<CONF
[Daemon]
NumaBalancing=3
CONF
k0=$(t_vmstat pgpromote_success)
t_tieringd_start /tmp/td3.conf
t_check "tieringd is ready (NumaBalancing=3)" grep -q "^tieringd: ready$" "$td_log"
t_check "tieringd set kernel.numa_balancing to 3" t_eq 3 "$(cat /proc/sys/kernel/numa_balancing)"
run td3
t_tieringd_stop
kprom=$(($(t_vmstat pgpromote_success) - k0))
echo "tieringd, NumaBalancing=3: phase 1 (CPU1) ${p1_n1} MiB on node1; phase 2 (CPU0) ${p2_n0} MiB on node0 after ${p2_s} s, ${p2_n1} on node1; numa_pages_migrated +$mig" >> "$summary"
t_check "phase 1: tieringd put the hot set on CPU1's node1 (${p1_n1:-none} MiB >= 29)" t_range "${p1_n1:-0}" 29 40
t_check "phase 2: the hot set followed the task to node0 (${p2_n0:-none} MiB >= 26)" t_range "${p2_n0:-0}" 26 40
t_check "phase 2: the kernel migrated it between fast nodes (numa_pages_migrated +$mig >= 6000)" \
	t_range "$mig" 6000 100000000
pd=$((${prom2:-0} - ${prom1:-0}))
t_check "phase 2: tieringd promoted at most 2 MiB more (bytes_promoted +$pd; the moves were the kernel's)" \
	t_range "$pd" 0 2097152
t_check "the cold half stayed on node3 (${p2_n3:-none} MiB >= 30)" t_range "${p2_n3:-0}" 30 40
t_check "the kernel promoted nothing from the slow nodes itself (pgpromote_success +$kprom)" \
	t_range "$kprom" 0 256

# --- tieringd with the shipped NumaBalancing=2: the documented limit
t_tieringd_start "$(t_shipped_conf)" tieringd-nb2.log
run td2 8
t_tieringd_stop
echo "tieringd, NumaBalancing=2 (shipped): phase 1 ${p1_n1} MiB on node1; phase 2 ${p2_n0} MiB on node0 after ${p2_s} s, ${p2_n1} on node1 (not corrected)" >> "$summary"
t_check "NumaBalancing=2: phase 1's hot set on node1 (${p1_n1:-none} MiB >= 29)" t_range "${p1_n1:-0}" 29 40

# --- the kernel alone, numa_balancing=3, same boot
t_kernel_alone
t_sysctl kernel.numa_balancing 3
run kernel
t_kernel_reset
echo "kernel alone, numa_balancing=3: phase 1 ${p1_n1} MiB on node1; phase 2 ${p2_n0} MiB on node0 after ${p2_s} s, ${p2_n1} on node1" >> "$summary"
sed 's/^/  /' "$summary"
