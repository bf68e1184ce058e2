#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=2048 timeout=300 kernels=6.12
#
# Selectivity under scarcity (issue 10): a 384 MiB region read in full once
# every 4 s (a backup, a GC pass, a scan) beside a 64 MiB hot set read
# continuously at random offsets, both THPs on the slow node, THP on as Debian
# ships it. The fast node (1 GiB) has under 1 GiB free, the kernel's cut-off
# for promoting freely; there is room for both sets, so only the policy can
# tell them apart. The kernel alone first (tiering mode, demotion off, as
# tieringd leaves it), then tieringd with the shipped defaults. Asserted for
# tieringd, from the payload's placement query (one address per folio): >= 90
# % of the hot set on node0 at the end, and at no report more than 1 % of the
# swept region. The kernel-alone figures for both sets are printed beside
# them.
. /tvm/lib.sh

t_require_bin tieringd tieringctl thpset
SECS=45
t_numa_scan_fast
t_check "THP is on, as Debian ships it" \
	grep -q '\[always\]' /sys/kernel/mm/transparent_hugepage/enabled
free0=$(awk '/MemFree/ { print $4 }' /sys/devices/system/node/node0/meminfo)
t_log "node0 free: $free0 kB"
t_check "node0 is under the kernel's 1 GiB mark ($free0 kB free)" t_range "$free0" 0 1048576

# run NAME: sets NAME_hot (end %), NAME_sweep_max (most % of the swept
# region seen on node0), NAME_sweeps.
run() {
	out=$(t_result_file "$1-thpset.out")
	thpset --hot 64 --sweep 384 --sweep-every 4 --node 1 --fast 0 --seconds $SECS > "$out" 2>&1
	t_log "$1: $(grep '^FOLIOS' "$out" | tr '\n' ';')"
	t_log "$1: $(grep '^FINAL' "$out" | cut -d' ' -f1-14)"
	t_check "$1: both regions are whole 2 MiB folios (kpageflags)" \
		awk '$1 == "FOLIOS" && $5 != $7 { bad = 1 } $1 == "FOLIOS" { n++ } END { exit bad || n != 2 }' "$out"
	eval "${1}_hot=\$(t_final \"\$out\" hot_fast_pct)"
	eval "${1}_sweeps=\$(t_final \"\$out\" sweeps)"
	eval "${1}_sweep_max=\$(t_series \"\$out\" T sweep_fast_pct | awk '\$2 > m { m = \$2 } END { print m + 0 }')"
}

t_kernel_alone
run kernel
t_kernel_reset

t_with_tieringd "$(t_shipped_conf)" run tieringd
grep -E '^(bytes_promoted|pages_promoted|hot_threshold|promote_decisions_)' "$td_log" | sed 's/^/  td| /'

t_log "hot set on node0 at the end: tieringd $tieringd_hot %, kernel alone $kernel_hot %"
t_log "swept region on node0, most seen: tieringd $tieringd_sweep_max %, kernel alone $kernel_sweep_max %"
t_log "tieringd bytes_promoted $(t_json_num "$td_status" bytes_promoted), hot_threshold" \
	"$(t_json_num "$td_status" hot_threshold) ($(grep -o '"hot_threshold_reason":"[^"]*"' "$td_status" | cut -d'"' -f4))"
t_check "the region was swept every 4 s ($tieringd_sweeps sweeps in $SECS s)" \
	t_range "$tieringd_sweeps" $((SECS / 4 - 1)) $((SECS / 4 + 1))
t_check "tieringd: >= 90 % of the hot set on the fast node ($tieringd_hot %; kernel alone $kernel_hot %)" \
	t_range "$tieringd_hot" 90 100
t_check "tieringd: <= 1 % of the swept region ever on the fast node ($tieringd_sweep_max %; kernel alone $kernel_sweep_max %)" \
	t_range "$tieringd_sweep_max" 0 1
