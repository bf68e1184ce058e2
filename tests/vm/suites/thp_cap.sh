#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=2048 timeout=300 kernels=6.12
#
# MaxFastMemory holds in bytes on 2 MiB THPs (issue 10). /m1 has
# MaxFastMemory=64M and a 160 MiB hot set of whole THPs on the slow node; /m2
# has MaxFastMemory=31M (not a whole number of folios: a folio that does not
# fit waits) and a 96 MiB hot set. Both are read at random offsets inside each
# chunk. tieringd runs with the shipped defaults plus the keys under test;
# the shipped KernelPromoteRateLimitMBps=0 keeps the kernel's own promotion
# (which knows no cap) out, node0 (1 GiB) being under its 1 GiB mark
# (KERNEL-NOTES); checked with pgpromote_success. Asserted
# from the kernel's side, memory.numa_stat of each cgroup on node0 once a
# second: the most seen <= the cap + one folio, and at least 3/4 of the cap
# (promotion went up to it). Kernel alone first (tiering mode, demotion off as
# tieringd leaves it), for the footprint it reaches uncapped.
. /tvm/lib.sh

t_require_bin tieringd tieringctl thpset
SECS=40
FOLIO=2097152
MB=1048576
t_numa_scan_fast
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/m1 /sys/fs/cgroup/m2
t_log "node0 free: $(awk '/MemFree/ { print $4, $5 }' /sys/devices/system/node/node0/meminfo)"

# run NAME: both hot sets at once; NAME-footprint.txt has "m1 m2" node0
# bytes once a second; sets NAME_b1 NAME_b2 (the most seen).
run() {
	ser=$(t_result_file "$1-footprint.txt")
	: > "$ser"
	t_in_cgroup m1 thpset --hot 160 --node 1 --fast 0 --seconds $SECS > "$(t_result_file "$1-m1.out")" 2>&1 &
	p1=$!
	t_in_cgroup m2 thpset --hot 96 --node 1 --fast 0 --seconds $SECS --seed 7 > "$(t_result_file "$1-m2.out")" 2>&1 &
	p2=$!
	while kill -0 $p1 2> /dev/null || kill -0 $p2 2> /dev/null; do
		echo "$(t_cg_node_bytes m1 0) $(t_cg_node_bytes m2 0)" >> "$ser"
		sleep 1
	done
	wait $p1 $p2
	for m in m1 m2; do
		t_log "$1: $m $(grep '^FOLIOS' "$(t_result_file "$1-$m.out")")"
		t_log "$1: $m $(grep '^FINAL' "$(t_result_file "$1-$m.out")" | cut -d' ' -f1-6)"
	done
	eval "${1}_b1=\$(awk '\$1 > m { m = \$1 } END { print m + 0 }' \"\$ser\")"
	eval "${1}_b2=\$(awk '\$2 > m { m = \$2 } END { print m + 0 }' \"\$ser\")"
}

# --- the kernel alone (it has no cap)
t_kernel_alone
run kernel
t_kernel_reset
t_log "kernel alone: m1 at most $kernel_b1 bytes on node0, m2 $kernel_b2 (no cap in the kernel)"

# --- tieringd: shipped defaults + the keys under test
cat > /tmp/td.conf <<CONF
[Cgroup "/m1"]
MaxFastMemory=64M

[Cgroup "/m2"]
MaxFastMemory=31M
CONF
p0=$(t_vmstat pgpromote_success)
t_with_tieringd /tmp/td.conf run tieringd
kp=$(( $(t_vmstat pgpromote_success) - p0 ))
grep -E '^(bytes_promoted|pages_promoted|promote_decisions_)' "$td_log" | sed 's/^/  td| /'

t_log "tieringd: m1 at most $tieringd_b1 bytes on node0 (cap 64M; kernel alone $kernel_b1)," \
	"m2 $tieringd_b2 (cap 31M; kernel alone $kernel_b2); pgpromote_success +$kp"
t_check "m1: node0 footprint <= MaxFastMemory=64M + one folio ($tieringd_b1 bytes)" \
	t_range "$tieringd_b1" 0 $((64 * MB + FOLIO))
t_check "m1: promoted up to near the cap ($tieringd_b1 bytes >= 48 MiB)" \
	t_range "$tieringd_b1" $((48 * MB)) $((1 << 40))
t_check "m2: node0 footprint <= MaxFastMemory=31M + one folio ($tieringd_b2 bytes)" \
	t_range "$tieringd_b2" 0 $((31 * MB + FOLIO))
t_check "m2: promoted up to near the cap ($tieringd_b2 bytes >= 23 MiB)" \
	t_range "$tieringd_b2" $((31 * MB * 3 / 4)) $((1 << 40))
t_check "the kernel's own promotion stayed out (pgpromote_success +$kp <= 1024 pages)" t_range "$kp" 0 1024
