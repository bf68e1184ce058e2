#!/bin/sh
# vm: mode=initramfs mem0=1024 mem1=2048 timeout=900 kernels=6.12
#
# Placement rules (issue 11, item 4): tieringd promotes a page only to a
# fast node its process's cpuset and its memory area's binding policy allow.
# Shipped defaults (node0 has < 1 GiB free: the kernel's own promotion is
# held at KernelPromoteRateLimitMBps=0), THP as Debian ships it.
#
# 1. cpuset, RateLimitMBps=8: /pinned (cpuset.mems = the slow node) and
#    /free each run a 32 MiB hot set on the slow node. /free reaches >= 90 %
#    on the fast node; /pinned stays 100 % on the slow node; no move is
#    attempted for it (pages_failed_EACCES 0, from `tieringctl -j stats`
#    during the run and the exit counters); its pid is named once in the
#    log; `why` of its hottest pages says not_allowed. /free's time to 90 %
#    printed. Then the same with OverridePlacement=yes: the control, EACCES
#    must be counted there (so the 0 above can fail) and /free's time shown.
# 2. mbind, Sources=hint-faults,sampling: bindset's 64 MiB area has an
#    MPOL_BIND|MPOL_F_NUMA_BALANCING policy on the slow node (scanned, so its
#    reads fault and are seen by both sources; the kernel never migrates it
#    off its nodes) and is read continuously; an unbound hotset runs beside
#    it. The bound pages are never on the fast node (bindset's move_pages
#    query every 500 ms, numa_maps every 2 s, at the end); `why` says
#    not_allowed; the unbound hot set is promoted. Then OverridePlacement=yes:
#    the control, tieringd moves bound pages (move_pages ignores mbind), so
#    the checks above can fail.
. /tvm/lib.sh

t_require_bin tieringd tieringctl hotset bindset
t_numa_scan_fast
CG=/sys/fs/cgroup
grep -qw cpuset $CG/cgroup.controllers || t_fatal "no cpuset controller in $CG/cgroup.controllers"
echo "+cpuset +memory" > $CG/cgroup.subtree_control
mkdir -p $CG/pinned $CG/free
echo 1 > $CG/pinned/cpuset.mems
t_check "/pinned: cpuset.mems.effective is the slow node only" t_eq 1 "$(cat $CG/pinned/cpuset.mems.effective)"
t_log "node0 free: $(awk '/MemFree/ { print $4, $5 }' /sys/devices/system/node/node0/meminfo)"

# mkconf FILE KEY=VALUE...: the shipped config with KEYs set under [Daemon].
mkconf() {
	_f=$1
	shift
	printf '%s\n' "$@" > /tmp/keys
	awk 'NR == FNR { x = x $0 "\n"; next } { print } $0 == "[Daemon]" { printf "%s", x }' \
		/tmp/keys "$(t_shipped_conf)" > "$_f"
	tieringd --check-config "$_f" > /dev/null || t_fatal "config $_f does not check"
}

pid_of() { awk '$1 == "READY" { print $2; exit }' "$1"; }
val() { awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }' "$2"; }
# maxcol FILE KEY: the largest value of KEY over the T and FINAL lines
maxcol() {
	awk -v k="$2" '$1 == "T" || $1 == "FINAL" { for (i = 3; i < NF; i++) if ($i == k && $(i + 1) + 0 > m) m = $(i + 1) + 0 }
		END { print m + 0 }' "$1"
}

# wait_pct FILE KEY MIN S: waits up to S s for a report with KEY >= MIN.
wait_pct() {
	_i=0
	while [ $_i -lt $(($4 * 5)) ]; do
		[ -n "$(t_first_at "$1" "$2" "$3")" ] && return 0
		sleep 0.2
		_i=$((_i + 1))
	done
	return 1
}

