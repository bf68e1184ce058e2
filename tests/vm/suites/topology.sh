#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=2048 timeout=120
#
# The guest's NUMA topology is what the harness asked QEMU for: node0 with
# both CPUs, node1 CPU-less and as large as mem1, HMAT numbers 3x slower and
# 4x narrower for node1, and — where the kernel derives tiers from HMAT
# (6.7 and later) — node1 in a lower memory tier than node0.
. /tvm/lib.sh

nodes=/sys/devices/system/node
tiers=/sys/devices/virtual/memory_tiering
facts=$(t_result_file topology.txt)

# "0-1,3" -> "0 1 3"
expand_list() {
	printf '%s\n' "$1" | tr ',' '\n' | awk -F- 'NF == 1 && $1 != "" { print $1 } NF == 2 { for (i = $1; i <= $2; i++) print i }' |
		tr '\n' ' ' | sed 's/ $//'
}

# Memory tier id (N of memory_tierN) that holds node $1, empty if none.
tier_of() {
	for t in "$tiers"/memory_tier*; do
		[ -r "$t/nodelist" ] || continue
		for n in $(expand_list "$(cat "$t/nodelist")"); do
			[ "$n" = "$1" ] && { echo "${t##*memory_tier}"; return; }
		done
	done
}

# Sum of the "present" pages of a node's zones in /proc/zoneinfo, in MiB:
# the node's RAM before the kernel's own reservations (memmap, swiotlb), which
# MemTotal excludes.
present_mib() {
	awk -v node="$1" '/^Node/ { n = $2; sub(",", "", n) } n == node && $1 == "present" { p += $2 }
		END { printf "%d\n", p * 4096 / 1048576 }' /proc/zoneinfo
}

t_check "nodes are exactly node0 node1" t_eq "node0 node1" "$(ls -d "$nodes"/node[0-9]* | sed 's|.*/||' | sort | tr '\n' ' ' | sed 's/ $//')"
t_check "node0 has both CPUs" t_eq "0 1" "$(expand_list "$(cat "$nodes/node0/cpulist")")"
t_check "node1 has no CPUs" t_eq "" "$(cat "$nodes/node1/cpulist")"
t_check "node distances (node0: 10 20)" t_eq "10 20" "$(cat "$nodes/node0/distance")"

mem1=$(t_param mem1)
present1=$(present_mib 1)
memtotal1=$(awk '/MemTotal/ { printf "%d\n", $4 / 1024 }' "$nodes/node1/meminfo")
t_log "node1: $present1 MiB present, MemTotal $memtotal1 MiB, mem1=$mem1 MiB"
t_check "node1 memory is mem1=$mem1 MiB within 5 %" \
	t_range "$present1" "$(awk -v m="$mem1" 'BEGIN { print m * 0.95 }')" "$(awk -v m="$mem1" 'BEGIN { print m * 1.05 }')"
t_check "node1 MemTotal is at most its present memory" t_range "$memtotal1" 1 "$present1"

# HMAT, as the kernel read it: node1 against node0 from initiator node0.
hmat() { cat "$nodes/node$1/access0/initiators/$2" 2>/dev/null; }
lat0=$(hmat 0 read_latency) lat1=$(hmat 1 read_latency)
bw0=$(hmat 0 read_bandwidth) bw1=$(hmat 1 read_bandwidth)
t_log "HMAT read latency node0=$lat0 node1=$lat1 (ns), bandwidth node0=$bw0 node1=$bw1 (MB/s)"
t_check "HMAT latency node0 as set by the host" t_eq "$TDVM_HMAT_LAT0" "$lat0"
t_check "HMAT latency node1 as set by the host (3x)" t_eq "$TDVM_HMAT_LAT1" "$lat1"
t_check "HMAT bandwidth node0 as set by the host" t_eq "$TDVM_HMAT_BW0" "$bw0"
t_check "HMAT bandwidth node1 as set by the host (1/4)" t_eq "$TDVM_HMAT_BW1" "$bw1"

{
	echo "kernel: $(t_kernel) $(uname -r)"
	for t in "$tiers"/memory_tier*; do
		[ -r "$t/nodelist" ] && echo "${t##*/}: nodes $(cat "$t/nodelist")"
	done
	echo "node1: present ${present1} MiB, MemTotal ${memtotal1} MiB"
	echo "hmat: latency $lat0/$lat1 ns, bandwidth $bw0/$bw1 MB/s"
} > "$facts"
cat "$facts"

t_check "memory tiers are exposed in sysfs" test -d "$tiers"
tier0=$(tier_of 0)
tier1=$(tier_of 1)
t_log "node0 is in memory_tier$tier0, node1 in memory_tier$tier1"
t_check "node0 is in a memory tier" test -n "$tier0"
t_check "node1 is in a memory tier" test -n "$tier1"
if t_kver_ge 6.7; then
	# 6.7 added abstract distances from HMAT (mm/memory-tiers.c, drivers/acpi/numa/hmat.c):
	# a node with worse latency and bandwidth than the default DRAM lands in a lower tier.
	t_check "node1 is in a lower tier than node0 (higher tier id)" t_range "${tier1:-0}" $((${tier0:-0} + 1)) 100000
else
	# Before 6.7 only drivers (dax/kmem) place nodes in other tiers; every
	# DRAM node, HMAT or not, is in the default tier (memory_tier4).
	t_log "fact: kernel $(uname -r) predates HMAT-based tiers (6.7): both nodes are expected in one tier"
	t_check "node0 and node1 share one tier (kernel < 6.7)" t_eq "$tier0" "$tier1"
fi
