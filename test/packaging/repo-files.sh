#!/bin/bash
# npm run repo (scripts/repo.sh) on the packages of run.sh, checked with the distributions' own
# tools: gpgv on InRelease, Release.gpg and repomd.xml.asc with the published keyring;
# `rpmkeys -K` with the published key in a private rpm database (and NOT OK without it);
# createrepo_c's metadata lists the package; dnf reads the repository where dnf is installed.
# Then the repositories deb-repo.sh installs from, in WORKDIR/repos/:
#   a1 (v1) and a2 (v2), signed by one key; b (v3), signed by another.
# Usage: repo-files.sh WORKDIR V1_DIR V2_DIR V3_DIR   (each *_DIR: one .deb and one .rpm)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

work=$1 dir1=$2 dir2=$3 dir3=$4
pkg=mysql-zrm-innobackupex
homes=()
cleanup() {
  local h
  for h in "${homes[@]}"; do gpgconf --homedir "$h" --kill all 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# repo OUT PKGDIR [GNUPGHOME]: scripts/repo.sh with that key (none: its throwaway key).
repo() {
  local out=$1 pkgdir=$2 home=${3:-}
  if [ -n "$home" ]; then
    REPO_OUT=$out REPO_PACKAGES=$pkgdir REPO_GPG_HOME=$home REPO_BASE_URL=file:///srv/zrm-repo \
      "$REPO/scripts/repo.sh" >"$out.log" 2>&1 || { cat "$out.log"; fail "repo.sh $out failed"; }
  else
    env -u REPO_GPG_HOME -u REPO_GPG_KEY_ID REPO_OUT=$out REPO_PACKAGES=$pkgdir REPO_BASE_URL=file:///srv/zrm-repo \
      "$REPO/scripts/repo.sh" >"$out.log" 2>&1 || { cat "$out.log"; fail "repo.sh $out failed"; }
  fi
}
# new_key HOME NAME: a passphrase-less signing key in a private GNUPGHOME.
new_key() {
  install -d -m 0700 "$1"
  homes+=("$1")
  gpg --homedir "$1" --batch --quiet --passphrase '' --quick-gen-key "$2 <$2@localhost.invalid>" rsa3072 sign 1d 2>/dev/null
}

step "npm run repo without a key: a throwaway key, marked for testing"
t=$work/repos/throwaway
mkdir -p "$work/repos"
repo "$t" "$dir1"
grep -q 'THROWAWAY key' "$t.log" || fail "repo.sh did not say it used a throwaway key"
for suite in bookworm trixie; do
  grep -q '^Label: .*TESTING ONLY' "$t/deb/dists/$suite/Release" || fail "$suite: Release not labelled for testing"
  gpgv --keyring "$t/$pkg.gpg" "$t/deb/dists/$suite/InRelease" 2>/dev/null || fail "$suite: InRelease does not verify with $pkg.gpg"
  gpgv --keyring "$t/$pkg.gpg" "$t/deb/dists/$suite/Release.gpg" "$t/deb/dists/$suite/Release" 2>/dev/null ||
    fail "$suite: Release.gpg does not verify with $pkg.gpg"
  grep -q "^Version: $(dpkg-deb -f "$dir1"/*.deb Version)\$" "$t/deb/dists/$suite/main/binary-amd64/Packages" ||
    fail "$suite: the package is not in binary-amd64/Packages"
done
ok "deb/: bookworm and trixie list the package; InRelease and Release.gpg verify with the published keyring"
grep -q '^# TESTING ONLY' "$t/$pkg.sources" && grep -q '^name=.*TESTING ONLY' "$t/$pkg.repo" ||
  fail "the .sources and .repo files do not say the key is a throwaway one"
grep -qx 'URIs: file:///srv/zrm-repo/deb' "$t/$pkg.sources" && grep -qx "Signed-By: /etc/apt/keyrings/$pkg.gpg" "$t/$pkg.sources" ||
  fail "$pkg.sources: $(cat "$t/$pkg.sources")"
grep -qx 'gpgcheck=1' "$t/$pkg.repo" && grep -qx 'repo_gpgcheck=1' "$t/$pkg.repo" && grep -qx "gpgkey=file:///srv/zrm-repo/$pkg.asc" "$t/$pkg.repo" ||
  fail "$pkg.repo: $(cat "$t/$pkg.repo")"
ok ".sources (deb822, Signed-By) and .repo (gpgcheck, repo_gpgcheck) with the base URL"

rpm=$(find "$t/rpm" -maxdepth 1 -name '*.rpm')
db=$work/rpmdb
mkdir -p "$db"
if rpmkeys --dbpath "$db" -K "$rpm" >"$work/rpmkeys-nokey.txt" 2>&1; then
  fail "rpmkeys -K passes without the key: $(cat "$work/rpmkeys-nokey.txt")"
fi
rpmkeys --dbpath "$db" --import "$t/$pkg.asc"
out=$(rpmkeys --dbpath "$db" -Kv "$rpm") || fail "rpmkeys -K: $out"
grep -q 'Header V4 RSA/SHA[0-9]* Signature, key ID .*: OK' <<<"$out" || fail "rpmkeys -K: no good signature: $out"
ok "rpmkeys -K with $pkg.asc in a private rpm database: signature OK (NOT OK without the key)"
gpgv --keyring "$t/$pkg.gpg" "$t/rpm/repodata/repomd.xml.asc" "$t/rpm/repodata/repomd.xml" 2>/dev/null ||
  fail "repomd.xml.asc does not verify"
primary=$(sed -n 's/.*<location href="\(repodata\/[^"]*primary.xml[^"]*\)".*/\1/p' "$t/rpm/repodata/repomd.xml")
[ -n "$primary" ] || fail "repomd.xml names no primary metadata"
rpmver=$(rpm -qp --qf '%{VERSION}' "$rpm" 2>/dev/null)
zcat -f "$t/rpm/$primary" | grep -q "<name>$pkg</name>" || fail "primary.xml does not list $pkg"
zcat -f "$t/rpm/$primary" | grep -qF "ver=\"$rpmver\"" || fail "primary.xml does not list version $rpmver"
ok "createrepo_c: repomd.xml.asc verifies; primary.xml lists $pkg $rpmver"

step "repositories for the apt test: v1 and v2 signed by key A, v3 by key B"
new_key "$work/gnupg-a" "repo-key-a"
new_key "$work/gnupg-b" "repo-key-b"
repo "$work/repos/a1" "$dir1" "$work/gnupg-a"
repo "$work/repos/a2" "$dir2" "$work/gnupg-a"
repo "$work/repos/b" "$dir3" "$work/gnupg-b"
cmp -s "$work/repos/a1/$pkg.gpg" "$work/repos/a2/$pkg.gpg" || fail "one key, two different keyrings"
! grep -q 'TESTING ONLY' "$work/repos/a1/deb/dists/bookworm/Release" || fail "a repository with a given key is labelled for testing"
ok "a1, a2 (key A, not labelled for testing), b (key B)"

step "dnf --installroot reads the yum repository only with its key (repo_gpgcheck=1)"
# dnf_list KEY: what dnf lists of the throwaway repository, trusting KEY.
dnf_list() {
  rm -rf "$work/dnf-root" "$work/dnf-cache"
  dnf -q --releasever=9 --installroot="$work/dnf-root" --setopt=reposdir=/dev/null --setopt=cachedir="$work/dnf-cache" \
    --repofrompath="zrm,file://$t/rpm" --setopt=zrm.gpgcheck=1 --setopt=zrm.repo_gpgcheck=1 \
    --setopt="zrm.gpgkey=file://$1" --assumeyes repoquery --qf '%{name} %{version}' "$pkg" 2>"$work/dnf.log" || true
}
if command -v dnf >/dev/null; then
  assert_eq "dnf repoquery with the published key" "$pkg $rpmver" "$(dnf_list "$t/$pkg.asc")"
  assert_eq "dnf repoquery with another key (metadata refused)" "" "$(dnf_list "$work/repos/b/$pkg.asc")"
else
  echo "(dnf is not installed: no dnf --installroot check)"
fi
