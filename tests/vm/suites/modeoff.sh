#!/bin/sh
# vm: mode=initramfs mem0=1536 mem1=2048 timeout=480 kernels=6.12
#
# Mode=off is left alone, by tieringd and by what tieringd has the kernel do
# (issue 11, item 9), without memory.min or memory.low on anyone. THP on as
# Debian ships it (enabled=always, defrag=madvise; MGLRU on). Two tenants
# fill the fast node (node0), both with mostly cold memory:
#   /off  Mode=off: 512 MiB on node0, 16 MiB of it read continuously
#         (hotset: 4 KiB pages, MADV_NOHUGEPAGE as some programs ask: the
#         same tenant in THPs, tdvm_modeoff_off=thp, was never picked by
#         kswapd even with demotion_enabled forced on, 0.00 % while kswapd
#         demoted 13,374 pages of /low's, so the check could not fail);
#   /low  Mode=promote, Weight=10: cold 4 KiB pages up to 64 MiB free on
#         node0 (coldfill --leave-free), and a cache that grows by 4 MiB/s
#         preferring node0 (grower, MPOL_PREFERRED_MANY): its allocations
#         wake node0's kswapd, as a full fast node's allocations do on a
#         host. Without reclaim on the fast node demotion_enabled would
#         change nothing (with KernelPromoteRateLimitMBps=0 the kernel's own
#         promotion no longer wakes kswapd) and the /off check could not fail
#         (measured, tdvm_modeoff_grow=0 and forced: pgdemote_kswapd 0,
#         /off 0.00 %);
#   /hot  Weight=100: a 128 MiB hot set of THPs out of 256 MiB placed on
#         node1, read continuously (thpset).
# tieringd runs on the shipped defaults (conf/tieringd.conf sets no key)
# plus the three [Cgroup] sections. Asserted from the kernel's side
# (memory.numa_stat: anon + file per node) and the payloads' placement:
# /hot's hot set reaches >= 90 % on node0, /off's node0 bytes change by
# <= 1 % over the run, the room came from /low (its node0 bytes went down;
# tieringd asked no one else). Before it, the kernel alone (no tieringd,
# numa_balancing=2, demotion_enabled and the promote rate limit as the
# kernel had them); both runs' figures, pgdemote_kswapd/_direct deltas and
# how often demotion_enabled read true go to summary.txt.
#
# Kernel arguments (append= of a copy of this suite) show that the checks
# can fail: tdvm_modeoff=forced runs tieringd alone, with demotion_enabled
# kept on for the whole run as tieringd did before (measured: /off -10.34 %,
# -53 MiB; kswapd demoted 15,235 pages); tdvm_modeoff_grow=N (MiB/s, 0: no
# growing cache), tdvm_modeoff_off=thp, tdvm_modeoff_kpr=VALUE
# (KernelPromoteRateLimitMBps) vary the scenario.
. /tvm/lib.sh

t_require_bin tieringd thpset hotset coldfill grower
DE=/sys/kernel/mm/numa/demotion_enabled
SECS=50
arg() { tr ' ' '\n' < /proc/cmdline | sed -n "s/^$1=//p" | tail -n 1; }
FORCED=$(arg tdvm_modeoff)
GROW=$(arg tdvm_modeoff_grow)
GROW=${GROW:-4}
OFF=$(arg tdvm_modeoff_off)
KPR=$(arg tdvm_modeoff_kpr)
[ -w $DE ] || t_skip "this kernel has no $DE"
t_numa_scan_fast
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/off /sys/fs/cgroup/low /sys/fs/cgroup/hot
NB0=$(cat /proc/sys/kernel/numa_balancing)
DE0=$(cat $DE)
t_log "THP enabled: $(cat /sys/kernel/mm/transparent_hugepage/enabled)," \
	"defrag: $(cat /sys/kernel/mm/transparent_hugepage/defrag), lru_gen: $(cat /sys/kernel/mm/lru_gen/enabled 2>/dev/null); at boot: numa_balancing=$NB0," \
	"demotion_enabled=$DE0; /off in ${OFF:-4k} pages, /low grows by $GROW MiB/s; ${FORCED:+demotion forced on: $FORCED}"

