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
