#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=1024 timeout=180 kernels=6.12
#
# Scale (issue 12 item 3): a configuration with 500 [Cgroup] sections, one
# per cgroup /conf/c0..c499 (all existing). Timed (TCG, printed; bounded
# with a wide margin): tieringd --check-config, start-up to "ready", and a
# reload. Policy lookups stay correct at the end of the list: section 499
# (/conf/c499, Mode=observe) is tracked but never moved while a hot set in
# section 497 (/conf/c497, Mode=promote) is promoted; `tieringctl -j
# cgroups` shows each section's mode and weight; after a reload that swaps
# c499 to promote and c0 to observe, both are shown so. Regime: the 1 GiB
# fast node is below the kernel's ample-free mark and tieringd sets its
# promote rate limit to 0: the promotions are tieringd's.
. /tvm/lib.sh

t_require_bin tieringd tieringctl hotset
t_numa_scan_fast
NCG=500
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/conf
echo +memory > /sys/fs/cgroup/conf/cgroup.subtree_control
# conf M0 M499: the config with c0's and c499's modes
conf() {
	printf '[Daemon]\nNumaBalancing=2\nKernelPromoteRateLimitMBps=0\nFastWatermark=32M\n'
	i=0
	while [ $i -lt $NCG ]; do
		case $i in
		0) m=$1 ;;
		499) m=$2 ;;
		*) m=promote ;;
		esac
		printf '\n[Cgroup "/conf/c%d"]\nMode=%s\nWeight=%d\nHotThreshold=%d\n' $i $m $((i + 1)) $((i % 7 + 1))
		i=$((i + 1))
	done
}
i=0
while [ $i -lt $NCG ]; do mkdir -p /sys/fs/cgroup/conf/c$i; i=$((i + 1)); done
conf promote observe > /tmp/td.conf
t_log "config: $(grep -c '^\[Cgroup' /tmp/td.conf) [Cgroup] sections, $(wc -l < /tmp/td.conf) lines"
up() { awk '{ print $1 }' /proc/uptime; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b - a) * 1000 }'; }
t0=$(up)
tieringd --check-config /tmp/td.conf > /tmp/cc.out 2>&1
rc=$?
t1=$(up)
t_check "--check-config accepts the 500 sections" t_eq 0 "$rc"
check_ms=$(ms "$t0" "$t1")
t0=$(up)
t_tieringd_start /tmp/td.conf
t1=$(up)
start_ms=$(ms "$t0" "$t1")
t_check "tieringd is up with $NCG sections" grep -q "^tieringd: ready$" "$td_log"
cg=$(t_result_file cgroups.json)
tieringctl -j cgroups > "$cg"
# the fields of one cgroup's object in a `tieringctl -j cgroups` reply
item() { tr '{}' '\n\n' < "$1" | grep "\"path\": *\"$2\"" | head -n 1; }
field() { item "$1" "$2" | grep -o "\"$3\": *[^,]*" | sed 's/.*: *//; s/"//g'; }
t_check "c499 (section 499): mode observe" t_eq observe "$(field "$cg" /conf/c499 mode)"
t_check "c499: weight 500" t_eq 500 "$(field "$cg" /conf/c499 weight)"
t_check "c498: mode promote, weight 499" t_eq "promote 499" \
	"$(field "$cg" /conf/c498 mode) $(field "$cg" /conf/c498 weight)"
t_check "c0: mode promote, weight 1" t_eq "promote 1" "$(field "$cg" /conf/c0 mode) $(field "$cg" /conf/c0 weight)"
t_check "every section is listed ($(grep -o '"path": *"/conf/c[0-9]*"' "$cg" | wc -l))" \
	t_eq $NCG "$(grep -o '"path": *"/conf/c[0-9]*"' "$cg" | wc -l)"
# the policies at the end of the list decide
pids=
for g in 497 499; do
	t_in_cgroup conf/c$g hotset --total 64 --hot 32 --node 1 --fast 0 --seconds 20 \
		> "$(t_result_file hotset-c$g.out)" 2>&1 &
	pids="$pids $!"
done
wait $pids
p497=$(t_final "$(t_result_file hotset-c497.out)" hot_fast_pct)
p499=$(t_final "$(t_result_file hotset-c499.out)" hot_fast_pct)
t_check "c497 (promote): hot set promoted ($p497 %)" t_range "${p497:-0}" 90 100
t_check "c499 (observe): no page of it moved ($p499 %)" t_eq 0.0 "$p499"
conf observe promote > /tmp/td.conf
t0=$(up)
tieringctl reload > /tmp/reload.out 2>&1
rc=$?
t1=$(up)
reload_ms=$(ms "$t0" "$t1")
t_check "reload of the 500 sections applied ($(cat /tmp/reload.out))" t_eq 0 "$rc"
tieringctl -j cgroups > "$cg"
t_check "after the reload: c499 promote, c0 observe" t_eq "promote observe" \
	"$(field "$cg" /conf/c499 mode) $(field "$cg" /conf/c0 mode)"
tieringctl -j stats > "$(t_result_file stats.json)"
st=$(t_result_file stats.json)
t_tieringd_stop
sum=$(t_result_file summary.txt)
{
	echo "500 [Cgroup] sections (TCG): --check-config ${check_ms} ms, start to ready ${start_ms} ms, tieringctl reload ${reload_ms} ms"
	echo "tieringd RSS $(( $(t_json_num "$st" self_rss_bytes) / 1024 )) KiB, fds $(t_json_num "$st" self_fds), CPU $(( $(t_json_num "$st" self_cpu_ns) / 1000000 )) ms in all"
} > "$sum"
sed 's/^/  /' "$sum"
t_check "--check-config within 20 s (${check_ms} ms)" t_range "$check_ms" 0 20000
t_check "reload within 20 s (${reload_ms} ms)" t_range "$reload_ms" 0 20000
