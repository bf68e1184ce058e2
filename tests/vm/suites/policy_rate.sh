#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=2048 timeout=240 kernels=6.12
#
# Per-cgroup rate limit: /r has PromoteRateLimitMBps=2 and a hot set of
# 96 MiB on the slow node, far more than 2 MB/s can promote in the run.
# The promotion rate measured from the workload's own placement reports
# (move_pages queries) over a 20 s window is at most the limit + 10 %, and
# tieringd reports that the limit held candidates back (it was binding).
# The Prometheus textfile (MetricsFile=) carries the per-cgroup counters.
. /tvm/lib.sh

t_require_bin tieringd tieringctl hotset
t_numa_scan_fast
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/r
cat > /tmp/td.conf <<CONF
[Daemon]
NumaBalancing=2
KernelPromoteRateLimitMBps=0
FastWatermark=32M
MetricsFile=/tmp/td.prom

[Cgroup "/r"]
PromoteRateLimitMBps=2
CONF
t_tieringd_start /tmp/td.conf
hs=$(t_result_file r-hotset.out)
sh -c 'echo $$ > /sys/fs/cgroup/r/cgroup.procs; exec hotset --total 160 --hot 96 --node 1 --fast 0 --seconds 40 --interval-ms 500' > "$hs" 2>&1
tieringctl -j cgroups > "$(t_result_file cgroups.json)"
tieringctl stats > "$(t_result_file stats.txt)"
t_tieringd_stop
sed 's/^/  ctl| /' "$(t_result_file cgroups.json)"

# pages of the workload on the fast node at each report: hot ones + cold moved
awk '$1 == "T" { printf "%s %d\n", $2, $4 * $8 / 100 + $6 }' "$hs" > /tmp/fast.ser
t0=$(awk '$2 > 0 { print $1; exit }' /tmp/fast.ser)
t_check "promotion started (first promoted page seen at ${t0:-never} s)" test -n "$t0"
win=$(awk -v t0="${t0:-0}" 'NR == 1 { } $1 >= t0 && !a { a = $1; pa = $2 }
	$1 >= t0 + 20 && !b { b = $1; pb = $2 }
	END { if (b) printf "%.2f %d %.3f\n", b - a, pb - pa, (pb - pa) * 4096 / 1048576 / (b - a) }' /tmp/fast.ser)
set -- $win
t_log "window ${1:-?} s: ${2:-?} pages promoted, ${3:-?} MB/s (limit 2 MB/s)"
t_check "the measured rate is at most the limit + 10 % (${3:-none} MB/s <= 2.2)" \
	sh -c '[ -n "$1" ] && awk -v r="$1" "BEGIN { exit !(r <= 2.2) }"' sh "$3"
t_check "the measured rate is not idle (${3:-none} MB/s >= 1)" \
	sh -c '[ -n "$1" ] && awk -v r="$1" "BEGIN { exit !(r >= 1) }"' sh "$3"
held=$(awk '$1 == "promote_decisions_group_rate" { print $2 }' "$td_log")
t_check "the cgroup's limit held candidates back, so it was binding ($held)" t_range "${held:-0}" 1 1000000000

prom=$(t_result_file td.prom)
cp /tmp/td.prom "$prom" 2> /dev/null
grep -E '^tieringd_(pages_promoted_total|events_received_total|reloads_total|cgroup_fast_bytes)' "$prom" | sed 's/^/  prom| /'
t_check "metrics file written (atomic rename leaves no temporary file)" \
	sh -c '[ -s /tmp/td.prom ] && ! ls /tmp/td.prom.tmp.* > /dev/null 2>&1'
t_check "metrics: /r's promoted pages are counted" \
	awk '$1 == "tieringd_pages_promoted_total{cgroup=\"/r\"}" && $2 > 0 { ok = 1 } END { exit !ok }' "$prom"
t_check "metrics: events received and reloads present" \
	sh -c 'grep -q "^tieringd_events_received_total [1-9]" "$1" && grep -q "^tieringd_reloads_total 0" "$1"' sh "$prom"
