#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=1024 timeout=240 kernels=6.12
# also in make scale (78 s under TCG on an idle 2-core host)
#
# Scale (issue 12 item 3): 1,000 processes in 200 cgroups (/scale/g0..g199,
# five each), each with a 32 KiB hot set (8 pages) on the slow node, and a
# configuration with a [Cgroup] section for each of the 200. The processes
# are mostly asleep (read the set, sleep 50 ms), so NUMA balancing scans
# each when a tick finds it running (scan_delay_ms=0). Regime: the 1 GiB
# fast node is below the kernel's ample-free mark and tieringd sets its
# promote rate limit to 0: the promotions are tieringd's (checked).
# Asserted: the hot sets reach the fast node across the cgroups (each
# process's own placement query at the end of its run, and afterwards
# memory.numa_stat of all 200 cgroups, from outside), and the daemon stays
# within budget: RSS <= 72 MiB (issue 12's 64 MiB is at 1 M entries, which
# scale_table asserts; here the table sized for 1 M entries is resident
# with ~8,000 of them (open addressing touches every page), beside 1,000
# processes' state: 59-65 MiB measured), fds <= 64,
# its CPU time printed per second of wall time and as a ratio to the
# workload's own CPU time (TCG: not hardware figures). kernel.bpf_stats_enabled
# is switched on here (tieringd never does) to print each BPF program's
# run time per run, from `tieringctl stats`.
. /tvm/lib.sh

t_require_bin tieringd tieringctl manyhot
t_numa_scan_fast
# each child gets ~2/1000 of the CPUs, ~90 ms of run time in the run: scan
# at once and every 10 ms of its run time (the scan is per task run time)
echo 0 > /sys/kernel/debug/sched/numa_balancing/scan_delay_ms
echo 10 > /sys/kernel/debug/sched/numa_balancing/scan_period_min_ms
# the period's floor is 1 s / (2560 MB / scan_size_mb): 16 MB lets 10 ms hold
echo 16 > /sys/kernel/debug/sched/numa_balancing/scan_size_mb
NPROC=1000
NCG=200
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/scale
echo +memory > /sys/fs/cgroup/scale/cgroup.subtree_control
{
	printf '[Daemon]\nNumaBalancing=2\nKernelPromoteRateLimitMBps=0\nFastWatermark=32M\n'
	i=0
	while [ $i -lt $NCG ]; do
		mkdir -p /sys/fs/cgroup/scale/g$i
		printf '\n[Cgroup "/scale/g%d"]\nMode=promote\nWeight=%d\n' $i $((i % 4 + 1))
		i=$((i + 1))
	done
} > /tmp/td.conf
t_log "config: $(grep -c '^\[Cgroup' /tmp/td.conf) [Cgroup] sections"
t_sysctl kernel.bpf_stats_enabled 1
promo0=$(t_vmstat pgpromote_success)
t_tieringd_start /tmp/td.conf
t_check "tieringd is up with $NCG [Cgroup] sections" grep -q "^tieringd: ready$" "$td_log"
stat() { awk -v k="\"$2\"" '{ gsub(/[{},]/, "\n") } 1' "$1" | awk -F: -v k="\"$2\"" '{ gsub(/ /, "") } $1 == k { print $2 }'; }
# idle first: what 200 policies cost with no workload
si=$(t_result_file stats-idle.json)
tieringctl -j stats > "$si"
wi=$(awk '{ print $1 }' /proc/uptime)
sleep 5
s0=$(t_result_file stats-start.json)
tieringctl -j stats > "$s0"
w0=$(awk '{ print $1 }' /proc/uptime)
mo=$(t_result_file manyhot.out)
rm -f /tmp/linger && mkfifo /tmp/linger
manyhot --procs $NPROC --cgroups $NCG --root /sys/fs/cgroup/scale --kib 32 --seconds 40 \
	--sleep-ms 50 --linger < /tmp/linger > "$mo" 2>&1 &
mp=$!
exec 3> /tmp/linger
t_check "manyhot: $NPROC processes placed their hot sets" t_wait_for "$mo" "^READY .* procs $NPROC\$" 150
t_log "$NPROC processes: $(cat /sys/fs/cgroup/scale/g*/cgroup.procs | wc -l) in the cgroups"
t_check "manyhot: every process reported its placement" t_wait_for "$mo" "^FINAL" 150
s1=$(t_result_file stats-run.json)
tieringctl -j stats > "$s1"
w1=$(awk '{ print $1 }' /proc/uptime)
tieringctl -j status > "$(t_result_file status.json)"
# memory.numa_stat of every cgroup, from outside (the processes keep their
# memory): what is left on the slow node is hot set not promoted (nothing
# else of theirs is there); a sample of 10 printed
left=0
withfast=0
g=0
while [ $g -lt $NCG ]; do
	n0=$(t_cg_node_bytes scale/g$g 0)
	n1=$(t_cg_node_bytes scale/g$g 1)
	case " 0 21 42 63 84 105 126 147 168 199 " in
	*" $g "*) t_log "memory.numa_stat /scale/g$g: node0 $n0 B, node1 $n1 B" ;;
	esac
	left=$((left + n1))
	[ "$n0" -gt 0 ] && withfast=$((withfast + 1))
	g=$((g + 1))
