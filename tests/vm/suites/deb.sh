#!/bin/sh
# vm: mode=systemd install=deb mem0=1024 mem1=1024 timeout=420 kernels=6.12
#
# The Debian package as an SRE gets it (make deb; the harness puts the .deb
# in /tvm/deb and the image has its Depends), Debian 12 with systemd as PID 1:
#  1. `apt-get install ./tieringd_*.deb` (offline) exits 0 with no error or
#     warning; group tieringd exists; both units enabled and active; the
#     journal catalog knows tieringd's MESSAGE_IDs.
#  2. A member of group tieringd runs `tieringctl status`.
#  3. With /etc/tieringd.conf edited (the kernel's own tiering promotion
#     off) and the service restarted, a hot set on slow node1 is promoted.
#  4. A newer build (0.1+test1, repacked here with dpkg-deb) installed over
#     it keeps the edited /etc/tieringd.conf and restarts the service; one
#     whose shipped conffile changed too (0.1+test2, --force-confold, as
#     fleets run apt) keeps it as well, with the new one beside it as
#     .dpkg-dist.
#  5. `apt-get purge tieringd` leaves no unit, no group (so no member), no
#     catalog entry and no file named tieringd anywhere but the suite's own.
. /tvm/lib.sh

t_require_bin apt-get dpkg dpkg-deb hotset systemd-run useradd runuser journalctl
t_check "PID 1 is systemd" t_eq systemd "$(cat /proc/1/comm)"
state=$(timeout 120 systemctl is-system-running --wait 2>&1)
t_log "system state: $state"

# daemon/ops/log.h TD_MESSAGE_ID_START (fixed; systemd/tieringd.catalog)
MID_START=0709f7a6ec0e4be5976d729cbf8b69cb
export DEBIAN_FRONTEND=noninteractive
show() { systemctl show tieringd.service -p "$1" --value; }
# apt_install LOG ARGS...: apt-get install -y ARGS in /tmp, output in LOG (shown)
apt_install() {
	_log=$1
	shift
	(cd /tmp && apt-get install -y "$@") > "$_log" 2>&1
	_rc=$?
	sed 's/^/  | /' "$_log"
	return $_rc
}
no_apt_errors() { ! grep -q '^[EW]:' "$1"; }
# repack VERSION [CONF_LINE]: /tmp/tieringd_VERSION_amd64.deb, the built
# package with another version (and a line added to the shipped conffile)
repack() {
	rm -rf /tmp/repack
	dpkg-deb -R /tvm/deb/tieringd_*.deb /tmp/repack || return 1
	sed -i "s/^Version: .*/Version: $1/" /tmp/repack/DEBIAN/control
	[ -z "${2:-}" ] || printf '%s\n' "$2" >> /tmp/repack/etc/tieringd.conf
	(cd /tmp/repack && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
		xargs -0 md5sum > DEBIAN/md5sums)
	dpkg-deb -b /tmp/repack "/tmp/tieringd_$1_amd64.deb" > /dev/null
}

t_check "tieringd not installed before" sh -c '! dpkg-query -W -f="\${Status}" tieringd 2>/dev/null | grep -q installed'
t_check "no tieringd on PATH before (the package brings it)" sh -c '! command -v tieringd && ! command -v tieringctl'

# ---- 1. install
cp /tvm/deb/tieringd_*.deb /tmp/
deb=$(basename /tmp/tieringd_*.deb)
log=$(t_result_file apt-install.txt)
t_log "apt-get install ./$deb"
apt_install "$log" "./$deb"
t_check "apt-get install ./$deb exits 0" t_eq 0 $?
t_check "... with no E: or W: line" no_apt_errors "$log"
t_check "package installed" t_eq "install ok installed" "$(dpkg-query -W -f='${Status}' tieringd 2>&1)" ||
	t_fatal "the package is not installed: nothing below would mean anything"
ver=$(dpkg-query -W -f='${Version}' tieringd)
t_log "installed version $ver; tieringd -V: $(/usr/sbin/tieringd -V)"
t_check "tieringd -V is the package's upstream version" t_eq "tieringd ${ver%%+*}" "$(/usr/sbin/tieringd -V)"
t_check "group tieringd exists (sysusers.d, from the postinst)" getent group tieringd
t_check "/etc/tieringd.conf is a conffile" sh -c 'dpkg-query -W -f="\${Conffiles}" tieringd | grep -q " /etc/tieringd.conf "'
t_check "/etc/tieringd.conf.d exists" test -d /etc/tieringd.conf.d
for u in tieringd.service tieringd.socket; do
	t_check "$u enabled" t_eq enabled "$(systemctl is-enabled $u)"
	t_check "$u active" t_eq active "$(systemctl is-active $u)"
done
t_log "status: $(show StatusText)"
t_check "the journal catalog has tieringd's entries (systemd's trigger)" \
	sh -c 'journalctl --list-catalog | grep -q "^$1 tieringd"' sh "$MID_START"
t_check "tieringd -> ready with the catalog's MESSAGE_ID in the journal" \
	sh -c 'journalctl -u tieringd MESSAGE_ID=$1 -o cat --no-pager | grep -q .' sh "$MID_START"

# ---- 2. a reader
id reader > /dev/null 2>&1 || useradd -M -s /usr/sbin/nologin -G tieringd reader
out=$(runuser -u reader -- tieringctl status 2>&1)
rc=$?
t_log "reader ($(id -nG reader))\$ tieringctl status -> exit $rc"
printf '%s\n' "$out" | sed 's/^/  | /'
t_check "a member of group tieringd: tieringctl status exits 0" t_eq 0 "$rc"

