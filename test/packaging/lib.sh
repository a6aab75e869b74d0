# Helpers for the packaging tests (sourced by run.sh, deb-chroot.sh, rpm-root.sh).
# Everything a test starts in a chroot is found again through /proc/*/root and ended by pid.

step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
  [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
  ok "$1"
}

# assert_stat ROOT PATH MODE OWNER GROUP: PATH inside ROOT (mode as stat %a prints it; owner and
# group looked up in ROOT's own passwd and group files).
assert_stat() {
  local root=$1 path=$2 mode=$3 user=$4 group=$5 uid gid got
  [ -e "$root$path" ] || fail "$path does not exist"
  uid=$(awk -F: -v n="$user" '$1 == n { print $3 }' "$root/etc/passwd")
  gid=$(awk -F: -v n="$group" '$1 == n { print $3 }' "$root/etc/group")
  got=$(stat -c '%a %u %g' "$root$path")
  [ "$got" = "$mode $uid $gid" ] || fail "$path: expected $mode $user:$group ($uid:$gid), got '$got'"
  ok "$path is $mode $user:$group"
}

assert_absent() {
  local p
  for p in "$@"; do
    [ ! -e "$p" ] && [ ! -L "$p" ] || fail "$p still exists"
  done
  ok "absent: $*"
}

# new_root DIR [make-rootfs options]: a fresh bookworm root from scripts/make-rootfs.sh's
# cached tarball (e.g. --include systemd-sysv, as on a stock Debian 12 host).
new_root() {
  "$REPO/scripts/make-rootfs.sh" "${@:2}" "$1" >/dev/null
}

# mount_root DIR: /proc, /dev and the shared apt archive cache into the chroot.
mount_root() {
  local r=$1
  mount -t proc proc "$r/proc"
  mount --bind /dev "$r/dev"
  mkdir -p "$APT_ARCHIVES/partial"
  mount --bind "$APT_ARCHIVES" "$r/var/cache/apt/archives"
}

# release_root DIR: ends every process still running inside DIR, then unmounts below it.
release_root() {
  local r=$1 pid m
  [ -d "$r" ] || return 0
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    if [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$r" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  for m in $(awk -v r="$r" 'index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" || true
  done
}

# in_root DIR CMD...: runs CMD in the chroot with a clean, non-interactive environment.
in_root() {
  local r=$1
  shift
  timeout 900 chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"
}

# snapshot DIR OUT: every path of the root with type, mode, owner, size of files (content hash under
# /etc), minus what dpkg, apt and the test itself change. Two snapshots must be equal when a
# package was installed and purged in between.
snapshot() {
  local r=$1 out=$2
  (
    cd "$r"
    find . -xdev \( -path ./proc -o -path ./dev -o -path ./tmp -o -path ./run \
      -o -path ./var/lib/dpkg -o -path ./var/lib/apt -o -path ./var/cache \
      -o -path ./var/log/apt -o -path ./var/log/dpkg.log -o -path ./var/log/alternatives.log \
      -o -path ./var/lib/rpm -o -path ./root \) -prune -o -type d -printf '%p d %m %U %G\n' -o -printf '%p %y %m %U %G %s\n' |
      LC_ALL=C sort
    find ./etc -xdev -type f -exec sha256sum {} + | LC_ALL=C sort -k2
  ) >"$out"
}
