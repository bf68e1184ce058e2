#!/bin/sh
# vm: mode=systemd mem0=1024 mem1=1024 timeout=540 kernels=6.12
#
# tieringd.service under hostile clients, and its capabilities, in the
# Debian 12 guest with systemd as PID 1.
#
# Two workloads, each needing one of the unit's capabilities: hotset (a
# 32 MiB hot set on slow node1) run by root with all capabilities, in scope
# td-capt.scope; and coldfill (64 MiB on node0) as user nobody2 in a cgroup
# nobody2 created itself below a Delegate=yes service (as in user@.service:
# its memory.reclaim is nobody2's), whose policy has MaxFastMemory=16M.
#
#  1. Hostile clients: the unit as shipped (plus a drop-in with that policy)
#     runs while sockhog holds 100 idle connections and floods one more
#     with 1 MiB of garbage (no newline), for longer than WatchdogSec=
#     (coldfill runs meanwhile). `tieringctl status` answers within 1 s
#     every time (5 calls), the daemon keeps pinging the watchdog
#     (WatchdogTimestamp advances), nothing restarts. Then the same with
#     the idle clients reconnecting as soon as they are closed (a
#     connection storm), with hotset running: at least 19 of 20
#     `tieringctl status` calls answered (a new connection is read before
#     it can be evicted, and only clients idle past their grace are), the
#     watchdog pinged throughout; the daemon must survive it, and have
#     promoted and demoted by the end.
#     Then the storm from a member of group tieringd (tdmember) while root
#     runs `tieringctl reload` 20 times: all 20 answered (a uid other than
#     root holds at most a quarter of the slots, the rest are told busy, so
#     root's connection is reached), max latency printed; and tdmember's
#     `tieringctl why` and `top --pid` of root's hotset are refused
#     (permission denied, exit 1), its `top` shows none of hotset's pages,
#     root's `why` of the same page answers.
#  2. Capabilities: for each capability in the unit's CapabilityBoundingSet=,
#     a copy of the unit (same sandbox, its own socket, DefaultMode=off but
#     for the two workloads) without just that capability; what breaks is
#     asserted and printed as a table. Part 1 is the reference (whole set).
. /tvm/lib.sh

t_require_bin tieringctl hotset coldfill sockhog systemd-run useradd journalctl runuser
timeout 120 systemctl is-system-running --wait > /dev/null 2>&1

SOCK=/run/tieringd/tieringd.sock
UNIT=/usr/lib/systemd/system/tieringd.service
OUTD=/run/td-cap-out
DELEG_CG=/sys/fs/cgroup/system.slice/td-deleg.service/work
now_ms() { date +%s%3N; }
up() { cut -d' ' -f1 /proc/uptime; }
show() { systemctl show tieringd.service -p "$1" --value; }
# val KEY FILE: the value of "KEY VALUE" lines (tieringd's end-of-run summary)
val() { awk -v k="$1" '$1 == k { print $2; exit }' "$2"; }
# jnum KEY FILE: the first numeric member KEY in a JSON file
jnum() { grep -o "\"$1\":-\{0,1\}[0-9]*" "$2" | head -n1 | cut -d: -f2; }

t_numa_scan_fast
id nobody2 > /dev/null 2>&1 || useradd -M -s /usr/sbin/nologin nobody2
mkdir -p $OUTD /etc/td-cap /etc/tieringd.conf.d

# ---------------------------------------------------------------- workloads
cat > /run/td-deleg.sh <<EOF
#!/bin/sh
# as nobody2 in td-deleg.service (Delegate=yes): a cgroup of its own, then coldfill
cg=/sys/fs/cgroup\$(sed -n 's/^0:://p' /proc/self/cgroup)
mkdir "\$cg/work" && echo \$\$ > "\$cg/work/cgroup.procs" &&
	echo +memory > "\$cg/cgroup.subtree_control" || exit 1
