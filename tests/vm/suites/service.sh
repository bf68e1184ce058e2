#!/bin/sh
# vm: mode=systemd mem0=1024 mem1=1024 timeout=360 kernels=6.12
#
# tieringd as the systemd service `make install` ships, in a Debian 12 guest
# with systemd as PID 1:
#  1. `systemctl start tieringd` leaves it active, and a workload's hot set
#     (hotset in a transient scope, its 64 MiB hot set on slow node1) is
#     promoted by it: one journal entry per batch with the fixed MESSAGE_ID
#     and the documented fields; `tieringctl -j status` and `-j cgroups`
#     are JSON with the documented keys.
#  2. Access: a user outside group tieringd cannot connect; a member of it
#     may read but not reload.
#  3. `systemctl reload` with a broken drop-in fails and keeps the running
#     policy (the error in the journal with file and line); fixed, it
#     applies the new policy.
#  4. `systemctl stop` takes < 5 s and leaves the unit inactive, not failed;
#     kernel.numa_balancing is restored.
#  5. Socket activation: tieringctl starts the service through
#     tieringd.socket; after `systemctl stop tieringd.service` the socket
#     file is still there and the next tieringctl starts it again.
#  6. `systemd-analyze security tieringd`: printed, and the overall exposure
#     is below 5.0 ("OK" or better).
# Regime: node0 has ~0.7 GiB free, more than FastWatermark; the kernel's own
# tiering promotion is switched off by a drop-in
# (KernelPromoteRateLimitMBps=0), so the pages that move are tieringd's.
. /tvm/lib.sh

t_require_bin tieringctl hotset jsoncheck systemd-run systemd-analyze useradd runuser journalctl
t_check "PID 1 is systemd" t_eq systemd "$(cat /proc/1/comm)"
state=$(timeout 120 systemctl is-system-running --wait 2>&1)
t_log "system state: $state"

SOCK=/run/tieringd/tieringd.sock
# daemon/ops/log.h TD_MESSAGE_ID_PROMOTE (fixed; systemd/tieringd.catalog too)
MID_PROMOTE=f0014108ed344d89a2460fa10061af24
now_ms() { date +%s%3N; }
# jnum KEY FILE: the first numeric member KEY in a JSON file
jnum() { grep -o "\"$1\":-\{0,1\}[0-9]*" "$2" | head -n1 | cut -d: -f2; }
show() { systemctl show tieringd.service -p "$1" --value; }
# journal of the unit since the cursor in file $1
jsince() { journalctl -u tieringd --no-pager -o cat --after-cursor="$(cat "$1")" 2>/dev/null; }
cursor() { journalctl -n 0 --show-cursor --no-pager 2>/dev/null | sed -n 's/^-- cursor: //p' > "$1"; }

t_check "units installed" test -f /usr/lib/systemd/system/tieringd.service -a \
	-f /usr/lib/systemd/system/tieringd.socket
t_check "group tieringd exists (sysusers.d)" getent group tieringd

t_numa_scan_fast
nb_before=$(cat /proc/sys/kernel/numa_balancing)
t_log "kernel.numa_balancing before start: $nb_before"
mkdir -p /etc/tieringd.conf.d
cat > /etc/tieringd.conf.d/10-test.conf <<'CONF'
# service.sh: the kernel's own tiering promotion off, so that what moves is
# tieringd's doing; and a policy that must survive a broken reload.
[Daemon]
KernelPromoteRateLimitMBps=0

[Cgroup "/system.slice/td-before.service"]
Mode=observe
CONF

# ---- 1. start, promote, journal, JSON
t0=$(now_ms)
systemctl start tieringd
rc=$?
t1=$(now_ms)
t_log "systemctl start tieringd: exit $rc after $((t1 - t0)) ms"
t_check "systemctl start tieringd succeeds" t_eq 0 "$rc"
t_check "tieringd.service is active" t_eq active "$(systemctl is-active tieringd.service)"
t_check "tieringd.socket is active (pulled in by Requires=)" t_eq active "$(systemctl is-active tieringd.socket)"
t_log "status: $(show StatusText)"
pid0=$(show MainPID)
t_check "socket file is root:tieringd 0660" t_eq "660 root tieringd" "$(stat -c '%a %U %G' $SOCK)"

