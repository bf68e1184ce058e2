# tests/vm/lib.sh — sourced by VM suites inside the guest (POSIX sh: busybox
# ash in mode=initramfs, dash in mode=systemd).
#
#   . /tvm/lib.sh
#
# Checks:
#   t_check DESC CMD [ARG...]   run CMD; record PASS or FAIL under DESC; returns CMD's status
#   t_fail MSG                  record a failure and go on
#   t_fatal MSG                 record a failure and end the suite now
#   t_skip REASON               end the suite as SKIPPED (exit 77; the host exits 77, never 0)
#   t_eq WANT GOT               predicate for t_check: string equality, says both on mismatch
#   t_range VALUE MIN MAX       predicate for t_check: MIN <= VALUE <= MAX (decimals allowed)
# Environment:
#   t_kernel                    6.12 | 6.1 | sid, as the host named it
#   t_kver_ge MAJ.MIN           true if the running kernel is at least MAJ.MIN
#   t_param KEY [DEFAULT]       a value from the suite's "# vm:" header (mem0, mem1, ...)
#   t_result_file NAME          prints the path where a file for the host goes
#                               (lands in build/vm-results/SUITE-KERNEL/NAME)
#   t_require_bin NAME...       t_fatal unless every NAME is on PATH (says if the
#                               host had no build/NAME to copy)
#   t_sysctl KEY VALUE          set a sysctl and log it; a failure is a t_fail
#   t_log MSG / t_run CMD...    log a line / log and run a command
#
# Workload helpers (THP and folio suites):
#   t_vmstat KEY                a /proc/vmstat counter (0 when the kernel has none)
#   t_wait_for FILE REGEX [S]   wait up to S s (default 120) for a line of FILE matching REGEX
#   t_in_cgroup CG CMD [ARG...] run CMD in cgroup /sys/fs/cgroup/CG (in the background,
#                               $! is a subshell's: take the payload's pid from its READY line)
#   t_series FILE TAG KEY       "secs value" of KEY on each TAG line of a payload's output
#   t_first_at FILE KEY MIN     secs of the first T line whose KEY >= MIN (empty: never)
#   t_json_num FILE KEY         the number after "KEY": in a JSON reply (tieringctl -j)
#   t_smaps_huge_kb PID         AnonHugePages of PID in kB, all its mappings
#   t_fast_bytes_at FILE MONO   a thpset's bytes on the fast node (all regions) at
#                               CLOCK_MONOTONIC time MONO, interpolated between reports
#   t_first_fast_mono FILE      the mono time of its first report with bytes on the fast node
#   t_cg_node_bytes CG NODE     anon + file bytes of cgroup CG on NODE (memory.numa_stat)
#   t_fullfast_run NAME CHECK ARG...  the full-fast-node scenario once (see below)
#   t_fullfast_summary RUN...   its figures per run, side by side, into summary.txt
#   t_kernel_alone              the kernel on its own, set up as tieringd leaves it:
#                               numa_balancing=2, demotion_enabled=false (tieringd
#                               switches demotion on only around its own reclaim writes)
#   t_kernel_reset              numa_balancing=0, demotion_enabled=false (before tieringd)
#   t_shipped_conf              path of the shipped conf/tieringd.conf ($TDVM_CONF where the
#                               harness gives it; else an empty file: the same defaults)
#   t_with_tieringd CONF CMD... CMD with tieringd up on CONF; then status.json and
#                               cgroups.json (tieringctl -j; td_status), stop, exit 0 checked
#
# The suite's exit status is what the host sees. At exit a summary line is
# printed and, if any check failed, a zero exit status becomes 1.
# Skip is a distinct outcome: a suite that skips after a failed check fails.

. /tvm/env

T_PASSED=0
T_FAILED=0

t_log() {
	printf '[%s] %s\n' "$TDVM_SUITE" "$*"
}

t_run() {
	t_log "\$ $*"
	"$@"
}

t__record_fail() {
	T_FAILED=$((T_FAILED + 1))
	[ -s "$TDVM_OUT/first_fail" ] || printf '%s\n' "$*" > "$TDVM_OUT/first_fail"
}

t_check() {
	_t_desc=$1
	shift
	"$@"
	_t_rc=$?
	if [ $_t_rc -eq 0 ]; then
		T_PASSED=$((T_PASSED + 1))
		printf 'PASS: %s\n' "$_t_desc"
	else
		t__record_fail "$_t_desc"
		printf 'FAIL: %s (status %d from: %s)\n' "$_t_desc" $_t_rc "$*"
	fi
	return $_t_rc
}

