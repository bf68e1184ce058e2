#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=2048 timeout=240 kernels=6.12
#
# Cgroup bookkeeping (issue 11 item 6). DefaultMode=off, so the kernel's
# managed-cgroup map (16,384 entries) must hold every cgroup tieringd
# promotes: without an entry its events are filtered in the kernel.
#  1. 2 x 8,500 cgroups below /churn (Mode=promote) come and go: the first
#     batch is seen by the full walk of a `tieringctl reload`, the second by
#     the background walk (bounded steps per tick); 17,000 > 16,384. A
#     complete walk deletes the entries of the cgroups gone
#     (cgroup_map_pruned), so the map never fills (cgroup_map_full 0).
#     The batches do not overlap within one walk: the map holds the live
#     cgroups plus those removed since the last complete walk.
#  2. Then a new cgroup /late ([Cgroup "/late"] Mode=promote): its hot set
#     reaches >= 90 % on the fast node. Without pruning its entry does not
#     fit and its hot set stays at 0 %.
#  3. A cgroup 551 bytes deep (/l + 9 levels of 60 characters, made before
#     tieringd starts, Mode=promote through [Cgroup "/l"]): its policy is
#     applied, its hot set promoted. The id cache used to refuse paths of
#     512 bytes and more (its pages were then left alone).
# The shipped defaults plus those sections (the kernel's own promotion is
# off: KernelPromoteRateLimitMBps=0 by default, 1 GiB fast node).
. /tvm/lib.sh

t_require_bin tieringd tieringctl hotset
t_numa_scan_fast
# a task whose first scans find no fault (still mapping its pages under a
# loaded TCG host) has its scan period doubled up to this: 1 s, not the
# default 60 s (seen once: the deep cgroup's process got no hint fault in 30 s)
echo 1000 > /sys/kernel/debug/sched/numa_balancing/scan_period_max_ms
cg=/sys/fs/cgroup
echo +memory > $cg/cgroup.subtree_control
# /churn's children get no controller: cheap to make, still cgroups with ids
mkdir -p $cg/churn
long=/l
i=0
while [ $i -lt 9 ]; do
	long="$long/$(printf 'd%d%058d' $i 0)"
	i=$((i + 1))
done
mkdir -p "$cg$long"
# the memory controller down to the leaf, so its pages are charged to it
# (its own memcg id, the 551-byte path) and not to /l's
d=$cg
for part in $(echo "${long#/}" | tr / ' '); do
	echo +memory > "$d/cgroup.subtree_control"
	d="$d/$part"
done
t_check "the deep cgroup has its own memcg" test -e "$cg$long/memory.numa_stat"
t_check "the deep cgroup's path is >= 512 bytes (${#long})" t_range "${#long}" 512 4000

conf=/tmp/td.conf
awk '{ print } /^\[Daemon\]$/ { print "DefaultMode=off" }' "$(t_shipped_conf)" > $conf
cat >> $conf <<CONF

[Cgroup "/churn"]
Mode=promote

[Cgroup "/late"]
Mode=promote

[Cgroup "/l"]
Mode=promote
CONF
t_tieringd_start $conf

N=8500
# mk|rm PREFIX: N cgroups /churn/PREFIX1..N
batch() {
	seq 1 $N | sed "s|^|$cg/churn/$2|" | xargs "${1}dir"
}
stat_of() {
	tieringctl -j stats > /tmp/st.json
	t_json_num /tmp/st.json "$1"
}

t0=$(date +%s)
batch mk a
t_log "made $N cgroups in $(( $(date +%s) - t0 )) s"
tieringctl reload > /dev/null
marked=$(stat_of cgroups_marked)
t_check "the reload's walk put batch a in the map ($marked entries)" t_range "${marked:-0}" $N 100000
batch rm a
# the background walk: a new one every 10 ticks, 1,024 cgroups per tick;
# wait_for KEY MIN: until stat KEY >= MIN (at most 45 s)
wait_for() {
	_w=0
	while [ $_w -lt 45 ]; do
		_v=$(stat_of "$1")
		[ "${_v:-0}" -ge "$2" ] && break
		sleep 1
		_w=$((_w + 1))
	done
	t_log "$1 = ${_v:-none} after $_w s"
}
# the first complete walk after batch a left deletes its entries
wait_for cgroup_map_pruned $N
pruned=$(t_json_num /tmp/st.json cgroup_map_pruned)
t_check "batch a's entries were deleted by a background walk ($pruned)" t_range "${pruned:-0}" $N 1000000
batch mk b
# the next walk that begins sees all of batch b (marked: its count)
sleep 1
wait_for cgroups_marked $N
marked=$(t_json_num /tmp/st.json cgroups_marked)
t_check "a background walk put batch b in the map ($marked entries)" t_range "${marked:-0}" $N 100000
# /late before batch b leaves: the walk that deletes b's entries saw /late
mkdir $cg/late
batch rm b
wait_for cgroup_map_pruned $((2 * N))
t_log "churn done in $(( $(date +%s) - t0 )) s: $((2 * N)) cgroups came and went"

pids=
for g in /late "$long"; do
	out=$(t_result_file "hotset-$(basename "$g" | cut -c1-8).out")
	# until 10 s after it first reached 90 % (7-10 s in CI runs), at most 30 s
	sh -c 'echo $$ > "$1/cgroup.procs"; exec hotset --total 128 --hot 64 --node 1 --fast 0 --seconds 30 --until-pct 90 --hold 10' \
		sh "$cg$g" > "$out" 2>&1 &
	pids="$pids $!"
done
for p in $pids; do wait "$p"; done
st=$(t_result_file stats-end.json)
tieringctl -j stats > "$st"
tieringctl -j cgroups > "$(t_result_file cgroups.json)"
t_tieringd_stop
grep -E "^(cgroup_map_pruned|cgroup_map_full|cgroups_marked|cgroups_walked|cgroup_ids_(un)?resolved|cgroup_cache_(hits|misses)|filtered_cgroup|pages_promoted) " \
	"$td_log" | sed 's/^/  td| /'
late=$(awk '$1 == "FINAL" { print $4 }' "$(t_result_file hotset-late.out)")
deep=$(awk '$1 == "FINAL" { print $4 }' "$(t_result_file hotset-d8000000.out)")
full=$(t_json_num "$st" cgroup_map_full)
t_check "the map never refused an entry (cgroup_map_full $full)" t_eq 0 "${full:-x}"
t_check "/late, made after $((2 * N)) cgroups came and went: hot set >= 90 % on the fast node ($late %)" \
	t_range "${late:-0}" 90 100
t_check "the ${#long}-byte deep cgroup (Mode=promote by /l): hot set >= 90 % on the fast node ($deep %)" \
	t_range "${deep:-0}" 90 100
