#!/bin/sh
# vm: mode=systemd mem0=1024 mem1=2048 timeout=2700 kernels=6.12
#
# The soak (issue 11): tieringd under SOAK_MINUTES of churn, THP on (as
# Debian ships it), both sources (Sources=hint-faults sampling; under TCG
# there is no PMU, so sampling is the software page-fault event):
#   - process churn: 4 short hotset processes at a time (8 MiB on node1,
#     3 s each), a thpset (2 MiB THPs, 20 s) and an execer (exec at the
#     same addresses) in a loop;
#   - cgroup churn: a cgroup made, a hotset run in it, the cgroup removed,
#     again and again; every third one is /soak/aN, which has a [Cgroup]
#     section (observe, off, a rate limit, a weight and cap), the rest are
#     new names nothing configures;
#   - a reload every minute with a policy change (systemctl reload,
#     tieringctl reload and SIGHUP in turn); every fifth one a broken
#     drop-in that must be refused (these errors are the journal's only
#     expected err lines), then fixed;
#   - socket clients: tieringctl status, stats, top, cgroups, -j status in
#     a loop, and 3 raw connects that close at once (sockhog --hold 0).
# Every minute a row goes to soak.tsv: the daemon's pid, NRestarts, VmRSS,
# VmHWM, fds (the least of 5 reads over a second: a client being served
# holds one for a moment, a leaked one stays), hot entries, events,
# promotions, pgpromote_success, numa_hint_faults, and the load so far.
# At the end: the same pid throughout and NRestarts=0; VmRSS growth from
# the baseline minute (5, or the first for runs under 10 min) to the end
# <= max(4 MiB, 10 %) (HotnessCapacity=65536: the table is 2 MiB at most and
# full within minutes; a leak per process, cgroup, client or reload, tens of
# thousands of each, goes past it); fds <= baseline + 2 at every later
# minute; promotions in the last 5 minutes and, with the load stopped, a
# fresh hot set >= 90 % on the fast node; no err line in the journal but
# the broken reloads'; a clean stop.
#
# `make soak` runs it as is (the shipped unit) and again as SOAK_DAEMON=asan:
# mode=initramfs, the daemon built with ASan+LSan+UBSan run bare (LSan stops
# the threads with ptrace(2), which is in @debug, outside the unit's
# SystemCallFilter=@system-service bpf perf_event_open), stopped
# with SIGTERM; then no LeakSanitizer/AddressSanitizer/UBSan report (log_path
# in the result dir), exit 0. lsanprobe, which leaks 64 bytes, proves LSan
# reports in this guest. VmRSS is recorded but not bounded there: ASan's
# quarantine keeps freed memory up to 256 MiB.
. /tvm/lib.sh

SOAK_MINUTES=30
SOAK_DAEMON=unit

S=/tmp/soak
STOP=$S/stop
CG=/sys/fs/cgroup/soak
DROPIN=/etc/tieringd.conf.d/50-soak.conf
BROKEN=/etc/tieringd.conf.d/99-soak-broken.conf
TSV=$(t_result_file soak.tsv)
R=$(dirname "$TSV")
rm -rf $S
mkdir -p $S /etc/tieringd.conf.d

t_require_bin tieringd tieringctl hotset thpset execer sockhog
[ $SOAK_DAEMON = unit ] || t_require_bin lsanprobe
t_log "soak: $SOAK_MINUTES minutes, daemon: $SOAK_DAEMON"

# ---- the daemon, as the unit runs it or bare with ASan

# policy VALUE: the drop-in, with VALUE as /soak/a2's rate limit (what
# each good reload changes)
policy() {
	cat > $DROPIN <<CONF
[Daemon]
Sources=hint-faults sampling
HotnessCapacity=65536

[Cgroup "/soak/a0"]
Mode=observe

[Cgroup "/soak/a1"]
Mode=off

[Cgroup "/soak/a2"]
PromoteRateLimitMBps=$1

[Cgroup "/soak/a3"]
Weight=10
MaxFastMemory=16M
CONF
}

daemon_start() {
	if [ $SOAK_DAEMON = unit ]; then
		t_require_bin journalctl
		t_check "PID 1 is systemd" t_eq systemd "$(cat /proc/1/comm)"
		timeout 120 systemctl is-system-running --wait > /dev/null 2>&1
		systemctl start tieringd
		t_check "tieringd active" t_eq active "$(systemctl is-active tieringd.service)"
		jstart=$(date '+%Y-%m-%d %H:%M:%S')
		return
	fi
	t_check "the daemon is the ASan build (needs libasan)" grep -q libasan.so "$(command -v tieringd)"
	[ -f /etc/tieringd.conf ] || cp "$(t_shipped_conf)" /etc/tieringd.conf
	export ASAN_OPTIONS="detect_leaks=1:log_path=$R/asan:abort_on_error=0"
	export UBSAN_OPTIONS="print_stacktrace=1:log_path=$R/ubsan"
	t_tieringd_start /etc/tieringd.conf tieringd-asan.log
	t_check "the ASan daemon is ready" grep -q '^tieringd: ready$' "$td_log"
}

