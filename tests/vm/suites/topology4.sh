#!/bin/sh
# vm: mode=initramfs topology=4node mem0=1024 mem1=1024 mem2=768 mem3=512 timeout=180 kernels=6.12,sid
#
# The two-socket guest (topology=4node) is what the harness asked QEMU for:
# node0 = CPU0, node1 = CPU1, node2 and node3 CPU-less, node2 near node0 and
# node3 near node1 (SLIT and HMAT); the kernel puts nodes 2-3 in a lower
# memory tier than nodes 0-1 and demotes node0 to node2, node1 to node3; and
# tieringd, with the shipped configuration, takes 0-1 as fast and 2-3 as slow.
. /tvm/lib.sh

nodes=/sys/devices/system/node
tiers=/sys/devices/virtual/memory_tiering
facts=$(t_result_file topology4.txt)

# A node's memory in MiB: its memory blocks (nodeN/memoryM) times the block
# size; exact when the node's size is a multiple of it (128 MiB here).
node_mib() {
	echo $(($(ls -d "$nodes/node$1"/memory[0-9]* 2>/dev/null | wc -l) *
		0x$(cat /sys/devices/system/memory/block_size_bytes) / 1048576))
}

# "ID:NODELIST" of every memory tier, by id: "4:0-1 54:2-3".
tier_lists() {
	for t in "$tiers"/memory_tier*; do
		[ -r "$t/nodelist" ] && echo "${t##*memory_tier}:$(cat "$t/nodelist")"
	done | sort -n | tr '\n' ' ' | sed 's/ $//'
}

# The node names in nodeN/ACCESS/DIR (initiators or targets), "0 2".
access_nodes() {
	ls -d "$nodes/node$1/$2/$3"/node[0-9]* 2>/dev/null | sed 's|.*/node||' | sort -n | tr '\n' ' ' | sed 's/ $//'
}

# --- nodes, CPUs, memory, SLIT
t_check "nodes are exactly node0..node3" t_eq "node0 node1 node2 node3" \
	"$(ls -d "$nodes"/node[0-9]* | sed 's|.*/||' | sort | tr '\n' ' ' | sed 's/ $//')"
t_check "node0 has CPU0 only" t_eq "0" "$(cat "$nodes/node0/cpulist")"
t_check "node1 has CPU1 only" t_eq "1" "$(cat "$nodes/node1/cpulist")"
t_check "node2 exists and has no CPUs" t_eq "" "$(cat "$nodes/node2/cpulist" 2>/dev/null || echo "no node2")"
t_check "node3 exists and has no CPUs" t_eq "" "$(cat "$nodes/node3/cpulist" 2>/dev/null || echo "no node3")"
t_check "CPU0 and CPU1 are in two sockets" t_eq "0 1" \
	"$(cat /sys/devices/system/cpu/cpu0/topology/physical_package_id /sys/devices/system/cpu/cpu1/topology/physical_package_id | tr '\n' ' ' | sed 's/ $//')"

for n in 0 1 2 3; do
	t_check "node$n has mem$n=$(t_param mem$n) MiB" t_eq "$(t_param mem$n)" "$(node_mib $n)"
done

# SLIT as the harness sets it: 21 between the sockets, 17 from a socket to
# its own slow node, 28 for the rest
t_check "node0 distances" t_eq "10 21 17 28" "$(cat "$nodes/node0/distance")"
t_check "node1 distances" t_eq "21 10 28 17" "$(cat "$nodes/node1/distance")"
t_check "node2 distances" t_eq "17 28 10 28" "$(cat "$nodes/node2/distance")"
t_check "node3 distances" t_eq "28 17 28 10" "$(cat "$nodes/node3/distance")"

# --- HMAT: each node's best initiator (access0) and its figures. The harness
# sets, from each initiator: own node, other socket, own slow, far slow.
set -- $TDVM_HMAT4_LAT
lat_local=$1 lat_own_slow=$3
set -- $TDVM_HMAT4_BW
bw_local=$1 bw_own_slow=$3
for n in 0 1 2 3; do
	init=$((n % 2))
	if [ $n -lt 2 ]; then lat=$lat_local bw=$bw_local; else lat=$lat_own_slow bw=$bw_own_slow; fi
	t_check "node$n: access0 initiator is node$init" t_eq "$init" "$(access_nodes $n access0 initiators)"
	t_check "node$n: HMAT read latency from node$init is $lat ns" \
		t_eq "$lat" "$(cat "$nodes/node$n/access0/initiators/read_latency" 2>/dev/null)"
	t_check "node$n: HMAT read bandwidth from node$init is $bw MB/s" \
		t_eq "$bw" "$(cat "$nodes/node$n/access0/initiators/read_bandwidth" 2>/dev/null)"
done
t_check "node0 is the access0 initiator of nodes 0 and 2" t_eq "0 2" "$(access_nodes 0 access0 targets)"
t_check "node1 is the access0 initiator of nodes 1 and 3" t_eq "1 3" "$(access_nodes 1 access0 targets)"

# --- memory tiers
t_check "memory tiers are exposed in sysfs" test -d "$tiers"
lists=$(tier_lists)
t_log "memory tiers (id:nodes): $lists"
fast_tier=$(printf '%s\n' $lists | sed -n 's/:0-1$//p')
slow_tier=$(printf '%s\n' $lists | sed -n 's/:2-3$//p')
t_check "two memory tiers hold nodes" t_eq 2 "$(printf '%s\n' $lists | grep -c :)"
t_check "nodes 0-1 are one tier, alone" test -n "$fast_tier"
t_check "nodes 2-3 are one tier, alone" test -n "$slow_tier"
t_check "nodes 2-3 are in a lower tier than nodes 0-1 (higher id: $slow_tier > $fast_tier)" \
	t_range "${slow_tier:-0}" $((${fast_tier:-0} + 1)) 100000

