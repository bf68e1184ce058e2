#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=2048 timeout=420 kernels=sid
#
# Multi-size THP (6.8+; issue 10): thp_fullfast's scenario with 64 KiB folios.
# hugepages-64kB/enabled=always and hugepages-2048kB/enabled=never, so the
# payload's anonymous memory faults in as 64 KiB folios (checked from the
# kernel's side: every 64 KiB chunk one folio in /proc/kpageflags, and the
# anon_fault_alloc counter of hugepages-64kB/stats where the kernel has it).
# The fast node is full of another cgroup's cold pages (coldfill); a 200 MiB
# hot set of whole 64 KiB chunks starts on the slow node, read at random
# offsets inside each chunk. tieringd with the shipped defaults: >= 90 % of
# the hot set on node0 within 60 s (and still 15 s later, when its run ends),
# bytes_promoted >= 90 % of its bytes; then the kernel alone (tiering mode,
# demotion off, as tieringd leaves it) for as long.
# The suite is registered for kernels that have mTHP: a kernel without
# hugepages-64kB is a FAIL here, not a skip.
. /tvm/lib.sh

t_require_bin tieringd tieringctl thpset coldfill
SECS=60
HOLD=15
HOT_MB=200
THP=/sys/kernel/mm/transparent_hugepage
M64=$THP/hugepages-64kB
t_numa_scan_fast
[ -w $M64/enabled ] || t_fatal "kernel $(uname -r) has no 64 KiB mTHP ($M64/enabled): mthp needs 6.8+"
echo always > $M64/enabled
echo never > $THP/hugepages-2048kB/enabled
t_log "mTHP: 64kB $(cat $M64/enabled); 2048kB $(cat $THP/hugepages-2048kB/enabled); top $(cat $THP/enabled)"
t_check "64 KiB mTHP enabled" grep -q '\[always\]' $M64/enabled

# mthp_check NAME PID OUT: every chunk of the hot region is one 64 KiB folio
# (kpageflags), and the kernel counted at least that many 64 KiB anon faults.
mthp_check() {
	t_check "$1: every chunk is one 64 KiB folio (kpageflags)" \
		awk '$1 == "FOLIOS" { n++; if ($5 != $7 || $11 != 64) bad = 1 } END { exit bad || !n }' "$3"
	if [ -r $M64/stats/anon_fault_alloc ]; then
		faults=$(( $(cat $M64/stats/anon_fault_alloc) - faults0 ))
		chunks=$(awk '$1 == "FOLIOS" { print $5 }' "$3")
		t_check "$1: hugepages-64kB anon_fault_alloc rose by >= $chunks ($faults)" t_range "$faults" "$chunks" 1000000000
	else
		t_log "$1: no $M64/stats/anon_fault_alloc on this kernel; kpageflags only"
	fi
}
# m64_stat NAME: a hugepages-64kB/stats counter (0 where the kernel has none)
m64_stat() { cat $M64/stats/$1 2> /dev/null || echo 0; }
# run NAME [THPSET-ARG...]: one run of the scenario, SECS at most
run() {
	_r=$1
	shift
	faults0=$(m64_stat anon_fault_alloc)
	split0=$(m64_stat split)
	t_fullfast_run "$_r" mthp_check --hot $HOT_MB --total 256 --folio-kb 64 --seconds $SECS "$@"
	eval "${_r}_split64=\$(( \$(m64_stat split) - split0 ))"
}

# tieringd's run ends HOLD s after the hot set first reached 90 % on node0
# (13-22 s in CI runs), or at SECS; then the kernel alone for as long (it
# stays near 4 % from its fifth second on)
t_kernel_reset
t_with_tieringd "$(t_shipped_conf)" run tieringd --until-pct 90 --hold $HOLD
tsecs=$(awk '$1 == "FINAL" { printf "%d\n", $2 + 0.999 }' "$(t_result_file tieringd-thpset.out)")
t_kernel_alone
run kernel --seconds "${tsecs:-$SECS}"
t_kernel_reset
grep -E '^(bytes_promoted|pages_promoted|promoted_folios|hot_threshold)' "$td_log" | sed 's/^/  td| /'
echo inherit > $THP/hugepages-2048kB/enabled
echo never > $M64/enabled

hs=$(t_result_file tieringd-thpset.out)
hot_bytes=$(t_final "$hs" hot_bytes)
bp=$(t_json_num "$td_status" bytes_promoted)
t_fullfast_summary kernel tieringd
t_log "tieringd bytes_promoted ${bp:-none} of a hot set of $hot_bytes bytes;" \
	"64 KiB folios still whole at the end: $(t_final "$hs" whole_folios) of $(t_final "$hs" chunks)" \
	"(hugepages-64kB split: tieringd run $tieringd_split64, kernel alone $kernel_split64; reported, not asserted)"
t_check "tieringd: >= 90 % of the hot set on the fast node within 60 s (at ${tieringd_t90:-never} s; kernel alone in as long: ${kernel_t90:-never})" \
	t_range "${tieringd_t90:-999}" 0 60
t_check "tieringd: still >= 90 % at the end, $HOLD s after it first got there ($tieringd_pct %; kernel alone $kernel_pct %)" t_range "$tieringd_pct" 90 100
t_check "tieringd: bytes_promoted >= 90 % of the hot set's bytes (${bp:-none} of $hot_bytes)" \
	t_range "${bp:-0}" $((hot_bytes * 9 / 10)) $((hot_bytes * 2))