hs=$(t_result_file hotset.out)
# until 10 s after it first reached 90 % (6-7 s in CI runs), at most 40 s
systemd-run --scope --unit td-hot --quiet \
	hotset --total 128 --hot 64 --node 1 --fast 0 --seconds 40 --until-pct 90 --hold 10 > "$hs" 2>&1 &
hp=$!

# while it runs: JSON, access, security
st=$(t_result_file status.json)
tieringctl -j status > "$st"
t_check "tieringctl -j status exits 0" t_eq 0 $?
t_check "tieringctl -j status: one JSON object with the documented keys" \
	jsoncheck "$st" object version uptime_s paused fast_nodes slow_nodes \
	'sources[].name' 'sources[].hook' 'sources[].attached' events_received events_dropped \
	hot_entries pages_promoted pages_failed kernel_numa_balancing
for k in version uptime_s paused fast_nodes slow_nodes sources events_received events_dropped \
	hot_entries pages_promoted pages_failed kernel_numa_balancing; do
	grep -q "\"$k\":" "$st" || t_fail "status has no \"$k\""
done
t_check "status: kernel_numa_balancing is 2 (the shipped config's NumaBalancing=2)" \
	t_eq 2 "$(jnum kernel_numa_balancing "$st")"
t_check "status: a source is attached" grep -q '"attached":true' "$st"
t_log "status: $(cat "$st")"
cg=$(t_result_file cgroups.json)
tieringctl -j cgroups > "$cg"
t_check "tieringctl -j cgroups exits 0" t_eq 0 $?
t_check "tieringctl -j cgroups: a JSON list of objects with the documented keys" \
	jsoncheck "$cg" list path mode pages_promoted pages_failed fast_bytes slow_bytes
t_check "cgroups lists the drop-in's policy" grep -q '"path":"/system.slice/td-before.service"' "$cg"

# ---- 2. access
t_log "--- access"
id nobody2 > /dev/null 2>&1 || useradd -M -s /usr/sbin/nologin nobody2
id reader > /dev/null 2>&1 || useradd -M -s /usr/sbin/nologin -G tieringd reader
t_log "nobody2: $(id nobody2); reader: $(id reader)"
out=$(runuser -u nobody2 -- tieringctl status 2>&1)
rc=$?
t_log "nobody2\$ tieringctl status -> exit $rc: $out"
t_check "a user outside group tieringd: tieringctl status exits 1" t_eq 1 "$rc"
t_check "... with \"Permission denied\"" sh -c 'printf "%s\n" "$1" | grep -q "Permission denied"' sh "$out"
out=$(runuser -u reader -- tieringctl status 2>&1)
rc=$?
t_check "a member of group tieringd: tieringctl status exits 0" t_eq 0 "$rc"
t_log "reader\$ tieringctl status:"
printf '%s\n' "$out" | sed 's/^/  | /'
out=$(runuser -u reader -- tieringctl -j cgroups 2>&1)
t_check "a member of group tieringd: tieringctl -j cgroups exits 0" t_eq 0 $?
out=$(runuser -u reader -- tieringctl reload 2>&1)
rc=$?
t_log "reader\$ tieringctl reload -> exit $rc: $out"
t_check "a member of group tieringd: tieringctl reload exits 1" t_eq 1 "$rc"
t_check "... with the daemon's \"permission denied\"" \
	sh -c 'printf "%s\n" "$1" | grep -q "permission denied"' sh "$out"
for v in pause resume; do
	runuser -u reader -- tieringctl $v > /dev/null 2>&1
	t_check "a member of group tieringd: tieringctl $v exits 1" t_eq 1 $?
done
t_check "status: not paused by the refused pause" sh -c 'tieringctl -j status | grep -q "\"paused\":false"'

# ---- 6. security exposure (the unit is loaded; no need for it to run)
t_log "--- systemd-analyze security tieringd"
sec=$(t_result_file security.txt)
systemd-analyze security tieringd --no-pager > "$sec" 2>&1
t_check "systemd-analyze security tieringd runs" t_eq 0 $?
sed 's/^/  | /' "$sec"
exposure=$(sed -n 's/.*Overall exposure level for tieringd.service: *\([0-9.]*\).*/\1/p' "$sec")
level=$(sed -n 's/.*Overall exposure level for tieringd.service: *[0-9.]* *\([A-Z]*\).*/\1/p' "$sec")
t_log "overall exposure: $exposure $level"
t_check "overall exposure below 5.0 (is $exposure $level)" t_range "${exposure:-x}" 0 4.99

