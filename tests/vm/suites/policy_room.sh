#!/bin/sh
# vm: mode=initramfs mem0=1536 mem1=2048 timeout=420 kernels=6.12
#
# Mode and room by policy, under pressure on the fast node:
#   /b  Mode=off:     256 MiB of cold pages on node0 (coldfill) and a hot set
#                     of 64 MiB out of 128 MiB on node1 (hotset);
#   /c  Mode=promote, Weight=10: the rest of node0's free memory but 48 MiB,
#                     in cold pages (coldfill --leave-free);
#   /a  Mode=promote (the default policy, Weight 100): a hot set of 128 MiB
#                     out of 256 MiB on node1.
# A's hot set must reach the fast node, which it can only do by tieringd
# demoting C's cold pages. tieringd moves none of B's pages, in either
# direction: its hot set stays on node1 and its cold pages on node0.
#
# The kernel's own reclaim is another matter: with demotion enabled (which
# tieringd needs), kswapd demotes the coldest pages of any cgroup when the
# fast node runs low, and B's are the oldest. An operator keeps the kernel
# off a cgroup with memory.min; B has it here, so what the test sees moving
# is tieringd's doing alone.
. /tvm/lib.sh

t_require_bin tieringd tieringctl hotset coldfill
t_numa_scan_fast
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/a /sys/fs/cgroup/b /sys/fs/cgroup/c
echo 512M > /sys/fs/cgroup/b/memory.min
cat > /tmp/td.conf <<CONF
[Daemon]
NumaBalancing=2
KernelPromoteRateLimitMBps=0
FastWatermark=64M
Demotion=yes

[Cgroup "/b"]
Mode=off

[Cgroup "/c"]
Mode=promote
Weight=10
CONF
fill() { # fill GROUP OUT ARGS...: coldfill in GROUP, waits until it is placed
	_g=$1 _o=$2
	shift 2
	sh -c 'echo $$ > /sys/fs/cgroup/'$_g'/cgroup.procs; exec coldfill "$@"' sh "$@" > "$_o" 2>&1 &
	_i=0
	while ! grep -q READY "$_o" && [ $_i -lt 600 ]; do sleep 0.2; _i=$((_i + 1)); done
	t_check "coldfill in /$_g placed its pages" grep -q READY "$_o"
}
bcold=$(t_result_file b-coldfill.out)
ccold=$(t_result_file c-coldfill.out)
fill b "$bcold" --mib 256 --node 0
bcp=$!
fill c "$ccold" --leave-free 48 --node 0
ccp=$!
t_log "node0 free after the fills: $(awk '/MemFree/ { print $4, $5 }' /sys/devices/system/node/node0/meminfo)"

