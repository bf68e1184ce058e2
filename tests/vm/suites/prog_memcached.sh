#!/bin/sh
# vm: mode=systemd mem0=640 mem1=1024 timeout=300 kernels=6.12
#
# A program we did not write (issue 12, item 5): Debian's memcached, run by
# Debian's own memcached.service (only /etc/memcached.conf edited: -m 320;
# -t 1; -L, memcached's large-pages option: its 320 MiB allocated at once, 2 MiB
# aligned, MADV_HUGEPAGE, slab pages carved from it in order; and
# -o no_lru_crawler,no_lru_maintainer, so that memcached's background
# threads do not walk every item header: "cold" means never read), with a
# skewed client of ours (mcskew). Twice in one boot: the kernel alone
# (numa_balancing=2, demotion off, its own promote rate limit), then
# tieringd started by the shipped unit on the shipped configuration. THP as
# Debian ships it ([always]).
#
# Each run: a fresh memcached, set up with NUMA balancing off: mcskew sets
# N items of 16 KiB in key order (they fill the slab pages of one class in
# that order); migratepages(8) moves memcached to node1; coldfill --thp
# (cgroup /prog-cold) fills node0 but LEAVE (48) MiB with never-touched
# pages (THP, as Debian has them; before the second run one more coldfill
# takes the room the first memcached's promoted pages left). Then what is
# measured is switched on, the kernel's tiering mode or tieringd.service,
# and for SECS (30) s mcskew multi-gets keys drawn from
# the last H keys set only (all gets on 36 % of the keys), by Zipf with
# exponent ZIPF among them: 0, uniform, as YCSB's hotspot distribution.
# Measured before -L (slab memory in 4 KiB pages), Zipf(0.99) over 2000 of
# 12000 keys: the tail of the hot range is read less than once a second
# per page, below tieringd's automatic threshold (a quarter of the hottest
# pages' frequency, hint faults within 1 s of the scan): 0.7 of 34 MiB
# promoted in 30 s; the kernel alone 12 MiB. Hot size, from memcached's own
# "stats slabs"/"stats settings": the slab pages holding keys N-H..N-1,
# (N-1)/cpp - (N-H)/cpp + 1 pages of item_size_max bytes (cpp = the class's
# chunks_per_page). Measured from outside every 5 s: numastat -p (memcached's
# node0/node1 MiB), memory.numa_stat anon of memcached.service and of
# /prog-cold per node, node0's MemFree, and mcskew's own gets/s.
# Asserted for tieringd: memcached's node0 bytes rose by >= 90 % of the hot
# size and by no more than hot size + SLACK (8 MiB: the hash table, thread
# stacks and buffers, two THPs at the hot range's edges), in numastat -p and
# in memory.numa_stat; /prog-cold's node1 bytes rose (its cold pages are
# what made room); no get missed. The kernel's figures are printed beside.
# tieringd first demotes ~300 MiB of /prog-cold (the shipped FastWatermark,
# 256M, is free on node0 before it promotes): its promotions came 10-15 s
# into the run under TCG (15-18 s on a loaded host). About 135 s in all.
. /tvm/lib.sh

t_require_bin tieringctl mcskew coldfill memcached migratepages numastat systemctl
t_check "PID 1 is systemd" t_eq systemd "$(cat /proc/1/comm)"
t_log "system: $(timeout 120 systemctl is-system-running --wait 2>&1)"
t_check "THP is on, as Debian ships it" grep -q '\[always\]' /sys/kernel/mm/transparent_hugepage/enabled

ITEMS=10000
HOT=3600
VALUE=16384
SECS=30
ZIPF=0
SLACK=$((8 << 20))
LEAVE=48
MC_CG=/sys/fs/cgroup/system.slice/memcached.service
t_numa_scan_fast
sed -i 's/^-m .*/-m 320/' /etc/memcached.conf
# -t 1: one worker thread, which also runs the kernel's NUMA scan of the
# process. With Debian's 4 the hint faults on the slab memory came and went
# between runs (both the kernel's and tieringd's phases once saw almost none:
# 59 events in tieringd's, ~200 hint faults in the kernel's), likely the
# scanner skipping a VMA the scanning thread has not faulted on lately
# (vma_is_accessed(), 6.4+).
printf '%s\n' -L -t 1 '-o no_lru_crawler,no_lru_maintainer' >> /etc/memcached.conf
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/prog-cold