daemon_pid() {
	if [ $SOAK_DAEMON = unit ]; then systemctl show -p MainPID --value tieringd; else echo "$td"; fi
}

daemon_restarts() {
	if [ $SOAK_DAEMON = unit ]; then systemctl show -p NRestarts --value tieringd; else echo -; fi
}

# reload N: the Nth reload; every fifth a broken drop-in first (refused),
# the others change the policy, by systemctl reload (tieringctl reload
# bare), tieringctl reload or SIGHUP in turn. Counts good_sent, bad_refused;
# the daemon's reloads and reload_failures counters must agree at the end.
reload() {
	if [ $(($1 % 5)) = 0 ]; then
		printf '[Daemon]\nNoSuchSoakKey=1\n' > $BROKEN
		if tieringctl reload > $S/reload.out 2>&1; then
			t_fail "reload $1: a broken drop-in was accepted: $(cat $S/reload.out)"
		else
			bad_refused=$((bad_refused + 1))
		fi
		rm -f $BROKEN
	fi
	policy $((50 + 50 * ($1 % 2)))
	case $(($1 % 3)):$SOAK_DAEMON in
	0:unit) systemctl reload tieringd ;;
	2:*) kill -HUP "$(daemon_pid)" ;;
	*) tieringctl reload ;;
	esac > $S/reload.out 2>&1 && good_sent=$((good_sent + 1)) ||
		t_fail "reload $1 failed: $(cat $S/reload.out)"
}

# ---- the load: loops in the background until $STOP exists; each counts
# its processes, cgroups and clients in $S/n.KIND and writes what went
# wrong to $S/load-failures (a t_fail in a subshell would be lost)

count() { echo >> "$S/n.$1"; }
counted() { [ -f "$S/n.$1" ] && wc -l < "$S/n.$1" || echo 0; }

loop_procs() {
	while [ ! -e $STOP ]; do
		pids=
		for i in 1 2 3 4; do
			hotset --total 8 --hot 4 --node 1 --fast 0 --seconds 3 --seed $i > /dev/null 2>&1 &
			pids="$pids $!"
			count procs
		done
		for p in $pids; do wait "$p"; done
	done
}

loop_thp() {
	while [ ! -e $STOP ]; do
		count procs
		t_in_cgroup soak/thp thpset --hot 16 --total 32 --node 1 --fast 0 --seconds 20 > $S/thpset.last 2>&1
		count procs
		execer --mib 8 --node 1 --fast 0 --seconds 6 --quiet 2 > /dev/null 2>&1
	done
}

loop_cgroups() {
	n=0
	while [ ! -e $STOP ]; do
		n=$((n + 1))
		if [ $((n % 3)) = 0 ]; then name=a$(((n / 3) % 4)); else name=u$n; fi
		mkdir $CG/$name || { echo "cannot make $CG/$name" >> $S/load-failures; sleep 1; continue; }
		count cgroups
		count procs
		t_in_cgroup soak/$name hotset --total 8 --hot 4 --node 1 --fast 0 --seconds 5 > /dev/null 2>&1
		i=0
		while ! rmdir $CG/$name 2> /dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
		[ ! -d $CG/$name ] || echo "cannot remove $CG/$name" >> $S/load-failures
	done
}

loop_clients() {
	while [ ! -e $STOP ]; do
		for v in status stats "top -n 5" cgroups "-j status"; do
			# shellcheck disable=SC2086 # the verb's words
			tieringctl $v > /dev/null 2>&1 || echo "tieringctl $v failed" >> $S/load-failures
			count clients
		done
		sockhog /run/tieringd/tieringd.sock --idle 3 --garbage 0 --hold 0 > /dev/null 2>&1
		count raw
		sleep 0.5
	done
}

load_start() {
	echo +memory > /sys/fs/cgroup/cgroup.subtree_control
	mkdir -p $CG
	echo +memory > $CG/cgroup.subtree_control
	mkdir -p $CG/thp $CG/final
	load_pids=
	for l in loop_procs loop_thp loop_cgroups loop_clients; do
		$l &
		load_pids="$load_pids $!"
	done
}

load_stop() {
	touch $STOP
	for p in $load_pids; do wait "$p"; done
}

# ---- the minute's row