exec $(command -v coldfill) --mib 64 --node 0
EOF
chmod 755 /run/td-deleg.sh

deleg_start() {
	systemctl stop td-deleg.service 2>/dev/null
	systemctl reset-failed td-deleg.service 2>/dev/null
	rm -f $OUTD/deleg.txt
	systemd-run --unit td-deleg --quiet -p Delegate=yes -p User=nobody2 \
		-p StandardOutput=file:$OUTD/deleg.txt -p StandardError=inherit /run/td-deleg.sh
	i=0
	while ! grep -q READY $OUTD/deleg.txt 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
	t_check "coldfill runs as nobody2 in a cgroup of its own" grep -q READY $OUTD/deleg.txt
}

deleg_stop() {
	t_log "$1: $DELEG_CG/memory.reclaim is $(stat -c '%U %a' $DELEG_CG/memory.reclaim);" \
		"its memory.numa_stat anon: $(awk '$1 == "anon" { print $2, $3 }' $DELEG_CG/memory.numa_stat)"
	systemctl stop td-deleg.service
}

# hot_start SECONDS OUT: hotset as root (all capabilities) in td-capt.scope
hot_start() {
	systemd-run --scope --unit td-capt --quiet \
		hotset --total 64 --hot 32 --node 1 --fast 0 --seconds "$1" > "$2" 2>&1 &
	hotp=$!
}

# ---------------------------------------------------------------- 1. hostile clients
t_log "--- hostile clients (uptime $(up) s)"
cat > /etc/tieringd.conf.d/20-test.conf <<'CONF'
# service_hostile.sh: the kernel's own promotion off; nobody2's cgroup capped
[Daemon]
KernelPromoteRateLimitMBps=0

[Cgroup "/system.slice/td-deleg.service/work"]
MaxFastMemory=16M
CONF
systemctl start tieringd
t_check "tieringd starts" t_eq active "$(systemctl is-active tieringd.service)"
wd=$(show WatchdogUSec)
t_log "WatchdogUSec=$wd"
t_check "the unit has WatchdogSec= set (WatchdogUSec=$wd)" sh -c 'case $1 in ""|0|infinity) exit 1 ;; esac' sh "$wd"
pid0=$(show MainPID)
stats0=$(t_result_file stats-before.json)
tieringctl -j stats > "$stats0"
deleg_start

# attack NAME HOLD GAP CALLS SOCKHOG-ARGS...: sockhog for HOLD s; meanwhile,
# every GAP s, one timed `tieringctl $ATTACK_CMD` (default status; CALLS in
# all) and a look at the last watchdog ping. sockhog runs as root, or under
# $ATTACK_AS (a command prefix). Sets lat_NAME (ms list), fails_NAME,
# max_NAME, wdpings_NAME.
attack() {
	name=$1 hold=$2 gap=$3 calls=$4 cmd=${ATTACK_CMD:-status}
	shift 4
	hog=$(t_result_file "sockhog-$name.out")
	# shellcheck disable=SC2086
	${ATTACK_AS:-} sockhog $SOCK --hold "$hold" "$@" > "$hog" 2>&1 &
	hogp=$!
	i=0
	while ! grep -q '^READY' "$hog" && kill -0 $hogp 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	t_log "$name: sockhog $* --hold $hold: $(head -n1 "$hog") (uptime $(up) s)"
	lat= fails=0 max=0 wds=
	for k in $(seq "$calls"); do
		sleep "$gap"
		t0=$(now_ms)
		tieringctl "$cmd" > /tmp/st.out 2>&1
		rc=$?
		ms=$(($(now_ms) - t0))
		[ $rc -eq 0 ] || { fails=$((fails + 1)); t_log "$name: call $k exit $rc: $(head -n2 /tmp/st.out)"; }
		[ $ms -le $max ] || max=$ms
		lat="$lat $ms"
		wds="$wds $(show WatchdogTimestampMonotonic)"
	done
	wait $hogp
	t_log "$name: tieringctl $cmd latencies (ms):$lat"
	t_log "$name: $(grep '^FINAL' "$hog")"
	t_log "$name: last watchdog ping at each call (monotonic us):$wds"
	eval "lat_$name=\"\$lat\" fails_$name=\$fails max_$name=\$max"
	eval "wdpings_$name=$(printf '%s\n' $wds | sort -u | grep -vc '^0$')"
}

