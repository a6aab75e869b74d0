#!/bin/bash
# The .rpm: `rpm -qp --list --scripts --requires`; the same files, modes and owners as the .deb;
# then, installed with `rpm --root --nodeps` into a fresh root, its scriptlets run there:
# install ($1 = 1), upgrade keeping an edited %config(noreplace) file and the state (new %post,
# then the old %postun with $1 = 1), erase ($1 = 0) removing what %post created.
# Usage: rpm-root.sh WORKDIR RPM_V1 RPM_V2 DEB_V1
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

work=$1 rpm1=$2 rpm2=$3 deb1=$4
r=$work/rpm-root
pkg=mysql-zrm-innobackupex
conf=/etc/mysql-zrm/innobackupex.conf
trap 'release_root "$r"' EXIT
trap 'exit 143' TERM INT

step "rpm -qp --requires --list --scripts $(basename "$rpm1")"
rpm -qp --requires "$rpm1"
rpm -qplv "$rpm1"
rpm -qp --scripts "$rpm1" >"$work/rpm-scripts.txt"
for s in 'postinstall scriptlet' 'preuninstall scriptlet' 'postuninstall scriptlet'; do
  grep -q "^$s" "$work/rpm-scripts.txt" || fail "no $s"
done
grep -q 'if \[ "$1" -eq 1 \]' "$work/rpm-scripts.txt" && grep -q 'if \[ "$1" -eq 0 \]' "$work/rpm-scripts.txt" ||
  fail "the scriptlets do not branch on \$1"
ok "%post, %preun, %postun, branching on \$1 ($(wc -l <"$work/rpm-scripts.txt") lines in $work/rpm-scripts.txt)"

step "same files, modes and owners as the .deb"
# "perms owner group path", files only; directories: every one the .rpm owns is in the .deb.
rpm -qplv "$rpm1" | awk '{ print $1, $3, $4, $NF }' | LC_ALL=C sort >"$work/rpm.list"
dpkg-deb -c "$deb1" | awk '{ split($2, o, "/"); p = substr($6, 2); sub(/\/$/, "", p); print $1, o[1], o[2], p }' |
  LC_ALL=C sort >"$work/deb.list"
grep -v '^d' "$work/rpm.list" >"$work/rpm.files"
grep -v '^d' "$work/deb.list" | grep -v -e ' /usr/share/doc/mysql-zrm-innobackupex/changelog.gz$' >"$work/deb.files"
diff -u "$work/deb.files" "$work/rpm.files" || fail "the .deb and the .rpm lay down different files"
ok "$(wc -l <"$work/rpm.files") files alike (the .deb adds only its Debian changelog.gz)"
missing=$(grep '^d' "$work/rpm.list" | LC_ALL=C comm -23 - <(grep '^d' "$work/deb.list"))
[ -z "$missing" ] || fail "directories of the .rpm not in the .deb: $missing"
ok "the .rpm's directories are the .deb's"

step "rpm --root --nodeps: install"
new_root "$r"
mount_root "$r"
in_root "$r" useradd --system --user-group --home-dir /nonexistent --shell /usr/sbin/nologin mysql
snapshot "$r" "$work/rpm-before.snapshot"
rpm --root "$r" --initdb
rpm --root "$r" -i --nodeps --force-debian "$rpm1"
assert_eq "installed" "$(rpm -qp --qf '%{VERSION}-%{RELEASE}' "$rpm1")" "$(rpm --root "$r" -q --qf '%{VERSION}-%{RELEASE}' "$pkg")"
verify=$(rpm --root "$r" -V --nodeps "$pkg" || true)
[ -z "$verify" ] || fail "rpm -V: $verify"
ok "rpm -V: every file with its size, mode, owner and digest"
assert_stat "$r" "/var/lib/mysql-zrm-innobackupex" 700 mysql mysql
assert_stat "$r" "/var/log/socket-server.log" 640 mysql mysql
assert_stat "$r" "/var/log/innobackupex.log" 640 mysql mysql

step "rpm -U: upgrade keeps the edited config and the state"
echo 'level = debug' >>"$r$conf"
edited=$(sha256sum <"$r$conf")
echo "armed-by-test" >"$r/var/lib/mysql-zrm-innobackupex/marker"
rpm --root "$r" -U --nodeps --force-debian "$rpm2"
assert_eq "upgraded" "$(rpm -qp --qf '%{VERSION}-%{RELEASE}' "$rpm2")" "$(rpm --root "$r" -q --qf '%{VERSION}-%{RELEASE}' "$pkg")"
assert_eq "edited $conf kept" "$edited" "$(sha256sum <"$r$conf")"
assert_absent "$r$conf.rpmnew"
[ -f "$r/var/lib/mysql-zrm-innobackupex/marker" ] && [ -f "$r/var/log/socket-server.log" ] ||
  fail "the old %postun removed the state or the logs during an upgrade"
ok "state and logs survive the upgrade"

step "rpm -e: erase"
rpm --root "$r" -e "$pkg"
assert_absent "$r/var/lib/mysql-zrm-innobackupex" \
  "$r/usr/lib/mysql-zrm-innobackupex" "$r/usr/share/mysql-zrm" "$r/usr/bin/zrm-innobackupex"
[ -f "$r/var/log/socket-server.log" ] && [ -f "$r/var/log/innobackupex.log" ] || fail "rpm -e removed the logs"
ok "rpm -e keeps the logs (as Fedora expects) and removes the state"
[ -f "$r$conf.rpmsave" ] || fail "the edited config was not saved as .rpmsave"
snapshot "$r" "$work/rpm-after.snapshot"
left=$(diff "$work/rpm-before.snapshot" "$work/rpm-after.snapshot" | grep '^[<>]' | grep -v 'innobackupex.conf.rpmsave' |
  grep -v '^> ./etc/mysql-zrm d ' | grep -v -e '^> ./var/log/socket-server.log ' -e '^> ./var/log/innobackupex.log ' || true)
[ -z "$left" ] || fail "rpm -e left: $left"
ok "nothing left but the admin's edited config, as $conf.rpmsave, and the logs"
