#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=1024 timeout=400 kernels=6.12
#
# Event flood: eight threads read 256 MiB of pages on the slow node in a loop
# while NUMA balancing scans it as fast as it can, so hint faults arrive at
# the machine's highest rate, into a 256 KiB ring buffer (4,681 events, 1/16
# of the default): small enough to overflow, large enough to hold more than
# one turn's budget (a 4 KiB ring's 73 events are handled in well under 5 ms,
# so it never shows the cap: measured, 0 capped drains in 54 s). The pages
# stay on the slow node (faulter binds them with MPOL_F_NUMA_BALANCING: hint
# faults, no kernel migration; DefaultMode=observe: none by tieringd), so the
# flood lasts. While it runs the loop must keep turning (no systemd here, so
# no watchdog; sd-event pings it on every loop iteration, and the timers
# stand in for it):
#  - 20 `tieringctl status` calls each answer within STATUS_MAX_MS (8
#    CPU-bound threads share the 2 vCPUs with tieringd and tieringctl: the
#    idle figure is printed beside it);
#  - the timers run: the metrics file (MetricsFile=, every 10 s, on the same
#    timerfd and priority as the tick; no counter moves per tick in observe
#    mode) is rewritten every 10 s, give or take one;
#  - events are dropped and counted (events_dropped > 0), and drains stop at
#    their time budget (ring_drains_capped > 0);
#  - the stop: exit 0 after SIGTERM (60 s only as a hang guard); the final
#    drain ended with the ring empty while the flood goes on, and the summary
#    printed after it counts as received every event the programs submitted,
#    so the programs were detached before that drain. The stop time is
#    printed as a figure (a 5 s assertion failed once under CI load: 8110 ms).
. /tvm/lib.sh

STATUS_MAX_MS=3000
t_require_bin tieringd tieringctl faulter
t_numa_scan_fast
nb=/sys/kernel/debug/sched/numa_balancing
echo 200 > $nb/scan_period_max_ms
echo 1024 > $nb/scan_size_mb
val() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
ms_now() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
mtime() { stat -c %Y "$1" 2>/dev/null || echo 0; }

# timed_status OUT: one `tieringctl status`; prints its duration in ms, or -1
timed_status() {
	_a=$(ms_now)
	tieringctl status > "$1" 2>&1 || { echo -1; return; }
	echo $(($(ms_now) - _a))
}

cat > /tmp/td.conf <<CONF
[Daemon]
NumaBalancing=2
KernelPromoteRateLimitMBps=0
RingBufferSize=256K
MetricsFile=/tmp/td.prom
DefaultMode=observe
CONF
t_tieringd_start /tmp/td.conf
t_check "tieringd is ready" grep -q "^tieringd: ready$" "$td_log"

idle=
for i in 1 2 3 4 5; do idle="$idle $(timed_status /tmp/status.idle)"; done
t_log "tieringctl status, idle (ms):$idle"

out=$(t_result_file faulter.out)
faulter --threads 8 --mb 256 --node 1 --seconds 120 > "$out" 2>&1 &
fp=$!
i=0
while ! grep -q READY "$out" && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
t_check "faulter placed its pages" grep -q READY "$out"
sleep 5

stats=$(t_result_file stats-0.txt)
tieringctl stats > "$stats"
m0=$(mtime /tmp/td.prom)
t0=$(ms_now)
times= bad=0 max=0 rewrites=0 m=$m0
for i in $(seq 1 20); do
	ms=$(timed_status /tmp/status.$i)
	times="$times $ms"
	if [ "$ms" -lt 0 ] || [ "$ms" -gt $STATUS_MAX_MS ]; then bad=$((bad + 1)); fi
	[ "$ms" -gt $max ] && max=$ms
	sleep 2
	[ "$(mtime /tmp/td.prom)" != "$m" ] && rewrites=$((rewrites + 1)) && m=$(mtime /tmp/td.prom)
done
stats=$(t_result_file stats-1.txt)
tieringctl stats > "$stats"
t1=$(ms_now)
s0=$(t_result_file stats-0.txt)
secs=$(( (t1 - t0) / 1000 ))
recv=$(( $(val events_received "$stats") - $(val events_received "$s0") ))
drop=$(( $(val events_dropped "$stats") - $(val events_dropped "$s0") ))
capped=$(( $(val ring_drains_capped "$stats") - $(val ring_drains_capped "$s0") ))
t_log "tieringctl status under the flood (ms):$times"
t_log "over $secs s: $recv events received ($((recv / (secs + 1)))/s), $drop dropped," \
	"$capped drains capped; the metrics file rewritten $rewrites times"
t_check "status: 20 of 20 answered within $STATUS_MAX_MS ms (max $max ms)" t_eq 0 $bad
t_check "the timers kept running: metrics rewritten $rewrites times in $secs s (every 10 s)" \
	t_range $rewrites $((secs / 10 - 1)) $((secs / 10 + 1))
t_check "drops counted under the flood ($drop)" t_range $drop 1 100000000000
t_check "drains stopped at their budget ($capped)" t_range $capped 1 100000000000
t_check "the flood was sustained: events kept arriving ($recv)" t_range $recv 1000 100000000000

t_check "faulter still running when tieringd stops" kill -0 $fp
# The stop, by behaviour rather than by the clock: SIGTERM; tieringd exits 0
# (60 s is only a hang guard); its log has the stop, then the bounded final
# drain ended with the ring empty (no "draining the ring buffer at stop"
# warning) although the flood still runs, and the summary it prints after
# that drain counts every event the programs submitted as taken
# (events_submitted == events_received + events_bad + process_events_exec +
# process_events_exit): none came after the last drain, so the programs were
# detached before it.
a=$(ms_now)
kill -TERM $td
i=0
while kill -0 $td 2> /dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
stop_ms=$(($(ms_now) - a))
t_check "tieringd exits within the 60 s hang guard after SIGTERM under the flood" sh -c "! kill -0 $td 2> /dev/null"
kill -0 $td 2> /dev/null && kill -KILL $td
wait $td
t_check "tieringd exits 0 on SIGTERM under the flood" t_eq 0 $?
t_log "stop under the flood took $stop_ms ms (a figure, not asserted)"
t_check "the log has the stop (signal Terminated, stopping)" grep -q "signal Terminated, stopping" "$td_log"
t_check "the bounded final drain ended with the ring empty (no 'draining the ring buffer at stop' warning)" \
	sh -c "! grep -q 'draining the ring buffer at stop' '$td_log'"
sub=$(awk '$1 == "events_submitted" { print $2 }' "$td_log")
got=$(awk '$1 ~ /^(events_received|events_bad|process_events_exec|process_events_exit)$/ { s += $2; n++ }
	END { if (n) print s }' "$td_log")
t_check "programs detached before the final drain: all submitted events taken, none after it (submitted ${sub:-none}, taken ${got:-none})" \
	t_eq "${sub:-none}" "${got:-missing}"
# the flood has done its part: faulter stops on SIGTERM (its --seconds 120
# only bounds a slow run) and prints its placement query
kill -TERM $fp
wait $fp
cat "$out"
pct=$(t_final "$out" on_node_pct)
t_check "observe mode left the pages on the slow node ($pct %)" t_range "${pct:-0}" 99 100
sed -n '/^events_received /,/^hook_hits /p' "$td_log" | sed 's/^/  td| /'
