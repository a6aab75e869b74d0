#!/bin/bash
# The packaging test (npm run test:packages). Slow: the first run debootstraps Debian 12
# (scripts/make-rootfs.sh) and apt downloads nodejs, xinetd and the rest; both are cached under
# /var/cache/zrm-innobackupex-test, so later runs take a minute or two.
#
#   1. builds the packages twice: version V from package.json and V+test.2 (same bundle)
#   2. lintian and rpmlint (lint.sh), systemd-analyze verify on the units
#   3. the .rpm: query, same files as the .deb, rpm --root install/upgrade/erase (rpm-root.sh)
#   4. the .deb in a Debian 12 chroot: apt, Node 18, xinetd, logrotate, upgrade, purge
#      (deb-chroot.sh, in-root/*.sh)
#   5. npm run repo: signatures checked with gpgv and rpmkeys, createrepo_c's metadata
#      (repo-files.sh); a fresh Debian 12 root installs by name from the apt repository,
#      upgrades keeping an edited conffile, refuses the repository signed by another key
#      (deb-repo.sh)
#
# Needs root and http://deb.debian.org. Host tools: nfpm, lintian, rpmlint, rpm, debootstrap,
# zstd, systemd (systemd-analyze), util-linux (unshare, setpriv), iproute2, cpio, reprepro,
# createrepo_c, gnupg, gpgv.
# Usage: test/packaging/run.sh [--keep]   (--keep: leave the work directory to look at)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$here/../.." && pwd)
cache=${ZRM_ROOTFS_CACHE:-/var/cache/zrm-innobackupex-test}
APT_ARCHIVES=$cache/apt-archives
export REPO APT_ARCHIVES
# shellcheck source=lib.sh
. "$here/lib.sh"

keep=0
[ "${1:-}" = --keep ] && keep=1
[ "$(id -u)" = 0 ] || fail "run as root (chroot, mounts, rpm --root)"
mkdir -p "$cache"
exec 8>"$cache/packaging-test.lock"
flock -n 8 || fail "another packaging test is running (lock $cache/packaging-test.lock)"

work=$(mktemp -d /var/tmp/zrm-pkgtest.XXXXXX)
child=''
# The slow parts run as background children so that a signal is handled at once: the child is
# ended, then whatever still runs in a chroot, then the mounts go.
run_child() {
  "$@" &
  child=$!
  wait "$child"
  child=''
}
cleanup() {
  if [ -n "$child" ]; then
    kill "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  release_root "$work/deb-root"
  release_root "$work/rpm-root"
  release_root "$work/repo-root"
  if [ "$keep" = 1 ]; then echo "work directory kept: $work"; else rm -rf --one-file-system "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t0=$SECONDS
lap() { echo "-- $1: $((SECONDS - t0)) s"; t0=$SECONDS; }

step "build the packages"
# v1 as `npm run package` versions this tree (2.1.0-dev.<minute>.g<commit> between releases);
# v2 a later build of the same bundle. package.sh prints the .deb's, then the .rpm's path.
v1=$("$REPO/scripts/package-version.sh")
if [[ $v1 == *+* ]]; then v2="$v1.test2"; else v2="$v1+test.2"; fi
mapfile -t built1 < <(PKG_OUT=$work/v1 PKG_VERSION=$v1 "$REPO/scripts/package.sh")
mapfile -t built2 < <(PKG_OUT=$work/v2 PKG_VERSION=$v2 PKG_SKIP_BUILD=1 "$REPO/scripts/package.sh")
# v3: only in the repository signed by another key (repo-files.sh, deb-repo.sh).
mapfile -t built3 < <(PKG_OUT=$work/v3 PKG_VERSION=${v2/test.2/test.3} PKG_SKIP_BUILD=1 "$REPO/scripts/package.sh")
deb1=${built1[0]} rpm1=${built1[1]} deb2=${built2[0]} rpm2=${built2[1]}
[ -f "$deb1" ] && [ -f "$rpm1" ] && [ -f "$deb2" ] && [ -f "$rpm2" ] && [ -f "${built3[0]}" ] ||
  fail "package.sh did not print the packages it made"
dpkg --compare-versions "$(dpkg-deb -f "$deb1" Version)" lt "$(dpkg-deb -f "$deb2" Version)" || fail "v2 does not sort after v1"
dpkg --compare-versions "$(dpkg-deb -f "$deb2" Version)" lt "$(dpkg-deb -f "${built3[0]}" Version)" || fail "v3 does not sort after v2"
export PKG_V1=$v1
lap build

step "lintian, rpmlint"
"$here/lint.sh" "$deb1" "$rpm1"
lap lint

step "systemd-analyze verify (the units of the .deb, against the host's unit set)"
units=$work/units-root
dpkg-deb -x "$deb1" "$units"
cp -an /usr/lib/systemd/system/. "$units/usr/lib/systemd/system/"
mkdir -p "$units/etc" && cp /etc/passwd /etc/group "$units/etc/"
out=$(systemd-analyze verify --man=no --root="$units" mysql-zrm-innobackupex.socket \
  mysql-zrm-innobackupex@0.service 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify: $out"
ok "mysql-zrm-innobackupex.socket and mysql-zrm-innobackupex@.service"
lap units

run_child "$here/rpm-root.sh" "$work" "$rpm1" "$rpm2" "$deb1"
lap rpm
run_child "$here/deb-chroot.sh" "$work" "$deb1" "$deb2"
lap deb
run_child "$here/repo-files.sh" "$work" "$work/v1" "$work/v2" "$work/v3"
lap repo
run_child "$here/deb-repo.sh" "$work"
lap "apt repository"

step "packaging test passed"