fds_of() {
	_m=
	for _i in 1 2 3 4 5; do
		_n=$(ls /proc/$1/fd 2> /dev/null | wc -l)
		[ -n "$_m" ] && [ "$_m" -le "$_n" ] || _m=$_n
		sleep 0.2
	done
	echo "$_m"
}

# row MINUTE: one line to soak.tsv and the log
row() {
	pid=$(daemon_pid)
	tieringctl -j status > $S/status.json 2>&1
	tieringctl -j stats > $S/stats.json 2>&1
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$pid" "$(daemon_restarts)" \
		"$(awk '$1 == "VmRSS:" { print $2 }' /proc/$pid/status)" \
		"$(awk '$1 == "VmHWM:" { print $2 }' /proc/$pid/status)" "$(fds_of $pid)" \
		"$(t_json_num $S/status.json hot_entries)" "$(t_json_num $S/status.json events_received)" \
		"$(t_json_num $S/stats.json events_hint_fault)" "$(t_json_num $S/stats.json events_sample)" \
		"$(t_json_num $S/status.json pages_promoted)" "$(t_json_num $S/status.json bytes_promoted)" \
		"$(t_vmstat pgpromote_success)" "$(t_vmstat numa_hint_faults)" \
		"$(counted procs)" "$(counted cgroups)" "$(($(counted clients) + 3 * $(counted raw)))" >> "$TSV"
	t_log "$(tail -n 1 "$TSV")"
	# what the fds are, by kind, for a look after the run
	for _f in /proc/$pid/fd/*; do readlink "$_f"; done 2> /dev/null |
		sed 's/[:[][0-9]*]*$//' | sort | uniq -c | sed "s/^/$1 /" >> "$R/fds-by-kind.txt"
}

# col MINUTE N: column N of soak.tsv at MINUTE
col() { awk -F'\t' -v m="$1" -v c="$2" '$1 == m { print $c }' "$TSV"; }

# ---- the run

t_numa_scan_fast
policy 50
daemon_start
tieringctl -j status > "$(t_result_file status-start.json)"
t_log "sources: $(grep -o '"hook": *"[^"]*"' "$(t_result_file status-start.json)" | tr '\n' ' ')"
t_check "both sources attached (hint-faults and sampling)" t_eq 2 \
	"$(grep -o '"attached": *true' "$(t_result_file status-start.json)" | wc -l)"
t_log "THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled)"

printf 'min\tpid\tnrestarts\trss_kb\thwm_kb\tfds\thot_entries\tevents\tev_hint\tev_sample\tpages_promoted\tbytes_promoted\tpgpromote_success\tnuma_hint_faults\tprocs\tcgroups\tclients\n' > "$TSV"
t_log "$(head -n 1 "$TSV")"
good_sent=0 bad_refused=0
row 0
t0=$(date +%s)
load_start
m=1
while [ $m -le $SOAK_MINUTES ]; do
	while [ "$(date +%s)" -lt $((t0 + 60 * m)) ]; do sleep 1; done
	row $m
	[ $m = $SOAK_MINUTES ] || reload $m
	m=$((m + 1))
done
load_stop
t_log "load stopped: $(counted procs) processes, $(counted cgroups) cgroups, $(counted clients) clients + $(counted raw) x3 raw connects; reloads: $good_sent good sent, $bad_refused broken refused"

# ---- the verdict

last=$SOAK_MINUTES
base=5
[ $SOAK_MINUTES -ge 10 ] || base=1
t_check "the same daemon process all along" t_eq 1 "$(awk -F'\t' 'NR > 1 { print $2 }' "$TSV" | sort -u | wc -l)"
[ $SOAK_DAEMON = asan ] || t_check "no restart (NRestarts)" t_eq 0 "$(daemon_restarts)"
t_check "the daemon is alive" kill -0 "$(daemon_pid)"
rss0=$(col $base 4) rss1=$(col $last 4)
bound=$((rss0 / 10))
[ $bound -ge 4096 ] || bound=4096
t_log "VmRSS: minute $base $rss0 kB, minute $last $rss1 kB (growth $((rss1 - rss0)) kB, bound $bound kB); VmHWM at the end $(col $last 5) kB"
[ $SOAK_DAEMON = asan ] || t_check "VmRSS growth after minute $base <= $bound kB ($((rss1 - rss0)) kB)" \
	t_range $((rss1 - rss0)) -1000000 $bound
# fds: the folio resolver keeps an LRU of up to 8 /proc/PID/pagemap fds
# (TD_FOLIO_FDS) and a served client holds one for a moment (35..41 seen
# from minute to minute, fds-by-kind.txt): the least row of the first
# window of minutes after the baseline against the least of the last one;
# a leaked fd raises both.
w=5
[ $SOAK_MINUTES -ge 15 ] || w=2
fdmin() { awk -F'\t' -v a="$1" -v b="$2" 'NR > 1 && $1 >= a && $1 <= b && (m == "" || $6 < m) { m = $6 } END { print m }' "$TSV"; }
fd0=$(fdmin $base $((base + w - 1))) fd1=$(fdmin $((last - w + 1)) $last)
fdmax=$(awk -F'\t' -v b=$base 'NR > 1 && $1 >= b && $6 > m { m = $6 } END { print m + 0 }' "$TSV")
t_check "fds flat: least of minutes $((last - w + 1))-$last $fd1 <= least of $base-$((base + w - 1)) $fd0 + 2 (most $fdmax)" \
	t_range "$fd1" 0 $((fd0 + 2))
from=$((last - 5))
[ $from -ge 0 ] || from=0
t_check "promotions in the last 5 minutes (bytes_promoted $(col $from 12) -> $(col $last 12))" \
	t_range $(($(col $last 12) - $(col $from 12))) 1 1000000000000
t_check "hint-fault events all along (events_hint_fault $(col $from 9) -> $(col $last 9))" \
	t_range $(($(col $last 9) - $(col $from 9))) 1 1000000000000
t_check "sampling events all along (events_sample $(col $from 10) -> $(col $last 10))" \
	t_range $(($(col $last 10) - $(col $from 10))) 1 1000000000000
t_check "the load ran: >= 40 processes per minute" t_range "$(counted procs)" $((40 * SOAK_MINUTES)) 100000000
t_check "cgroup churn ran: >= 3 cgroups per minute" t_range "$(counted cgroups)" $((3 * SOAK_MINUTES)) 100000000
t_check "every client answered, every cgroup made and removed" t_eq "" \
	"$(sort $S/load-failures 2> /dev/null | uniq -c | head -n 5 | tr '\n' '|')"
st_end=$(t_result_file stats-end.json)
tieringctl -j stats > "$st_end"
t_check "every good reload applied (reloads)" t_eq $((SOAK_MINUTES - 1)) "$(t_json_num "$st_end" reloads)"
t_check "every broken reload refused (reload_failures)" t_eq $(((SOAK_MINUTES - 1) / 5)) \
	"$(t_json_num "$st_end" reload_failures)"

# a fresh hot set with the load stopped
hs=$(t_result_file hotset-final.out)
t_in_cgroup soak/final hotset --total 128 --hot 64 --node 1 --fast 0 --seconds 60 > "$hs" 2>&1
pct=$(awk '$1 == "FINAL" { print $4 }' "$hs")
t_check "at the end a fresh hot set reaches >= 90 % on the fast node ($pct %)" t_range "${pct:-0}" 90 100
row end
tieringctl -j status > "$(t_result_file status-end.json)"

if [ $SOAK_DAEMON = unit ]; then
	journalctl -u tieringd --since "$jstart" -p err -o cat --no-pager > "$R/journal-err.txt" 2>&1
	expected='reload of .* failed, keeping the running configuration|99-soak-broken\.conf:'
	t_log "journal err lines: $(wc -l < "$R/journal-err.txt"), of which the broken reloads': $(grep -cE "$expected" "$R/journal-err.txt")"
	# the query sees tieringd's err entries: two per broken reload
	t_check "the journal has the broken reloads' err lines" \
		t_range "$(grep -cE "$expected" "$R/journal-err.txt")" $((2 * bad_refused)) 1000000
	t_check "no err line in the journal but the broken reloads'" t_eq "" \
		"$(grep -vE "$expected" "$R/journal-err.txt" | head -n 5 | tr '\n' '|')"
	systemctl stop tieringd
	t_check "a clean stop (inactive, not failed)" t_eq inactive "$(systemctl is-active tieringd.service)"
	t_check "NRestarts=0 after the stop" t_eq 0 "$(daemon_restarts)"
	exit 0
fi

t_tieringd_stop "ASan daemon"
t_check "no sanitizer report (leak, memory error, UB)" t_eq "" "$(ls "$R" | grep -E '^(asan|ubsan)\.' | tr '\n' ' ')"
for f in "$R"/asan.* "$R"/ubsan.*; do
	[ -f "$f" ] && sed 's/^/  san| /' "$f" | head -n 40
done
t_check "no sanitizer line in the daemon's output" t_eq "" \
	"$(grep -E 'Sanitizer|runtime error' "$td_log" | head -n 3 | tr '\n' '|')"
# the probe: LSan does report in this guest (ptrace, /proc) when there is a leak
ASAN_OPTIONS="detect_leaks=1:log_path=$S/probe" lsanprobe
t_check "LSan works here: lsanprobe's 64-byte leak is reported" \
	grep -qs 'detected memory leaks' $S/probe.*
