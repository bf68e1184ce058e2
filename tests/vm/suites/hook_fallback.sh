#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=2048 timeout=240 kernels=6.12,6.1
#
# The last hook of the hint-fault chain, for kernels without
# numa_migrate_check or numa_migrate_prep: fentry/task_numa_fault paired with
# the address of the user-mode fault under way, from fentry/handle_mm_fault
# (HintFaultHook= forces it here). On 6.12 the hot set must still be
# promoted through it; on 6.1 (one memory tier, see promote.sh) it must
# attach and report the same limitation.
# Kernel-mode hint faults are not paired with anything: dd, its memory held
# on node1 by cpuset.mems, read(2)s /dev/zero into a 32 MiB buffer of 4 KiB
# pages, so the kernel (copy_to_user) takes the hint faults on it. Paired
# with the thread's previous user fault they would come out as events at
# that address, about one per fault; they must not (6.12, where tiering
# mode scans the slow node).
. /tvm/lib.sh

t_require_bin tieringd hotset
t_numa_scan_fast
cat > /tmp/td.conf <<CONF
[Daemon]
HintFaultHook=task_numa_fault
NumaBalancing=2
KernelPromoteRateLimitMBps=0
FastWatermark=32M
CONF
t_tieringd_start /tmp/td.conf
t_check "hint faults through fentry/task_numa_fault + handle_mm_fault" \
	grep -q "source hint-faults: attached, fentry/task_numa_fault+handle_mm_fault" "$td_log"
received() { tieringctl -j status | grep -o '"events_received":[0-9]*' | cut -d: -f2; }
remote_faults() { echo $(( $(t_vmstat numa_hint_faults) - $(t_vmstat numa_hint_faults_local) )); }
if [ "$(t_kernel)" != 6.1 ]; then
	echo +cpuset > /sys/fs/cgroup/cgroup.subtree_control
	mkdir -p /sys/fs/cgroup/kfault
	echo 1 > /sys/fs/cgroup/kfault/cpuset.mems
	thp=$(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/enabled)
	echo never > /sys/kernel/mm/transparent_hugepage/enabled
	e0=$(received)
	f0=$(remote_faults)
	sh -c 'echo $$ > /sys/fs/cgroup/kfault/cgroup.procs; exec timeout 15 dd if=/dev/zero of=/dev/null bs=32M' 2> /dev/null
	e1=$(received)
	f1=$(remote_faults)
	echo "$thp" > /sys/kernel/mm/transparent_hugepage/enabled
	t_log "dd on node1: remote hint faults +$((f1 - f0)), tieringd events +$((e1 - e0))"
	t_check "the kernel took hint faults in dd's read(2)s ($((f1 - f0)))" t_range "$((f1 - f0))" 2000 1000000000
	t_check "kernel-mode hint faults are not events (+$((e1 - e0)) <= a tenth of $((f1 - f0)))" \
		t_range "$(( (e1 - e0) * 10 ))" 0 "$((f1 - f0))"
fi
hs=$(t_result_file hotset.out)
# until 10 s after it first reached 90 % (5-10 s in CI runs on 6.12), at most
# 25 s (all of it on 6.1, whose one tier promotes nothing)
hotset --total 256 --hot 100 --node 1 --fast 0 --seconds 25 --until-pct 90 --hold 10 > "$hs" 2>&1
t_tieringd_stop
sed -n '/^limitation /,$p' "$td_log" | sed 's/^/  td| /'
pct=$(awk '$1 == "FINAL" { print $4 }' "$hs")
if [ "$(t_kernel)" = 6.1 ]; then
	t_check "6.1: the one-tier limitation is stated" grep -q "^limitation the kernel puts slow node 1" "$td_log"
else
	hf=$(awk '$1 == "events_hint_fault" { print $2 }' "$td_log")
	t_check "hint-fault events arrived through the pair ($hf)" t_range "${hf:-0}" 1 1000000000
	t_check "hot set >= 90 % on the fast node ($pct %)" t_range "$pct" 90 100
fi