base=
for k in 1 2 3; do
	t0=$(now_ms)
	tieringctl status > /dev/null 2>&1
	base="$base $(($(now_ms) - t0))"
done
t_log "tieringctl status latencies without an attack (ms):$base"
# nobody2's coldfill (idle) stays through both attacks, so the demoter has
# work meanwhile; hotset (a CPU hog: it would measure the CPU, not the
# socket) runs during the storm only.
attack idle 33 5.5 5 --idle 100 --garbage 1048576
hog=$(t_result_file sockhog-idle.out)
t_check "sockhog made 100 idle connections and the garbage one" \
	t_eq 101 "$(awk '$1 == "FINAL" { print $3 }' "$hog")"
t_check "the garbage client was cut off and told why" \
	sh -c 'grep "^FINAL" "$1" | grep -q "garbage_closed yes garbage_reply .*request too long"' sh "$hog"
t_log "garbage bytes the socket took before the server closed it: $(awk '$1 == "FINAL" { print $11 }' "$hog")"
t_check "idle: all 5 tieringctl status calls answered" t_eq 0 "$fails_idle"
t_check "idle: each within 1 s (max $max_idle ms)" t_range "$max_idle" 0 999
t_check "idle: the watchdog was pinged throughout the attack ($wdpings_idle distinct pings during the attack)" \
	t_range "$wdpings_idle" 3 100

hs=$(t_result_file hotset-attack.out)
hot_start 30 "$hs"
attack storm 28 0.5 20 --idle 100 --garbage 1048576 --reconnect
wait $hotp
hog=$(t_result_file sockhog-storm.out)
t_log "storm: $fails_storm of 20 calls failed, max $max_storm ms"
t_check "storm: sockhog reconnected (connects $(awk '$1 == "FINAL" { print $3 }' "$hog") > 200)" \
	t_range "$(awk '$1 == "FINAL" { print $3 }' "$hog")" 201 1000000000
t_check "storm: at least 19 of 20 tieringctl status calls answered ($fails_storm failed)" \
	t_range "$fails_storm" 0 1
t_check "storm: the watchdog was pinged throughout ($wdpings_storm distinct pings during the storm)" \
	t_range "$wdpings_storm" 2 1000

st=$(t_result_file stats-after.json)
tieringctl -j stats > "$st"
for c in control_accepted control_evicted control_timed_out control_too_long; do
	t_log "$c: $(jnum $c "$stats0") -> $(jnum $c "$st")"
done
t_check "the server evicted idle clients (control_evicted > 0)" t_range "$(jnum control_evicted "$st")" 1 1000000000
t_check "the server refused the garbage (control_too_long > 0)" t_range "$(jnum control_too_long "$st")" 1 1000000000
t_check "tieringd still active" t_eq active "$(systemctl is-active tieringd.service)"
t_check "the same process (pid $pid0)" t_eq "$pid0" "$(show MainPID)"
t_check "NRestarts stays 0" t_eq 0 "$(show NRestarts)"
t_check "the journal has no watchdog timeout" \
	t_eq 0 "$(journalctl -b --no-pager -o cat | grep -c 'Watchdog timeout')"
# the reference for part 2: the whole set did the work meanwhile
full_prom=$(jnum pages_promoted "$st")
full_dem=$(jnum pages_demoted_max_fast "$st")
t_log "during the attack: hotset $(grep FINAL "$hs")"
t_log "during the attack: pages_promoted $full_prom, pages_failed $(jnum pages_failed "$st"), pages_demoted_max_fast $full_dem"
t_check "under attack, root's hot set was promoted ($full_prom pages)" t_range "${full_prom:-0}" 1 100000000
t_check "under attack, nobody2's cgroup was demoted to MaxFastMemory ($full_dem pages)" t_range "${full_dem:-0}" 1 100000000

