#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=2048 timeout=240 kernels=6.12,6.1
#
# The last hook of the hint-fault chain, for kernels without
# numa_migrate_check or numa_migrate_prep: fentry/task_numa_fault paired with
# the exceptions:page_fault_user tracepoint (HintFaultHook= forces it here).
# On 6.12 the hot set must still be promoted through it; on 6.1 (one memory
# tier, see promote.sh) it must attach and report the same limitation.
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
t_check "hint faults through fentry/task_numa_fault + page_fault_user" \
	grep -q "source hint-faults: attached, fentry/task_numa_fault+tp/page_fault_user" "$td_log"
hs=$(t_result_file hotset.out)
hotset --total 256 --hot 100 --node 1 --fast 0 --seconds 25 > "$hs" 2>&1
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