# in_cg CG CMD... &: CMD in cgroup /CG, in the background only (the
# subshell execs into it: $! is CMD's pid, a kill reaches it)
in_cg() {
	_g=$1
	shift
	exec sh -c 'echo $$ > /sys/fs/cgroup/'"$_g"'/cgroup.procs && exec "$@"' sh "$@"
}
# wait_line FILE REGEX SECS: until a line of FILE matches
wait_line() {
	_i=0
	while ! grep -q "$2" "$1" 2>/dev/null && [ $_i -lt $(($3 * 5)) ]; do
		sleep 0.2
		_i=$((_i + 1))
	done
	grep -q "$2" "$1" 2>/dev/null
}
# snap FILE: "cg NAME NODE0 NODE1" (anon + file bytes, memory.numa_stat)
# for each cgroup, "vm KEY VALUE" for the /proc/vmstat counters
snap() {
	for _g in off low hot; do
		awk -v g=$_g '$1 == "anon" || $1 == "file" {
			for (i = 2; i <= NF; i++) { split($i, kv, "="); b[kv[1]] += kv[2] }
		} END { printf "cg %s %.0f %.0f\n", g, b["N0"], b["N1"] }' /sys/fs/cgroup/$_g/memory.numa_stat
	done > "$1"
	awk '$1 ~ /^pg(demote_kswapd|demote_direct|promote_success)$/ { print "vm", $1, $2 }' /proc/vmstat >> "$1"
}
# val FILE KIND KEY [FIELD]: a value of a snapshot (field 3: node0 or the counter)
val() {
	awk -v k="$2" -v n="$3" -v f="${4:-3}" '$1 == k && $2 == n { print $f }' "$1"
}
# sample_de FILE: demotion_enabled every 0.2 s, until killed
sample_de() {
	while :; do
		cat $DE
		sleep 0.2
	done > "$1"
}
force_de() {
	while :; do
		echo true > $DE
		sleep 0.05
	done
}

cat > /tmp/td.conf <<CONF
# conf/tieringd.conf sets no key: [Daemon] is the shipped defaults
[Daemon]
${KPR:+KernelPromoteRateLimitMBps=$KPR}

[Cgroup "/off"]
Mode=off

[Cgroup "/low"]
Mode=promote
Weight=10

[Cgroup "/hot"]
Weight=100
CONF

# phase NAME: the scenario once; NAME is kernel, tieringd or forced.
phase() {
	n=$1
	offo=$(t_result_file "$n-off-${OFF:-4k}.out")
	lowo=$(t_result_file "$n-low-coldfill.out")
	growo=$(t_result_file "$n-low-grower.out")
	hoto=$(t_result_file "$n-hot-thpset.out")
	a=$(t_result_file "$n-before.txt")
	r=$(t_result_file "$n-hot-ready.txt")
	e=$(t_result_file "$n-after.txt")
	if [ "$OFF" = thp ]; then
		in_cg off thpset --node 0 --fast 0 --total 512 --hot 16 --seconds 900 > "$offo" 2>&1 &
	else
		in_cg off hotset --node 0 --fast 0 --total 512 --hot 16 --seconds 900 > "$offo" 2>&1 &
	fi
	offp=$!
	t_check "$n: /off placed 512 MiB on node0" wait_line "$offo" '^T ' 180
	in_cg low coldfill --leave-free 64 --node 0 > "$lowo" 2>&1 &
	lowp=$!
	t_check "$n: /low filled node0 but 64 MiB" wait_line "$lowo" '^READY' 180
	t_log "$n: node0 free after the fills: $(awk '/MemFree/ { print $4, $5 }' /sys/devices/system/node/node0/meminfo)"
	snap "$a"
	if [ "$n" = kernel ]; then
		t_sysctl kernel.numa_balancing 2
		t_log "kernel alone: demotion_enabled=$(cat $DE), promote rate limit" \
			"$(cat /proc/sys/kernel/numa_balancing_promote_rate_limit_MBps) MB/s"
	else
		t_tieringd_start /tmp/td.conf "$n-tieringd.log"
		t_check "$n: tieringd is up" kill -0 $td
	fi
	fp=
	[ "$n" = forced ] && { force_de & fp=$!; }
	sample_de "$(t_result_file "$n-demotion_enabled.txt")" &
	sp=$!
	gp=
	if [ "$GROW" -gt 0 ]; then
		in_cg low grower --mib $((GROW * (SECS + 40))) --step-kb $((GROW * 256)) --every-ms 250 > "$growo" 2>&1 &
		gp=$!
	fi
	in_cg hot thpset --hot 128 --total 256 --node 1 --fast 0 --seconds $SECS --linger 120 > "$hoto" 2>&1 &
	hp=$!
	wait_line "$hoto" '^T ' 180
	snap "$r"
	t_check "$n: /hot ran its $SECS s" wait_line "$hoto" '^FINAL' $((SECS + 120))
	snap "$e"
	kill $hp
	wait $hp
	kill $sp ${fp:+$fp}
	wait $sp ${fp:+$fp}
	[ -z "$fp" ] || echo "$DE0" > $DE	# the loop's last write is not tieringd's to undo
	[ -n "$gp" ] && { kill -TERM $gp; wait $gp; }
	if [ "$n" = kernel ]; then
		t_sysctl kernel.numa_balancing "$NB0"
		echo "$DE0" > $DE
	else
		t_tieringd_stop "$n"
		t_check "$n: demotion_enabled is back to $DE0 after the stop" t_eq "$DE0" "$(cat $DE)"
	fi
	kill -TERM $offp $lowp
	wait $offp $lowp
	t_log "$n: /hot $(grep '^FINAL' "$hoto")"
	t_log "$n: /low coldfill $(grep '^FINAL' "$lowo")${gp:+, grower $(grep '^FINAL' "$growo")}"
}