# a member of group tieringd storms the socket while root reloads
id tdmember > /dev/null 2>&1 || useradd -M -s /usr/sbin/nologin -G tieringd tdmember
t_check "tdmember is in group tieringd" sh -c 'id -nG tdmember | grep -qw tieringd'
hs=$(t_result_file hotset-member.out)
hot_start 60 "$hs"
ATTACK_CMD=reload ATTACK_AS="runuser -u tdmember --" attack member 16 0.5 20 --idle 100 --reconnect
hog=$(t_result_file sockhog-member.out)
t_log "member storm: $fails_member of 20 reloads failed, max $max_member ms"
t_check "member storm: sockhog as tdmember reconnected (connects $(awk '$1 == "FINAL" { print $3 }' "$hog") > 200)" \
	t_range "$(awk '$1 == "FINAL" { print $3 }' "$hog")" 201 1000000000
t_check "member storm: tdmember was told busy ($(awk '$1 == "FINAL" { print $NF }' "$hog") times)" \
	t_range "$(awk '$1 == "FINAL" { print $NF }' "$hog")" 1 1000000000
t_check "member storm: all 20 of root's tieringctl reload answered ($fails_member failed, max $max_member ms)" \
	t_eq 0 "$fails_member"
t_check "member storm: the watchdog was pinged throughout ($wdpings_member distinct pings)" \
	t_range "$wdpings_member" 2 1000

# addresses: root's hotset is not tdmember's to look at
hpid=$hotp
[ "$(cat /proc/$hpid/comm 2>/dev/null)" = hotset ] || hpid=$(pgrep -x hotset | head -n1)
top_out=$(t_result_file top-root.json)
tieringctl -j top -n 1 --pid "$hpid" > "$top_out" 2>&1
addr=$(grep -o '"addr":"0x[0-9a-f]*"' "$top_out" | head -n1 | cut -d'"' -f4)
t_log "root: top -n 1 --pid $hpid (hotset): $(head -c 300 "$top_out")"
t_check "root's top of hotset (pid $hpid) has a page ($addr)" test -n "$addr"
tieringctl why "$hpid" "$addr" > /tmp/why-root.out 2>&1
rc=$?
t_log "root: why $hpid $addr -> exit $rc: $(head -n3 /tmp/why-root.out | tr '\n' ' ')"
t_check "root's why of hotset's page answers (exit $rc)" t_eq 0 "$rc"
runuser -u tdmember -- tieringctl why "$hpid" "$addr" > /tmp/why-member.out 2>&1
rc=$?
t_log "tdmember: why $hpid $addr -> exit $rc: $(head -n2 /tmp/why-member.out)"
t_check "tdmember's why of root's hotset is refused (exit $rc)" t_eq 1 "$rc"
t_check "... with permission denied" grep -q 'permission denied' /tmp/why-member.out
runuser -u tdmember -- tieringctl top --pid "$hpid" > /tmp/top-member.out 2>&1
rc=$?
t_check "tdmember's top --pid of root's hotset is refused (exit $rc)" \
	sh -c '[ "$1" -eq 1 ] && grep -q "permission denied" /tmp/top-member.out' sh "$rc"
runuser -u tdmember -- tieringctl -j top -n 10000 > /tmp/top-member.json 2>&1
rc=$?
t_log "tdmember: top -n 10000 -> exit $rc, $(grep -o '"pid":' /tmp/top-member.json | wc -l) pages"
t_check "tdmember's top answers and lists none of hotset's pages" \
	sh -c '[ "$1" -eq 0 ] && ! grep -q "\"pid\":$2[,}]" /tmp/top-member.json' sh "$rc" "$hpid"
