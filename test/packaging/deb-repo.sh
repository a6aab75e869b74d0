#!/bin/bash
# The apt repository of npm run repo in a fresh Debian 12 root (as on a stock host): its
# deb822 .sources file with Signed-By and the published keyring, a file:// URL;
# `apt-get install mysql-zrm-innobackupex` by name; a newer build published, `apt-get upgrade`
# moves to it and keeps an edited conffile; then the same repository signed by another key:
# apt refuses it and installs nothing from it.
# Usage: deb-repo.sh WORKDIR   (WORKDIR/repos/{a1,a2,b} from repo-files.sh; lib.sh, run.sh's REPO)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

work=$1
r=$work/repo-root
pkg=mysql-zrm-innobackupex
conf=/etc/mysql-zrm/innobackupex.conf
trap 'release_root "$r"' EXIT
trap 'exit 143' TERM INT

version_in() { sed -n 's/^Version: //p' "$1/deb/dists/bookworm/main/binary-amd64/Packages"; }
installed_version() { in_root "$r" dpkg-query -W -f='${Version}' "$pkg"; }
# publish NAME: the repository WORKDIR/repos/NAME is what file:///srv/zrm-repo serves now.
publish() {
  rm -rf "$r/srv/zrm-repo"
  cp -a "$work/repos/$1" "$r/srv/zrm-repo"
}
v1=$(version_in "$work/repos/a1") v2=$(version_in "$work/repos/a2") v3=$(version_in "$work/repos/b")

step "fresh Debian 12 root; the repository's .sources and keyring, as README says"
new_root "$r" --include systemd-sysv
mount_root "$r"
mkdir -p "$r/srv"
publish a1
install -d -m 0755 "$r/etc/apt/keyrings"
install -m 0644 "$r/srv/zrm-repo/$pkg.gpg" "$r/etc/apt/keyrings/$pkg.gpg"
install -m 0644 "$r/srv/zrm-repo/$pkg.sources" "$r/etc/apt/sources.list.d/$pkg.sources"
in_root "$r" apt-get update -q >"$work/repo-update1.log" 2>&1 || { cat "$work/repo-update1.log"; fail "apt-get update failed"; }
policy=$(in_root "$r" apt-cache policy "$pkg")
grep -q "Candidate: $v1" <<<"$policy" && grep -q 'file:/srv/zrm-repo/deb bookworm/main' <<<"$policy" ||
  fail "apt does not offer $v1 from the repository: $policy"
ok "apt-get update: $pkg $v1 from file:/srv/zrm-repo/deb bookworm/main"

step "apt-get install $pkg (by name)"
in_root "$r" apt-get install -y -q "$pkg" >"$work/repo-install.log" 2>&1 || { cat "$work/repo-install.log"; fail "apt-get install $pkg failed"; }
assert_eq "installed from the repository" "$v1" "$(installed_version)"
grep -q 'WARNING: The following packages cannot be authenticated' "$work/repo-install.log" && fail "apt installed unauthenticated packages"
in_root "$r" zrm-innobackupex --version >/dev/null || fail "zrm-innobackupex --version"
ok "zrm-innobackupex runs"

step "a newer build published: apt-get upgrade keeps the edited conffile"
printf '\n# edited by the admin (packaging test)\n' >>"$r$conf"
edited=$(sha256sum <"$r$conf")
publish a2
in_root "$r" apt-get update -q >"$work/repo-update2.log" 2>&1 || { cat "$work/repo-update2.log"; fail "apt-get update failed"; }
in_root "$r" apt-get upgrade -y -q >"$work/repo-upgrade.log" 2>&1 || { cat "$work/repo-upgrade.log"; fail "apt-get upgrade failed"; }
assert_eq "apt-get upgrade moved to the newer build" "$v2" "$(installed_version)"
assert_eq "edited $conf kept" "$edited" "$(sha256sum <"$r$conf")"
if ls "$r"/etc/mysql-zrm/*.dpkg-* "$r"/etc/xinetd.d/*.dpkg-* "$r"/etc/logrotate.d/*.dpkg-* 2>/dev/null | grep -q .; then
  fail "the upgrade left .dpkg-* files"
fi
ok "no .dpkg-* files"

step "the repository signed by another key: apt refuses it"
publish b
# The published keyring stays key A's (what the host trusts); the repository now carries key B's.
# apt keeps the lists it had (exit 0 with a warning); --error-on=any makes that an error.
if in_root "$r" apt-get update -q --error-on=any >"$work/repo-update3.log" 2>&1; then
  cat "$work/repo-update3.log"; fail "apt-get update accepted a repository signed by another key"
fi
grep -q 'NO_PUBKEY' "$work/repo-update3.log" && grep -q 'The repository is not updated' "$work/repo-update3.log" ||
  { cat "$work/repo-update3.log"; fail "apt-get update failed, but not on the signature"; }
ok "apt-get update refuses it: $(grep -Eo 'NO_PUBKEY [0-9A-F]+' "$work/repo-update3.log" | head -n1), the repository is not updated"
policy=$(in_root "$r" apt-cache policy "$pkg")
! grep -qF "$v3" <<<"$policy" || fail "apt offers $v3 from the repository signed by another key: $policy"
if in_root "$r" apt-get install -y -q "$pkg=$v3" >"$work/repo-install3.log" 2>&1; then fail "apt-get installed $v3"; fi
in_root "$r" apt-get upgrade -y -q >"$work/repo-upgrade3.log" 2>&1 || { cat "$work/repo-upgrade3.log"; fail "apt-get upgrade failed"; }
assert_eq "apt-get upgrade: still the build signed by the trusted key" "$v2" "$(installed_version)"
