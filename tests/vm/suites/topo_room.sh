#!/bin/sh
# vm: mode=initramfs topology=4node mem0=896 mem1=768 mem2=1024 mem3=1024 timeout=240 kernels=6.12,sid
#
# Issue 12 item 2: room is made on the fast node that needs it. Both fast
# nodes are full of cold pages, each of its own cgroup (coldfill: /cold0 on
# node0, the larger, /cold1 on node1, 48 MiB free each, under the shipped
# FastWatermark=256M). A workload on CPU1 (cgroup /hot) reads a 32 MiB hot
# set scattered over 64 MiB on node3. Its folios want node1 and wait; the
# promoter tells the demoter which node they want, and the demoter asks the
# cgroups with memory on node1 (/cold1), whose pages the kernel demotes to
# node1's own demotion target, node3 (memory.reclaim is not node-targeted:
# choosing the victim is what picks the node). Asserted: the hot set >= 90 %
# on node1 (not node0, which demotion from /cold0 would have freed first:
# the larger cgroup is the first victim when every fast node counts);
# /cold0 keeps >= 95 % of its node0 bytes; /cold1 lost node1 bytes to node3.
# (A node's shortfall under the watermark is asked for with its waiting
# bytes once 1 MiB or more waits for it; the few pages of other processes
# that wait for node0 ask for no more than themselves.) Before the room was
# made per node: /cold0 was asked first (the larger), lost 30 % of node0,
# and the hot set went 35 % to node0, 0 % to node1.
# No kernel-alone run: with demotion off the kernel makes no room (fullfast:
# 0 % on a full node), and that is not what this suite is about.
. /tvm/lib.sh

t_require_bin tieringd tieringctl sharedset coldfill
SECS=$(t_param secs 30)
t_numa_scan_fast
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/cold0 /sys/fs/cgroup/cold1 /sys/fs/cgroup/hot
for n in 0 1; do
	out=$(t_result_file "coldfill$n.out")
	t_in_cgroup cold$n coldfill --leave-free 48 --node $n > "$out" 2>&1 &
	eval "cpid$n=\$!"
	t_wait_for "$out" '^READY' 120
	t_check "coldfill filled node$n" grep -q '^READY' "$out"
done
c0_before=$(t_cg_node_bytes cold0 0) c1_before=$(t_cg_node_bytes cold1 1) c1_slow0=$(t_cg_node_bytes cold1 3)
t_log "before: /cold0 node0 $c0_before B, /cold1 node1 $c1_before B, node3 $c1_slow0 B;" \
	"free node0 $(awk '/MemFree/ { print $4 }' /sys/devices/system/node/node0/meminfo) kB," \
	"node1 $(awk '/MemFree/ { print $4 }' /sys/devices/system/node/node1/meminfo) kB"

t_tieringd_start "$(t_shipped_conf)"
t_check "tieringd is ready" grep -q "^tieringd: ready$" "$td_log"
f=$(t_result_file td.out)
t_in_cgroup hot sharedset --node 3 --cpu-a 1 --cpu-b -1 --seconds "$SECS" --seed 4 > "$f" 2>&1 &
wpid=$!
t_wait_for "$f" '^READY' 60 || t_fail "the workload did not place its memory"
while kill -0 $wpid 2>/dev/null; do
	t_log "free node0 $(awk '/MemFree/ { print $4 }' /sys/devices/system/node/node0/meminfo) kB" \
		"node1 $(awk '/MemFree/ { print $4 }' /sys/devices/system/node/node1/meminfo) kB;" \
		"/cold1 node1 $(t_cg_node_bytes cold1 1) B"
	sleep 5
done
wait $wpid
stats=$(t_result_file stats.json)
tieringctl -j stats > "$stats"
t_tieringd_stop
c0_after=$(t_cg_node_bytes cold0 0) c1_after=$(t_cg_node_bytes cold1 1) c1_slow1=$(t_cg_node_bytes cold1 3)
kill -TERM $cpid0 $cpid1
wait $cpid0 $cpid1

on1=$(t_final "$f" node1) on0=$(t_final "$f" node0)
summary=$(t_result_file summary.txt)
{
	echo "CPU1 workload, pages on node3, both fast nodes full: hot set node1 ${on1:-?} % node0 ${on0:-?} %" \
		"(90 % on node1 at $(t_series "$f" T node1 | awk '$2 + 0 >= 90 { print $1 " s"; exit }'))"
	echo "/cold0 node0: $c0_before -> $c0_after B; /cold1 node1: $c1_before -> $c1_after B, node3: $c1_slow0 -> $c1_slow1 B"
	echo "tieringd: pages_demoted $(t_json_num "$stats" pages_demoted), targets local" \
		"$(t_json_num "$stats" promote_targets_local) nearest $(t_json_num "$stats" promote_targets_nearest)" \
		"wait $(t_json_num "$stats" promote_targets_wait)"
} > "$summary"
t_check "the hot set is >= 90 % on node1, its CPU's node (${on1:-none} %)" t_range "${on1:-0}" 90 100
t_check "/cold0 kept >= 95 % of its node0 bytes ($c0_before -> $c0_after)" \
	t_range "$c0_after" $((c0_before / 100 * 95)) $((c0_before + 16777216))
t_check "/cold1 gave node1 bytes to node3, its demotion target ($c1_slow0 -> $c1_slow1 B on node3)" \
	t_range "$c1_slow1" $((c1_slow0 + 16777216)) 100000000000
# what tieringd counts demoted covers what moved (sid's 7.x counts
# memory.reclaim's demotions in memory.stat's pgdemote_proactive: it read 0)
dem=$(t_json_num "$stats" pages_demoted)
t_check "tieringd counted them (pages_demoted ${dem:-none} >= 90 % of /cold1's node3 growth)" \
	t_range "${dem:-0}" $(( (c1_slow1 - c1_slow0) / 4096 / 10 * 9 )) 100000000000
sed 's/^/  /' "$summary"
