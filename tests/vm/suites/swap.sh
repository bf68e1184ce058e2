#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=1024 timeout=180 modules=zram kernels=6.12
#
# Demotion with swap on (a 512 MiB zram device). memory.reclaim is not
# node-targeted: asked of a cgroup with anon on both nodes it demotes the
# fast-node pages and swaps the slow-node ones (measured without the fence:
# 100 MiB asked, 56 MiB demoted, 44 MiB swapped). tieringd sets the cgroup's
# memory.swap.max to 0 for each of its writes, so:
#   /cold  Weight=10: fills node0 but 96 MiB with cold pages, and holds
#          96 MiB of cold pages on node1;
#   /hot   a hot set of 64 MiB out of 128 MiB on node1.
# tieringd makes room by demoting /cold (FastWatermark=64M: 32 MiB of room,
# the rest of the hot set needs demotion), nothing is swapped (pswpout and
# /cold's memory.swap.current stay 0; node0 is kept above kswapd's
# watermarks, whose reclaim, demotion being off between tieringd's writes,
# would swap from any cgroup and fill node0 with zram's pool), /cold's
# memory.swap.max is the
# operator's again after, and the pages tieringd counts as demoted are no
# more than the cgroups' own pgdemote_direct (memory.stat) rose.
. /tvm/lib.sh

t_require_bin tieringd hotset coldfill
[ -e /sys/block/zram0 ] || t_skip "no zram device (module zram)"
echo 512M > /sys/block/zram0/disksize
mkswap /dev/zram0 > /dev/null && swapon /dev/zram0
swap_kb=$(awk '$1 == "SwapTotal:" { print $2 }' /proc/meminfo)
t_check "swap is on ($swap_kb kB)" t_range "$swap_kb" 1 100000000
t_numa_scan_fast
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/cold /sys/fs/cgroup/hot
t_check "/cold may swap (memory.swap.max max)" t_eq max "$(cat /sys/fs/cgroup/cold/memory.swap.max)"
cat > /tmp/td.conf <<CONF
[Daemon]
NumaBalancing=2
KernelPromoteRateLimitMBps=0
FastWatermark=64M
Demotion=yes

[Cgroup "/cold"]
Weight=10
CONF
fill() { # fill OUT ARGS...: coldfill in /cold, waits until it is placed
	_o=$1
	shift
	sh -c 'echo $$ > /sys/fs/cgroup/cold/cgroup.procs; exec coldfill "$@"' sh "$@" > "$_o" 2>&1 &
	_i=0
	while ! grep -q READY "$_o" && [ $_i -lt 600 ]; do sleep 0.2; _i=$((_i + 1)); done
	t_check "coldfill $* placed its pages" grep -q READY "$_o"
}
slow=$(t_result_file cold-slow.out)
fast=$(t_result_file cold-fast.out)
fill "$slow" --mib 96 --node 1
sp=$!
fill "$fast" --leave-free 96 --node 0
fp=$!
memstat() { awk -v k="$2" '$1 == k { print $2 }' "/sys/fs/cgroup/$1/memory.stat"; }
d0=$(( $(memstat cold pgdemote_direct) + $(memstat hot pgdemote_direct) ))
sw0=$(t_vmstat pswpout)
t_tieringd_start /tmp/td.conf
hs=$(t_result_file hotset.out)
sh -c 'echo $$ > /sys/fs/cgroup/hot/cgroup.procs; exec hotset --total 128 --hot 64 --node 1 --fast 0 --seconds 40' > "$hs" 2>&1
t_tieringd_stop
d1=$(( $(memstat cold pgdemote_direct) + $(memstat hot pgdemote_direct) ))
sw1=$(t_vmstat pswpout)
kill -TERM $sp $fp
wait $sp $fp
grep -E "^tieringd: demote|^pages_demoted|^demote_|swap" "$td_log" | tail -n 12 | sed 's/^/  td| /'

pct=$(t_final "$hs" hot_fast_pct)
td_dem=$(awk '$1 == "pages_demoted" { print $2 }' "$td_log" | tail -n 1)
t_log "hot set on node0 $pct %; tieringd pages_demoted $td_dem; cgroups' pgdemote_direct +$((d1 - d0)); pswpout +$((sw1 - sw0))"
t_check "tieringd demoted /cold's pages to make room (${td_dem:-none})" t_range "${td_dem:-0}" 1 100000000
t_check "tieringd's count <= the cgroups' memory.stat pgdemote_direct delta ($td_dem <= $((d1 - d0)))" \
	t_range "${td_dem:-0}" 0 "$((d1 - d0))"
t_check "the hot set reached the fast node ($pct %)" t_range "$pct" 90 100
t_log "swap: system pswpout +$((sw1 - sw0)) pages; /cold $(cat /sys/fs/cgroup/cold/memory.swap.current) bytes, /hot $(cat /sys/fs/cgroup/hot/memory.swap.current) bytes"
t_check "nothing swapped out (pswpout +$((sw1 - sw0)))" t_eq 0 "$((sw1 - sw0))"
t_check "/cold (asked for room) has nothing in swap" t_eq 0 "$(cat /sys/fs/cgroup/cold/memory.swap.current)"
t_check "/cold's memory.swap.max is the operator's again" t_eq max "$(cat /sys/fs/cgroup/cold/memory.swap.max)"
t_check "no swap-fence record left behind" sh -c '! test -e /run/tieringd/swap-fence'
t_log "kswapd's demotions apart: pages_demoted_kswapd $(awk '$1 == "pages_demoted_kswapd" { print $2 }' "$td_log" | tail -n 1)"
t_check "no cgroup refused for swap" sh -c '! grep -q "not asked for room again" "$1"' sh "$td_log"