# ---- the workload's result
wait $hp
t_log "hotset: $(grep FINAL "$hs")"
pct=$(awk '$1 == "FINAL" { print $4 }' "$hs")
t_check "the hot set was promoted: hot_fast_pct $pct >= 90" t_range "${pct:-0}" 90 100
tieringctl -j status > "$st"
t_log "after the workload: $(show StatusText)"
t_check "status: pages_promoted > 0 ($(jnum pages_promoted "$st"))" \
	t_range "$(jnum pages_promoted "$st")" 1 1000000000
t_check "still the same process (no restart)" t_eq "$pid0" "$(show MainPID)"
t_check "NRestarts is 0" t_eq 0 "$(show NRestarts)"

jp=$(t_result_file journal-promote.json)
journalctl -u tieringd TIERINGD_EVENT=promote -o json --no-pager > "$jp"
n_promote=$(grep -c . "$jp")
t_log "journal: $n_promote promote entries; the first:"
head -n1 "$jp" | sed 's/^/  | /'
t_check "journal has promote entries" t_range "$n_promote" 1 1000000
head -n1 "$jp" > /tmp/promote1.json
t_check "a promote entry is a JSON object with the fields" jsoncheck /tmp/promote1.json object \
	MESSAGE_ID TIERINGD_EVENT PROMOTED_PAGES FAILED_PAGES TARGET_PID CGROUP_PATH SRC_NODE DST_NODE
for f in PROMOTED_PAGES FAILED_PAGES TARGET_PID CGROUP_PATH SRC_NODE DST_NODE MESSAGE_ID; do
	t_check "every promote entry has $f" t_eq "$n_promote" "$(grep -c "\"$f\":" "$jp")"
done
t_check "every promote entry's MESSAGE_ID is TD_MESSAGE_ID_PROMOTE" \
	t_eq "$n_promote" "$(grep -c "\"MESSAGE_ID\":\"$MID_PROMOTE\"" "$jp")"
t_check "promote entries name the workload's scope" \
	grep -q '"CGROUP_PATH":"/system.slice/td-hot.scope"' "$jp"
t_check "... SRC_NODE 1, DST_NODE 0" \
	awk '/"SRC_NODE":"1"/ && /"DST_NODE":"0"/ { f = 1 } END { exit !f }' "$jp"
t_check "journalctl MESSAGE_ID=... finds the same entries" \
	t_eq "$n_promote" "$(journalctl -u tieringd MESSAGE_ID=$MID_PROMOTE -o cat --no-pager | grep -c .)"

# ---- 3. reload
t_log "--- reload"
cur=/tmp/cursor.reload
cursor $cur
fails0=$(jnum reload_failures "$st")
printf '[Cgroup "/x"]\nMode=sometimes\n' > /etc/tieringd.conf.d/50-bad.conf
out=$(systemctl reload tieringd 2>&1)
rc=$?
t_log "systemctl reload (broken drop-in) -> exit $rc: $out"
t_check "systemctl reload with a broken drop-in fails" sh -c '[ "$1" -ne 0 ]' sh "$rc"
t_check "... and tieringd stays active" t_eq active "$(systemctl is-active tieringd.service)"
t_check "... the same process" t_eq "$pid0" "$(show MainPID)"
out=$(tieringctl reload 2>&1)
rc=$?
t_log "tieringctl reload (broken drop-in) -> exit $rc:"
printf '%s\n' "$out" | sed 's/^/  | /'
t_check "tieringctl reload with a broken drop-in exits 1" t_eq 1 "$rc"
t_check "... printing FILE:LINE: message" sh -c 'printf "%s\n" "$1" | grep -q "/etc/tieringd.conf.d/50-bad.conf:2: "' sh "$out"
sleep 1
jsince $cur > /tmp/j.reload
t_log "journal since the broken reload:"
sed 's/^/  | /' /tmp/j.reload
t_check "the journal has the error with file and line" grep -q "/etc/tieringd.conf.d/50-bad.conf:2: .*sometimes" /tmp/j.reload
tieringctl -j status > "$st"
t_check "status: reload_failures went up by 2 ($fails0 -> $(jnum reload_failures "$st"))" \
	t_eq $((fails0 + 2)) "$(jnum reload_failures "$st")"
tieringctl -j cgroups > "$cg"
t_check "the old policy is in force: /system.slice/td-before.service still listed" \
	grep -q '"path":"/system.slice/td-before.service","mode":"observe"' "$cg"
