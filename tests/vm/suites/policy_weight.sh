#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=2048 timeout=240 kernels=6.12
#
# Weight: /w3 (Weight=300) and /w1 (Weight=100) each read a 96 MiB hot set
# on the slow node while a global RateLimitMBps=4 is far below what both
# want. Over a 20 s window their promotion shares, measured from the
# workloads' own placement reports, are 3:1 +- 25 %.
. /tvm/lib.sh

t_require_bin tieringd tieringctl hotset
t_numa_scan_fast
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/w3 /sys/fs/cgroup/w1
cat > /tmp/td.conf <<CONF
[Daemon]
NumaBalancing=2
KernelPromoteRateLimitMBps=0
FastWatermark=32M
RateLimitMBps=4

[Cgroup "/w3"]
Weight=300

[Cgroup "/w1"]
Weight=100
CONF
t_tieringd_start /tmp/td.conf
pids=
for g in w3 w1; do
	sh -c 'echo $$ > /sys/fs/cgroup/'$g'/cgroup.procs; exec hotset --total 128 --hot 96 --node 1 --fast 0 --seconds 45 --interval-ms 500' \
		> "$(t_result_file $g-hotset.out)" 2>&1 &
	pids="$pids $!"
done
wait $pids
tieringctl -j cgroups > "$(t_result_file cgroups.json)"
t_tieringd_stop
sed 's/^/  ctl| /' "$(t_result_file cgroups.json)"
# pages on the fast node at report time T (hot + cold moved), at t = 10 and 30 s
at() { awk -v t="$2" '$1 == "T" && $2 >= t { printf "%d\n", $4 * $8 / 100 + $6; exit }' "$(t_result_file $1-hotset.out)"; }
a3=$(at w3 10) b3=$(at w3 30) a1=$(at w1 10) b1=$(at w1 30)
d3=$(( ${b3:-0} - ${a3:-0} ))
d1=$(( ${b1:-0} - ${a1:-0} ))
t_log "window 10..30 s: w3 promoted $d3 pages, w1 $d1 pages"
t_check "both cgroups were promoted in the window ($d3, $d1)" \
	sh -c '[ "$1" -gt 0 ] && [ "$2" -gt 0 ]' sh "$d3" "$d1"
ratio=$(awk -v a="$d3" -v b="$d1" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }')
t_check "shares are 3:1 +- 25 % (ratio $ratio in 2.25..3.75)" \
	awk -v r="$ratio" 'BEGIN { exit !(r >= 2.25 && r <= 3.75) }'
total=$(awk -v a="$d3" -v b="$d1" 'BEGIN { printf "%.2f", (a + b) * 4096 / 1048576 / 20 }')
t_check "the global limit held: $total MB/s <= 4.4" awk -v r="$total" 'BEGIN { exit !(r <= 4.4) }'
