#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=2048 timeout=240 kernels=6.12
#
# Cgroup modes: three copies of the workload, in /sys/fs/cgroup/a (default
# policy: promote), /b ([Cgroup "/b"] Mode=off) and /c (Mode=observe).
# b's accesses never leave the kernel; c's are tracked but its pages are not
# moved; a's hot set is promoted.
. /tvm/lib.sh

t_require_bin tieringd hotset
t_numa_scan_fast
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/a /sys/fs/cgroup/b /sys/fs/cgroup/c
cat > /tmp/td.conf <<CONF
[Daemon]
NumaBalancing=2
KernelPromoteRateLimitMBps=0
FastWatermark=32M

[Cgroup "/b"]
Mode=off

[Cgroup "/c"]
Mode=observe
CONF
t_tieringd_start /tmp/td.conf
t_check "tieringd filled the kernel's cgroup map" grep -q "cgroup filter: [1-9]" "$td_log"
pids=
for g in a b c; do
	sh -c 'echo $$ > /sys/fs/cgroup/'$g'/cgroup.procs; exec hotset --total 128 --hot 64 --node 1 --fast 0 --seconds 25' \
		> "$(t_result_file hotset-$g.out)" 2>&1 &
	pids="$pids $!"
done
# the table while they run (their exit events empty it afterwards)
sleep 20
tieringctl -j status > "$(t_result_file status-running.json)"
hot=$(grep -o '"hot_entries":[0-9]*' "$(t_result_file status-running.json)" | cut -d: -f2)
wait $pids
t_tieringd_stop
sed -n '/^source /,$p' "$td_log" | sed 's/^/  td| /'
pa=$(awk '$1 == "FINAL" { print $4 }' "$(t_result_file hotset-a.out)")
pb=$(awk '$1 == "FINAL" { print $4 }' "$(t_result_file hotset-b.out)")
fc=$(awk '$1 == "filtered_cgroup" { print $2 }' "$td_log")
t_check "a (promote): hot set promoted ($pa %)" t_range "$pa" 90 100
t_check "b (Mode=off): no page of it moved ($pb %)" t_eq 0.0 "$pb"
t_check "b's events were filtered in the kernel ($fc)" t_range "${fc:-0}" 1 1000000000
pc=$(awk '$1 == "FINAL" { print $4 }' "$(t_result_file hotset-c.out)")
t_check "c (Mode=observe): no page of it moved ($pc %)" t_eq 0.0 "$pc"
t_check "c's pages were tracked: the table holds a's hot set and most of c's ($hot entries)" \
	t_range "${hot:-0}" 24576 100000
