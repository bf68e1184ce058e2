#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=1024 timeout=300 kernels=6.12
#
# The kernel settings tieringd changes (kernel.numa_balancing, its promote
# rate limit, demotion_enabled) come back to the operator's values however
# tieringd ends. The operator's host: 1 / 1234 / false; tieringd's
# config: NumaBalancing=2 KernelPromoteRateLimitMBps=0 Demotion=yes.
#  1. SIGKILL mid-run, a new tieringd, a clean stop: the new one finds 2/0/true
#     (its predecessor's values) but the state file keeps the operator's
#     originals, and the stop puts them back and removes the file.
#  2. SIGKILL, then `tieringd --restore-kernel-state` alone (the unit's
#     ExecStopPost=): the operator's values, no file; a second run: exit 0.
#  3. An operator's change while tieringd runs wins: left as it is.
#  4. SIGTERM during start-up (after the first change, before "ready"):
#     still exit 0 and the operator's values back.
#  5. stdout a pipe nobody reads (SIGPIPE when the summary is printed):
#     the settings are still put back.
. /tvm/lib.sh

t_require_bin tieringd
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

printf '[Daemon]\nNumaBalancing=2\nKernelPromoteRateLimitMBps=0\nDemotion=yes\n' > /tmp/ks.conf
t_log "operator's values before anything: $(values)"

# 1. SIGKILL, restart, clean stop
operator
t_tieringd_start /tmp/ks.conf kill-1.log
t_check "1: first tieringd ready" grep -q '^tieringd: ready$' "$td_log"
t_check "1: running: tieringd's values" t_eq $OURS "$(values)"
originals "1: first"
cp $STATE "$(t_result_file kernel-state.first)"
kill9
t_check "1: after SIGKILL: still tieringd's values" t_eq $OURS "$(values)"
t_tieringd_start /tmp/ks.conf kill-2.log
t_check "1: second tieringd ready" grep -q '^tieringd: ready$' "$td_log"
t_check "1: second: tieringd's values" t_eq $OURS "$(values)"
originals "1: second"
t_check "1: second: says it took the originals from the file" \
	grep -q 'an earlier tieringd of this boot set kernel.numa_balancing=2 over 1' "$td_log"
t_tieringd_stop "1: second"
restored "1: clean stop after a SIGKILL"
grep 'restored to\|kernel-state' "$td_log" | sed 's/^/  1| /'

# 2. SIGKILL, then --restore-kernel-state alone
operator
t_tieringd_start /tmp/ks.conf restore.log
t_check "2: running: tieringd's values" t_eq $OURS "$(values)"
kill9
tieringd --restore-kernel-state > "$(t_result_file restore-cmd.out)" 2>&1
t_check "2: --restore-kernel-state exits 0" t_eq 0 $?
restored "2: --restore-kernel-state after a SIGKILL"
sed 's/^/  2| /' "$(t_result_file restore-cmd.out)"
tieringd --restore-kernel-state > /dev/null 2>&1
t_check "2: --restore-kernel-state without a file exits 0" t_eq 0 $?
t_check "2: ... and changes nothing" t_eq $OPER "$(values)"

# 3. the operator changes numa_balancing while tieringd runs
operator
t_tieringd_start /tmp/ks.conf operator.log
echo 3 > $NB
t_tieringd_stop "3"
t_check "3: the operator's numa_balancing=3 is left" t_eq 3/1234/false "$(values)"
t_check "3: no state file left" t_eq "" "$(ls $STATE 2>/dev/null)"
t_check "3: it says so" grep -q 'kernel.numa_balancing is 3, not the 2 tieringd set' "$td_log"

# 4. SIGTERM during start-up, while the BPF programs load (the demoter is
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
t_log "4: SIGTERM after $((i * 20)) ms, $(values) then; ready lines by then: $early"
t_check "4: SIGTERM sent during start-up, before ready" t_eq 0 "$early"
wait $td
t_check "4: tieringd exits 0 on a SIGTERM during start-up" t_eq 0 $?
restored "4: SIGTERM during start-up"

# 5. stdout a closed pipe: the end-of-run summary meets EPIPE, not SIGPIPE
operator
rm -f /tmp/ks-pid
{ tieringd --config /tmp/ks.conf 2> "$(t_result_file sigpipe.log)" & echo $! > /tmp/ks-pid; } | true
td=$(cat /tmp/ks-pid)
i=0
while ! grep -q '^tieringd: ready$' "$(t_result_file sigpipe.log)" && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
t_check "5: running with stdout a closed pipe: tieringd's values" t_eq $OURS "$(values)"
kill -TERM $td
i=0
while kill -0 $td 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
t_check "5: tieringd is gone" t_eq 1 "$(kill -0 $td 2>/dev/null || echo 1)"
restored "5: stdout a closed pipe"