# numastat -p PID: "Total" row, MiB on node $2
mc_node_mib() { numastat -p "$1" | awk -v c=$(($2 + 2)) '$1 == "Total" { print $c }'; }
mib_bytes() { awk -v m="$1" 'BEGIN { printf "%.0f\n", m * 1048576 }'; }
# anon bytes of cgroup dir $1 on node $2 (memory.numa_stat)
cg_anon() { awk -v n="N$2=" '$1 == "anon" { for (i = 2; i <= NF; i++) if (index($i, n) == 1) print substr($i, length(n) + 1) }' "$1/memory.numa_stat"; }
at() { t_log "$1 at uptime $(cut -d' ' -f1 /proc/uptime) s"; }
stat_of() { awk -v k="$2" '$1 == "STAT" && $2 ~ k { print $3; exit }' "$1"; }

# sample NAME PID CLIENT_OUT LABEL: one line of figures, to NAME-samples.txt
# (gets/s: the mean of mcskew's last five 1 s figures; hint faults:
# /proc/vmstat numa_hint_faults since the last sample)
sample() {
	_hf=$(t_vmstat numa_hint_faults)
	printf '%-6s %8s %8s %10s %10s %10s %10s %8s %8s %8s\n' "$4" "$(mc_node_mib $2 0)" "$(mc_node_mib $2 1)" \
		$(($(cg_anon $MC_CG 0) >> 20)) $(($(cg_anon $MC_CG 1) >> 20)) \
		$(($(cg_anon /sys/fs/cgroup/prog-cold 0) >> 20)) $(($(cg_anon /sys/fs/cgroup/prog-cold 1) >> 20)) \
		$(($(awk '$3 == "MemFree:" { print $4 }' /sys/devices/system/node/node0/meminfo) >> 10)) \
		"$(awk '$1 == "T" { v[n++] = $4 } END { for (i = n - 5; i < n; i++) if (i >= 0) { s += v[i]; k++ }
			print k ? int(s / k) : 0 }' "$3" 2>/dev/null)" $((_hf - ${_hf0:-$_hf})) \
		>> "$(t_result_file "$1-samples.txt")"
	_hf0=$_hf
}

# the table's header, once per NAME-samples.txt
samples_header() {
	printf '%-6s %8s %8s %10s %10s %10s %10s %8s %8s %8s\n' t mc_N0MiB mc_N1MiB mc_anonN0 mc_anonN1 \
		cold_N0 cold_N1 N0free gets_s hfaults > "$(t_result_file "$1-samples.txt")"
	_hf0=
}

# fill LABEL: node0 filled but LEAVE MiB by one more coldfill in
# /prog-cold (the ones before keep their pages); output in LABEL-coldfill.out
fill() {
	t_in_cgroup prog-cold coldfill --leave-free $LEAVE --node 0 --thp --interval-ms 3600000 \
		> "$(t_result_file "$1-coldfill.out")" 2>&1 &
	t_check "$1: coldfill filled node0 but $LEAVE MiB" t_wait_for "$(t_result_file "$1-coldfill.out")" READY 180
	at "$1: node0 filled ($(awk '$1 == "READY" { print $4 }' "$(t_result_file "$1-coldfill.out")") MiB)"
}