systemctl stop td-capt.scope 2>/dev/null
wait $hotp
t_check "after the member storm: tieringd still active, the same process" \
	t_eq "active $pid0" "$(systemctl is-active tieringd.service) $(show MainPID)"

deleg_stop attack
systemctl stop tieringd.service tieringd.socket
t_check "stops cleanly after the attack (Result=success)" t_eq success "$(show Result)"
journalctl -b --no-pager -u tieringd > "$(t_result_file journal-tieringd.txt)" 2>&1
rm -f /etc/tieringd.conf.d/20-test.conf

# ---------------------------------------------------------------- 2. capabilities
t_log "--- capabilities (uptime $(up) s)"
ALL=$(sed -n 's/^CapabilityBoundingSet=//p' $UNIT)
t_log "the unit's CapabilityBoundingSet=$ALL"
cat > /etc/td-cap/default.conf <<'CONF'
# Only the two workloads are managed (DefaultMode=off): the suite's own
# processes are left alone. The kernel's own promotion is off.
[Daemon]
NumaBalancing=2
KernelPromoteRateLimitMBps=0
DefaultMode=off

[Cgroup "/system.slice/td-capt.scope"]
Mode=promote

[Cgroup "/system.slice/td-deleg.service/work"]
Mode=promote
MaxFastMemory=16M
CONF
# What a drop-in that takes CAP_SYS_ADMIN away needs (tieringd.service's
# comment): the kernel's balancing left alone, no perf events.
sed 's/^NumaBalancing=2$/NumaBalancing=keep/' /etc/td-cap/default.conf > /etc/td-cap/keep.conf

# without CAP...: the bounding set minus those
without() {
	_w=" $ALL "
	for _c in "$@"; do _w=$(printf '%s' "$_w" | sed "s/ $_c / /"); done
	printf '%s\n' "$_w" | sed 's/^ *//; s/ *$//'
}

# mkunit NAME "CAPS" CONF [ARGS]: td-cap-NAME.service, a copy of the unit
# with CapabilityBoundingSet=CAPS, running `tieringd --config CONF
# --socket /run/td-cap-NAME/sock --run-for 120 ARGS`, its stdout (the
# end-of-run summary) in $OUTD/NAME.txt. Not socket-activated: it binds
# its own socket, so the shipped unit's ExecStopPost= (which stops
# tieringd.socket after a skipped start) goes too: with
# StandardOutput=truncate: it would run after the daemon and empty the
# summary.
mkunit() {
	{
		sed -e '/^Requires=/d' -e '/^After=tieringd.socket/d' -e '/^ExecStart=/d' \
			-e '/^ExecReload=/d' -e '/^Restart=/d' -e '/^CapabilityBoundingSet=/d' \
			-e '/^ExecStopPost=/d' \
			-e '/^\[Install\]/,$d' $UNIT
		echo "ExecStart=/usr/sbin/tieringd --config $3 --socket /run/td-cap-$1/sock --run-for 120 $4"
		echo "CapabilityBoundingSet=$2"
		echo "RuntimeDirectory=td-cap-$1"
		echo "Restart=no"
		echo "StandardOutput=truncate:$OUTD/$1.txt"
		echo "StandardError=journal"
	} > /run/systemd/system/td-cap-$1.service
}
mkunit noptrace "$(without CAP_SYS_PTRACE)" /etc/td-cap/default.conf
mkunit nodac "$(without CAP_DAC_OVERRIDE)" /etc/td-cap/default.conf -v
mkunit nosysadmin "$(without CAP_SYS_ADMIN)" /etc/td-cap/default.conf
mkunit nosysadminkeep "$(without CAP_SYS_ADMIN)" /etc/td-cap/keep.conf
mkunit nobpf "$(without CAP_BPF)" /etc/td-cap/default.conf
mkunit nobpfkeep "$(without CAP_BPF CAP_SYS_ADMIN)" /etc/td-cap/keep.conf
mkunit noperfmon "$(without CAP_PERFMON)" /etc/td-cap/default.conf
mkunit noperfmonkeep "$(without CAP_PERFMON CAP_SYS_ADMIN)" /etc/td-cap/keep.conf
systemctl daemon-reload

