#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=2048 timeout=420 kernels=6.12
#
# Exec (issue 11 item 3): nothing learned from an old image is moved in the
# new one. THP on (as Debian ships it), hint faults. execer's old image
# reads a 64 MiB hot set (2 MiB folios) on the slow node while coldfill
# keeps the fast node full (free below FastWatermark, Demotion=no): tieringd
# learns the hot set but has no room to move it. The process then execs a
# new image that maps the same size at the same address, on the slow node,
# and leaves it untouched. coldfill goes: the fast node has room. Had
# tieringd kept the old image's entries (same pid, same start time, same
# addresses), it would now move the new image's pages; it must not, by the
# new image's own move_pages query and by numa_maps. Then the new image
# reads its memory: its own events register it afresh and it is promoted
# (so the quiet phase did not pass for lack of room or of a working
# promoter). The kernel's own promotion is out: a 1 GiB fast node is below
# its free-space mark and its promote rate limit is 0 (KERNEL-NOTES).
. /tvm/lib.sh

t_require_bin tieringd tieringctl execer coldfill numastat
t_numa_scan_fast
vm() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled)
t_log "THP: $thp"
t_check "THP is on ([always] or [madvise]: execer asks for it)" sh -c 'case "$1" in *"[never]"*) exit 1;; esac' sh "$thp"

cat > /tmp/td.conf <<CONF
[Daemon]
NumaBalancing=2
KernelPromoteRateLimitMBps=0
FastWatermark=64M
Demotion=no
CONF
cold=$(t_result_file coldfill.out)
coldfill --leave-free 24 --node 0 > "$cold" 2>&1 &
cf=$!
i=0
while ! grep -qs READY "$cold" && [ $i -lt 600 ]; do sleep 0.2; i=$((i + 1)); done
t_check "coldfill filled node0" grep -q READY "$cold"
t_log "node0 free: $(awk '/MemFree/ { print $4, $5 }' /sys/devices/system/node/node0/meminfo)"
t_tieringd_start /tmp/td.conf
t_check "tieringd attached its hint-fault source" grep -q "source hint-faults: attached" "$td_log"
t_check "tieringd attached the lifecycle programs" grep -q "process lifecycle: attached" "$td_log"
promo0=$(vm pgpromote_success)

ex=$(t_result_file execer.out)
# 50 s: the new image's 20 quiet seconds, then 30 s of reads (its hot set
# was on node0 6-10 s into them in every CI run)
execer --mib 64 --node 1 --fast 0 --seconds 50 --quiet 20 > "$ex" 2>&1 &
ep=$!
i=0
while ! grep -q "OLD READY" "$ex" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
t_check "old image placed its memory" grep -q "OLD READY" "$ex"
t_log "old image: $(grep AnonHugePages /proc/$ep/smaps_rollup)"
# learning: hot entries of the old image in tieringd's table, none movable
n=0 i=0
while [ $i -lt 60 ]; do
	sleep 1
	n=$(tieringctl top -n 100 --pid "$ep" 2>/dev/null | grep -c 0x6000)
	[ "$n" -ge 8 ] && [ $i -ge 10 ] && break
	i=$((i + 1))
done
tieringctl top -n 100 --pid "$ep" > "$(t_result_file top-old.txt)" 2>&1
t_check "tieringd learned the old image's hot set ($n entries at its addresses)" t_range "$n" 8 100000
kill -USR1 $ep
i=0
while ! grep -q "NEW READY" "$ex" && kill -0 $ep 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
t_check "the process exec'd a new image at the same address" grep -q "NEW READY $ep" "$ex"
t_check "old image: nothing promoted while the fast node was full" \
	grep -q "OLD FINAL on_fast 0 " "$ex"
t_log "new image: $(grep AnonHugePages /proc/$ep/smaps_rollup)"
thp_kb=$(awk '/AnonHugePages/ { print $2 }' /proc/$ep/smaps_rollup)
t_check "the new image's memory is in huge pages ($thp_kb kB)" t_range "${thp_kb:-0}" 32768 1000000
# room on the fast node now
kill -TERM $cf
wait $cf
t_log "node0 free after coldfill: $(awk '/MemFree/ { print $4, $5 }' /sys/devices/system/node/node0/meminfo)"
# the quiet phase: 20 s from NEW READY, the last 15+ of them with room
sleep 17
nm=$(t_result_file numa_maps-quiet.txt)
grep '^600000000000 ' /proc/$ep/numa_maps > "$nm"
sed 's/^/  nm| /' "$nm"
n0=$(sed -n 's/.* N0=\([0-9]*\).*/\1/p' "$nm")
t_check "numa_maps: none of the new image's region on node0 while quiet" t_eq "" "$n0"
numastat -p "$ep" > "$(t_result_file numastat-quiet.txt)" 2>&1
sed 's/^/  ns| /' "$(t_result_file numastat-quiet.txt)"
st=$(t_result_file stats-quiet.json)
tieringctl -j stats > "$st"
ctr() { grep -o "\"$1\":[0-9]*" "$2" | cut -d: -f2; }
t_check "tieringd saw the exec (process_events_exec $(ctr process_events_exec "$st"))" \
	t_range "$(ctr process_events_exec "$st")" 1 1000000

i=0
while ! grep -q "^FINAL" "$ex" && kill -0 $ep 2>/dev/null && [ $i -lt 900 ]; do sleep 0.2; i=$((i + 1)); done
wait $ep
sed 's/^/  ex| /' "$ex"
qmax=$(t_final "$ex" quiet_max_on_fast)
t_check "move_pages query: no page of the new image moved to node0 while untouched (max $qmax)" \
	t_eq 0 "$qmax"
pct=$(t_final "$ex" fast_pct)
t_check "the new image's own hot set is then promoted, registered afresh ($pct %)" t_range "${pct:-0}" 50 100
t_tieringd_stop
sed -n '/^source /,$p' "$td_log" | grep -E "^(process_events_[a-z]*|pages_promoted|hot_entries|hotness_stale|hotness_pid_reuses|events_hint_fault|record_errors) " | sed 's/^/  td| /'
t_log "kernel pgpromote_success delta: $(( $(vm pgpromote_success) - promo0 ))"