# --- demotion targets. The kernel names them, where it does, only in its log
# (mm/memory-tiers.c: "Demotion targets for Node N: preferred: ..."); they
# are also what its reclaim does, checked below with memory.reclaim.
for n in 0 1; do
	want=$((n + 2))
	line=$(dmesg | sed -n "s/.*Demotion targets for Node $n: //p" | tail -n1)
	if [ -n "$line" ]; then
		t_log "kernel: demotion targets for node$n: $line"
		t_check "kernel log: node$n's preferred demotion target is node$want" \
			t_eq "$want" "$(printf '%s\n' "$line" | sed -n 's/^preferred: \(.*\), fallback: .*/\1/p')"
		t_check "kernel log: node$n's fallback demotion targets are the slow tier, 2-3" \
			t_eq "2-3" "$(printf '%s\n' "$line" | sed -n 's/.*, fallback: \(.*\)$/\1/p')"
	else
		t_log "kernel $(uname -r) does not name node$n's demotion targets: taken from the HMAT access classes"
		t_check "node$n's demotion target node$want (the lower-tier node whose access0 initiator it is)" \
			t_eq "$want" "$(for s in 2 3; do [ "$(access_nodes $s access0 initiators)" = $n ] && echo $s; done)"
	fi
done

# memory.reclaim of a cgroup's anonymous pages on node N (no swap: only
# demotion can reclaim them) puts them on node N's demotion target. The
# payload's own few pages on the other socket's node (its CPU's) may go to
# that node's target: the other slow node gets no more than those.
anon_on() { sed -n "s/^anon \(.* \)\{0,1\}N$2=\([0-9]*\).*/\2/p" "/sys/fs/cgroup/$1/memory.numa_stat"; }
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
echo true > /sys/kernel/mm/numa/demotion_enabled || t_fail "cannot switch demotion_enabled on"
for n in 0 1; do
	want=$((n + 2)) other=$((3 - n)) sibling=$((1 - n))
	cg=demote$n
	mkdir -p /sys/fs/cgroup/$cg
	out=$(t_result_file "$cg-coldfill.out")
	sh -c 'echo $$ > "$0" && exec coldfill --mib 64 --node "$1"' /sys/fs/cgroup/$cg/cgroup.procs $n > "$out" 2>&1 &
	pid=$!
	i=0
	while ! grep -q '^READY' "$out" && kill -0 $pid 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	t_check "node$n: coldfill placed 64 MiB" grep -q '^READY' "$out"
	before=$(anon_on $cg $n) before_other=$(($(anon_on $cg $other) + $(anon_on $cg $sibling)))
	t_check "node$n: the cgroup's 64 MiB are on node$n before reclaim" t_range "$before" 67108864 100000000
	echo 64M > /sys/fs/cgroup/$cg/memory.reclaim 2>/dev/null
	echo 64M > /sys/fs/cgroup/$cg/memory.reclaim 2>/dev/null
	on_n=$(anon_on $cg $n) on_want=$(anon_on $cg $want) on_other=$(anon_on $cg $other)
	t_log "node$n: before reclaim node$n $before, node$sibling + node$other $before_other B;" \
		"after: node$n $on_n, node$want $on_want, node$other $on_other B"
	t_check "node$n: reclaim demoted >= 90 % of node$n's $before B to node$want" \
		t_range "$on_want" $((before * 9 / 10)) $((before + before_other))
	t_check "node$n: nothing of node$n's demoted to node$other" t_range "$on_other" 0 "$before_other"
	kill -TERM $pid
	wait $pid
done
echo false > /sys/kernel/mm/numa/demotion_enabled

# --- tieringd with the shipped configuration
t_require_bin tieringd tieringctl
t_check "the shipped configuration is in the guest" test -s "$TDVM_CONF"
t_tieringd_start "$TDVM_CONF"
t_check "tieringd is ready" grep -q "^tieringd: ready$" "$td_log"
st=$(t_result_file status.json)
tieringctl -j status > "$st"
# jansson prints arrays as [0, 1]: spaces dropped before comparing
nodes_of() { grep -o "\"$1\": *\[[^]]*\]" "$st" | sed 's/.*: *//; s/ //g'; }
t_check "tieringctl -j status: fast_nodes [0,1]" t_eq "[0,1]" "$(nodes_of fast_nodes)"
t_check "tieringctl -j status: slow_nodes [2,3]" t_eq "[2,3]" "$(nodes_of slow_nodes)"
t_tieringd_stop

{
	echo "kernel: $(t_kernel) $(uname -r)"
	for n in 0 1 2 3; do
		echo "node$n: cpus '$(cat "$nodes/node$n/cpulist")' distance $(cat "$nodes/node$n/distance")" \
			"$(node_mib $n) MiB access0 initiator $(access_nodes $n access0 initiators)" \
			"latency $(cat "$nodes/node$n/access0/initiators/read_latency" 2>/dev/null)" \
			"bandwidth $(cat "$nodes/node$n/access0/initiators/read_bandwidth" 2>/dev/null)"
	done
	for t in "$tiers"/memory_tier*; do
		[ -r "$t/nodelist" ] && echo "${t##*/}: nodes $(cat "$t/nodelist")"
	done
	dmesg | grep 'Demotion targets' || echo "demotion targets: not in the kernel log"
	echo "tieringd: fast_nodes $(nodes_of fast_nodes) slow_nodes $(nodes_of slow_nodes)"
} > "$facts"
sed 's/^/  /' "$facts"
