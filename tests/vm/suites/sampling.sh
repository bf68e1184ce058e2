#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=2048 timeout=240 kernels=6.12
#
# The sampling source alone (perf_event, the software page-fault event with
# the data address: these guests have no PMU): its events carry no node,
# tieringd resolves them with the move_pages query, and the hot set still
# gets promoted. NUMA balancing stays on (mode 2) so accesses to slow pages
# fault; the hint-fault source is off.
. /tvm/lib.sh

t_require_bin tieringd hotset
t_numa_scan_fast
# The workload places its pages first: with sampling on, its first-touch
# faults would be samples too (and its set-up check would see them moved).
hs=$(t_result_file hotset.out)
# until 10 s after it first reached 90 % (8-12 s in CI runs), at most 30 s
hotset --total 256 --hot 100 --node 1 --fast 0 --seconds 30 --until-pct 90 --hold 10 > "$hs" 2>&1 &
hp=$!
i=0
while ! grep -q READY "$hs" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
t_check "hotset placed its memory" grep -q READY "$hs"
cat > /tmp/td.conf <<CONF
[Daemon]
Sources=sampling
SamplePeriod=1
NumaBalancing=2
KernelPromoteRateLimitMBps=0
FastWatermark=32M
CONF
t_tieringd_start /tmp/td.conf
t_check "sampling source attached (software page faults)" \
	grep -q "source sampling: attached, perf_event/sw-page-faults" "$td_log"
t_check "hint-fault source off" grep -q "source hint-faults: not attached, off" "$td_log"
wait $hp
t_tieringd_stop
sed -n '/^source /,$p' "$td_log" | sed 's/^/  td| /'
val() { awk -v k="$1" '$1 == k { print $2 }' "$td_log"; }
t_check "samples arrived ($(val events_sample))" t_range "$(val events_sample)" 1 1000000000
t_check "no hint-fault events" t_eq 0 "$(val events_hint_fault)"
t_check "nodes of sampled pages were queried ($(val node_queries) queries)" t_range "$(val node_queries)" 1 100000000
pct=$(awk '$1 == "FINAL" { print $4 }' "$hs")
t_check "hot set >= 90 % on the fast node from samples alone ($pct %)" t_range "$pct" 90 100