# report NAME: its figures into the summary; sets NAME_hot, NAME_offchg (%),
# NAME_lowchg (bytes), NAME_hotchg (bytes), NAME_deon ("on/samples")
report() {
	n=$1
	a=$(t_result_file "$n-before.txt")
	r=$(t_result_file "$n-hot-ready.txt")
	e=$(t_result_file "$n-after.txt")
	for g in off low hot; do
		b=$a
		[ $g = hot ] && b=$r
		awk -v n="$n" -v g="/$g" -v f0="$(val "$b" cg $g)" -v s0="$(val "$b" cg $g 4)" \
			-v f1="$(val "$e" cg $g)" -v s1="$(val "$e" cg $g 4)" 'BEGIN {
			m = 1048576
			printf "%-9s %-5s %10.1f %10.1f %10.1f %10.1f %+10.1f %8s\n", n, g, f0 / m, s0 / m,
				f1 / m, s1 / m, (f1 - f0) / m, (f0 >= m ? sprintf("%+.2f", 100 * (f1 - f0) / f0) : "-")
		}' >> "$sum"
	done
	v=$(awk -v a="$(val "$a" cg off)" -v b="$(val "$e" cg off)" 'BEGIN { printf "%.2f", (a > 0 ? 100 * (b - a) / a : 100) }')
	eval "${n}_offchg=\$v"
	eval "${n}_lowchg=$(( $(val "$e" cg low) - $(val "$a" cg low) ))"
	eval "${n}_hotchg=$(( $(val "$e" cg hot) - $(val "$r" cg hot) ))"
	v=$(t_final "$(t_result_file "$n-hot-thpset.out")" hot_fast_pct)
	eval "${n}_hot=\$v"
	for k in kswapd direct; do
		eval "${n}_$k=$(( $(val "$e" vm pgdemote_$k) - $(val "$a" vm pgdemote_$k) ))"
	done
	eval "${n}_promo=$(( $(val "$e" vm pgpromote_success) - $(val "$a" vm pgpromote_success) ))"
	d=$(t_result_file "$n-demotion_enabled.txt")
	eval "${n}_deon=$(grep -c true "$d")/$(wc -l < "$d")"
}

TD=tieringd RUNS="kernel tieringd"
[ "$FORCED" = forced ] && TD=forced RUNS=forced
for n in $RUNS; do
	phase $n
done

sum=$(t_result_file summary.txt)
printf '%-9s %-5s %10s %10s %10s %10s %10s %8s\n' run cgroup fast_MiB slow_MiB fast_after slow_after \
	fast_chg fast_chg% > "$sum"
for n in $RUNS; do
	report $n
done
printf '\n%-9s %10s %12s %15s %15s %17s %12s\n' run hot_fast_% off_fast_chg% pgdemote_kswapd \
	pgdemote_direct pgpromote_success demotion_on >> "$sum"
for n in $RUNS; do
	eval "printf '%-9s %10s %12s %15s %15s %17s %12s\n' $n \"\$${n}_hot\" \"\$${n}_offchg\" \
		\"\$${n}_kswapd\" \"\$${n}_direct\" \"\$${n}_promo\" \"\$${n}_deon\"" >> "$sum"
done
tdl=$(t_result_file "$TD-tieringd.log")
printf '\ntieringd: %s\n' "$(grep -E '^(pages_promoted|pages_demoted|bytes_promoted) ' "$tdl" | tr '\n' ' ')" >> "$sum"
sed 's/^/  /' "$sum"
grep '^tieringd: demote: cgroup' "$tdl" | awk '{ print $4 }' | sort | uniq -c | sed 's/^/  asked for room: /'

eval "hot=\$${TD}_hot offchg=\$${TD}_offchg lowchg=\$${TD}_lowchg hotchg=\$${TD}_hotchg"
[ "$FORCED" = forced ] || t_log "kernel alone: /hot $kernel_hot % on node0, /off changed $kernel_offchg % (printed, not asserted)"
t_check "$TD: /hot's hot set reached >= 90 % on node0 ($hot %)" t_range "$hot" 90 100
t_check "$TD: /hot's node0 bytes went up ($((hotchg >> 20)) MiB)" t_range "$hotchg" 1 100000000000
t_check "$TD: /off's node0 bytes changed by <= 1 % over the run ($offchg %)" t_range "$offchg" -1 1
t_check "$TD: the room came from /low: its node0 bytes went down ($((lowchg >> 20)) MiB)" \
	t_range "$lowchg" -100000000000 -1
t_check "$TD: tieringd asked /low for room" grep -q '^tieringd: demote: cgroup /low ' "$tdl"
t_check "$TD: tieringd asked no one but /low" sh -c '! grep "^tieringd: demote: cgroup" "$1" | grep -qv " cgroup /low "' sh "$tdl"
