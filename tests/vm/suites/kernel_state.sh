#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=1024 timeout=300 kernels=6.12
#
# The kernel settings tieringd changes (kernel.numa_balancing, its promote
# rate limit, demotion_enabled) come back to the operator's values however
# tieringd ends, and the running daemon holds no CAP_SYS_ADMIN to change
# them. The operator's host: 1 / 1234 / false; tieringd's config:
# NumaBalancing=2 KernelPromoteRateLimitMBps=0 Demotion=yes.
#  0. Once ready, the daemon's CapEff, CapPrm and CapBnd lack CAP_SYS_ADMIN,
#     CAP_BPF and CAP_PERFMON and keep CAP_SYS_PTRACE and CAP_DAC_OVERRIDE
#     (NoNewPrivs 1); its restorer (tieringd-kstate, its child) holds only
#     CAP_SYS_ADMIN. A clean stop gives the operator's values back at once
#     (the daemon leaves numa_balancing to the restorer and waits for it).
#  1. SIGKILL of the daemon: its restorer puts the operator's values back;
#     a restart and a clean stop keep them.
#  2. SIGKILL of the daemon and its restorer together, a new tieringd, a
#     clean stop: the new one finds 2/0/false (its predecessor's values)
#     but the state file keeps the operator's originals, and the stop puts
#     them back and removes the file.
#  3. The same double SIGKILL, then `tieringd --restore-kernel-state` alone
#     (the unit's ExecStopPost=): the operator's values, no file; a second
#     run: exit 0.
#  4. An operator's change while tieringd runs wins: left as it is.
#  5. SIGTERM during start-up (after the demoter, before "ready"):
#     still exit 0 and the operator's values back.
#  6. stdout a pipe nobody reads (SIGPIPE when the summary is printed):
#     the settings are still put back.
#  7. After the drop, hint-fault promotion (CAP_SYS_ADMIN gone) and then
#     sampling (CAP_SYS_ADMIN kept for pagemap PFNs, CAP_BPF and
#     CAP_PERFMON gone) each still bring a slow hot set to the fast node.
. /tvm/lib.sh

t_require_bin tieringd tieringctl hotset
NB=/proc/sys/kernel/numa_balancing
RL=/proc/sys/kernel/numa_balancing_promote_rate_limit_MBps
DE=/sys/kernel/mm/numa/demotion_enabled
STATE=/run/tieringd/kernel-state
OPER=1/1234/false
# demotion_enabled is switched on only around tieringd's own memory.reclaim
# writes (kswapd would demote Mode=off cgroups too): off while idle
OURS=2/0/false
[ -w $DE ] && [ -w $RL ] || t_skip "this kernel lacks demotion_enabled or the promote rate limit"

