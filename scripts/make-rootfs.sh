#!/bin/bash
# Makes a minimal Debian 12 (bookworm) root file system in DIR, for chroot tests (package
# install/upgrade/purge, the Ansible fleet test). The first run debootstraps it and keeps a
# tarball under the cache directory; later runs only unpack that tarball (a few seconds).
#
# Usage: scripts/make-rootfs.sh [--include PKG,PKG...] [--refresh] DIR
#   --include  extra packages for debootstrap (e.g. python3 for Ansible); each distinct
#              list gets its own cached tarball
#   --refresh  rebuild the cached tarball even if it is recent
# Environment: ZRM_ROOTFS_CACHE (default /var/cache/zrm-innobackupex-test),
#   ZRM_ROOTFS_MIRROR (http://deb.debian.org/debian), ZRM_ROOTFS_SUITE (bookworm),
#   ZRM_ROOTFS_MAX_AGE_DAYS (30: an older tarball is rebuilt, so apt's lists stay close to
#   the mirror).
#
# The root has /usr/sbin/policy-rc.d answering 101, so no package installed in the chroot
# starts a daemon (it would run in the host's network namespace); it has the host's
# resolv.conf, and nothing mounted: the caller mounts /proc and /dev and unmounts them.
set -euo pipefail

die() { echo "make-rootfs: $*" >&2; exit 1; }

suite=${ZRM_ROOTFS_SUITE:-bookworm}
mirror=${ZRM_ROOTFS_MIRROR:-http://deb.debian.org/debian}
cache=${ZRM_ROOTFS_CACHE:-/var/cache/zrm-innobackupex-test}
max_age_days=${ZRM_ROOTFS_MAX_AGE_DAYS:-30}
include=''
refresh=0
dir=''
while [ $# -gt 0 ]; do
  case "$1" in
    --include) [ $# -ge 2 ] || die "--include needs a value"; include=$2; shift 2 ;;
    --include=*) include=${1#--include=}; shift ;;
    --refresh) refresh=1; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) [ -z "$dir" ] || die "only one DIR"; dir=$1; shift ;;
  esac
done
[ -n "$dir" ] || die "usage: $0 [--include PKG,...] [--refresh] DIR"
[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, file ownership)"
if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then die "$dir exists and is not empty"; fi

key="$suite-minbase"
if [ -n "$include" ]; then
  include=$(printf '%s\n' "${include//,/$'\n'}" | sed '/^$/d' | sort -u | paste -sd, -)
  key="$key+${include//,/+}"
fi
tarball="$cache/$key.tar.zst"
mkdir -p "$cache"

# Unmounts whatever debootstrap left mounted below $1, deepest first.
umount_below() {
  local m
  for m in $(awk -v r="$1" 'index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$m" || true
  done
}

build() {
  local tmp
  tmp=$(mktemp -d "$cache/build.XXXXXX")
  # shellcheck disable=SC2064  # expand $tmp now: the trap must clean this build's directory
  trap "umount_below '$tmp'; rm -rf --one-file-system '$tmp'" EXIT
  echo "make-rootfs: debootstrap $suite from $mirror${include:+ (+ $include)} (a few minutes, once)" >&2
  debootstrap --variant=minbase ${include:+--include="$include"} "$suite" "$tmp/root" "$mirror" \
    >"$tmp/debootstrap.log" 2>&1 || { tail -n 30 "$tmp/debootstrap.log" >&2; die "debootstrap failed"; }
  umount_below "$tmp/root"
  printf '#!/bin/sh\n# chroot test root: never start daemons from maintainer scripts\nexit 101\n' \
    >"$tmp/root/usr/sbin/policy-rc.d"
  chmod 0755 "$tmp/root/usr/sbin/policy-rc.d"
  rm -f "$tmp/root/var/cache/apt/archives/"*.deb
  tar --numeric-owner -C "$tmp/root" -cf - . | zstd -q -T0 -o "$tmp/rootfs.tar.zst"
  mv "$tmp/rootfs.tar.zst" "$tarball"
  umount_below "$tmp"
  rm -rf --one-file-system "$tmp"
  trap - EXIT
}

# One builder at a time; readers of an existing tarball only wait while it is being built.
exec 9>"$cache/.lock"
flock 9
if [ "$refresh" = 1 ] || [ ! -s "$tarball" ] || [ -n "$(find "$tarball" -mtime +"$max_age_days")" ]; then
  build
fi
flock -u 9

mkdir -p "$dir"
zstd -q -dc "$tarball" | tar --numeric-owner -xpf - -C "$dir"
cp -L /etc/resolv.conf "$dir/etc/resolv.conf"
echo "$dir"
