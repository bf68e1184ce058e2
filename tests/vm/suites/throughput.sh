#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=1024 timeout=300 kernels=6.12
#
# Promotion throughput against the raw syscall (issue 12 item 4), in one
# guest run, on the same amount of slow-node memory (64 MiB of 4 KiB pages,
# node1 -> node0):
#  1. bench_move_pages: move_pages(2) in batches of 512 (BatchSize's
#     default) through lib/promote.c, one caller; then two threads at once,
#     each its own half (two parallel workers on one fast node).
#  2. tieringd, rate limit off: the buffer's pages are learned in
#     DefaultMode=observe (tracked, never moved) until the table holds them
#     all, the reader stops, and DefaultMode=promote is reloaded: the next
#     tick promotes the whole buffer in one burst. burst (the payload) polls
#     the placement of every 16th page every 5 ms and times the burst.
# Then the raw syscall as tieringd makes it (from another process, on pages
# the NUMA scanner armed: burst's RAW_OTHER) interleaved with the process's
# own move of fresh pages (RAW_SELF), three each.
# Printed: both rates and tieringd's ratio to the raw batched rate (the goal
# is >= 90 %), to the median RAW_OTHER, the share of move_pages(2) in
# tieringd's move phase (promote_move_ns / promote_run_ns), and the
# two-thread speedup. Asserted: placement (every page on node0 after each
# pass and after the burst), the figures present, and that share >= 60 %.
# The ratios to the raw rate are not asserted: the raw passes run in other
# windows than the burst, and on a loaded 2-core TCG host one pass swings
# 11k-56k pages/s.
# Regime: the 1 GiB fast node is below the kernel's ample-free mark and
# tieringd sets its promote rate limit to 0: the burst is tieringd's alone
# (pgpromote_success checked).
. /tvm/lib.sh

t_require_bin tieringd tieringctl bench_move_pages burst hotset
MIB=64
t_sysctl kernel.numa_balancing 0
# The guest's RAM is backed by the host only once first touched: a move
# into a node0 frame never used since boot also pays QEMU's page fault and
# zeroing, which the raw passes (on frames the burst freed) do not. In the
# last CI run tieringd's first burst took 23.3 ms a call against 12.4 for
# the raw one, while the same burst again later in that boot reached 97 %
# of raw. So first touch 80 % of node0's free memory once, and free it.
wmib=$(awk '/MemFree/ { printf "%d", $4 * 0.8 / 1024 }' /sys/devices/system/node/node0/meminfo)
hotset --total "$wmib" --hot 1 --node 0 --fast 0 --seconds 0.1 > "$(t_result_file warm.out)" 2>&1
t_check "node0's free memory touched once ($wmib MiB)" grep -q '^FINAL' "$(t_result_file warm.out)"
bm=$(t_result_file bench_move_pages.txt)
bench_move_pages --mib $MIB --batch 512 --threads 2 --from 1 --to 0 > "$bm" 2>&1
rc=$?
sed 's/^/  bm| /' "$bm"
t_check "bench_move_pages: every pass placed every page" t_eq 0 "$rc"
bench=$(sed -n 's/^move_pages: batched_pages_per_s=\([0-9]*\).*/\1/p' "$bm")
one=$(sed -n 's/^move_pages: median of .*one_thread_pages_per_s=\([0-9]*\).*/\1/p' "$bm")
par=$(sed -n 's/^move_pages: median of .*threads_2_pages_per_s=\([0-9]*\).*/\1/p' "$bm")
t_check "bench: batched rate measured ($bench pages/s)" t_range "${bench:-0}" 1 1000000000
t_check "bench: two-thread rate measured ($par pages/s)" t_range "${par:-0}" 1 1000000000