# The FastWatermark deficit at start: what tieringd must free on node0 before
# any promotion fits (64 MiB above the kernel's reserve, high or promo
# watermark, as the promoter counts it), in bytes.
node0_reserve() { awk '/^Node 0, zone/ { z = 1; next } /^Node/ { z = 0 }
	z && $1 == "high" { h = $2 } z && $1 == "promo" { p = $2 }
	z && $1 == "protection:" { r += (p > h ? p : h); h = p = 0 } END { print r * 4096 }' /proc/zoneinfo; }
free0=$(awk '/MemFree/ { print $4 * 1024 }' /sys/devices/system/node/node0/meminfo)
deficit=$((64 * 1048576 + $(node0_reserve) - free0))
[ "$deficit" -gt 0 ] || deficit=0
t_log "FastWatermark deficit at start: $((deficit >> 20)) MiB (node0 free $((free0 >> 20)) MiB)"

# tieringd counts its demotions from the asked cgroups' memory.stat
cg_direct() { awk '$1 == "pgdemote_direct" { s += $2 } END { print s + 0 }' \
	/sys/fs/cgroup/a/memory.stat /sys/fs/cgroup/b/memory.stat /sys/fs/cgroup/c/memory.stat; }
direct0=$(cg_direct)
t_tieringd_start /tmp/td.conf
ahs=$(t_result_file a-hotset.out)
bhs=$(t_result_file b-hotset.out)
sh -c 'echo $$ > /sys/fs/cgroup/a/cgroup.procs; exec hotset --total 256 --hot 128 --node 1 --fast 0 --seconds 60' > "$ahs" 2>&1 &
ap=$!
sh -c 'echo $$ > /sys/fs/cgroup/b/cgroup.procs; exec hotset --total 128 --hot 64 --node 1 --fast 0 --seconds 60' > "$bhs" 2>&1 &
bp=$!
wait $ap $bp
tieringctl -j cgroups > "$(t_result_file cgroups.json)" 2>&1
t_check "tieringctl -j cgroups answers" test -s "$(t_result_file cgroups.json)"
sed 's/^/  ctl| /' "$(t_result_file cgroups.json)"
kill -TERM $bcp $ccp
wait $bcp $ccp
t_tieringd_stop
direct1=$(cg_direct)
td_dem=$(awk '$1 == "pages_demoted" { print $2 }' "$td_log" | tail -n 1)
t_check "tieringd's pages_demoted ($td_dem) <= the cgroups' pgdemote_direct delta ($((direct1 - direct0)); kswapd: $(awk '$1 == "pages_demoted_kswapd" { print $2 }' "$td_log" | tail -n 1))" \
	t_range "${td_dem:-x}" 0 "$((direct1 - direct0))"
# Demotion tracks what promotion needs: demoted <= bytes promoted into node0
# + the deficit at start + 32 MiB (the kernel's own overshoot: memory.reclaim
# demotes at least a batch, 2.25 MiB for a 4 KiB ask, and the deficit moves
# while the suite runs). A guard against gross overshoot, not a test of the
# double ask fixed in demoter.c (its unit tests are): the deficit varies by
# up to 18 MiB between runs, more than the double ask cost here. Measured:
# 221 MiB demoted for 132 MiB promoted + 85 MiB deficit; before the fix 225
# for 128 + 67 and 218 for 135 + 80; a loaded CI run of the fix 224 for
# 128 + 79 (over a 16 MiB slack by 0.5 MiB).
td_prom=$(awk '$1 == "bytes_promoted" { print $2 }' "$td_log" | tail -n 1)
dem_b=$(( ${td_dem:-0} * 4096 ))
bound=$(( ${td_prom:-0} + deficit + 32 * 1048576 ))
t_check "tieringd demoted $((dem_b >> 20)) MiB for $((${td_prom:-0} >> 20)) MiB promoted + $((deficit >> 20)) MiB deficit (bound $((bound >> 20)) MiB)" \
	t_range "$dem_b" 0 "$bound"
grep -v "^tieringd: promote" "$td_log" | grep -E "^(tieringd: demote|pages_|demote_)" | tail -n 20 | sed 's/^/  td| /'

a_pct=$(t_final "$ahs" hot_fast_pct)
b_pct=$(t_final "$bhs" hot_fast_pct)
b_cold=$(t_final "$bhs" cold_moved)
b_away=$(t_final "$bcold" moved_away)
b_on=$(t_final "$bcold" on_node_pct)
c_away=$(t_final "$ccold" moved_away)
t_check "A (promote): its hot set reached the fast node ($a_pct %; 90 % at $(t_first_at "$ahs" hot_fast_pct 90) s)" \
	t_range "$a_pct" 90 100
t_check "C (promote, Weight=10) gave up cold fast-node pages to make room ($c_away pages)" \
	t_range "${c_away:-0}" 1 100000000
t_check "B (Mode=off): none of its hot pages promoted ($b_pct %)" t_eq 0.0 "$b_pct"
t_check "B (Mode=off): none of its cold slow-node pages moved ($b_cold)" t_eq 0 "$b_cold"
t_check "B (Mode=off): its fast-node pages stayed exactly where they were ($b_away moved away, $b_on % on node0)" \
	sh -c '[ "$1" = 0 ] && [ "$2" = 100.0 ]' sh "$b_away" "$b_on"
