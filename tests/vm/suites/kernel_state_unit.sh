#!/bin/sh
# vm: mode=systemd mem0=1024 mem1=1024 timeout=300 kernels=6.12
#
# The kernel settings through the shipped unit (kernel_state.sh does the
# bare daemon). The operator's host: numa_balancing=1, promote rate limit
# 1234, demotion_enabled=false; a drop-in asks NumaBalancing=2,
# KernelPromoteRateLimitMBps=0, Demotion=yes, MoveWorkers=2 (its thread,
# started after the drop, holds the dropped sets too).
#  1. While it runs, the sandboxed daemon has written its state file
#     (/run/tieringd/kernel-state) with the operator's values as originals,
#     and has dropped CAP_SYS_ADMIN, CAP_BPF and CAP_PERFMON from CapEff and
#     CapPrm (CapBnd stays the unit's set: no CAP_SETPCAP), with no
#     restorer process of its own (ExecStart= passes --no-restorer).
#  2. `systemctl kill -s KILL tieringd`: the unit's
#     ExecStopPost=+tieringd --restore-kernel-state puts the operator's
#     values back before the restart (seen while the unit waits in
#     auto-restart), and Restart=on-failure starts it again (NRestarts=1),
#     which records the operator's values again.
#  3. `systemctl stop tieringd`: the operator's values are back (the daemon
#     says it left numa_balancing to --restore-kernel-state), no state
#     file, the unit inactive (not failed).
. /tvm/lib.sh

t_require_bin journalctl
t_check "PID 1 is systemd" t_eq systemd "$(cat /proc/1/comm)"
timeout 120 systemctl is-system-running --wait > /dev/null 2>&1

NB=/proc/sys/kernel/numa_balancing
RL=/proc/sys/kernel/numa_balancing_promote_rate_limit_MBps
DE=/sys/kernel/mm/numa/demotion_enabled
STATE=/run/tieringd/kernel-state
OPER=1/1234/false
# demotion_enabled is switched on only around tieringd's own memory.reclaim
# writes (kswapd would demote Mode=off cgroups too): off while idle
OURS=2/0/false
show() { systemctl show tieringd.service -p "$1" --value; }
values() { echo "$(cat $NB)/$(cat $RL)/$(cat $DE)"; }
# originals LABEL: the state file holds the operator's values as the originals
originals() {
	t_check "$1: state file: numa_balancing 1 -> 2" grep -qx 'kernel.numa_balancing=1 2' $STATE
	t_check "$1: state file: promote rate limit 1234 -> 0" \
		grep -qx 'kernel.numa_balancing_promote_rate_limit_MBps=1234 0' $STATE
	t_check "$1: state file: demotion_enabled not held while idle" \
		sh -c "! grep -q '^demotion_enabled=' $STATE"
}
# cap PID SET BIT: 1 if capability BIT is in SET (CapEff, CapPrm, CapBnd) of PID
cap() { echo $(( 0x$(awk -v k="$2:" '$1 == k { print $2 }' /proc/$1/status) >> $3 & 1 )); }
SYS_ADMIN=21 BPF=39 PERFMON=38 SYS_PTRACE=19 DAC_OVERRIDE=1
# the unit's CapabilityBoundingSet=: what the daemon holds before the drop
UNIT_SET=000000c000280002
# dropped LABEL PID: the sets of the ready daemon under the unit
dropped() {
	for _s in CapEff CapPrm; do
		t_check "$1: $_s: no CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON" \
			t_eq 0/0/0 "$(cap $2 $_s $SYS_ADMIN)/$(cap $2 $_s $BPF)/$(cap $2 $_s $PERFMON)"
		t_check "$1: $_s: CAP_SYS_PTRACE, CAP_DAC_OVERRIDE kept" \
			t_eq 1/1 "$(cap $2 $_s $SYS_PTRACE)/$(cap $2 $_s $DAC_OVERRIDE)"
	done
	t_check "$1: CapBnd: the unit's set" \
		t_eq $UNIT_SET "$(awk '$1 == "CapBnd:" { print $2 }' /proc/$2/status)"
	t_check "$1: NoNewPrivs" t_eq 1 "$(awk '$1 == "NoNewPrivs:" { print $2 }' /proc/$2/status)"
	# capabilities are per thread: the MoveWorkers=2 thread, started after
	# the drop, holds the same sets
	t_check "$1: two threads (MoveWorkers=2)" \
		t_eq 2 "$(awk '$1 == "Threads:" { print $2 }' /proc/$2/status)"
	t_check "$1: every thread's CapEff/CapPrm as the main thread's" t_eq 1 \
		"$(cat /proc/$2/task/*/status | awk '$1 == "CapEff:" || $1 == "CapPrm:" { v[$2]++ } END { print length(v) }')"
	t_check "$1: no restorer process (--no-restorer)" \
		t_eq "" "$(grep -lx tieringd-kstate /proc/[0-9]*/comm 2>/dev/null)"
	grep '^Cap\(Eff\|Prm\|Bnd\)' /proc/$2/status | sed "s/^/  $1| /"
}
# wait_for PROPERTY VALUE SECONDS
wait_for() {
	_i=0
	while [ "$(show "$1")" != "$2" ] && [ $_i -lt $(($3 * 10)) ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ "$(show "$1")" = "$2" ]
}