# caprun NAME [SECONDS WORKLOAD COUNTER]: starts td-cap-NAME
# (kernel.numa_balancing reset to 1 first); if it starts, takes its status,
# runs WORKLOAD (none, hot, deleg) until its `stats` COUNTER is > 0 (plus
# 1 s), at most SECONDS, then stops it. Sets start_rc, result, jfile (its
# journal), sfile (its status JSON), mfile (its end-of-run summary).
caprun() {
	name=$1 secs=${2:-0} wl=${3:-none} until=${4:-}
	u=td-cap-$name.service
	jfile=$(t_result_file cap-$name.journal) sfile=$(t_result_file cap-$name.status.json)
	mfile=$(t_result_file cap-$name.summary)
	[ $wl != deleg ] || deleg_start
	echo 1 > /proc/sys/kernel/numa_balancing
	t0=$(now_ms)
	systemctl start $u 2> /dev/null
	start_rc=$?
	t_log "$name: CapabilityBoundingSet=$(systemctl show $u -p CapabilityBoundingSet --value)"
	t_log "$name: systemctl start -> exit $start_rc after $(($(now_ms) - t0)) ms (uptime $(up) s)"
	if [ $start_rc -eq 0 ]; then
		tieringctl --socket /run/td-cap-$name/sock -j status > "$sfile" 2>&1
		[ $wl != hot ] || hot_start "$secs" "$(t_result_file cap-$name.hotset.out)"
		i=0
		while [ -n "$until" ] && [ $i -lt "$secs" ]; do
			sleep 1
			i=$((i + 1))
			tieringctl --socket /run/td-cap-$name/sock -j stats > /tmp/cap-stats.json 2>&1
			[ "$(jnum "$until" /tmp/cap-stats.json)" -gt 0 ] 2>/dev/null && { sleep 1; break; }
		done
		[ -z "$until" ] || t_log "$name: $until=$(jnum "$until" /tmp/cap-stats.json) after ${i} s"
		[ $wl != hot ] || { systemctl stop td-capt.scope 2>/dev/null; wait $hotp; }
		systemctl stop $u
	fi
	cp $OUTD/$name.txt "$mfile" 2>/dev/null
	result=$(systemctl show $u -p Result --value)
	t_log "$name: Result=$result ExecMainStatus=$(systemctl show $u -p ExecMainStatus --value)"
	journalctl -u $u --no-pager -o cat > "$jfile"
	[ $wl != deleg ] || deleg_stop $name
	systemctl reset-failed $u 2>/dev/null
}

# Evidence for the table.
table=$(t_result_file capabilities.txt)
printf '%-16s %-24s %s\n' CAPABILITY "EFFECT WITHOUT IT" EVIDENCE > "$table"
row() { printf '%-16s %-24s %s\n' "$1" "$2" "$3" >> "$table"; }
# the first N (default 1) error lines of a run's journal
errs() { grep -iE 'fail|error|cannot|denied|not permitted' "$jfile" | grep -v '^chgrp ' | head -n "${1:-1}" | tr '\n' ' ' | cut -c1-160; }
sum() { val "$1" "$(t_result_file cap-$2.summary)"; }
row "(none)" "the unit as shipped" "part 1: $full_prom pages of root's hot set promoted, $full_dem pages of nobody2's cgroup demoted"

