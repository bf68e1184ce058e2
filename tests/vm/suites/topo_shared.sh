#!/bin/sh
# vm: mode=initramfs topology=4node mem0=1024 mem1=1024 mem2=1024 mem3=1024 timeout=240 kernels=6.12,sid
#
# Issue 12 item 2: a page set shared by threads on both sockets goes to the
# node most of its accesses come from. Two processes (sharedset), each with
# a 32 MiB hot set scattered over 64 MiB on a slow node, read by two
# threads pinned to CPU0 and CPU1 at a 3:1 skew (the minority thread idles
# two thirds of the time; the passes each made are printed):
#   s1: majority on CPU0, pages on node3 -> node0 (node1 is nearest node3)
#   s2: majority on CPU1, pages on node2 -> node1 (node0 is nearest node2)
# Each hot set must be >= 80 % on its majority's node and <= 15 % on the
# other fast node, by the payload's own move_pages(2) query; tieringd runs
# the shipped defaults (1 GiB fast nodes: the kernel's own promotion stays
# out, pgpromote_success printed). The kernel alone (numa_balancing=2)
# runs the same in the same boot, for the figure beside tieringd's.
. /tvm/lib.sh

t_require_bin tieringd tieringctl sharedset
SECS=$(t_param secs 30)
KSECS=$(t_param ksecs 20)
t_numa_scan_fast

# run NAME SECS: both processes at once; outputs NAME-s1.out, NAME-s2.out.
run() {
	sharedset --node 3 --cpu-a 0 --cpu-b 1 --skew 3 --seconds "$2" --seed 1 \
		> "$(t_result_file "$1-s1.out")" 2>&1 &
	_p1=$!
	sharedset --node 2 --cpu-a 1 --cpu-b 0 --skew 3 --seconds "$2" --seed 2 \
		> "$(t_result_file "$1-s2.out")" 2>&1 &
	_p2=$!
	for s in 1 2; do
		t_wait_for "$(t_result_file "$1-s$s.out")" '^READY' 60 ||
			t_fail "$1: s$s did not place its memory"
	done
	wait $_p1 $_p2
}

t_tieringd_then_kernel "$SECS" "$KSECS"

summary=$(t_result_file summary.txt)
: > "$summary"
for s in "1 node3 0 1 CPU0" "2 node2 1 0 CPU1"; do
	set -- $s
	f=$(t_result_file "td-s$1.out")
	k=$(t_result_file "kernel-s$1.out")
	maj=$(t_final "$f" node$3) min=$(t_final "$f" node$4)
	echo "s$1 (majority on $5, pages on $2): tieringd node$3 ${maj:-?} % node$4 ${min:-?} %;" \
		"kernel alone node$3 $(t_final "$k" node$3) % node$4 $(t_final "$k" node$4) %;" \
		"passes A:B $(t_final "$f" passes_a):$(t_final "$f" passes_b)" >> "$summary"
	t_check "s$1: >= 80 % of the hot set on its majority's node$3 (${maj:-none} %)" t_range "${maj:-0}" 80 100
	t_check "s$1: <= 15 % on the minority's node$4 (${min:-none} %)" t_range "${min:-100}" 0 15
	a=$(t_final "$f" passes_a) b=$(t_final "$f" passes_b)
	t_check "s$1: the majority thread made >= 2x the passes ($a:$b)" t_range "${a:-0}" $((${b:-1} * 2)) 1000000000
done
echo "tieringd targets: local $(t_json_num "$stats" promote_targets_local)," \
	"nearest $(t_json_num "$stats" promote_targets_nearest), wait $(t_json_num "$stats" promote_targets_wait)," \
	"unclear (waiting for a clear majority) $(t_json_num "$stats" promote_targets_unclear)" >> "$summary"
echo "pgpromote_success during tieringd's run (the kernel's own): $kprom" >> "$summary"
t_check "the kernel promoted nothing itself while tieringd ran (pgpromote_success +$kprom)" \
	t_range "$kprom" 0 256
sed 's/^/  /' "$summary"