t_fail() {
	t__record_fail "$*"
	printf 'FAIL: %s\n' "$*"
}

t_fatal() {
	t_fail "$*"
	exit 1
}

t_skip() {
	printf '%s\n' "$*" > "$TDVM_OUT/skip"
	printf 'SKIP: %s\n' "$*"
	exit 77
}

t_eq() {
	[ "$1" = "$2" ] && return 0
	printf '  expected "%s", got "%s"\n' "$1" "$2"
	return 1
}

t_range() {
	if awk -v v="$1" -v lo="$2" -v hi="$3" \
		'BEGIN { exit !(v ~ /^-?[0-9]+(\.[0-9]+)?$/ && v + 0 >= lo + 0 && v + 0 <= hi + 0) }'; then
		return 0
	fi
	printf '  expected %s..%s, got "%s"\n' "$2" "$3" "$1"
	return 1
}

t_kernel() {
	printf '%s\n' "$TDVM_KERNEL"
}

t_kver_ge() {
	uname -r | awk -v want="$1" '{
		split($0, v, /[.+-]/); split(want, w, ".")
		exit !(v[1] + 0 > w[1] + 0 || (v[1] + 0 == w[1] + 0 && v[2] + 0 >= w[2] + 0))
	}'
}

t_param() {
	_t_v=$(printf '%s\n' "$TDVM_PARAMS" | tr ' ' '\n' | sed -n "s/^$1=//p" | tail -n1)
	printf '%s\n' "${_t_v:-$2}"
}

# t_numa_scan_fast: the kernel's NUMA balancing scans every 100 ms from the
# start (its defaults, a 1 s delay and period, make hint faults too slow for
# a test run).
t_numa_scan_fast() {
	[ -d /sys/kernel/debug/sched ] || mount -t debugfs debugfs /sys/kernel/debug
	echo 100 > /sys/kernel/debug/sched/numa_balancing/scan_delay_ms
	echo 100 > /sys/kernel/debug/sched/numa_balancing/scan_period_min_ms
}

# t_final FILE KEY: the value after KEY on the payload's "FINAL ..." line.
t_final() {
	awk -v k="$2" '$1 == "FINAL" { for (i = 2; i < NF; i++) if ($i == k) print $(i + 1) }' "$1"
}

t_result_file() {
	mkdir -p "$(dirname "$TDVM_RESULTS/$1")"
	printf '%s\n' "$TDVM_RESULTS/$1"
}

t_require_bin() {
	for _t_b in "$@"; do
		command -v "$_t_b" > /dev/null 2>&1 && continue
		case " $TDVM_MISSING " in
		*" $_t_b "*) t_fatal "$_t_b is not in the guest: the host had no $_t_b in its build dir (run make first)" ;;
		*) t_fatal "$_t_b is not in the guest (not on PATH: $PATH)" ;;
		esac
	done
}

t_sysctl() {
	_t_f=/proc/sys/$(printf '%s' "$1" | tr . /)
	if printf '%s\n' "$2" > "$_t_f" 2>/dev/null; then
		t_log "sysctl $1=$(cat "$_t_f")"
	else
		t_fail "cannot set sysctl $1=$2"
	fi
}

# t_tieringd_start CONF [LOGNAME]: starts tieringd --config CONF in the
# background, its output in the result file LOGNAME (default tieringd.log),
# and waits (up to 30 s) until it says "ready" (sources attached, kernel
# settings taken over) or exits. Sets td (pid) and td_log (path).
t_tieringd_start() {
	td_log=$(t_result_file "${2:-tieringd.log}")
	tieringd --config "$1" > "$td_log" 2>&1 &
	td=$!
	_t_i=0
	while ! grep -q "^tieringd: ready$" "$td_log" && kill -0 $td 2>/dev/null && [ $_t_i -lt 300 ]; do
		sleep 0.1
		_t_i=$((_t_i + 1))
	done
}

# t_tieringd_stop [LABEL]: SIGTERM, then checks that it exits 0.
t_tieringd_stop() {
	kill -TERM $td
	wait $td
	t_check "${1:+$1: }tieringd exits 0 on SIGTERM" t_eq 0 $?
}

t_vmstat() {
	awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }' /proc/vmstat
}