done
# where the daemon's resident memory is: its largest mappings
# (anonymous mappings one by one, by address range: the RSS budget is tight)
awk '/^[0-9a-f]+-[0-9a-f]+ / { m = $6 ? $6 : "[anon] " $1 } $1 == "Rss:" { r[m] += $2 }
	END { for (k in r) print r[k], k }' /proc/$td/smaps | sort -rn | head -n 10 > "$(t_result_file smaps-top.txt)"
exec 3>&-
wait $mp
sed 's/^/  mh| /' "$mo"
t_tieringd_stop
promo=$(( $(t_vmstat pgpromote_success) - promo0 ))
echo 0 > /proc/sys/kernel/bpf_stats_enabled
fin() { t_final "$mo" "$1"; }
t_check "every child ran (failed_children $(fin failed_children))" t_eq 0 "$(fin failed_children)"
t_check "hot sets promoted in >= 90 % of the $NCG cgroups ($(fin cgroups_promoted))" \
	t_range "$(fin cgroups_promoted)" $((NCG * 9 / 10)) $NCG
hot=$((NPROC * 32 * 1024))
pct=$(awk -v l="$left" -v h="$hot" 'BEGIN { printf "%.1f", 100 * (h - l) / h }')
t_log "hot pages on the fast node when each process ended its run: $(fin on_fast_pct) % ($(fin procs_promoted) of $NPROC processes); at the end of all: $pct %"
t_check "memory.numa_stat: >= 80 % of the hot sets left the slow node ($pct %; $left B of $hot B left)" \
	t_range "$pct" 80 100
t_check "memory.numa_stat: node0 memory in >= 90 % of the $NCG cgroups ($withfast)" \
	t_range $withfast $((NCG * 9 / 10)) $NCG
t_check "every promotion was tieringd's (pgpromote_success +$promo)" t_eq 0 "$promo"
cpui=$(t_json_num "$si" self_cpu_ns)
cpu0=$(t_json_num "$s0" self_cpu_ns)
cpu1=$(t_json_num "$s1" self_cpu_ns)
rss=$(t_json_num "$s1" self_rss_bytes)
hwm=$(t_json_num "$s1" self_rss_peak_bytes)
fds=$(t_json_num "$s1" self_fds)
rate=$(t_json_num "$s1" self_cpu_ns_per_s)
wcpu=$(awk '$1 == "CPU" { print $3 }' "$mo")
sum=$(t_result_file summary.txt)
{
	awk -v ci="$cpui" -v wi="$wi" -v c0="$cpu0" -v c1="$cpu1" -v w0="$w0" -v w1="$w1" -v wc="$wcpu" -v r="$rate" 'BEGIN {
		printf "tieringd CPU idle (no workload, %d policies): %.3f s over %.1f s = %.2f %% of a core\n", '$NCG', (c0 - ci) / 1e9, w0 - wi, 100 * (c0 - ci) / 1e9 / (w0 - wi)
		printf "tieringd CPU: %.3f s over %.1f s of wall time = %.2f %% of a core (self_cpu_ns_per_s, last interval: %.2f %%)\n",
			(c1 - c0) / 1e9, w1 - w0, 100 * (c1 - c0) / 1e9 / (w1 - w0), r / 1e7
		printf "workload CPU (%s processes): %.3f s; tieringd / workload = %.3f (TCG)\n", "'$NPROC'", wc / 1e9, (c1 - c0) / wc
	}'
	echo "tieringd RSS $((rss / 1024)) KiB, peak $((hwm / 1024)) KiB, fds $fds, hot_entries $(t_json_num "$(t_result_file status.json)" hot_entries)"
	echo "tieringd's largest mappings (Rss kB):"
	sed 's/^/  /' "$(t_result_file smaps-top.txt)"
	echo "bpf_stats_enabled $(t_json_num "$s1" bpf_stats_enabled); per BPF program (run_time_ns / run_cnt):"
	for p in hint_migrate_check hint_migrate_prep hint_task_numa_fault hint_fault_addr lat_enter lat_exit \
		sample_access proc_exec proc_exit; do
		n=$(t_json_num "$s1" bpf_runs_$p)
		[ "${n:-0}" -gt 0 ] && echo "  $p: $n runs, $(t_json_num "$s1" bpf_ns_per_run_$p) ns per run"
	done
} > "$sum"
sed 's/^/  /' "$sum"
t_check "tieringd RSS <= 72 MiB ($((rss / 1048576)) MiB)" t_range "$rss" 1 75497472
t_check "tieringd fds <= 64 ($fds)" t_range "$fds" 3 64
t_check "tieringd CPU time counted ($cpu0 -> $cpu1 ns)" t_range $((cpu1 - cpu0)) 1 100000000000000
t_check "BPF run time counted with bpf_stats_enabled=1" \
	t_range "$(t_json_num "$s1" bpf_ns_per_run_hint_migrate_check)" 1 100000000