t_check "the unit runs --restore-kernel-state after any exit" \
	grep -q '^ExecStopPost=+/usr/sbin/tieringd --restore-kernel-state$' \
	/usr/lib/systemd/system/tieringd.service
t_check "the unit starts the daemon with --no-restorer" \
	grep -q '^ExecStart=/usr/sbin/tieringd --no-restorer$' /usr/lib/systemd/system/tieringd.service
mkdir -p /etc/tieringd.conf.d
printf '[Daemon]\nNumaBalancing=2\nKernelPromoteRateLimitMBps=0\nDemotion=yes\nMoveWorkers=2\n' \
	> /etc/tieringd.conf.d/50-kernel-state.conf
echo 1 > $NB
echo 1234 > $RL
echo false > $DE
t_log "operator's values: $(values)"

# 1. running
systemctl start tieringd
t_check "1: tieringd active" t_eq active "$(systemctl is-active tieringd.service)"
t_check "1: running: tieringd's values" t_eq $OURS "$(values)"
originals "1"
dropped 1 "$(show MainPID)"
t_check "1: the journal says which it dropped" sh -c "journalctl -u tieringd -o cat --no-pager |
	grep -qx 'capabilities dropped after start-up: CAP_SYS_ADMIN CAP_PERFMON CAP_BPF (bounding set unchanged: no CAP_SETPCAP); kept CAP_DAC_OVERRIDE CAP_SYS_PTRACE'"

# 2. SIGKILL: ExecStopPost= restores, then Restart=on-failure
pid=$(show MainPID)
systemctl kill -s KILL tieringd
t_check "2: the unit waits to restart after the SIGKILL" wait_for SubState auto-restart 20
t_check "2: before the restart: the operator's values are back" t_eq $OPER "$(values)"
t_check "2: before the restart: no state file" t_eq "" "$(ls $STATE 2>/dev/null)"
t_check "2: restarted" wait_for SubState running 30
t_check "2: NRestarts=1" t_eq 1 "$(show NRestarts)"
t_check "2: a new main process" test "$(show MainPID)" != "$pid"
t_check "2: restarted: tieringd's values" t_eq $OURS "$(values)"
originals "2: restarted"

# 3. clean stop
systemctl stop tieringd
t_check "3: stopped: inactive, not failed" t_eq inactive "$(systemctl is-active tieringd.service)"
t_check "3: the operator's values are back" t_eq $OPER "$(values)"
t_check "3: no state file left" t_eq "" "$(ls $STATE 2>/dev/null)"
t_check "3: the daemon left numa_balancing to the unit's ExecStopPost=" sh -c "journalctl -u tieringd -o cat --no-pager |
	grep -q '^kernel settings left to tieringd --restore-kernel-state (the unit.s ExecStopPost=): kernel.numa_balancing=1, kept in /run/tieringd/kernel-state'"
journalctl -u tieringd --no-pager -o cat 2>/dev/null | grep 'restored to\|kernel-state\|kernel:\|capabilities' |
	sed 's/^/  | /'
rm -f /etc/tieringd.conf.d/50-kernel-state.conf
