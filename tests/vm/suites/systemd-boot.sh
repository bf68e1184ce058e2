#!/bin/sh
# vm: mode=systemd mem0=1024 mem1=1024 timeout=300 kernels=6.12
#
# A debootstrapped Debian 12 boots with systemd as PID 1 on the two-node
# topology, reaches running (or degraded, listing the failed units), and
# numastat works there.
. /tvm/lib.sh

t_check "PID 1 is systemd" t_eq systemd "$(cat /proc/1/comm)"
t_check "the suite runs in tdvm-suite.service" grep -q 'tdvm-suite.service' /proc/self/cgroup

state=$(timeout 120 systemctl is-system-running --wait 2>&1)
t_log "systemctl is-system-running: $state"
case $state in
degraded)
	t_log "degraded; failed units:"
	systemctl --failed --no-pager --plain --no-legend | tee "$(t_result_file failed-units.txt)"
	;;
esac
case $state in
running | degraded) ok=yes ;;
*) ok=no ;;
esac
t_check "system state is running or degraded (is: $state)" t_eq yes "$ok"

t_check "nodes are exactly node0 node1" t_eq "node0 node1" \
	"$(ls -d /sys/devices/system/node/node[0-9]* | sed 's|.*/||' | sort | tr '\n' ' ' | sed 's/ $//')"
numastat > "$(t_result_file numastat.txt)" 2>&1
t_check "numastat runs" t_eq 0 $?
sed 's/^/  /' "$(t_result_file numastat.txt)"
t_check "numastat shows node0 and node1" grep -Eq 'node0 +node1' "$(t_result_file numastat.txt)"
journalctl -b --no-pager > "$(t_result_file journal.txt)" 2>&1

# The project as installed into the image (make install, or copies of build/):
# its shared libraries must resolve on this minimal system.
for b in /usr/sbin/tieringd /usr/bin/tieringctl; do
	if [ -x "$b" ]; then
		t_check "$b: every shared library resolves" t_eq "" "$(ldd "$b" 2>&1 | grep 'not found')"
	else
		t_log "$b is not installed (missing from the host's build dir: $TDVM_MISSING)"
	fi
done