# CAP_SYS_PTRACE: move_pages(2) of a process with capabilities tieringd lacks
caprun noptrace 25 hot pages_failed
p=$(sum pages_promoted noptrace)
e=$(sum pages_failed_EPERM noptrace)
t_log "noptrace: hotset, last line: $(tail -n1 "$(t_result_file cap-noptrace.hotset.out)")"
t_log "noptrace: events_received=$(sum events_received noptrace) pages_promoted=$p pages_failed=$(sum pages_failed noptrace) pages_failed_EPERM=$e"
t_check "without CAP_SYS_PTRACE: starts" t_eq 0 "$start_rc"
t_check "without CAP_SYS_PTRACE: no page of root's hot set promoted ($p)" t_eq 0 "${p:-x}"
t_check "without CAP_SYS_PTRACE: promotions fail with EPERM ($e pages)" t_range "${e:-0}" 1 100000000
row CAP_SYS_PTRACE "promotion fails" "move_pages(2) of root's hotset: $p pages promoted, pages_failed_EPERM $e"

# CAP_DAC_OVERRIDE: memory.reclaim of a cgroup another user owns
caprun nodac 20 deleg demote_calls
d=$(sum pages_demoted_max_fast nodac)
msg=$(grep -m1 'MaxFastMemory of' "$jfile")
t_log "nodac: pages_demoted_max_fast=$d demote_calls=$(sum demote_calls nodac); $msg"
t_check "without CAP_DAC_OVERRIDE: starts" t_eq 0 "$start_rc"
t_check "without CAP_DAC_OVERRIDE: nothing of nobody2's cgroup demoted ($d pages)" t_eq 0 "${d:-x}"
t_check "without CAP_DAC_OVERRIDE: memory.reclaim refused (EACCES)" \
	sh -c 'printf "%s\n" "$1" | grep -q "Permission denied"' sh "$msg"
row CAP_DAC_OVERRIDE "demotion fails" "memory.reclaim of nobody2's cgroup: EACCES, $d pages demoted"

# CAP_SYS_ADMIN: the kernel.numa_balancing handler demands it on write
caprun nosysadmin
nb=$(jnum kernel_numa_balancing "$sfile")
t_log "nosysadmin: status kernel_numa_balancing=$nb; $(errs 2)"
t_check "without CAP_SYS_ADMIN: starts" t_eq 0 "$start_rc"
t_check "without CAP_SYS_ADMIN: kernel.numa_balancing not set to 2 (is $nb)" t_eq 1 "$nb"
t_check "without CAP_SYS_ADMIN: the journal says so" grep -q 'cannot set kernel.numa_balancing=2' "$jfile"
row CAP_SYS_ADMIN "NumaBalancing=2 fails" "kernel.numa_balancing stays $nb: $(errs)"

# CAP_BPF and CAP_PERFMON: alone, and in the configuration the unit's
# comment documents for a set without CAP_SYS_ADMIN (NumaBalancing=keep),
# which starts with the rest of the set.
caprun nosysadminkeep
t_check "without CAP_SYS_ADMIN, NumaBalancing=keep: starts" t_eq 0 "$start_rc"
t_check "... its hint-fault source attached" grep -q '"attached":true' "$sfile"
for cap in CAP_BPF CAP_PERFMON; do
	n=$(echo $cap | tr 'A-Z' 'a-z' | sed 's/cap_/no/')
	caprun $n
	rc_alone=$start_rc
	t_log "$n: start exit $rc_alone, Result=$result; $(errs 2)"
	caprun ${n}keep
	t_log "${n}keep: start exit $start_rc, Result=$result; $(errs 3)"
	t_check "without CAP_SYS_ADMIN (NumaBalancing=keep) and $cap: does not start" \
		sh -c '[ "$1" -ne 0 ]' sh "$start_rc"
	t_check "... the journal says which BPF step failed" grep -q 'load: Operation not permitted' "$jfile"
	if [ "$rc_alone" -ne 0 ]; then
		row $cap "start fails" "$(errs)"
	else
		row $cap "none while CAP_SYS_ADMIN" "starts without it; without it and CAP_SYS_ADMIN: $(errs)"
	fi
done

t_log "capabilities (uptime $(up) s):"
sed 's/^/  | /' "$table"
echo 1 > /proc/sys/kernel/numa_balancing
