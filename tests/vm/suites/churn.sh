#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=2048 timeout=420 kernels=6.12
#
# Process churn (issue 11 item 2): with HotnessCapacity=4096 the table
# holds 64 processes. 240 short-lived processes that fault pages on the
# slow node come and go (each registers in the table and exits before any
# page of it is promoted, so move_pages never reports it gone); then a new
# process's hot set must still reach >= 90 % on the fast node. tieringd
# forgets the processes that exited (processes_reaped), so the table never
# refuses a new process because of dead ones.
. /tvm/lib.sh

t_require_bin tieringd tieringctl hotset
t_numa_scan_fast
cat > /tmp/td.conf <<CONF
[Daemon]
NumaBalancing=2
KernelPromoteRateLimitMBps=0
FastWatermark=32M
HotnessCapacity=4096

# the churners are tracked, never moved (they would fill the fast node)
[Cgroup "/churn"]
Mode=observe
CONF
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/churn
t_tieringd_start /tmp/td.conf

# 240 processes, 12 at a time, each 2 s of reads over 4 MiB on node1
n=0
while [ $n -lt 240 ]; do
	i=0 pids=
	while [ $i -lt 12 ]; do
		sh -c 'echo $$ > /sys/fs/cgroup/churn/cgroup.procs
			exec hotset --total 4 --hot 4 --node 1 --fast 0 --seconds 2' > /dev/null 2>&1 &
		pids="$pids $!"
		i=$((i + 1))
	done
	# these, not tieringd (a bare wait would wait for it too)
	for p in $pids; do wait "$p"; done
	n=$((n + 12))
done
t_log "240 short-lived processes done"
st=$(t_result_file stats-churn.json)
tieringctl -j stats > "$st"
reaped=$(grep -o '"processes_reaped":[0-9]*' "$st" | cut -d: -f2)
exits=$(grep -o '"process_events_exit":[0-9]*' "$st" | cut -d: -f2)
t_log "after the churn: processes_reaped=$reaped process_events_exit=$exits record_errors=$(grep -o '"record_errors":[0-9]*' "$st" | cut -d: -f2) events_received=$(grep -o '"events_received":[0-9]*' "$st" | cut -d: -f2)"
# the table holds 64: more than that forgotten (by their exit events, or by
# the reaper where those are missed) means slots were freed for new ones
forgot=$(( ${reaped:-0} + ${exits:-0} ))
t_check "exited processes were forgotten ($forgot > 64 of 240: $exits exit events, $reaped reaped)" \
	t_range "$forgot" 65 100000

# a new process, in the root cgroup (Mode=promote)
hs=$(t_result_file hotset-new.out)
# until 10 s after it first reached 90 % (7-10 s in CI runs), at most 30 s
hotset --total 128 --hot 64 --node 1 --fast 0 --seconds 30 --until-pct 90 --hold 10 > "$hs" 2>&1
sed 's/^/  hs| /' "$hs" | tail -n 5
pct=$(awk '$1 == "FINAL" { print $4 }' "$hs")
t_check "a new process after the churn: hot set >= 90 % on the fast node ($pct %)" t_range "${pct:-0}" 90 100
t_tieringd_stop
grep -E "^(processes_reaped|record_errors|pages_promoted|hot_entries|hotness_stale) " "$td_log" | sed 's/^/  td| /'
