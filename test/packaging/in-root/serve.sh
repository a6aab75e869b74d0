#!/bin/sh
# Runs inside the test chroot, in a network namespace of its own (deb-chroot.sh starts it with
# unshare --net), so the installed xinetd service can keep its port 25300 whatever the host
# runs. xinetd runs on the installed configuration; the copy plugin fetches a directory
# through it; an upgrade keeps the admin's edits and keeps serving; removal stops serving
# and, with the stand-in for Zmanda's mysql-zrm installed, gives the port back to its server.
# Usage: serve.sh DEB_V2 VERSION_V2 stock|closed   (what answers on 25300 after the removal)
set -eu

deb2=$1
v2=$2
after_remove=$3
t=/tmp/pkgtest
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# Something listens on port $1 (LISTEN state in /proc/net/tcp{,6} of this namespace).
listening() {
	hex=$(printf '%04X' "$1")
	awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p' /proc/net/tcp /proc/net/tcp6 | grep -q .
}
# wait_for yes|no: until port 25300 is (not) listened on, at most 10 s.
wait_for() {
	i=0
	while :; do
		if listening 25300; then now=yes; else now=no; fi
		[ "$now" = "$1" ] && return 0
		i=$((i + 1))
		[ "$i" -lt 100 ] || return 1
		sleep 0.1
	done
}
copy_from() {
	dst=$t/dst-$1
	rm -rf "$dst"
	mkdir -p "$dst"
	ZRM_CONF=$t/zrm.conf /usr/share/mysql-zrm/plugins/socket-copy.palomino.pl \
		--source-host 127.0.0.1 --source-file "$t/src" --destination-directory "$dst" >/dev/null ||
		fail "copy from through xinetd ($1) failed"
	diff -r "$t/src" "$dst/src" || fail "copy from ($1): the copy differs"
	ok "copy from 127.0.0.1:25300 through xinetd and the installed plugins ($1)"
}

/usr/sbin/xinetd -dontfork -pidfile /run/xinetd.pid -filelog "$t/xinetd.log" &
xpid=$!
trap 'kill "$xpid" 2>/dev/null || true; wait "$xpid" 2>/dev/null || true' EXIT
wait_for yes || fail "xinetd does not listen on 25300 with the installed service"
copy_from v1
grep -q "socket-server\[[0-9]*\] info: .*action='copy from'" /var/log/socket-server.log ||
	fail "the socket server logged nothing to /var/log/socket-server.log"
ok "the socket server (user mysql) writes its log"

# An admin's edits to two conffiles, then an upgrade while xinetd serves.
printf '[log]\nlevel = debug\n' >>/etc/mysql-zrm/innobackupex.conf
sed -i 's/^\(\tonly_from\t= 127.0.0.1\)$/\1 192.0.2.10/' /etc/xinetd.d/mysql-zrm-innobackupex
grep -q '192.0.2.10' /etc/xinetd.d/mysql-zrm-innobackupex || fail "could not edit the xinetd service"
sha256sum /etc/mysql-zrm/innobackupex.conf /etc/xinetd.d/mysql-zrm-innobackupex >"$t/edited.sha256"
apt-get install -y -q "$deb2" >"$t/upgrade.log" 2>&1 || { cat "$t/upgrade.log"; fail "upgrade failed"; }
[ "$(dpkg-query -W -f='${Version}' mysql-zrm-innobackupex)" = "$v2" ] || fail "not upgraded to $v2"
ok "upgraded to $v2"
sha256sum -c --quiet "$t/edited.sha256" || fail "the upgrade changed an edited conffile"
ok "the upgrade kept the edited innobackupex.conf and xinetd service"
if ls /etc/mysql-zrm/*.dpkg-* /etc/xinetd.d/*.dpkg-* /etc/logrotate.d/*.dpkg-* 2>/dev/null | grep -q .; then
	fail "the upgrade left .dpkg-* files"
fi
[ "$(grep -c 'Starting reconfiguration' "$t/xinetd.log")" -ge 1 ] || fail "postinst did not reload xinetd"
ok "postinst reloaded xinetd"
wait_for yes || fail "xinetd stopped serving after the upgrade"
copy_from v2

reloads=$(grep -c 'Starting reconfiguration' "$t/xinetd.log")
apt-get remove -y -q mysql-zrm-innobackupex >"$t/remove.log" 2>&1 || { cat "$t/remove.log"; fail "remove failed"; }
i=0
until [ "$(grep -c 'Starting reconfiguration' "$t/xinetd.log")" -gt "$reloads" ]; do
	i=$((i + 1))
	[ "$i" -lt 50 ] || fail "postrm did not reload xinetd"
	sleep 0.1
done
sleep 0.5
if [ "$after_remove" = closed ]; then
	wait_for no || fail "xinetd still listens on 25300 after apt-get remove"
	ok "after apt-get remove (and postrm's xinetd reload) port 25300 is closed"
else
	answer=$(bash -c 'exec 3<>/dev/tcp/127.0.0.1/25300 && timeout 5 cat <&3') || fail "nothing answers on 25300 after apt-get remove"
	[ "$answer" = "STOCK ZRM SERVER" ] || fail "after apt-get remove, 25300 answers '$answer', not the stock server"
	ok "after apt-get remove our service is off and the stock mysql-zrm server has port 25300 back"
fi