# ---- 3. an edited configuration, a hot set promoted
cp /etc/tieringd.conf /tmp/tieringd.conf.shipped
printf '\n# deb.sh: the kernel'"'"'s own tiering promotion off: what moves is tieringd'"'"'s\nKernelPromoteRateLimitMBps=0\n' >> /etc/tieringd.conf
cp /etc/tieringd.conf /tmp/tieringd.conf.edited
t_check "the edited configuration is valid" /usr/sbin/tieringd --check-config
t_numa_scan_fast
systemctl restart tieringd
t_check "restarted with the edit: active" t_eq active "$(systemctl is-active tieringd.service)"
rl=/proc/sys/kernel/numa_balancing_promote_rate_limit_MBps
t_check "the edit is in force: the kernel's promote rate limit is 0" t_eq 0 "$(cat $rl)"
hs=$(t_result_file hotset.out)
# until 10 s after it first reached 90 % (4-5 s in CI runs), at most 40 s
systemd-run --scope --unit td-hot --quiet \
	hotset --total 128 --hot 64 --node 1 --fast 0 --seconds 40 --until-pct 90 --hold 10 > "$hs" 2>&1
t_log "hotset: $(grep FINAL "$hs")"
pct=$(t_final "$hs" hot_fast_pct)
t_check "the hot set was promoted: hot_fast_pct $pct >= 90" t_range "${pct:-0}" 90 100
st=$(t_result_file status.json)
tieringctl -j status > "$st"
n=$(grep -o '"pages_promoted":[0-9]*' "$st" | cut -d: -f2)
t_check "status: pages_promoted > 0 ($n)" t_range "${n:-0}" 1 1000000000

# ---- 4. a newer build over it
pid0=$(show MainPID)
t_check "repack 0.1+test1 (the same conffile)" repack 0.1+test1
log=$(t_result_file apt-upgrade1.txt)
apt_install "$log" ./tieringd_0.1+test1_amd64.deb
t_check "apt-get install ./tieringd_0.1+test1_amd64.deb exits 0" t_eq 0 $?
t_check "... with no E: or W: line" no_apt_errors "$log"
t_check "version is 0.1+test1" t_eq 0.1+test1 "$(dpkg-query -W -f='${Version}' tieringd)"
t_check "the edited /etc/tieringd.conf survives" cmp /etc/tieringd.conf /tmp/tieringd.conf.edited
t_check "... with nothing beside it" t_eq "" "$(ls /etc/tieringd.conf.dpkg-* 2>/dev/null)"
t_check "the service is active after the upgrade" t_eq active "$(systemctl is-active tieringd.service)"
t_check "... restarted by the postinst (MainPID $pid0 -> $(show MainPID))" sh -c '[ "$1" != "$2" ]' sh "$pid0" "$(show MainPID)"
t_check "... with the edit in force (the kernel's promote rate limit 0)" \
	t_eq 0 "$(cat $rl)"

t_check "repack 0.1+test2 (the shipped conffile changed too)" repack 0.1+test2 "# a line the newer build added"
log=$(t_result_file apt-upgrade2.txt)
apt_install "$log" -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold ./tieringd_0.1+test2_amd64.deb
t_check "apt-get install --force-confold ./tieringd_0.1+test2_amd64.deb exits 0" t_eq 0 $?
t_check "... with no E: or W: line" no_apt_errors "$log"
t_check "the edited /etc/tieringd.conf survives again" cmp /etc/tieringd.conf /tmp/tieringd.conf.edited
t_check "... the new shipped one is beside it as .dpkg-dist" grep -q "a line the newer build added" /etc/tieringd.conf.dpkg-dist
t_check "the service is active" t_eq active "$(systemctl is-active tieringd.service)"
t_check "reader still reads" runuser -u reader -- tieringctl status

# ---- 5. purge
log=$(t_result_file apt-purge.txt)
apt-get purge -y tieringd > "$log" 2>&1
rc=$?
sed 's/^/  | /' "$log"
t_check "apt-get purge tieringd exits 0" t_eq 0 "$rc"
t_check "... with no E: or W: line" no_apt_errors "$log"
t_check "package gone" sh -c '! dpkg-query -W -f="\${Status}" tieringd 2>/dev/null | grep -q "ok installed\|config-files"'
t_check "no tieringd unit known to systemd" t_eq "" "$(systemctl list-unit-files --no-legend --plain 'tieringd*')"
t_check "no tieringd unit loaded" t_eq "" "$(systemctl list-units --all --no-legend --plain 'tieringd*')"
t_check "no group tieringd" sh -c '! getent group tieringd'
t_check "reader is in no group tieringd" sh -c '! id -nG reader | grep -qw tieringd'
t_check "no tieringd entry in the journal catalog" sh -c '! journalctl --list-catalog | grep -q "^$1 "' sh "$MID_START"
left=$(find / -xdev \( -path /proc -o -path /sys -o -path /tvm -o -path /opt/tieringd -o -path /tmp \) -prune -o \
	-name '*tieringd*' -print 2>/dev/null)
t_log "files named *tieringd* after the purge: ${left:-none}"
t_check "no file named *tieringd* is left (but the suite's)" t_eq "" "$left"
t_check "nothing under /etc" t_eq "" "$(find /etc -name '*tieringd*')"
t_check "nothing under /run" t_eq "" "$(find /run -name '*tieringd*' 2>/dev/null)"
