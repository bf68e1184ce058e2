#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=1024 timeout=240 kernels=6.12
#
# Memory shared by several processes (issue 12, item 5): tieringd moves pages
# with MPOL_MF_MOVE only, without CAP_SYS_NICE, so move_pages(2) refuses a
# page mapped by more than one process (per-page status -EACCES) and
# tieringd leaves it where it is; the kernel's own tiering promotion, which
# sees every mapper's hint faults, may move it (tieringd(8), the unit's
# capability comment). shmset places three hot 16 MiB regions on node1:
# private (the parent's alone), forked (anonymous, written before fork(2),
# read by parent and child: mapcount 2, THPs as Debian ships them) and shmem
# (a memfd mapped by both). Regime: node0 has < 1 GiB free, so the kernel
# promotes through its rate limit, which the shipped configuration sets to 0
# (KernelPromoteRateLimitMBps=0): every move is tieringd's.
#  1. Shipped configuration: private >= 90 % on node0 (the control); forked
#     and shmem 0 % moved, the kernel's pgpromote_success +0; every refusal
#     counted as pages_failed_EACCES; the refused folios are held 5 minutes
#     (at most one try each in the last 30 s), counted in promote_shared_held.
#  2. KernelPromoteRateLimitMBps=256 (what tieringd(8) tells operators of
#     shared-memory programs to set): the kernel promotes the two shared
#     regions (>= 90 % each; pgpromote_success >= their pages).
. /tvm/lib.sh

t_require_bin tieringd tieringctl shmset
MIB=16
t_numa_scan_fast
t_log "node0 free: $(awk '/MemFree/ { print $4, $5 }' /sys/devices/system/node/node0/meminfo)"

# stat_of FILE KEY: a counter of `tieringctl stats`
stat_of() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
fin() { t_final "$1" "$2"; }

# run NAME CONF SECS: shmset under tieringd on CONF; sets NAME_out,
# NAME_promo (pgpromote_success delta) and the stats files NAME-stats{10,end}.txt
run() {
	_n=$1 _out=$(t_result_file "$1-shmset.out")
	t_tieringd_start "$2" "$1-tieringd.log"
	_p0=$(t_vmstat pgpromote_success)
	shmset --mib $MIB --seconds "$3" > "$_out" 2>&1 &
	_sp=$!
	t_wait_for "$_out" '^READY' 60
	sleep 10
	tieringctl stats > "$(t_result_file "$_n-stats10.txt")"
	wait $_sp
	tieringctl stats > "$(t_result_file "$_n-statsend.txt")"
	t_tieringd_stop "$_n"
	eval "${_n}_promo=$(( $(t_vmstat pgpromote_success) - _p0 )) ${_n}_out=$_out"
	t_log "$_n: $(grep '^SHARED' "$_out")"
	t_log "$_n: $(grep '^FINAL' "$_out")"
}

conf=$(t_shipped_conf)
run shipped "$conf" 40
o=$shipped_out
t_check "the forked and shmem regions are mapped twice (kpagecount >= 2), the private one is not ($(grep '^SHARED' "$o"))" \
	awk '$1 == "SHARED" { exit !($3 == 0 && $5 >= 99 && $7 >= 99) }' "$o"
t_check "shipped: the private region reached the fast node ($(fin "$o" private_fast_pct) % >= 90)" \
	t_range "$(fin "$o" private_fast_pct)" 90 100
t_check "shipped: the kernel promoted nothing itself (pgpromote_success +$shipped_promo)" t_eq 0 "$shipped_promo"
t_check "shipped: the fork-shared region stayed on node1 ($(fin "$o" forked_fast_pct) % on node0)" \
	t_range "$(fin "$o" forked_fast_pct)" 0 0
t_check "shipped: the shmem region stayed on node1 ($(fin "$o" shmem_fast_pct) % on node0)" \
	t_range "$(fin "$o" shmem_fast_pct)" 0 0
s10=$(t_result_file shipped-stats10.txt) send=$(t_result_file shipped-statsend.txt)
e10=$(stat_of "$s10" pages_failed_EACCES) eend=$(stat_of "$send" pages_failed_EACCES)
f10=$(stat_of "$s10" pages_failed) fend=$(stat_of "$send" pages_failed)
# the shared regions' folios: shmem in 4 KiB pages (shmem THP is off by
# default), the forked region in the THPs it has (kpageflags would say; the
# bound below takes the larger count, 4 KiB pages, for both)
shared_max=$((2 * MIB * 256))
t_log "shipped: pages_failed_EACCES $e10 at 10 s, $eend at the end; pages_failed (4 KiB) $f10 -> $fend;" \
	"bytes_promoted $(stat_of "$send" bytes_promoted)"
t_check "shipped: the refusals are counted as EACCES ($eend > 0) and in pages_failed ($fend)" \
	t_range "$eend" 1 1000000000
# A refused folio is held 5 minutes (TD_DECIDE_SHARED_HOLD_NS, reason
# "shared"), not charged to any rate: at most one try each in the last 30 s.
# Before the hold (retried with the back-off, 100 ms doubled per failure,
# retries saturating at 7) 6.12 measured 16 tries per folio in 40 s, 10 in the
# last 30 s, each charged to the rate budget like a move (320 MiB in 30 s).
t_log "shipped: refused bytes tried in the last 30 s: $(( (fend - f10) * 4 / 1024 )) MiB" \
	"for $((2 * MIB)) MiB of shared memory; promote_shared_held $(stat_of "$send" promote_shared_held)"
t_check "shipped: refused folios are held: <= 1 try each in the last 30 s ($((eend - e10)) for <= $shared_max folios)" \
	t_range "$((eend - e10))" 0 $shared_max
t_check "shipped: the held folios are counted (promote_shared_held $(stat_of "$send" promote_shared_held) > 0)" \
	t_range "$(stat_of "$send" promote_shared_held)" 1 1000000000

# 2. the kernel's own promotion on: it moves shared pages
mkdir -p /tmp/kp
sed 's/^#KernelPromoteRateLimitMBps=.*/KernelPromoteRateLimitMBps=256/' "$conf" > /tmp/kp/tieringd.conf
t_check "the shipped configuration with KernelPromoteRateLimitMBps=256" \
	grep -q '^KernelPromoteRateLimitMBps=256$' /tmp/kp/tieringd.conf
run kernelrate /tmp/kp/tieringd.conf 25
o=$kernelrate_out
t_log "kernelrate: the kernel promoted $kernelrate_promo pages itself (the shared regions: $((2 * MIB * 256)))"
t_check "kernel rate 256: the fork-shared region reached node0 ($(fin "$o" forked_fast_pct) % >= 90)" \
	t_range "$(fin "$o" forked_fast_pct)" 90 100
t_check "kernel rate 256: the shmem region reached node0 ($(fin "$o" shmem_fast_pct) % >= 90)" \
	t_range "$(fin "$o" shmem_fast_pct)" 90 100
t_check "kernel rate 256: the kernel's own promotions did it (pgpromote_success +$kernelrate_promo >= $((2 * MIB * 256 * 9 / 10)))" \
	t_range "$kernelrate_promo" $((2 * MIB * 256 * 9 / 10)) 1000000000