# load NAME: a fresh memcached.service (pid in mc), loaded with ITEMS items
# in key order; h: the bytes of the slab pages holding the hot keys
load() {
	t_check "$1: memcached.service starts" systemctl start memcached
	# the unit is Type=simple: listening comes a little after "started"
	_i=0
	while ! mcskew stats > /dev/null 2>&1 && [ $_i -lt 150 ]; do sleep 0.2; _i=$((_i + 1)); done
	mc=$(systemctl show -p MainPID --value memcached)
	t_log "$1: memcached: $(tr '\0' ' ' < /proc/$mc/cmdline)"
	t_check "$1: memcached (pid $mc) loads $ITEMS items of $VALUE bytes" mcskew load --items $ITEMS --value-bytes $VALUE
	_st=$(t_result_file "$1-stats.txt")
	{ mcskew stats slabs; mcskew stats settings; } > "$_st"
	# the items' class: the one holding them (-L gave every class a page)
	_cl=$(awk -v n=$ITEMS '$1 == "STAT" && $2 ~ /:used_chunks$/ && $3 == n { sub(/:.*/, "", $2); print $2 }' "$_st")
	_cpp=$(stat_of "$_st" "^$_cl:chunks_per_page\$") _psz=$(stat_of "$_st" '^item_size_max$')
	[ -n "$_cl" ] && [ -n "$_cpp" ] && [ -n "$_psz" ] || t_fatal "$1: no class with $ITEMS items, or no chunks_per_page or item_size_max, in memcached's stats"
	h=$(( ((ITEMS - 1) / _cpp - (ITEMS - HOT) / _cpp + 1) * _psz ))
	t_log "$1: class $_cl: chunk $(stat_of "$_st" "^$_cl:chunk_size\$") B, $_cpp per page, $(stat_of "$_st" "^$_cl:total_pages\$") pages of $_psz B; hot keys $((ITEMS - HOT))..$((ITEMS - 1)): $((h >> 20)) MiB"
	at "$1: loaded"
}

# place NAME: memcached's memory onto node1 (migratepages), node0 filled again
place() {
	t_run migratepages "$mc" 0 1
	t_log "$1: after migratepages: node0 $(mc_node_mib $mc 0) MiB, node1 $(mc_node_mib $mc 1) MiB; AnonHugePages $(t_smaps_huge_kb $mc) kB"
	t_check "$1: migratepages put memcached's slab memory on node1 (>= 90 % of $(( ITEMS * VALUE >> 20 )) MiB)" \
		t_range "$(cg_anon $MC_CG 1)" $((ITEMS * VALUE / 10 * 9)) 100000000000
	at "$1: migrated"
	fill "$1"
}

# measure NAME: mcskew's gets for SECS s, sampled every 5 s; sets
# NAME_{d_np,d_cg,cold_dem,ops,mc_n1}
measure() {
	_n=$1 _out=$(t_result_file "$1-mcskew.out") _smp=$(t_result_file "$1-samples.txt")
	samples_header "$_n"
	sample "$_n" "$mc" /dev/null 0
	_np0=$(mib_bytes "$(mc_node_mib $mc 0)") _cg0=$(cg_anon $MC_CG 0) _cold1=$(cg_anon /sys/fs/cgroup/prog-cold 1)
	at "$_n: mcskew runs"
	mcskew run --hot $HOT --hot-first $((ITEMS - HOT)) --zipf $ZIPF --seconds $SECS > "$_out" 2>&1 &
	_cp=$!
	_t=0 _t0=$(cut -d' ' -f1 /proc/uptime)
	while [ $_t -lt $SECS ]; do
		_t=$((_t + 5))
		# every 5 s of mcskew's run, whatever the sampling itself took
		sleep "$(awk -v t0="$_t0" -v t=$_t -v now="$(cut -d' ' -f1 /proc/uptime)" \
			'BEGIN { d = t0 + t - now; print (d > 0 ? d : 0) }')"
		# labelled with the time it was taken (a stalled guest samples late)
		sample "$_n" "$mc" "$_out" "$(awk -v t0="$_t0" -v now="$(cut -d' ' -f1 /proc/uptime)" \
			'BEGIN { printf "%.1f", now - t0 }')"
	done
	wait $_cp
	at "$_n: mcskew done"
	t_check "$_n: mcskew ran and missed no get" t_eq 0 "$(t_final "$_out" misses)"
	eval "${_n}_ops=$(t_final "$_out" ops_s) ${_n}_mc_n1=$(mc_node_mib $mc 1)"
	eval "${_n}_d_np=$(( $(mib_bytes "$(mc_node_mib $mc 0)") - _np0 )) ${_n}_d_cg=$(( $(cg_anon $MC_CG 0) - _cg0 ))"
	eval "${_n}_cold_dem=$(( $(cg_anon /sys/fs/cgroup/prog-cold 1) - _cold1 ))"
	t_log "$_n: samples (MiB; gets/s is mcskew's own)"
	sed 's/^/  /' "$_smp"
}