t_numa_scan_fast
cat > /tmp/td.conf <<CONF
[Daemon]
NumaBalancing=2
KernelPromoteRateLimitMBps=0
FastWatermark=32M
RateLimitMBps=0
DefaultMode=observe
CONF
# tieringd's log in the guest's RAM, copied to the results after its stop:
# on the 9p share each promote line (one per batch) was a synchronous
# round trip to the host inside the burst (~2 ms each under TCG, 7 % of it);
# a host's journal takes a datagram
_t_res=$TDVM_RESULTS
TDVM_RESULTS=/tmp/td-results
t_tieringd_start /tmp/td.conf
TDVM_RESULTS=$_t_res
promo0=$(t_vmstat pgpromote_success)
bo=$(t_result_file burst.out)
burst --mib $MIB --node 1 --fast 0 --poll-ms 5 --stride 16 --seconds 60 --trace > "$bo" 2>&1 &
bp=$!
t_check "burst placed its buffer on node1" t_wait_for "$bo" "^READY .* on_node $((MIB * 256))\$" 60
pages=$((MIB * 256))
# learned_burst OUT CONF: once the table holds every page of the buffer
# (observe: tracked, not moved; hot is their count, /tmp/st.json the last
# status before the burst), stops burst's reader (SIGUSR1) and reloads CONF
# with DefaultMode=promote: the next tick promotes the buffer in one burst.
learned_burst() {
	i=0
	hot=0
	while [ $i -lt 120 ]; do
		tieringctl -j status > /tmp/st.json
		hot=$(t_json_num /tmp/st.json hot_entries)
		[ "${hot:-0}" -ge $pages ] && break
		sleep 0.5
		i=$((i + 1))
	done
	kill -USR1 "$(awk '$1 == "READY" { print $2 }' "$1")"
	sleep 0.2
	sed -i 's/^DefaultMode=observe$/DefaultMode=promote/' "$2"
	t_run tieringctl reload
}
learned_burst "$bo" /tmp/td.conf
t_check "the table learned the whole buffer in observe mode ($hot entries)" t_range "${hot:-0}" $pages 1000000
t_check "observe mode moved nothing" t_eq 0 "$(t_json_num /tmp/st.json pages_promoted)"
wait $bp
sed 's/^/  burst| /' "$bo"
tieringctl -j stats > "$(t_result_file stats.json)"
t_tieringd_stop
cp "$td_log" "$(t_result_file tieringd.log)"
st=$(t_result_file stats.json)
on=$(awk '$1 == "BURST" { print $5 }' "$bo")
t_check "tieringd promoted the whole buffer ($on of $pages pages)" t_range "${on:-0}" $pages $pages
t_check "every promotion was tieringd's (pgpromote_success +$(( $(t_vmstat pgpromote_success) - promo0 )))" \
	t_eq 0 $(( $(t_vmstat pgpromote_success) - promo0 ))
lo=$(awk '$1 == "BURST" { print $13 }' "$bo")
hi=$(awk '$1 == "BURST" { print $15 }' "$bo")
raw=$(awk '$1 == "RAW" { print $7 }' "$bo")
rlo=$(awk '$1 == "RAW_WATCHED" { print $13 }' "$bo")
rhi=$(awk '$1 == "RAW_WATCHED" { print $15 }' "$bo")
t_check "burst timed ($lo..$hi pages/s)" t_range "${lo:-0}" 1 1000000000
t_check "the raw syscall on the same memory timed ($raw pages/s)" t_range "${raw:-0}" 1 1000000000
t_check "raw, watched as the burst was: timed ($rlo..$rhi pages/s)" t_range "${rlo:-0}" 1 1000000000
t_check "raw: every page back on node0" t_eq $pages "$(awk '$1 == "RAW" { print $9 }' "$bo")"
t_check "raw from another process: every page on node0 each time" \
	t_eq "$pages $pages $pages" "$(awk '$1 == "RAW_OTHER" { printf "%s%d", sep, $8; sep = " " }' "$bo")"