t_wait_for() {
	_t_i=0
	while ! grep -q "$2" "$1" 2>/dev/null && [ $_t_i -lt $((${3:-120} * 5)) ]; do
		sleep 0.2
		_t_i=$((_t_i + 1))
	done
	grep -q "$2" "$1" 2>/dev/null
}

t_in_cgroup() {
	_t_cg=/sys/fs/cgroup/$1
	shift
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$_t_cg" "$@"
}

t_series() {
	awk -v t="$2" -v k="$3" '$1 == t { for (i = 3; i < NF; i++) if ($i == k) print $2, $(i + 1) }' "$1"
}

t_first_at() {
	t_series "$1" T "$2" | awk -v m="$3" '$2 + 0 >= m + 0 { print $1; exit }'
}

t_json_num() {
	grep -o "\"$2\": *-\{0,1\}[0-9][0-9.eE+-]*" "$1" | head -n 1 | sed 's/.*: *//'
}

t_smaps_huge_kb() {
	awk '$1 == "AnonHugePages:" { s += $2 } END { print s + 0 }' "/proc/$1/smaps"
}

t_fast_bytes_at() {
	awk -v m="$2" '$1 == "T" || $1 == "FINAL" {
		b = 0
		for (i = 3; i < NF; i++) {
			if ($i ~ /_fast_bytes$/) b += $(i + 1)
			if ($i == "mono") t = $(i + 1)
		}
		if (t + 0 <= m + 0) { pt = t; pb = b; seen = 1; next }
		v = seen ? pb + (b - pb) * (m - pt) / (t - pt) : b
		done = 1
		exit
	} END { printf "%.0f\n", done ? v : pb }' "$1"
}

t_first_fast_mono() {
	awk '$1 == "T" { b = 0; for (i = 3; i < NF; i++) { if ($i ~ /_fast_bytes$/) b += $(i + 1); if ($i == "mono") t = $(i + 1) }
		if (b > 0) { print t; exit } }' "$1"
}

t_cg_node_bytes() {
	awk -v n="N$2=" '$1 == "anon" || $1 == "file" {
		for (i = 2; i <= NF; i++) if (index($i, n) == 1) s += substr($i, length(n) + 1)
	} END { print s + 0 }' "/sys/fs/cgroup/$1/memory.numa_stat"
}

# t_fullfast_run NAME CHECK ARG...: coldfill (cgroup /cold) fills node0 but
# 48 MiB with never-touched 4 KiB pages, then `thpset ARG... --node 1 --fast 0`
# runs in cgroup /hot (both cgroups made here); once its first report is out,
# `CHECK NAME PID OUT` checks its folios. Outputs: NAME-coldfill.out,
# NAME-thpset.out. Sets NAME_pct (hot set on node0 at the end), NAME_t90
# (first report >= 90 %, empty: never), and the /proc/vmstat deltas over the
# run NAME_promo (pgpromote_success), NAME_thp_ok (thp_migration_success),
# NAME_thp_split (thp_migration_split). tieringd must be up already if wanted.
t_fullfast_run() {
	_t_n=$1 _t_chk=$2
	shift 2
	echo +memory > /sys/fs/cgroup/cgroup.subtree_control
	mkdir -p /sys/fs/cgroup/cold /sys/fs/cgroup/hot
	_t_cold=$(t_result_file "$_t_n-coldfill.out")
	_t_hs=$(t_result_file "$_t_n-thpset.out")
	t_in_cgroup cold coldfill --leave-free 48 --node 0 > "$_t_cold" 2>&1 &
	_t_cp=$!
	t_check "$_t_n: coldfill filled node0" t_wait_for "$_t_cold" READY 180
	t_log "$_t_n: node0 free after coldfill: $(awk '/MemFree/ { print $4, $5 }' /sys/devices/system/node/node0/meminfo)"
	_t_v0="$(t_vmstat thp_migration_success) $(t_vmstat thp_migration_split) $(t_vmstat pgpromote_success)"
	t_in_cgroup hot thpset "$@" --node 1 --fast 0 > "$_t_hs" 2>&1 &
	_t_hp=$!
	t_wait_for "$_t_hs" '^T ' 120
	t_log "$_t_n: $(grep '^FOLIOS' "$_t_hs")"
	"$_t_chk" "$_t_n" "$(awk '$1 == "READY" { print $2 }' "$_t_hs")" "$_t_hs"
	wait $_t_hp
	kill -TERM "$(awk '$1 == "READY" { print $2 }' "$_t_cold")"
	wait $_t_cp
	set -- $_t_v0
	eval "${_t_n}_thp_ok=$(( $(t_vmstat thp_migration_success) - $1 ))"
	eval "${_t_n}_thp_split=$(( $(t_vmstat thp_migration_split) - $2 ))"
	eval "${_t_n}_promo=$(( $(t_vmstat pgpromote_success) - $3 ))"
	eval "${_t_n}_pct=$(t_final "$_t_hs" hot_fast_pct)"
	eval "${_t_n}_t90=$(t_first_at "$_t_hs" hot_fast_pct 90)"
	t_log "$_t_n: $(grep '^FINAL' "$_t_hs")"
	t_log "$_t_n: coldfill $(grep '^FINAL' "$_t_cold")"
}

