#!/bin/bash
# The .deb in a fresh Debian 12 root with systemd-sysv, as on a stock host (debootstrap, chroot):
# apt pulls Debian's nodejs and not xinetd, and the socket unit is enabled; with xinetd
# installed, xinetd's service serves instead; the mysql user missing, then present; Zmanda's
# mysql-zrm (a stand-in shipping its own xinetd file, left alone) installed after and before; the plugins on Debian's Node 18; logrotate; xinetd serving
# in a network namespace; upgrade, remove, purge; and a purge that leaves the root as it was.
# Usage: deb-chroot.sh WORKDIR DEB_V1 DEB_V2   (sourced helpers: lib.sh; run.sh sets REPO etc.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

work=$1 deb1=$2 deb2=$3
r=$work/deb-root
pkg=mysql-zrm-innobackupex
xfile=/etc/xinetd.d/mysql-zrm-socket-server
ours=/etc/xinetd.d/mysql-zrm-innobackupex
unit=mysql-zrm-innobackupex.socket
wants=/etc/systemd/system/sockets.target.wants/$unit
v2=$(dpkg-deb -f "$deb2" Version)
trap 'release_root "$r"' EXIT
trap 'exit 143' TERM INT

# A stand-in for Zmanda's mysql-zrm: the same xinetd service path, another server.
stock_deb() {
  local d=$work/stock
  mkdir -p "$d/DEBIAN" "$d/etc/xinetd.d" "$d/usr/share/mysql-zrm/plugins"
  cat >"$d/DEBIAN/control" <<'EOF'
Package: mysql-zrm
Version: 3.0.0-0pkgtest1
Architecture: all
Maintainer: packaging test <pkgtest@example.invalid>
Description: stand-in for Zmanda's mysql-zrm (packaging test only)
 Ships /etc/xinetd.d/mysql-zrm-socket-server like the real package.
EOF
  echo "$xfile" >"$d/DEBIAN/conffiles"
  printf 'service mysql-zrm-socket-server\n{\n\ttype = UNLISTED\n\tsocket_type = stream\n\tprotocol = tcp\n\tport = 25300\n\twait = no\n\tuser = mysql\n\tserver = /usr/share/mysql-zrm/plugins/socket-server.pl\n}\n' >"$d$xfile"
  printf '#!/bin/sh\necho STOCK ZRM SERVER\n' >"$d/usr/share/mysql-zrm/plugins/socket-server.pl"
  chmod 0755 "$d/usr/share/mysql-zrm/plugins/socket-server.pl"
  chmod 0644 "$d$xfile"
  dpkg-deb --root-owner-group --build "$d" "$work/mysql-zrm-stock.deb" >/dev/null
  sha256sum <"$d$xfile" | cut -d' ' -f1
}