# why_top NAME PID [ADDR...]: `tieringctl -j why` of ADDRs (default: the
# 5 hottest pages of PID, from `tieringctl -j top`) into NAME-why.json,
# shown on stderr; prints how many answers there were and how many said
# not_allowed.
why_top() {
	_n=$1 _p=$2
	shift 2
	_w=$(t_result_file "$_n-why.json")
	: > "$_w"
	if [ $# -eq 0 ]; then
		tieringctl -j top -n 5 --pid "$_p" > "$(t_result_file "$_n-top.json")" 2>&1
		set -- $(grep -o '"addr":"0x[0-9a-f]*"' "$(t_result_file "$_n-top.json")" | cut -d'"' -f4)
	fi
	for _a in "$@"; do
		tieringctl -j why "$_p" "$_a" >> "$_w" 2>&1
		echo >> "$_w"
	done
	grep . "$_w" | sed "s/^/  $_n why| /" >&2
	echo "$(grep -c '"reason_code"' "$_w") $(grep -c '"reason_code":"not_allowed"' "$_w")"
}

# snap NAME PID...: `tieringctl -j` top (5 hottest pages of each PID),
# status, cgroups and stats into NAME-*.json, while the payloads run.
snap() {
	_n=$1
	shift
	for _p in "$@"; do
		tieringctl -j top -n 5 --pid "$_p" > "$(t_result_file "$_n-top-$_p.json")" 2>&1
		t_log "$_n: pid $_p hottest: $(grep -o '"hotness":[0-9.]*' "$(t_result_file "$_n-top-$_p.json")" | cut -d: -f2 | tr '\n' ' ')"
	done
	for _v in status cgroups stats; do
		tieringctl -j $_v > "$(t_result_file "$_n-$_v.json")" 2>&1
	done
	t_log "$_n: status $(grep -o '"hot_threshold[a-z_]*":[^,]*' "$(t_result_file "$_n-status.json")" | tr '\n' ' ')"
}

# run_cpuset NAME PINNED KEY=VALUE...: tieringd up on the shipped config
# with the KEYs, then a 32 MiB hot set in /free and, if PINNED is yes, one
# in /pinned (each 64 MiB on the slow node). /pinned runs 25 s; /free until
# 15 s after it first reached 90 % on the fast node, at most 40 s (7-13 s
# in CI runs with the placement rules, 32-40 s with OverridePlacement=yes,
# where its time to 90 % is the figure). At 15 s: snap, and why of the
# pinned hottest pages. Sets NAME_t90 (/free >= 90 %) and the counters
# below.
run_cpuset() {
	_r=$1 _with=$2
	shift 2
	mkconf "/tmp/$_r.conf" "$@"
	t_kernel_reset	# the guest boots with numa_balancing=1, restored after each run
	t_tieringd_start "/tmp/$_r.conf" "$_r-tieringd.log"
	grep -q "^tieringd: ready$" "$td_log" || t_fatal "$_r: tieringd did not start"
	_hp=$(t_result_file "$_r-pinned.out") _hf=$(t_result_file "$_r-free.out")
	: > "$_hp"
	_wp=
	if [ "$_with" = yes ]; then
		t_in_cgroup pinned hotset --total 64 --hot 32 --node 1 --fast 0 --seconds 25 --interval-ms 500 > "$_hp" 2>&1 &
		_wp=$!
	fi
	t_in_cgroup free hotset --total 64 --hot 32 --node 1 --fast 0 --seconds 40 --interval-ms 500 \
		--until-pct 90 --hold 15 > "$_hf" 2>&1 &
	_wp="$_wp $!"
	t_wait_for "$_hf" READY 60 || t_fatal "$_r: /free's hotset did not start"
	[ "$_with" != yes ] || t_wait_for "$_hp" READY 60 || t_fatal "$_r: /pinned's hotset did not start"
	_pp=$(pid_of "$_hp") _fp=$(pid_of "$_hf")
	[ -z "$_pp" ] || t_log "$_r: pinned pid $_pp ($(grep Mems_allowed_list /proc/$_pp/status | tr '\t' ' '))"
	t_log "$_r: free pid $_fp ($(grep Mems_allowed_list /proc/$_fp/status | tr '\t' ' '))"
	sleep 15
	snap "$_r" $_pp $_fp
	if [ -n "$_pp" ]; then
		set -- $(why_top "$_r-pinned" "$_pp")
		eval "${_r}_why=$1 ${_r}_why_na=$2"
	fi
	why_top "$_r-free" "$_fp" > /dev/null
	wait $_wp
	t_tieringd_stop "$_r"
	eval "${_r}_pp=$_pp"
	eval "${_r}_t90=$(t_first_at "$_hf" hot_fast_pct 90)"
	eval "${_r}_named=$(grep -c "pid ${_pp:-x}: its cpuset or memory policy allows no fast node" "$td_log")"
	eval "${_r}_named_free=$(grep -c "pid $_fp: its cpuset or memory policy" "$td_log")"
	eval "${_r}_eacces_mid=$(t_json_num "$(t_result_file "$_r-stats.json")" pages_failed_EACCES)"
	eval "${_r}_eacces=$(val pages_failed_EACCES "$td_log")"
	eval "${_r}_na=$(val promote_decisions_not_allowed "$td_log")"
	t_log "$_r: pinned $(grep '^FINAL' "$_hp")"
	t_log "$_r: free   $(grep '^FINAL' "$_hf")"
	grep "^tieringd: pid [0-9]*: its cpuset" "$td_log" | sed "s/^/  $_r td| /"
	grep -E "^(events_received|pages_promoted|pages_failed|pages_failed_EACCES|hot_threshold|promote_decisions_[a-z_]*) " \
		"$td_log" | sed "s/^/  $_r td| /"
}

# the baseline: /free alone, same rate limit
run_cpuset alone no RateLimitMBps=8
t_check "alone: /free's hot set >= 90 % on the fast node ($(t_final "$(t_result_file alone-free.out)" hot_fast_pct) %)" \
	t_range "$(t_final "$(t_result_file alone-free.out)" hot_fast_pct)" 90 100

# --- 1. cpuset ---------------------------------------------------------
run_cpuset cpuset yes RateLimitMBps=8
hp=$(t_result_file cpuset-pinned.out) hf=$(t_result_file cpuset-free.out)
t_check "cpuset: /free's hot set >= 90 % on the fast node ($(t_final "$hf" hot_fast_pct) %)" \
	t_range "$(t_final "$hf" hot_fast_pct)" 90 100
t_check "cpuset: /pinned's hot set never on the fast node (max $(maxcol "$hp" hot_fast_pct) %)" \
	t_eq 0 "$(maxcol "$hp" hot_fast_pct)"
t_check "cpuset: no /pinned cold page moved either (max $(maxcol "$hp" cold_moved))" t_eq 0 "$(maxcol "$hp" cold_moved)"
t_check "cpuset: tieringctl -j stats during the run: pages_failed_EACCES 0" t_eq 0 "${cpuset_eacces_mid:-missing}"
t_check "cpuset: exit counters: pages_failed_EACCES 0" t_eq 0 "$cpuset_eacces"
t_check "cpuset: /pinned's candidates were seen and left (promote_decisions_not_allowed $cpuset_na)" \
	t_range "$cpuset_na" 1 1000000000
t_check "cpuset: the log names the pinned pid $cpuset_pp exactly once" t_eq 1 "$cpuset_named"
t_check "cpuset: the log never names /free's pid" t_eq 0 "$cpuset_named_free"
t_check "cpuset: why of /pinned's hottest pages: all not_allowed ($cpuset_why_na of $cpuset_why)" \
	sh -c '[ "$1" -ge 1 ] && [ "$1" = "$2" ]' sh "$cpuset_why" "$cpuset_why_na"

# the control: placement rules off, the kernel refuses the pinned moves
run_cpuset override yes RateLimitMBps=8 OverridePlacement=yes
t_check "override (control): pages_failed_EACCES counted ($override_eacces)" t_range "$override_eacces" 1 1000000000
t_check "override (control): no not_allowed decision, no warning ($override_na, $override_named)" \
	t_eq "0 0" "$override_na $override_named"
t_log "figure: /free's time to 90 %: ${alone_t90:-never} s alone, ${cpuset_t90:-never} s beside /pinned with placement rules, ${override_t90:-never} s with OverridePlacement=yes (RateLimitMBps=8; EACCES ${override_eacces})"

# --- 2. mbind, hint faults and sampling ---------------------------------
# numa_snap PID ADDR OUT: N0= pages of the area at ADDR in numa_maps, every 2 s while PID lives
numa_snap() {
	_a=$(printf '%s' "$2" | sed 's/^0x//')
	while kill -0 "$1" 2> /dev/null; do
		awk -v a="$_a" '$1 == a { n = 0; for (i = 2; i <= NF; i++) if ($i ~ /^N0=/) n = substr($i, 4); print n + 0 }' \
			"/proc/$1/numa_maps" 2> /dev/null >> "$3"
		sleep 2
	done
}

# run_mbind NAME KEY=VALUE...: bindset (bound to node1) and an unbound hotset
# place their memory, then tieringd starts with the sources and KEYs.
run_mbind() {
	_r=$1
	shift
	mkconf "/tmp/$_r.conf" Sources=hint-faults,sampling "$@"
	_hb=$(t_result_file "$_r-bindset.out") _hh=$(t_result_file "$_r-hotset.out") _ns=$(t_result_file "$_r-numa_maps-N0.txt")
	: > "$_ns"
	# balancing off until tieringd sets it: the kernel's mode 1 would move
	# the unbound hot set itself before tieringd is up
	t_kernel_reset
	bindset --mb 64 --bind 1 --fast 0 --seconds 45 --interval-ms 500 > "$_hb" 2>&1 &
	_w1=$!
	hotset --total 64 --hot 32 --node 1 --fast 0 --seconds 45 --interval-ms 500 > "$_hh" 2>&1 &
	_w2=$!
	t_wait_for "$_hb" READY 60 && t_wait_for "$_hh" READY 60 || t_fatal "$_r: a payload did not start: $(cat "$_hb")"
	_bp=$(pid_of "$_hb")
	_ba=$(awk '$1 == "READY" { print $4 }' "$_hb")
	t_log "$_r: $(grep READY "$_hb"); numa_maps: $(grep "^${_ba#0x} " /proc/$_bp/numa_maps)"
	numa_snap "$_bp" "$_ba" "$_ns" &
	t_tieringd_start "/tmp/$_r.conf" "$_r-tieringd.log"
	grep -q "^tieringd: ready$" "$td_log" || t_fatal "$_r: tieringd did not start"
	tieringctl -j status > "$(t_result_file "$_r-status.json")"
	sleep 25
	# the bound area's first page and four more through it
	set -- $(for _i in 0 1 2 3 4; do printf '0x%x ' $((_ba + _i * 13 * 1048576)); done)
	set -- $(why_top "$_r-bound" "$_bp") $(why_top "$_r-bound-given" "$_bp" "$@")
	eval "${_r}_why=$1 ${_r}_why_na=$2 ${_r}_whyg=$3 ${_r}_whyg_na=$4"
	tieringctl -j stats > "$(t_result_file "$_r-stats.json")"
	wait $_w1 $_w2
	t_tieringd_stop "$_r"
	eval "${_r}_bp=$_bp"
	eval "${_r}_named=$(grep -c "pid $_bp: its cpuset or memory policy allows no fast node" "$td_log")"
	eval "${_r}_na=$(val promote_decisions_not_allowed "$td_log")"
	eval "${_r}_ns_max=$(sort -n "$_ns" | tail -n 1)"
	eval "${_r}_promoted=$(val pages_promoted "$td_log")"
	t_log "$_r: bound  $(grep '^FINAL' "$_hb")"
	t_log "$_r: hotset $(grep '^FINAL' "$_hh")"
	t_log "$_r: numa_maps N0 pages of the bound area over time: $(tr '\n' ' ' < "$_ns")"
	grep -E "^(events_sample|events_hint_fault|node_queries|pages_promoted|bytes_promoted|promote_decisions_not_allowed|placement_errors) " \
		"$td_log" | sed "s/^/  $_r td| /"
}

run_mbind mbind
hb=$(t_result_file mbind-bindset.out) hh=$(t_result_file mbind-hotset.out) st=$(t_result_file mbind-status.json)
t_check "mbind: bindset's area is MPOL_BIND on node1 ($(awk '$1 == "READY" { print $8 }' "$hb"))" \
	grep -q '^READY .* policy bind[=a-z]*:1$' "$hb"
t_check "mbind: status shows the sampling source attached" \
	grep -q '"name":"sampling","hook":"[^"]*","attached":true' "$st"
t_check "mbind: status shows the hint-fault source attached" \
	grep -q '"name":"hint-faults","hook":"[^"]*","attached":true' "$st"
t_log "mbind: sources $(grep -o '"sources":\[[^]]*\]' "$st")"
t_check "mbind: samples arrived ($(val events_sample "$td_log"))" t_range "$(val events_sample "$td_log")" 1 1000000000
t_check "mbind: the bound area never had a page on the fast node (query every 500 ms: max $(maxcol "$hb" fast_pages))" \
	t_eq 0 "$(maxcol "$hb" fast_pages)"
t_check "mbind: ... nor off its bind set (max_off_bind $(t_final "$hb" max_off_bind))" t_eq 0 "$(t_final "$hb" max_off_bind)"
t_check "mbind: numa_maps of the area every 2 s: N0 always 0 (max ${mbind_ns_max:-none}, $(wc -l < "$(t_result_file mbind-numa_maps-N0.txt)") snapshots)" \
	sh -c '[ "$(wc -l < "$1")" -ge 5 ] && [ "$2" = 0 ]' sh "$(t_result_file mbind-numa_maps-N0.txt)" "${mbind_ns_max:-x}"
t_check "mbind: the bound pages were candidates and left (promote_decisions_not_allowed $mbind_na)" \
	t_range "$mbind_na" 1 1000000000
t_check "mbind: the log names bindset's pid exactly once" t_eq 1 "$mbind_named"
t_check "mbind: why of the bound area's hottest pages: all not_allowed ($mbind_why_na of $mbind_why)" \
	sh -c '[ "$1" -ge 1 ] && [ "$1" = "$2" ]' sh "$mbind_why" "$mbind_why_na"
t_log "mbind: why of 5 addresses through the bound area: $mbind_whyg_na of $mbind_whyg not_allowed (figure)"
t_check "mbind: the unbound hot set beside it promoted (>= 90 %: $(t_final "$hh" hot_fast_pct) %)" \
	t_range "$(t_final "$hh" hot_fast_pct)" 90 100
t_check "mbind: ... by tieringd (pages_promoted $mbind_promoted >= 90 % of its 8192 hot pages)" \
	t_range "$mbind_promoted" 7373 1000000000

# the control: move_pages ignores mbind, so tieringd with the rules off moves bound pages
run_mbind mbind_override OverridePlacement=yes
hb=$(t_result_file mbind_override-bindset.out)
t_check "mbind override (control): bound pages moved to the fast node (max $(maxcol "$hb" fast_pages) pages, numa_maps N0 max ${mbind_override_ns_max:-none})" \
	t_range "$(maxcol "$hb" fast_pages)" 1 1000000000
t_log "figure: bound area on the fast node at the end: $(t_final "$(t_result_file mbind-bindset.out)" fast_pct) % with placement rules, $(t_final "$hb" fast_pct) % with OverridePlacement=yes"
