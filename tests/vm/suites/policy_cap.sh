#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=2048 timeout=240 kernels=6.12
#
# MaxFastMemory caps a cgroup's fast-node footprint: /m1 has
# MaxFastMemory=32M, /m2 has memory.max=256M and MaxFastMemory=12%
# (30.72 MiB); each reads a 96 MiB hot set on the slow node. Promotion goes
# up to the cap and no further (memory.numa_stat at the end), and the
# percentage resolves against memory.max. /m3 is over its cap from the
# start (64 MiB placed on node0, MaxFastMemory=16M): tieringd demotes the
# excess.
. /tvm/lib.sh

t_require_bin tieringd tieringctl hotset coldfill
t_numa_scan_fast
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/m1 /sys/fs/cgroup/m2 /sys/fs/cgroup/m3
echo 256M > /sys/fs/cgroup/m2/memory.max
cat > /tmp/td.conf <<CONF
[Daemon]
NumaBalancing=2
KernelPromoteRateLimitMBps=0
FastWatermark=32M
Demotion=yes

[Cgroup "/m1"]
MaxFastMemory=32M

[Cgroup "/m2"]
MaxFastMemory=12%

[Cgroup "/m3"]
MaxFastMemory=16M
CONF
m3=$(t_result_file m3-coldfill.out)
sh -c 'echo $$ > /sys/fs/cgroup/m3/cgroup.procs; exec coldfill --mib 64 --node 0' > "$m3" 2>&1 &
m3p=$!
i=0
while ! grep -q READY "$m3" && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
t_tieringd_start /tmp/td.conf
# fast-node bytes of a cgroup: anon + file on N0
n0() { awk '$1 == "anon" || $1 == "file" { for (i = 2; i <= NF; i++) if ($i ~ /^N0=/) { sub("N0=", "", $i); s += $i } } END { print s + 0 }' /sys/fs/cgroup/$1/memory.numa_stat; }
pids=
for g in m1 m2; do
	sh -c 'echo $$ > /sys/fs/cgroup/'$g'/cgroup.procs; exec hotset --total 128 --hot 96 --node 1 --fast 0 --seconds 40' \
		> "$(t_result_file $g-hotset.out)" 2>&1 &
	pids="$pids $!"
done
# the footprint while the workloads run: the most seen, once a second
ser=$(t_result_file footprint.txt)
while kill -0 $pids 2> /dev/null; do
	echo "$(n0 m1) $(n0 m2) $(n0 m3)" >> "$ser"
	sleep 1
done
wait $pids
tieringctl -j cgroups > "$(t_result_file cgroups.json)"
sed 's/^/  ctl| /' "$(t_result_file cgroups.json)"
b1=$(awk '$1 > m { m = $1 } END { print m + 0 }' "$ser")
b2=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$ser")
b3=$(tail -n 1 "$ser" | awk '{ print $3 }')
kill -TERM $m3p
wait $m3p
t_tieringd_stop
grep -E "MaxFastMemory|^pages_demoted" "$td_log" | tail -n 5 | sed 's/^/  td| /'
pct1=$(awk '$1 == "FINAL" { print $4 }' "$(t_result_file m1-hotset.out)")
t_log "m1: $b1 bytes on node0, hot set $pct1 % on the fast node; m2: $b2 bytes; m3: $b3 bytes"
t_check "m1: fast-node footprint within MaxFastMemory=32M + 10 % ($b1 bytes)" t_range "$b1" 0 $((32 * 1048576 * 11 / 10))
t_check "m1: promoted up to near the cap ($b1 bytes >= 24 MiB)" t_range "$b1" $((24 * 1048576)) $((1 << 40))
t_check "m2: fast-node footprint within 12 % of memory.max=256M + 10 % ($b2 bytes)" \
	t_range "$b2" 0 $((256 * 1048576 * 12 / 100 * 11 / 10))
t_check "m2: promoted up to near the cap ($b2 bytes >= 22 MiB)" t_range "$b2" $((22 * 1048576)) $((1 << 40))
t_check "m3: over its cap at start, demoted down to MaxFastMemory=16M + 10 % ($b3 bytes)" \
	t_range "$b3" 0 $((16 * 1048576 * 11 / 10))
