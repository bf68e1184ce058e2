#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=1024 timeout=240 kernels=6.12
#
# Cgroup names chosen by users reach the replies as valid JSON. Cgroups whose
# names hold byte 0xff (not UTF-8), a double quote, a tab and byte 0x01 get
# [Cgroup] sections; `tieringctl -j cgroups` is one document that a strict
# parser (jsoncheck: jansson, as tieringctl) accepts, each path in the
# documented form: a byte that is not UTF-8 as the text \xNN, the quote, tab
# and 0x01 escaped by JSON itself. A process in the 0xff cgroup appears in
# `tieringctl -j top` with its path read back from the cgroup filesystem;
# pausing the quoted cgroup names it in the reply; a reload refused for a
# value with byte 0xff prints the error with \xff.
. /tvm/lib.sh

t_require_bin tieringd tieringctl hotset jsoncheck
t_numa_scan_fast
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
ff=$(printf '/x\377y')
q=$(printf '/q"z')
ctl=$(printf '/t\tc\001d')
all=$(printf '/a\377"\t\001b')
for p in "$ff" "$q" "$ctl" "$all"; do
	mkdir "/sys/fs/cgroup$p" || t_fatal "mkdir of a cgroup with a hostile name failed"
done
mkdir -p /tmp/td.conf.d
{
	printf '[Daemon]\nNumaBalancing=2\nKernelPromoteRateLimitMBps=0\nFastWatermark=32M\n'
	printf '\n[Cgroup "%s"]\nMode=observe\n' "$ff"
	for p in "$q" "$ctl" "$all"; do
		printf '\n[Cgroup "%s"]\nMode=promote\n' "$p"
	done
} > /tmp/td.conf
t_check "tieringd accepts the hostile [Cgroup] paths" tieringd --check-config /tmp/td.conf
t_tieringd_start /tmp/td.conf

# the checker is strict: the bytes the old writer sent are refused
t_check "jsoncheck refuses a raw 0xff byte in a string" \
	sh -c '! printf "[{\"path\":\"/x\377y\"}]" | jsoncheck - list path'

cg=$(t_result_file cgroups.json)
tieringctl -j cgroups > "$cg"
t_check "tieringctl -j cgroups exits 0" t_eq 0 $?
t_check "tieringctl -j cgroups: strict JSON, a list of objects with the documented keys" \
	jsoncheck "$cg" list path mode pages_promoted pages_failed fast_bytes slow_bytes
t_check "0xff is \\xff" grep -qF '"path":"/x\\xffy","mode":"observe"' "$cg"
t_check "the quote is \\\"" grep -qF '"path":"/q\"z","mode":"promote"' "$cg"
t_check "tab and 0x01 are \\t and \\u0001" grep -qF '"path":"/t\tc\u0001d","mode":"promote"' "$cg"
t_check "all of them in one name" grep -qF '"path":"/a\\xff\"\t\u0001b","mode":"promote"' "$cg"
txt=$(t_result_file cgroups.txt)
tieringctl cgroups > "$txt"
t_check "tieringctl cgroups shows \\xff, control bytes as ?" \
	sh -c 'grep -qF "/x\\xffy" "$1" && grep -qF "/t?c?d" "$1"' sh "$txt"

hs=$(t_result_file hotset.out)
sh -c 'echo $$ > "/sys/fs/cgroup$1/cgroup.procs"; exec hotset --total 64 --hot 32 --node 1 --fast 0 --seconds 40' \
	sh "$ff" > "$hs" 2>&1 &
hp=$!
top=$(t_result_file top.json)
i=0
while [ $i -lt 150 ]; do
	tieringctl -j top -n 5 > "$top" 2>&1 && grep -qF '"cgroup":"/x\\xffy"' "$top" && break
	sleep 0.2
	i=$((i + 1))
done
t_check "tieringctl -j top: strict JSON, pages with the documented keys" \
	jsoncheck "$top" list pid addr hotness node cgroup
t_check "tieringctl -j top: the page's cgroup, read from cgroupfs, is /x\\xffy" \
	grep -qF '"cgroup":"/x\\xffy"' "$top"
kill $hp 2>/dev/null
wait $hp

pause=$(t_result_file pause.json)
tieringctl -j pause "$q" > "$pause"
t_check "tieringctl -j pause /q\"z exits 0" t_eq 0 $?
t_check "the pause reply is strict JSON" jsoncheck "$pause" object version ok paused cgroup
t_check "the pause reply names the cgroup" grep -qF '"cgroup":"/q\"z"' "$pause"

printf '[Cgroup "%s"]\nMode=\377\n' "$ff" > /tmp/td.conf.d/50-bad.conf
err=$(t_result_file reload.txt)
tieringctl reload > "$err" 2>&1
t_check "reload of a value with byte 0xff exits 1" t_eq 1 $?
t_check "the error names the value as \\xff" \
	grep -qF '50-bad.conf:2: invalid value "\xff" for Mode' "$err"
t_check "tieringd still answers" sh -c 'tieringctl -j status | jsoncheck - object version ok'
t_tieringd_stop