# Each run: a fresh memcached loaded and placed with NUMA balancing off,
# then what is measured switched on: the kernel's tiering mode, or tieringd
t_sysctl kernel.numa_balancing 0
load kernel
place kernel
t_kernel_alone
measure kernel
t_check "memcached.service stops" systemctl stop memcached
t_kernel_reset
at "kernel alone: done"

load tieringd
place tieringd
t_check "tieringd.service starts (shipped unit, shipped /etc/tieringd.conf)" systemctl start tieringd
at "tieringd: started"
measure tieringd
{ tieringctl top -n 12; tieringctl stats; } > "$(t_result_file tieringd-top.txt)" 2>&1
tieringctl -j status > "$(t_result_file status.json)"
t_check "tieringd.service stops" systemctl stop tieringd
journalctl -u tieringd --no-pager -o short-monotonic > "$(t_result_file tieringd-journal.txt)"
# the cgroups tieringd asked for room, from its journal: never its own
# (system.slice/tieringd.service) nor PID 1's (init.scope), under the unit
asked=$(awk '/ demote: cgroup / { for (i = 1; i < NF; i++) if ($i == "cgroup") print $(i + 1) }' \
	"$(t_result_file tieringd-journal.txt)" | sort | uniq -c | awk '{ printf "%s%s x%d", s, $2, $1; s = ", " }')
t_log "tieringd asked for room: ${asked:-nothing}"
t_check "tieringd asked some cgroup for room (${asked:-none})" test -n "$asked"
t_check "tieringd never asked its own cgroup nor init.scope for room" \
	sh -c "! grep -E ' demote: cgroup (/system.slice/tieringd.service|/init.scope) ' '$(t_result_file tieringd-journal.txt)'"
at "tieringd stopped, journal saved"

sum=$(t_result_file summary.txt)
{
	printf '%-9s %9s %14s %14s %14s %13s %9s %9s\n' run hot_MiB "numastat_+N0" "numa_stat_+N0" hot_on_fast_% cold_demoted mc_N1MiB gets_s
	for r in kernel tieringd; do
		eval "printf '%-9s %9s %14s %14s %14s %13s %9s %9s\\n' $r $((h >> 20)) \
			\$((\$${r}_d_np >> 20)) \$((\$${r}_d_cg >> 20)) \
			\$(awk -v d=\$${r}_d_cg -v h=$h 'BEGIN { printf \"%.1f\", 100 * d / h }') \
			\$((\$${r}_cold_dem >> 20)) \$${r}_mc_n1 \$${r}_ops"
	done
} > "$sum"
t_log "side by side (MiB; +N0: memcached's node0 growth while mcskew ran):"
sed 's/^/  /' "$sum"

t_check "tieringd: memcached's node0 bytes (numastat -p) rose by >= 90 % of the hot $((h >> 20)) MiB, <= hot + $((SLACK >> 20)) MiB ($((tieringd_d_np >> 20)) MiB; kernel alone $((kernel_d_np >> 20)))" \
	t_range "$tieringd_d_np" $((h / 10 * 9)) $((h + SLACK))
t_check "tieringd: memcached.service anon on node0 (memory.numa_stat) the same ($((tieringd_d_cg >> 20)) MiB; kernel alone $((kernel_d_cg >> 20)))" \
	t_range "$tieringd_d_cg" $((h / 10 * 9)) $((h + SLACK))
t_check "tieringd: the room came from /prog-cold's cold pages (its node1 anon +$((tieringd_cold_dem >> 20)) MiB)" \
	t_range "$tieringd_cold_dem" 1 100000000000