installed() { [ "$(in_root "$r" dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }
diversion() { in_root "$r" dpkg-divert --list "$xfile"; }
hash_of() { sha256sum <"$r$1" | cut -d' ' -f1; }
# enabled|disabled: the socket unit's enablement in the root (no systemd runs in a chroot).
socket_state() { in_root "$r" systemctl is-enabled "$unit" 2>/dev/null || true; }

step "fresh Debian 12 root"
new_root "$r" --include systemd-sysv
mount_root "$r"
mkdir -p "$r/tmp/pkgtest"
cp "$deb1" "$r/tmp/pkgtest/v1.deb"
cp "$deb2" "$r/tmp/pkgtest/v2.deb"
cp "$here/in-root/"*.sh "$r/tmp/pkgtest/"
stock_hash=$(stock_deb)
cp "$work/mysql-zrm-stock.deb" "$r/tmp/pkgtest/"
in_root "$r" apt-get update -qq
! installed nodejs && ! installed xinetd || fail "the fresh root already has nodejs or xinetd"
installed systemd-sysv || fail "the fresh root has no systemd-sysv"

step "apt-get install ./$pkg.deb (no mysql user yet)"
in_root "$r" apt-get install -y -q /tmp/pkgtest/v1.deb >"$work/install1.log" 2>&1 ||
  { cat "$work/install1.log"; fail "apt-get install failed"; }
installed nodejs || fail "nodejs was not pulled in"
! installed xinetd || fail "xinetd was pulled in although systemd-sysv satisfies the dependency"
node_version=$(in_root "$r" node --version)
[[ $node_version == v18.* ]] || fail "node is $node_version, not Debian 12's Node 18"
grep -q 'deb.debian.org/debian bookworm' <<<"$(in_root "$r" apt-cache policy nodejs)" || fail "nodejs is not Debian's"
ok "apt pulled Debian's nodejs ($node_version), not xinetd"
[ -L "$r$wants" ] || fail "no $wants: the socket unit is not enabled"
assert_eq "socket unit enablement (no xinetd)" enabled "$(socket_state)"
grep -q "to serve your ZRM backup servers run 'systemctl edit $unit' and add: \[Socket\] IPAddressAllow=" "$work/install1.log" ||
  fail "postinst did not say how to open the socket unit"
ok "without xinetd the socket unit is enabled, and postinst says how to open it"
grep -q "there is no 'mysql' user" "$work/install1.log" || fail "postinst did not say what to do without a mysql user"
grep -q 'useradd --system' "$work/install1.log" || fail "postinst did not say how to create the user"
ok "postinst says what to do without a mysql user"
assert_absent "$r/var/lib/mysql-zrm-innobackupex"
assert_eq "no diversion" "" "$(diversion)"

step "mysql-zrm installed after $pkg: both service files, each package's own"
in_root "$r" dpkg -i /tmp/pkgtest/mysql-zrm-stock.deb >/dev/null
assert_eq "stock service file untouched" "$stock_hash" "$(hash_of "$xfile")"
assert_eq "no diversion" "" "$(diversion)"

step "apt-get purge: the socket unit's enablement goes, the stock file stays"
in_root "$r" apt-get purge -y -q "$pkg" >"$work/purge1.log" 2>&1 || { cat "$work/purge1.log"; fail "purge failed"; }
assert_eq "stock service file untouched" "$stock_hash" "$(hash_of "$xfile")"
assert_absent "$r$wants"
assert_eq "no diversion" "" "$(diversion)"

step "mysql user, xinetd, snapshot, install with mysql-zrm present"
in_root "$r" useradd --system --user-group --home-dir /nonexistent --shell /usr/sbin/nologin mysql
in_root "$r" apt-get install -y -q xinetd >"$work/xinetd.log" 2>&1 || { cat "$work/xinetd.log"; fail "apt-get install xinetd failed"; }
snapshot "$r" "$work/before.snapshot"
in_root "$r" apt-get install -y -q /tmp/pkgtest/v1.deb >"$work/install2.log" 2>&1 ||
  { cat "$work/install2.log"; fail "apt-get install failed"; }
assert_eq "stock service file untouched" "$stock_hash" "$(hash_of "$xfile")"
assert_eq "socket unit enablement (xinetd installed)" disabled "$(socket_state)"
assert_absent "$r$wants"
grep -q 'xinetd serves port 25300 to this host only; to serve your ZRM backup servers set only_from in /etc/xinetd.d/mysql-zrm-innobackupex' "$work/install2.log" ||
  fail "postinst did not say how to open the xinetd service"
ok "with xinetd installed its service serves, the socket unit stays disabled, postinst says how to open it"
assert_eq "our service file" "$(sha256sum <"$REPO/packaging$ours" | cut -d' ' -f1)" "$(hash_of "$ours")"
assert_stat "$r" "/var/lib/mysql-zrm-innobackupex" 700 mysql mysql
assert_stat "$r" "/var/log/socket-server.log" 640 mysql mysql
assert_stat "$r" "/var/log/innobackupex.log" 640 mysql mysql
for f in /usr/bin/zrm-innobackupex /usr/share/mysql-zrm/plugins/{inno-snapshot.pl,socket-server.palomino.pl,socket-copy.palomino.pl}; do
  assert_stat "$r" "$f" 755 root root
  assert_eq "$f interpreter" '#!/usr/bin/node --single-threaded' "$(head -n1 "$r$f")"
done

step "the command and each plugin on Debian's Node 18"
# The version package.sh built the bundle with (run.sh: PKG_V1), the package's own.
assert_eq "zrm-innobackupex --version" "$PKG_V1" \
  "$(in_root "$r" zrm-innobackupex --version)"
grep -q 'socket-server' <<<"$(in_root "$r" zrm-innobackupex --help)" || fail "zrm-innobackupex --help"
ok "zrm-innobackupex --help"
out=$(in_root "$r" /usr/share/mysql-zrm/plugins/inno-snapshot.pl --action get-vm-device-details --directory /var/lib --sname pkgtest)
grep -qx 'snapshot-mount-point=/tmp/zrm-innosnap' <<<"$out" || fail "inno-snapshot.pl: $out"
ok "inno-snapshot.pl --action get-vm-device-details"
mkdir -p "$r/tmp/pkgtest/local"
in_root "$r" /usr/share/mysql-zrm/plugins/socket-copy.palomino.pl --source-file /etc/debian_version \
  --destination-directory /tmp/pkgtest/local >/dev/null
cmp -s "$r/etc/debian_version" "$r/tmp/pkgtest/local/debian_version" || fail "socket-copy.palomino.pl local copy"
ok "socket-copy.palomino.pl (local copy)"
# Inside the default allowed_roots (auto: the database's directories and its tmpdir, /tmp here).
printf '2.0_zrm-innobackupex\ncopy from\n/tmp/pkgtest/local/debian_version\n/tmp\n/usr/bin\n' >"$r/tmp/pkgtest/request"
in_root "$r" sh -c 'runuser -u mysql -- /usr/share/mysql-zrm/plugins/socket-server.palomino.pl </tmp/pkgtest/request >/tmp/pkgtest/reply' ||
  fail "socket-server.palomino.pl exited non-zero: $(head -c 300 "$r/tmp/pkgtest/reply")"
head -n1 "$r/tmp/pkgtest/reply" | grep -qx 'OK tar' || fail "socket-server.palomino.pl did not answer OK tar"
tail -c 400 "$r/tmp/pkgtest/reply" | grep -aq '"ok":true' || fail "socket-server.palomino.pl: no ok trailer"
ok "socket-server.palomino.pl (a copy from request on stdin, as mysql)"

step "logrotate -f with the shipped config while writers keep writing"
in_root "$r" sh /tmp/pkgtest/logrotate.sh

step "xinetd on the installed config, upgrade, remove (own network namespace)"
mkdir -p "$r/tmp/pkgtest/src/sub"
head -c 2000000 /dev/urandom >"$r/tmp/pkgtest/src/data.bin"
echo 'a small file' >"$r/tmp/pkgtest/src/sub/small.txt"
printf 'socket-remote-port=25300\nremote-mysql-binpath=/usr/bin\n' >"$r/tmp/pkgtest/zrm.conf"
chmod -R a+rX "$r/tmp/pkgtest"
# Let maintainer scripts reload the test's own xinetd, and nothing else.
cp "$r/usr/sbin/policy-rc.d" "$work/policy-rc.d.saved"
printf '#!/bin/sh\nwhile [ "${1#--}" != "$1" ]; do shift; done\n[ "$1" = xinetd ] && [ "$2" = reload ] && exit 0\nexit 101\n' \
  >"$r/usr/sbin/policy-rc.d"
timeout 300 unshare --net sh -c "ip link set lo up && exec chroot '$r' env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive sh /tmp/pkgtest/serve.sh /tmp/pkgtest/v2.deb '$v2' stock"
cp "$work/policy-rc.d.saved" "$r/usr/sbin/policy-rc.d"

step "after apt-get remove"
assert_absent "$r/usr/bin/zrm-innobackupex" "$r/usr/lib/mysql-zrm-innobackupex" \
  "$r/usr/share/mysql-zrm/plugins/socket-server.palomino.pl" "$r/usr/lib/systemd/system/$pkg.socket"
[ -f "$r/etc/mysql-zrm/innobackupex.conf" ] && [ -f "$r$ours" ] || fail "remove took the conffiles"
ok "conffiles kept until purge"
assert_eq "no diversion after remove" "" "$(diversion)"
assert_eq "stock service file untouched after remove" "$stock_hash" "$(hash_of "$xfile")"
assert_eq "package state" "config-files" "$(in_root "$r" dpkg-query -W -f='${db:Status-Status}' "$pkg")"

step "apt-get purge leaves nothing of ours"
in_root "$r" apt-get purge -y -q "$pkg" >"$work/purge2.log" 2>&1 || { cat "$work/purge2.log"; fail "purge failed"; }
assert_eq "package state" "" "$(in_root "$r" dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
assert_eq "no diversion left" "" "$(diversion)"
assert_eq "stock service file untouched" "$stock_hash" "$(hash_of "$xfile")"
snapshot "$r" "$work/after.snapshot"
if ! diff -u "$work/before.snapshot" "$work/after.snapshot"; then fail "the root differs from before the install"; fi
ok "the root is as before the install (every path, mode, owner, size; /etc byte for byte)"
ls "$r/var/lib/dpkg/info/$pkg".* >/dev/null 2>&1 && fail "dpkg still has $pkg's control files"
ok "dpkg has forgotten $pkg"