# t_fullfast_summary RUN...: t_fullfast_run's figures of each RUN (e.g.
# kernel tieringd), one line each, into the result file summary.txt and
# the log.
t_fullfast_summary() {
	_t_sum=$(t_result_file summary.txt)
	printf '%-10s %14s %8s %12s %12s %12s\n' run hot_fast_end_% t90_s pgpromote thp_migrated thp_split > "$_t_sum"
	for _t_r in "$@"; do
		eval "printf '%-10s %14s %8s %12s %12s %12s\\n' $_t_r \"\$${_t_r}_pct\" \"\${${_t_r}_t90:--}\" \
			\"\$${_t_r}_promo\" \"\$${_t_r}_thp_ok\" \"\$${_t_r}_thp_split\"" >> "$_t_sum"
	done
	sed 's/^/  /' "$_t_sum"
}

t_kernel_alone() {
	t_sysctl kernel.numa_balancing 2
	echo false > /sys/kernel/mm/numa/demotion_enabled || t_fail "cannot write demotion_enabled"
	t_log "kernel alone: numa_balancing=2, demotion_enabled=$(cat /sys/kernel/mm/numa/demotion_enabled)," \
		"promote rate limit $(cat /proc/sys/kernel/numa_balancing_promote_rate_limit_MBps) MB/s"
}

t_kernel_reset() {
	t_sysctl kernel.numa_balancing 0
	echo false > /sys/kernel/mm/numa/demotion_enabled
}

t_shipped_conf() {
	if [ -n "${TDVM_CONF:-}" ] && [ -f "$TDVM_CONF" ]; then
		printf '%s\n' "$TDVM_CONF"
	else
		: > /tmp/tieringd-shipped.conf
		printf '%s\n' /tmp/tieringd-shipped.conf
	fi
}

# t_with_tieringd CONF CMD...: CMD... with tieringd running on CONF; its
# status and cgroups replies (tieringctl -j) taken before the stop go to the
# result files status.json (path in td_status) and cgroups.json.
t_with_tieringd() {
	_t_conf=$1
	shift
	t_tieringd_start "$_t_conf"
	"$@"
	td_status=$(t_result_file status.json)
	tieringctl -j status > "$td_status"
	tieringctl -j cgroups > "$(t_result_file cgroups.json)"
	t_tieringd_stop
}

# t_tieringd_then_kernel SECS KSECS: the suite's `run td SECS` under
# tieringd on the shipped configuration, then `run kernel KSECS` with the
# kernel alone in the same boot. Sets stats (tieringd's stats reply, taken
# before its stop, in stats.json) and kprom (pgpromote_success during
# tieringd's run: the kernel's own promotions).
t_tieringd_then_kernel() {
	_t_p0=$(t_vmstat pgpromote_success)
	t_tieringd_start "$(t_shipped_conf)"
	t_check "tieringd is ready" grep -q "^tieringd: ready$" "$td_log"
	run td "$1"
	stats=$(t_result_file stats.json)
	tieringctl -j stats > "$stats"
	t_tieringd_stop
	kprom=$(($(t_vmstat pgpromote_success) - _t_p0))
	t_kernel_alone
	run kernel "$2"
	t_kernel_reset
}

t__exit() {
	_t_rc=$?
	trap - EXIT
	printf '%s %s\n' "$T_PASSED" "$T_FAILED" > "$TDVM_OUT/counts"
	t_log "summary: $T_PASSED passed, $T_FAILED failed"
	if [ "$T_FAILED" -gt 0 ] && { [ $_t_rc -eq 0 ] || [ $_t_rc -eq 77 ]; }; then
		_t_rc=1
	fi
	exit $_t_rc
}

trap t__exit EXIT