t_check "... and no policy for /x" sh -c '! grep -q "\"path\":\"/x\"" "$1"' sh "$cg"
t_check "the unit is not left in reloading" t_eq running "$(show SubState)"

printf '[Cgroup "/x"]\nMode=observe\n' > /etc/tieringd.conf.d/50-bad.conf
cursor $cur
out=$(systemctl reload tieringd 2>&1)
t_check "systemctl reload with the drop-in fixed succeeds" t_eq 0 $?
t_check "... tieringd active, the same process" t_eq "active $pid0" "$(systemctl is-active tieringd) $(show MainPID)"
tieringctl cgroups > /tmp/cgroups.txt
t_log "tieringctl cgroups:"
sed 's/^/  | /' /tmp/cgroups.txt
t_check "the new policy shows in tieringctl cgroups" \
	awk '$1 == "/x" && $2 ~ /^observe/ { f = 1 } END { exit !f }' /tmp/cgroups.txt
tieringctl -j cgroups > "$cg"
t_check "... and in -j cgroups" grep -q '"path":"/x","mode":"observe"' "$cg"
tieringctl -j status > "$st"
t_check "status: reloads counted ($(jnum reloads "$st"))" t_range "$(jnum reloads "$st")" 1 1000
sleep 1
t_check "the journal says reloaded" sh -c 'journalctl -u tieringd --no-pager -o cat --after-cursor="$(cat "$1")" | grep -q "reloaded"' sh $cur
rm -f /etc/tieringd.conf.d/50-bad.conf

# ---- 4. stop
t_log "--- stop"
t0=$(date +%s.%N)
systemctl stop tieringd.service
rc=$?
t1=$(date +%s.%N)
stop_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
t_log "systemctl stop tieringd took $stop_s s (exit $rc)"
t_check "systemctl stop tieringd succeeds" t_eq 0 "$rc"
t_check "stop takes < 5 s ($stop_s s)" t_range "$stop_s" 0 4.99
t_check "the unit is inactive" t_eq inactive "$(systemctl is-active tieringd.service)"
t_check "... not failed (Result=success)" t_eq success "$(show Result)"
t_check "... the daemon exited 0" t_eq 0 "$(show ExecMainStatus)"
t_check "kernel.numa_balancing restored to $nb_before" t_eq "$nb_before" "$(cat /proc/sys/kernel/numa_balancing)"

# ---- 5. socket activation
t_log "--- socket activation"
systemctl stop tieringd.socket tieringd.service
systemctl start tieringd.socket
t_check "tieringd.socket active" t_eq active "$(systemctl is-active tieringd.socket)"
t_check "tieringd.service not running yet" t_eq inactive "$(systemctl is-active tieringd.service)"
t_check "the socket file exists" test -S $SOCK
t0=$(now_ms)
tieringctl status > /tmp/st.txt 2>&1
rc=$?
t1=$(now_ms)
t_log "tieringctl status (activating) -> exit $rc after $((t1 - t0)) ms"
t_check "tieringctl status starts the service on demand" t_eq 0 "$rc"
t_check "tieringd.service active now" t_eq active "$(systemctl is-active tieringd.service)"
pid1=$(show MainPID)
systemctl stop tieringd.service 2>/dev/null
t_check "after stopping the service: tieringd.service inactive" t_eq inactive "$(systemctl is-active tieringd.service)"
t_check "... tieringd.socket still active" t_eq active "$(systemctl is-active tieringd.socket)"
t_check "... the socket file is still there (no RuntimeDirectory= removal)" test -S $SOCK
t_check "... /run/tieringd still there" test -d /run/tieringd
tieringctl -j status > "$st" 2>&1
t_check "a second tieringctl activates it again" t_eq 0 $?
t_check "... a new process" sh -c '[ "$1" != "$2" ] && [ "$2" != 0 ]' sh "$pid1" "$(show MainPID)"
t_check "tieringd.service active again" t_eq active "$(systemctl is-active tieringd.service)"
systemctl stop tieringd.socket tieringd.service
t_check "stopping the socket stops the service" t_eq inactive "$(systemctl is-active tieringd.service)"
t_check "... not failed" t_eq success "$(show Result)"

journalctl -b --no-pager -u tieringd -u tieringd.socket > "$(t_result_file journal-tieringd.txt)" 2>&1
t_log "results: stop ${stop_s} s; exposure $exposure $level; $n_promote promote entries; hot_fast_pct $pct"
