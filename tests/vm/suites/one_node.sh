#!/bin/sh
# vm: mode=systemd install=deb mem0=1024 mem1=0 timeout=300 kernels=6.12
#
# The package on a host with no slow memory tier, as a fleet-wide install
# reaches it: a guest with one NUMA node (mem1=0), systemd as PID 1.
#  1. The guest has one node; `tieringd --has-slow-tier` exits 1 and says
#     "no slow memory tier on this host".
#  2. `apt-get install ./tieringd_*.deb` exits 0 with no error.
#  3. tieringd.service is skipped by its ExecCondition=: inactive, not
#     failed, and after more than RestartSec= still so, with NRestarts 0;
#     the journal says "no slow memory tier on this host" and has no
#     errno text; `systemctl --failed` lists no tieringd unit.
#  4. tieringd started by hand says the same and exits 0.
#  5. tieringctl status through the socket: exits non-zero with a message,
#     and neither unit ends failed (no trigger loop).
#  6. `apt-get purge` works there too.
. /tvm/lib.sh

t_require_bin apt-get dpkg journalctl systemctl
t_check "PID 1 is systemd" t_eq systemd "$(cat /proc/1/comm)"
state=$(timeout 120 systemctl is-system-running --wait 2>&1)
t_log "system state: $state"
nodes=$(ls -d /sys/devices/system/node/node[0-9]* | sed 's|.*/||' | tr '\n' ' ' | sed 's/ $//')
t_check "one NUMA node only (is: $nodes)" t_eq node0 "$nodes"

show() { systemctl show tieringd.service -p "$1" --value; }

# ---- 2. install
out=$(t_result_file apt-install.txt)
(cd /tvm/deb && DEBIAN_FRONTEND=noninteractive apt-get install -y ./tieringd_*.deb) > "$out" 2>&1
rc=$?
sed 's/^/  | /' "$out"
t_check "apt-get install ./tieringd_*.deb exits 0" t_eq 0 "$rc"
t_check "... with no E: or W: line" sh -c '! grep -q "^[EW]:" "$1"' sh "$out"
t_check "package installed" t_eq "install ok installed" "$(dpkg-query -W -f='${Status}' tieringd 2>&1)" ||
	t_fatal "the package is not installed: nothing below would mean anything"

# ---- 1. the condition by hand (the package's binary)
out=$(/usr/sbin/tieringd --has-slow-tier 2>&1)
rc=$?
t_log "tieringd --has-slow-tier -> exit $rc: $out"
t_check "tieringd --has-slow-tier exits 1" t_eq 1 "$rc"
t_check "... saying \"no slow memory tier on this host\"" t_eq "no slow memory tier on this host" "$out"

# ---- 3. the service, skipped
# after RestartSec=5s twice over: a restart loop would show by now
sleep 12
t_log "systemctl status tieringd:"
systemctl status tieringd.service --no-pager 2>&1 | sed 's/^/  | /'
t_check "tieringd.service is inactive" t_eq inactive "$(systemctl is-active tieringd.service)"
t_check "... not failed" sh -c '! systemctl is-failed --quiet tieringd.service'
t_log "tieringd.service: Result=$(show Result) ConditionResult=$(show ConditionResult) ExecMainStatus=$(show ExecMainStatus)"
t_check "... skipped by its ExecCondition= (Result=exec-condition)" t_eq exec-condition "$(show Result)"
t_check "... NRestarts 0" t_eq 0 "$(show NRestarts)"
t_check "... no job queued (no restart pending)" t_eq "" "$(systemctl list-jobs --no-legend --plain 'tieringd*')"
j=$(t_result_file journal.txt)
journalctl -u tieringd.service -o cat --no-pager > "$j" 2>&1
t_log "journal of tieringd.service:"
sed 's/^/  | /' "$j"
t_check "the journal says \"no slow memory tier on this host\"" grep -q "no slow memory tier on this host" "$j"
t_check "... and no errno text" sh -c '! grep -Eq "No such file or directory|Function not implemented|no access source" "$1"' sh "$j"
t_check "... and tieringd did not start" sh -c '! grep -q "Started tieringd.service\|Started Memory tiering" "$1"' sh "$j"
t_check "systemctl --failed lists no tieringd unit" t_eq "" "$(systemctl list-units --failed --no-legend --plain 'tieringd*')"

# ---- 4. by hand
out=$(/usr/sbin/tieringd --run-for 5 2>&1)
rc=$?
t_log "tieringd (by hand) -> exit $rc: $out"
t_check "tieringd by hand exits 0" t_eq 0 "$rc"
t_check "... saying \"no slow memory tier on this host\"" \
	sh -c 'printf "%s\n" "$1" | grep -q "no slow memory tier on this host"' sh "$out"
t_check "... and no errno text" sh -c '! printf "%s\n" "$1" | grep -q ": No such file"' sh "$out"

# ---- 5. tieringctl through the socket
t_check "tieringd.socket is enabled by the package" t_eq enabled "$(systemctl is-enabled tieringd.socket)"
t_log "tieringd.socket: $(systemctl is-active tieringd.socket) (the skipped service stopped it)"
t_check "tieringd.socket is inactive, not failed" t_eq inactive "$(systemctl is-active tieringd.socket)"
# the socket as the next boot has it (sockets.target), a reader calling in
systemctl start tieringd.socket
t_check "tieringd.socket started again" t_eq active "$(systemctl is-active tieringd.socket)"
out=$(timeout 30 tieringctl status 2>&1)
rc=$?
t_log "tieringctl status -> exit $rc: $out"
t_check "tieringctl status exits non-zero (no daemon here)" sh -c '[ "$1" -ne 0 ]' sh "$rc"
sleep 6
t_log "after tieringctl: socket $(systemctl is-active tieringd.socket), service $(systemctl is-active tieringd.service)"
systemctl status tieringd.socket --no-pager 2>&1 | sed 's/^/  | /'
t_check "tieringd.socket not failed" sh -c '! systemctl is-failed --quiet tieringd.socket'
t_check "tieringd.service not failed" sh -c '! systemctl is-failed --quiet tieringd.service'
t_check "no tieringd job left (no trigger loop)" t_eq "" "$(systemctl list-jobs --no-legend --plain 'tieringd*')"
n=$(journalctl -u tieringd.service -o cat --no-pager | grep -c "^Starting tieringd.service")
t_check "tieringd.service was started twice in all (install, tieringctl): $n" t_eq 2 "$n"

# ---- 6. purge
DEBIAN_FRONTEND=noninteractive apt-get purge -y tieringd > "$(t_result_file apt-purge.txt)" 2>&1
t_check "apt-get purge tieringd exits 0" t_eq 0 $?
t_check "... not installed any more" sh -c '! dpkg-query -W -f="\${Status}" tieringd 2>/dev/null | grep -q installed'