operator() { echo 1 > $NB; echo 1234 > $RL; echo false > $DE; }
values() { echo "$(cat $NB)/$(cat $RL)/$(cat $DE)"; }
# originals LABEL: the state file holds the operator's values as the originals
originals() {
	t_check "$1: state file: numa_balancing 1 -> 2" grep -qx 'kernel.numa_balancing=1 2' $STATE
	t_check "$1: state file: promote rate limit 1234 -> 0" \
		grep -qx 'kernel.numa_balancing_promote_rate_limit_MBps=1234 0' $STATE
	t_check "$1: state file: demotion_enabled not held while idle" \
		sh -c "! grep -q '^demotion_enabled=' $STATE"
	t_check "$1: state file: this boot's id" \
		grep -qx "boot_id=$(cat /proc/sys/kernel/random/boot_id)" $STATE
}
# restored LABEL: the operator's values are back and the file is gone
restored() {
	t_check "$1: the operator's values are back" t_eq $OPER "$(values)"
	t_check "$1: no state file left" t_eq "" "$(ls $STATE 2>/dev/null)"
}
kill9() {
	kill -KILL $td
	wait $td 2>/dev/null
}
# restorer_pid: the running daemon's restorer (its child tieringd-kstate)
restorer_pid() {
	for _p in /proc/[0-9]*; do
		[ "$(cat $_p/comm 2>/dev/null)" = tieringd-kstate ] &&
			[ "$(awk '$1 == "PPid:" { print $2 }' $_p/status)" = "$td" ] &&
			echo ${_p#/proc/}
	done
}
# cap PID SET BIT: 1 if capability BIT is in SET (CapEff, CapPrm, CapBnd) of PID
cap() { echo $(( 0x$(awk -v k="$2:" '$1 == k { print $2 }' /proc/$1/status) >> $3 & 1 )); }
SYS_ADMIN=21 BPF=39 PERFMON=38 SYS_PTRACE=19 DAC_OVERRIDE=1
# dropped LABEL PID SYS_ADMIN_EXPECTED: the sets of a ready daemon
dropped() {
	for _s in CapEff CapPrm CapBnd; do
		t_check "$1: $_s: CAP_SYS_ADMIN $3" t_eq $3 "$(cap $2 $_s $SYS_ADMIN)"
		t_check "$1: $_s: no CAP_BPF, no CAP_PERFMON" \
			t_eq 0/0 "$(cap $2 $_s $BPF)/$(cap $2 $_s $PERFMON)"
		t_check "$1: $_s: CAP_SYS_PTRACE, CAP_DAC_OVERRIDE kept" \
			t_eq 1/1 "$(cap $2 $_s $SYS_PTRACE)/$(cap $2 $_s $DAC_OVERRIDE)"
	done
	t_check "$1: NoNewPrivs" t_eq 1 "$(awk '$1 == "NoNewPrivs:" { print $2 }' /proc/$2/status)"
	grep '^Cap\(Eff\|Prm\|Bnd\)' /proc/$2/status | sed "s/^/  $1| daemon /"
}
# gone_within PID SECONDS
gone_within() {
	_i=0
	while kill -0 $1 2>/dev/null && [ $_i -lt $(($2 * 10)) ]; do sleep 0.1; _i=$((_i + 1)); done
	! kill -0 $1 2>/dev/null
}

# /ks is off the default mode, so the kernel's cgroup map holds it (the map
# holds only such cgroups): part 0's reload check has an entry to mark
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/ks
printf '[Daemon]\nNumaBalancing=2\nKernelPromoteRateLimitMBps=0\nDemotion=yes\n\n[Cgroup "/ks"]\nMode=off\n' > /tmp/ks.conf
t_log "operator's values before anything: $(values)"
t_log "tieringd's shell before start: $(grep '^CapEff' /proc/self/status)"

# 0. the drop, a plain clean stop
operator
t_tieringd_start /tmp/ks.conf drop.log
t_check "0: tieringd ready" grep -q '^tieringd: ready$' "$td_log"
t_check "0: running: tieringd's values" t_eq $OURS "$(values)"
dropped 0 $td 0
# reload, pause and resume after the drop: BPF map updates through the fds
# the daemon holds (the cgroup filter map, the runtime map), no capability
t_check "0: tieringctl reload answers after the drop" tieringctl reload
t_check "0: tieringctl pause, resume" sh -c 'tieringctl pause && tieringctl resume'
m0=$(sed -n 's/^tieringd: cgroup filter: \([0-9]*\) cgroups in the kernel.s map$/\1/p' "$td_log")
m1=$(sed -n 's/^tieringd: reloaded .*: [0-9]* cgroup policies, \([0-9]*\) cgroups in the kernel.s map$/\1/p' "$td_log")
t_check "0: the reload after the drop marked the same cgroups in the BPF map ($m0 at start, $m1)" \
	t_eq "${m0:-none}" "${m1:-0}"
t_check "0: the map held /ks at start ($m0 cgroups)" t_range "${m0:-0}" 1 16384
t_check "0: no BPF map update failed" sh -c "! grep -q 'updating td_runtime\|default cgroup mode failed' '$td_log'"
t_check "0: it says which it dropped" \
	grep -q '^tieringd: capabilities dropped after start-up: .*CAP_SYS_ADMIN.* among them (also from the bounding set); kept CAP_DAC_OVERRIDE CAP_SYS_PTRACE$' "$td_log"
rp=$(restorer_pid)
t_check "0: one restorer, the daemon's child" t_range "${rp:-0}" 1 4194304
[ -z "$rp" ] || {
	t_check "0: the restorer holds CAP_SYS_ADMIN alone" \
		t_eq 0000000000200000 "$(awk '$1 == "CapEff:" { print $2 }' /proc/$rp/status)"
	t_check "0: the restorer holds no BPF link or perf event: fds 0-3 only" \
		t_eq "0 1 2 3" "$(ls /proc/$rp/fd | sort -n | tr '\n' ' ' | sed 's/ $//')"
	grep '^Cap\(Eff\|Prm\|Bnd\)' /proc/$rp/status | sed 's/^/  0| restorer /'
}
t_tieringd_stop "0"
restored "0: plain clean stop"
t_check "0: the daemon left numa_balancing to its restorer" \
	grep -q '^tieringd: kernel settings left to the restorer (tieringd-kstate, pid [0-9]*): kernel.numa_balancing=1, kept in /run/tieringd/kernel-state' "$td_log"
t_check "0: the restorer is gone with it" sh -c "! kill -0 ${rp:-0} 2>/dev/null"
grep 'capabilities\|restored to\|left to' "$td_log" | sed 's/^/  0| /'

# 1. SIGKILL of the daemon alone: its restorer puts everything back
operator
t_tieringd_start /tmp/ks.conf kill-1.log
rp=$(restorer_pid)
t_check "1: running: tieringd's values" t_eq $OURS "$(values)"
kill9
t_check "1: the restorer is done within 5 s of the SIGKILL" gone_within "${rp:-0}" 5
restored "1: SIGKILL, the restorer"
t_tieringd_start /tmp/ks.conf kill-1b.log
t_check "1: restarted: tieringd's values" t_eq $OURS "$(values)"
t_check "1: restarted: no earlier state adopted" \
	sh -c "! grep -q 'an earlier tieringd of this boot' '$td_log'"
t_tieringd_stop "1: restarted"
restored "1: SIGKILL, restart, clean stop"

# 2. SIGKILL of both, restart, clean stop
operator
t_tieringd_start /tmp/ks.conf kill-2a.log
t_check "2: first tieringd ready" grep -q '^tieringd: ready$' "$td_log"
t_check "2: running: tieringd's values" t_eq $OURS "$(values)"
originals "2: first"
cp $STATE "$(t_result_file kernel-state.first)"
rp=$(restorer_pid)
kill -KILL ${rp:-0} $td
wait $td 2>/dev/null
t_check "2: after SIGKILL of both: still tieringd's values" t_eq $OURS "$(values)"
t_tieringd_start /tmp/ks.conf kill-2b.log
t_check "2: second tieringd ready" grep -q '^tieringd: ready$' "$td_log"
t_check "2: second: tieringd's values" t_eq $OURS "$(values)"
originals "2: second"
t_check "2: second: says it took the originals from the file" \
	grep -q 'an earlier tieringd of this boot set kernel.numa_balancing=2 over 1' "$td_log"
dropped "2: second" $td 0
t_tieringd_stop "2: second"
restored "2: clean stop after a SIGKILL of both"
grep 'restored to\|kernel-state' "$td_log" | sed 's/^/  2| /'

# 3. SIGKILL of both, then --restore-kernel-state alone
operator
t_tieringd_start /tmp/ks.conf restore.log
t_check "3: running: tieringd's values" t_eq $OURS "$(values)"
rp=$(restorer_pid)
kill -KILL ${rp:-0} $td
wait $td 2>/dev/null
tieringd --restore-kernel-state > "$(t_result_file restore-cmd.out)" 2>&1
t_check "3: --restore-kernel-state exits 0" t_eq 0 $?
restored "3: --restore-kernel-state after a SIGKILL"
sed 's/^/  3| /' "$(t_result_file restore-cmd.out)"
tieringd --restore-kernel-state > /dev/null 2>&1
t_check "3: --restore-kernel-state without a file exits 0" t_eq 0 $?
t_check "3: ... and changes nothing" t_eq $OPER "$(values)"

# 4. the operator changes numa_balancing while tieringd runs
operator
t_tieringd_start /tmp/ks.conf operator.log
echo 3 > $NB
t_tieringd_stop "4"
t_check "4: the operator's numa_balancing=3 is left" t_eq 3/1234/false "$(values)"
t_check "4: no state file left" t_eq "" "$(ls $STATE 2>/dev/null)"
t_check "4: it says so" grep -q 'kernel.numa_balancing is 3, not the 2 tieringd set' "$td_log"

# 5. SIGTERM during start-up, while the BPF programs load (the demoter is
# up, "ready" not yet): tieringd changes the kernel settings only at ready
# now (demotion_enabled only around its own reclaim writes), so nothing has
# changed yet, and nothing may be left changed
operator
td_log=$(t_result_file startup.log)
tieringd --config /tmp/ks.conf > "$td_log" 2>&1 &
td=$!
i=0
while ! grep -q '^tieringd: demoter: ' "$td_log" 2>/dev/null && kill -0 $td 2>/dev/null &&
	[ $i -lt 600 ]; do
	sleep 0.02
	i=$((i + 1))
done
kill -TERM $td
early=$(grep -c '^tieringd: ready$' "$td_log")
t_log "5: SIGTERM after $((i * 20)) ms, $(values) then; ready lines by then: $early"
t_check "5: SIGTERM sent during start-up, before ready" t_eq 0 "$early"
wait $td
t_check "5: tieringd exits 0 on a SIGTERM during start-up" t_eq 0 $?
restored "5: SIGTERM during start-up"

# 6. stdout a closed pipe: the end-of-run summary meets EPIPE, not SIGPIPE
operator
rm -f /tmp/ks-pid
{ tieringd --config /tmp/ks.conf 2> "$(t_result_file sigpipe.log)" & echo $! > /tmp/ks-pid; } | true
td=$(cat /tmp/ks-pid)
i=0
while ! grep -q '^tieringd: ready$' "$(t_result_file sigpipe.log)" && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
t_check "6: running with stdout a closed pipe: tieringd's values" t_eq $OURS "$(values)"
kill -TERM $td
i=0
while kill -0 $td 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
t_check "6: tieringd is gone" t_eq 1 "$(kill -0 $td 2>/dev/null || echo 1)"
restored "6: stdout a closed pipe"

# 7. promotion after the drop: hint faults (CAP_SYS_ADMIN gone), then
# sampling (CAP_SYS_ADMIN kept: pagemap PFNs for the folio sizes)
t_numa_scan_fast
# promote_run LABEL SOURCES SYS_ADMIN_EXPECTED EVENT_COUNTER
promote_run() {
	printf '[Daemon]\nSources=%s\nNumaBalancing=2\nKernelPromoteRateLimitMBps=0\nFastWatermark=32M\nDemotion=no\n' \
		"$2" > /tmp/ks-p.conf
	hs=$(t_result_file hotset-$1.out)
	: > "$hs"
	# placed before tieringd starts: first-touch faults would be samples too
	hotset --total 128 --hot 32 --node 1 --fast 0 --seconds 20 > "$hs" 2>&1 &
	hp=$!
	i=0
	while ! grep -q READY "$hs" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	t_tieringd_start /tmp/ks-p.conf promote-$1.log
	t_check "7: $1: source $2 attached" grep -q "^tieringd: source $2: attached" "$td_log"
	dropped "7: $1" $td $3
	wait $hp
	t_tieringd_stop "7: $1"
	ev=$(awk -v k="$4" '$1 == k { print $2 }' "$td_log")
	pr=$(awk '$1 == "pages_promoted" { print $2 }' "$td_log")
	pct=$(awk '$1 == "FINAL" { print $4 }' "$hs")
	t_log "7: $1: events $ev, pages_promoted $pr, hot set on the fast node at the end: $pct %"
	t_check "7: $1: events arrived after the drop" t_range "${ev:-0}" 1 1000000000
	t_check "7: $1: tieringd promoted" t_range "${pr:-0}" 1 1000000000
	t_check "7: $1: hot set >= 90 % on the fast node" t_range "${pct:-0}" 90 100
}
echo 1 > $NB
promote_run hint hint-faults 0 events_hint_fault
promote_run sampling sampling 1 events_sample