# the median of a RAW_OTHER or RAW_SELF line's pages_per_s
med() {
	awk -v t="$1" '$1 == t { print $4 }' "$bo" | sort -n |
		awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'
}
other=$(med RAW_OTHER)
self=$(med RAW_SELF)
calls=$(t_json_num "$st" move_pages_calls)
batches=$(t_json_num "$st" promote_batches)
mns=$(t_json_num "$st" promote_move_ns)
rns=$(t_json_num "$st" promote_run_ns)
t_check "tieringd timed its move phase ($mns ns in move_pages(2) of $rns ns)" t_range "${mns:-0}" 1 "${rns:-0}"
# The share of the syscall in tieringd's own move phase, both in one window
# (host load stretches both): 86-96 % measured in 7 loaded runs; below 60 %
# per-page or per-batch work of the daemon's own costs as much as the moves.
share=$(awk -v m="${mns:-0}" -v r="${rns:-0}" 'BEGIN { printf "%d", r ? 100 * m / r : 0 }')
t_check "tieringd's move phase is >= 60 % move_pages(2) ($share %)" t_range "$share" 60 100
sum=$(t_result_file summary.txt)
awk -v raw="$raw" -v rlo="$rlo" -v rhi="$rhi" -v bench="$bench" -v one="$one" -v par="$par" -v lo="$lo" -v hi="$hi" -v calls="$calls" -v b="$batches" -v n="$pages" -v mns="$mns" -v rns="$rns" -v other="$other" -v self="$self" 'BEGIN {
	printf "raw move_pages batched (512/call) on the same memory right after the burst: %d pages/s (its own clock)\n", raw
	printf "  the same, watched by the poll that timed the burst: %d..%d pages/s\n", rlo, rhi
	printf "bench_move_pages batched (512/call, 1 thread, warm):                  %d pages/s\n", bench
	printf "bench_move_pages, 2 threads at once against 1 (medians of 3, interleaved): %d against %d pages/s (speedup %.2f)\n", par, one, par / one
	printf "tieringd burst (rate limit off): %d..%d pages/s (%d pages, %d move_pages calls, %d batches)\n", lo, hi, n, calls, b
	printf "tieringd / raw (both watched, like for like): %.0f..%.0f %% (goal >= 90 %%)\n", 100 * lo / rlo, 100 * hi / rhi
	printf "tieringd / raw (its own clock): %.0f..%.0f %%\n", 100 * lo / raw, 100 * hi / raw
	printf "raw, interleaved 3 + 3 (medians, own clocks): from another process on armed pages (as tieringd) %d, by the process itself on fresh pages %d pages/s\n", other, self
	printf "tieringd / raw from another process on armed pages: %.0f..%.0f %%\n", 100 * lo / other, 100 * hi / other
	printf "tieringd move phase: %.1f ms, %.1f ms of it in move_pages(2) (%.0f %%; the rest: PID checks, per-page bookkeeping, journal)\n", rns / 1e6, mns / 1e6, 100 * mns / rns
	printf "per 512-page call: tieringd %.2f ms in the syscall (mean), raw %.2f ms (mean, its own clock)\n", mns / 1e6 / calls, 512e3 / raw
}' | tee "$sum" | sed 's/^/  /'

# --- MoveWorkers= (issue 12 item 4's second half): the same burst again
# (64 MiB, learned in observe mode, then promoted in one tick) with
# MoveWorkers=1 (the default: one call after the other), then
# MoveWorkers=2 (two calls at once, on two threads), same boot, each
# timed by burst's own poll. Asserted: placement, the threads, as many
# calls with 2 as with 1; the speedup is printed, not asserted (a 2-vCPU
# TCG guest on a loaded 2-core host: bench_move_pages' two threads gave
# 0.44-1.10).
workers_burst() {
	sed -e 's/^DefaultMode=promote$/DefaultMode=observe/' /tmp/td.conf > /tmp/tw.conf
	echo "MoveWorkers=$1" >> /tmp/tw.conf
	t_tieringd_start /tmp/tw.conf "tieringd-w$1.log"
	t_check "MoveWorkers=$1: tieringd runs $1 thread(s)" \
		t_eq "$1" "$(awk '$1 == "Threads:" { print $2 }' /proc/$td/status)"
	_o=$(t_result_file "w$1.out")
	burst --mib $MIB --node 1 --fast 0 --poll-ms 5 --stride 16 --seconds 60 --no-raw > "$_o" 2>&1 &
	_bp=$!
	t_wait_for "$_o" "^READY .* on_node $pages\$" 60 || t_fail "MoveWorkers=$1: burst did not place its buffer"
	learned_burst "$_o" /tmp/tw.conf
	wait $_bp
	tieringctl -j stats > "$(t_result_file "stats-w$1.json")"
	t_tieringd_stop "MoveWorkers=$1"
	won=$(awk '$1 == "BURST" { print $5 }' "$_o")
	wlo=$(awk '$1 == "BURST" { print $13 }' "$_o")
	whi=$(awk '$1 == "BURST" { print $15 }' "$_o")
	t_check "MoveWorkers=$1: the whole buffer promoted (${won:-none} of $pages pages)" t_eq $pages "${won:-0}"
	t_check "MoveWorkers=$1: the burst timed (${wlo:-none} pages/s)" t_range "${wlo:-0}" 1 1000000000
}
workers_burst 1
r1lo=$wlo r1hi=$whi
c1=$(t_json_num "$(t_result_file stats-w1.json)" move_pages_calls)
workers_burst 2
r2lo=$wlo r2hi=$whi
c2=$(t_json_num "$(t_result_file stats-w2.json)" move_pages_calls)
t_check "MoveWorkers=2 made as many calls as MoveWorkers=1 ($c2 and $c1)" t_eq "$c1" "$c2"
awk -v a="$r1lo" -v b="$r1hi" -v c="$r2lo" -v d="$r2hi" 'BEGIN {
	printf "the same burst again: MoveWorkers=1 %d..%d pages/s, MoveWorkers=2 %d..%d pages/s (speedup %.2f..%.2f)\n", a, b, c, d, c / a, d / b
}' | tee -a "$sum" | sed 's/^/  /'
