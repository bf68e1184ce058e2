#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=2048 timeout=300 kernels=6.12
#
# Reload on SIGHUP and on `tieringctl reload`: cgroup /b starts with
# Mode=off. A broken drop-in and a SIGHUP leave tieringd running with the old
# policy (b's hot set stays on the slow node) and the error logged with file
# and line; `tieringctl reload` of it fails (exit 1) printing the same error;
# a fixed drop-in (Mode=promote) and `tieringctl reload` put the new policy
# in force: b's hot set is promoted.
. /tvm/lib.sh

t_require_bin tieringd tieringctl hotset
t_numa_scan_fast
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/b /tmp/td.conf.d
cat > /tmp/td.conf <<CONF
[Daemon]
NumaBalancing=2
KernelPromoteRateLimitMBps=0
FastWatermark=32M

[Cgroup "/b"]
Mode=off
CONF
t_tieringd_start /tmp/td.conf
hs=$(t_result_file hotset-b.out)
sh -c 'echo $$ > /sys/fs/cgroup/b/cgroup.procs; exec hotset --total 128 --hot 64 --node 1 --fast 0 --seconds 45' > "$hs" 2>&1 &
hp=$!
pct_at() { awk -v t="$1" '$1 == "T" && $2 >= t { print $4; exit }' "$hs"; }
wait_t() { i=0; while [ -z "$(pct_at "$1")" ] && [ $i -lt 900 ]; do sleep 0.2; i=$((i + 1)); done; }

wait_t 8
printf '[Cgroup "/b"]\nMode=sometimes\n' > /tmp/td.conf.d/50-b.conf
kill -HUP $td
wait_t 20
t_check "broken drop-in: tieringd still running" kill -0 $td
t_check "broken drop-in: the error is logged with file and line" \
	grep -q "/tmp/td.conf.d/50-b.conf:2: invalid value \"sometimes\" for Mode" "$td_log"
t_check "broken drop-in: the old policy holds (b's hot set still on the slow node: $(pct_at 20) %)" \
	t_eq 0.0 "$(pct_at 20)"

ctl=$(t_result_file tieringctl-reload.txt)
tieringctl reload > "$ctl" 2>&1
t_check "tieringctl reload of the broken drop-in exits 1" t_eq 1 $?
t_check "tieringctl reload prints the error with file and line" \
	grep -q "/tmp/td.conf.d/50-b.conf:2: invalid value \"sometimes\" for Mode" "$ctl"
tieringctl -j cgroups > "$(t_result_file cgroups-old.json)"
t_check "tieringctl cgroups: /b is still Mode=off" grep -q '"path":"/b","mode":"off"' "$(t_result_file cgroups-old.json)"

printf '[Cgroup "/b"]\nMode=promote\n' > /tmp/td.conf.d/50-b.conf
tieringctl reload > "$ctl" 2>&1
t_check "tieringctl reload of the fixed drop-in exits 0" t_eq 0 $?
t_check "tieringctl cgroups: /b is Mode=promote now" sh -c 'tieringctl -j cgroups | grep -q "\"path\":\"/b\",\"mode\":\"promote\""'
# a start-only key: reported in the reply and the log, never half applied
printf '[Daemon]\nTickInterval=250ms\n' > /tmp/td.conf.d/60-tick.conf
rj=$(t_result_file reload-start-only.json)
tieringctl -j reload > "$rj" 2> "$(t_result_file reload-start-only.err)"
t_check "a start-only key: tieringctl reload still exits 0" t_eq 0 $?
t_check "a start-only key: the reply names it (restart_needed)" \
	grep -q '"restart_needed":\["TickInterval"\]' "$rj"
t_check "a start-only key: the log says it waits for a restart" \
	grep -q "reload: TickInterval is read at start only" "$td_log"
rm -f /tmp/td.conf.d/60-tick.conf
wait $hp
t_check "fixed drop-in: reloaded" grep -q "^tieringd: reloaded /tmp/td.conf" "$td_log"
pct=$(awk '$1 == "FINAL" { print $4 }' "$hs")
t_check "fixed drop-in: the new policy is in force (b's hot set promoted: $pct %)" t_range "$pct" 90 100
t_tieringd_stop
grep -E "^(reloads|reload_failures|pages_promoted|filtered_cgroup) " "$td_log" | sed 's/^/  td| /'
t_check "two reloads and two failed reloads counted" \
	sh -c 'grep -q "^reloads 2$" "$1" && grep -q "^reload_failures 2$" "$1"' sh "$td_log"
