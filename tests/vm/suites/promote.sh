#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=2048 timeout=300 kernels=6.12,6.1,sid
#
# tieringd promotes a scattered slow-node hot set; cold pages stay.
# Regime: the fast node (1 GiB) is below the kernel's "free space enough"
# mark (max(1 GiB, node/16) above the promo watermark), so the kernel's own
# tiering promotion goes through its hot threshold and rate limit, and
# tieringd sets that rate limit to 0: every promotion here is tieringd's,
# which the test checks against /proc/vmstat's pgpromote_success.
. /tvm/lib.sh

t_require_bin tieringd hotset numastat

t_numa_scan_fast
vm() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
promo0=$(vm pgpromote_success)
nb0=$(cat /proc/sys/kernel/numa_balancing)

cat > /tmp/td.conf <<CONF
[Daemon]
NumaBalancing=2
KernelPromoteRateLimitMBps=0
FastWatermark=32M
CONF
t_tieringd_start /tmp/td.conf
sed 's/^/  td| /' "$td_log"
t_check "topology: node0 fast, node1 slow" grep -q "topology: fast nodes 0, slow nodes 1" "$td_log"
t_check "tieringd attached its hint-fault source" grep -q "source hint-faults: attached" "$td_log"
t_check "kernel.numa_balancing set to 2 by tieringd" t_eq 2 "$(cat /proc/sys/kernel/numa_balancing)"

# 6.1 parses HMAT but puts both nodes in one memory tier; its tiering mode
# then scans no node at all. tieringd must say so, and the claim must hold.
if [ "$(t_kernel)" = 6.1 ]; then
	t_check "6.1: hint-fault hook is fexit/numa_migrate_prep" \
		grep -q "source hint-faults: attached, fexit/numa_migrate_prep" "$td_log"
	t_check "6.1: tieringd states the one-tier limitation" \
		grep -q "limitation: the kernel puts slow node 1 in the same memory tier" "$td_log"
	tiers=$(cat /sys/devices/virtual/memory_tiering/memory_tier*/nodelist | tr '\n' ' ')
	t_log "6.1 memory tiers (nodelists): $tiers"
	t_check "6.1: one memory tier holds both nodes" t_eq "0-1 " "$tiers"
	hotset --total 128 --hot 64 --node 1 --fast 0 --seconds 10 > "$(t_result_file hotset.out)" 2>&1
	t_tieringd_stop
	sed -n '/^source /,$p' "$td_log" | sed 's/^/  td| /'
	t_check "6.1: no hint fault reached tieringd, as stated" \
		grep -q "^events_hint_fault 0$" "$td_log"
	t_check "6.1: the limitation is in the summary" grep -q "^limitation the kernel puts" "$td_log"
	exit 0
fi

hs=$(t_result_file hotset.out)
hotset --total 512 --hot 200 --node 1 --fast 0 --seconds 25 --linger 30 > "$hs" 2>&1 &
hpid=$!
i=0
while ! grep -q "^FINAL" "$hs" && kill -0 $hpid 2>/dev/null && [ $i -lt 900 ]; do sleep 0.2; i=$((i + 1)); done
sed 's/^/  hs| /' "$hs"
t_check "hotset ran to the end" grep -q "^FINAL" "$hs"

# first report at or after which >= 90 % of the hot set was on node0
t90=$(awk '$1 == "T" && $4 >= 90 { print $2; exit }' "$hs")
t_log "hot set >= 90 % on the fast node at t=${t90:-never} s"
t_check "hot set >= 90 % on the fast node within 20 s" t_range "${t90:-999}" 0 20
final_pct=$(awk '$1 == "FINAL" { print $4 }' "$hs")
t_check "hot set >= 90 % on the fast node at the end" t_range "$final_pct" 90 100
cold_moved=$(awk '$1 == "FINAL" { print $6 }' "$hs")
cold_pages=$(awk '$1 == "FINAL" { print $10 }' "$hs")
t_check "<= 10 % of cold pages moved ($cold_moved of $cold_pages)" \
	t_range "$cold_moved" 0 "$((cold_pages / 10))"

numastat -p "$hpid" > "$(t_result_file numastat.txt)" 2>&1
sed 's/^/  ns| /' "$(t_result_file numastat.txt)"
n0=$(awk '$1 == "Total" { print $2 }' "$(t_result_file numastat.txt)")
n1=$(awk '$1 == "Total" { print $3 }' "$(t_result_file numastat.txt)")
# 200 MiB hot set on node0 (plus a few MiB of text and arrays), the 312 MiB cold rest on node1
t_check "numastat: the hot set's 200 MiB on node0 ($n0 MiB)" t_range "$n0" 180 260
t_check "numastat: the cold 312 MiB still on node1 ($n1 MiB)" t_range "$n1" 280 330
# `why` of the five hottest pages, as tieringctl prints it: the promoter's
# own decision (td_promoter_explain); a page it says it promoted must be on
# node 0. A few may have been moved by the kernel itself ("none").
top=$(t_result_file top.json)
tieringctl -j top -n 5 --pid "$hpid" > "$top" 2>&1
why=$(t_result_file why.json)
: > "$why"
for addr in $(grep -o '"addr":"0x[0-9a-f]*"' "$top" | cut -d'"' -f4); do
	tieringctl -j why "$hpid" "$addr" >> "$why" 2>&1
done
sed 's/^/  why| /' "$why"
nwhy=$(grep -c '"decision":"promoted","reason_code":"promoted"' "$why")
t_check "why: >= 3 of the 5 hottest pages promoted by tieringd ($nwhy)" t_range "$nwhy" 3 5
t_check "why: each page it promoted is on node 0, the fast tier" \
	sh -c '! grep '"'"'"reason_code":"promoted"'"'"' "$1" | grep -vq '"'"'"node":0,"tier":"fast"'"'"'' sh "$why"
kill $hpid; wait $hpid 2>/dev/null

t_tieringd_stop
sed -n '/^source /,$p' "$td_log" | sed 's/^/  td| /'
promoted=$(awk '$1 == "pages_promoted" { print $2 }' "$td_log")
promo=$(( $(vm pgpromote_success) - promo0 ))
t_log "tieringd pages_promoted=$promoted, kernel pgpromote_success delta=$promo"
# 51200 hot pages: each counted once (a few faults of the workload's own
# arrays on node1 may add pages, never a second count of the same page)
t_check "tieringd promoted the hot set, each page once ($promoted of 51200)" t_range "${promoted:-0}" 46080 52224
t_check "the kernel itself promoted < 5 % of that" t_range "$promo" 0 "$(( ${promoted:-0} / 20 ))"
t_check "kernel.numa_balancing restored on exit" t_eq "$nb0" "$(cat /proc/sys/kernel/numa_balancing)"
