#!/bin/bash
# Builds dist/repo/ (npm run repo): signed apt and yum repositories of this tree's packages,
# ready to publish on any static web server.
#   deb/                               apt repository (reprepro): dists/<suite>/InRelease and
#                                      Release.gpg for each suite of REPO_SUITES, pool/
#   rpm/                               yum/dnf repository (createrepo_c): the .rpm signed with
#                                      rpmsign, repodata/repomd.xml and its repomd.xml.asc
#   mysql-zrm-innobackupex.asc         the public key, armored (rpm --import, dnf's gpgkey=)
#   mysql-zrm-innobackupex.gpg         the same as a binary keyring, for apt's Signed-By
#   mysql-zrm-innobackupex.sources     deb822 file for /etc/apt/sources.list.d/
#   mysql-zrm-innobackupex.repo        file for /etc/yum.repos.d/
# The last two carry @BASE_URL@ (the URL dist/repo/ is published at) unless REPO_BASE_URL is set.
#
# Environment:
#   REPO_GPG_HOME    GNUPGHOME holding the signing key (default: $GNUPGHOME, else ~/.gnupg)
#   REPO_GPG_KEY_ID  the signing key (id or fingerprint); with REPO_GPG_HOME alone, its only
#                    secret key. Neither set: a throwaway key (no passphrase) is made in a
#                    private 0700 GNUPGHOME under a temporary directory and forgotten afterwards;
#                    the repository is then labelled as for testing only.
#   REPO_OUT         output directory (default dist/repo; replaced)
#   REPO_PACKAGES    a directory with the one .deb and one .rpm to publish (default: built now
#                    with scripts/package.sh, version from scripts/package-version.sh)
#   REPO_SUITES      Debian suites (default "bookworm trixie": the package's dependencies,
#                    nodejs >= 18.19 and xinetd | systemd-sysv, are in both)
#   REPO_BASE_URL    written into the .sources and .repo files instead of @BASE_URL@
# Needs: reprepro, createrepo_c, gpg, rpmsign (scripts/install-test-deps.sh installs them).
set -euo pipefail

die() { echo "repo.sh: $*" >&2; exit 1; }
say() { echo "repo.sh: $*" >&2; }

cd "$(dirname "$0")/.."
root=$(pwd)
name=mysql-zrm-innobackupex
out=${REPO_OUT:-dist/repo}
suites=${REPO_SUITES:-bookworm trixie}
base_url=${REPO_BASE_URL:-@BASE_URL@}
for c in reprepro createrepo_c gpg rpmsign dpkg-deb; do
  command -v "$c" >/dev/null || die "$c is not installed (bash scripts/install-test-deps.sh)"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zrm-repo.XXXXXX")
gnupghome=''
cleanup() {
  # A gpg-agent started for the throwaway key lives as long as its home: end it with the home.
  if [ -n "$gnupghome" ] && [ "$gnupghome" = "$tmp/gnupg" ]; then
    gpgconf --homedir "$gnupghome" --kill all 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- the packages ------------------------------------------------------------------------------
if [ -n "${REPO_PACKAGES:-}" ]; then
  pkgdir=$REPO_PACKAGES
else
  pkgdir=$tmp/packages
  PKG_OUT=$pkgdir bash scripts/package.sh >/dev/null
fi
mapfile -t debs < <(find "$pkgdir" -maxdepth 1 -name "${name}_*_all.deb")
mapfile -t rpms < <(find "$pkgdir" -maxdepth 1 -name "$name-*.noarch.rpm")
[ ${#debs[@]} = 1 ] && [ ${#rpms[@]} = 1 ] || die "$pkgdir must hold exactly one .deb and one .rpm of $name"
deb=${debs[0]} rpm=${rpms[0]}

# --- the signing key ---------------------------------------------------------------------------
testing=0
if [ -z "${REPO_GPG_HOME:-}" ] && [ -z "${REPO_GPG_KEY_ID:-}" ]; then
  testing=1
  gnupghome=$tmp/gnupg
  install -d -m 0700 "$gnupghome"
  gpg --homedir "$gnupghome" --batch --quiet --passphrase '' \
    --quick-gen-key "$name repository (TESTING ONLY, throwaway key) <$name@localhost.invalid>" rsa3072 sign 1y 2>/dev/null ||
    die "could not create a throwaway key"
else
  gnupghome=${REPO_GPG_HOME:-${GNUPGHOME:-$HOME/.gnupg}}
  [ -d "$gnupghome" ] || die "REPO_GPG_HOME $gnupghome is not a directory"
fi
# The fingerprint of the one secret signing key meant (REPO_GPG_KEY_ID, or the only one there).
mapfile -t fprs < <(gpg --homedir "$gnupghome" --batch --with-colons --list-secret-keys ${REPO_GPG_KEY_ID:+"$REPO_GPG_KEY_ID"} 2>/dev/null |
  awk -F: '$1 == "sec" { want = 1 } $1 == "fpr" && want { print $10; want = 0 }')
[ ${#fprs[@]} -ge 1 ] || die "no secret key ${REPO_GPG_KEY_ID:-at all} in $gnupghome"
[ ${#fprs[@]} = 1 ] || die "$gnupghome holds ${#fprs[@]} secret keys: say which with REPO_GPG_KEY_ID"
fpr=${fprs[0]}
if [ "$testing" = 1 ]; then
  say "no REPO_GPG_HOME / REPO_GPG_KEY_ID: signed with a THROWAWAY key $fpr; this repository is for testing only"
fi
gpg_run() { gpg --homedir "$gnupghome" --batch --yes "$@"; }

stage=$tmp/repo
mkdir -p "$stage/deb/conf" "$stage/rpm"
label="$name"
[ "$testing" = 1 ] && label="$name (TESTING ONLY: throwaway key)"

# --- deb: reprepro ------------------------------------------------------------------------------
# Architecture "all" goes into every architecture listed (apt asks for its own).
for suite in $suites; do
  cat <<EOF
Origin: $name
Label: $label
Codename: $suite
Architectures: amd64 arm64 armhf i386 ppc64el s390x
Components: main
Description: $label for Debian $suite
SignWith: $fpr

EOF
done >"$stage/deb/conf/distributions"
printf 'verbose\nbasedir %s\n' "$stage/deb" >"$stage/deb/conf/options"
for suite in $suites; do
  reprepro --gnupghome "$gnupghome" -b "$stage/deb" includedeb "$suite" "$deb" >"$tmp/reprepro.log" 2>&1 ||
    { cat "$tmp/reprepro.log" >&2; die "reprepro includedeb $suite failed"; }
done
# reprepro's own database and configuration are not for publishing.
rm -rf "$stage/deb/db" "$stage/deb/conf"
for suite in $suites; do
  [ -s "$stage/deb/dists/$suite/InRelease" ] && [ -s "$stage/deb/dists/$suite/Release.gpg" ] ||
    die "reprepro did not sign $suite"
done

# --- rpm: rpmsign, createrepo_c ------------------------------------------------------------------
cp "$rpm" "$stage/rpm/"
signed=$stage/rpm/$(basename "$rpm")
# Debian's rpm looks for gpg2; every rpm finds the gpg this script uses.
rpmsign --define "__gpg $(command -v gpg)" --define "_gpg_path $gnupghome" --define "_gpg_name $fpr" --addsign "$signed" >"$tmp/rpmsign.log" 2>&1 ||
  { cat "$tmp/rpmsign.log" >&2; die "rpmsign failed"; }
createrepo_c --quiet "$stage/rpm" >/dev/null || die "createrepo_c failed"
gpg_run --local-user "$fpr" --armor --detach-sign --output "$stage/rpm/repodata/repomd.xml.asc" \
  "$stage/rpm/repodata/repomd.xml" || die "could not sign repomd.xml"

# --- the key and the client files ------------------------------------------------------------------
gpg_run --armor --export "$fpr" >"$stage/$name.asc"
gpg_run --export "$fpr" >"$stage/$name.gpg"
[ -s "$stage/$name.gpg" ] || die "could not export the public key $fpr"
note=''
[ "$testing" = 1 ] && note="# TESTING ONLY: signed with a throwaway key ($fpr) that no longer exists.
"
cat >"$stage/$name.sources" <<EOF
# $name: apt source (deb822). Install as /etc/apt/sources.list.d/$name.sources,
# with $name.gpg as /etc/apt/keyrings/$name.gpg. Suites: $suites.
${note}Types: deb
URIs: $base_url/deb
Suites: $(set -- $suites; echo "$1")
Components: main
Signed-By: /etc/apt/keyrings/$name.gpg
EOF
cat >"$stage/$name.repo" <<EOF
# $name: yum/dnf repository. Install as /etc/yum.repos.d/$name.repo.
${note}[$name]
name=$label
baseurl=$base_url/rpm
enabled=1
gpgcheck=1
repo_gpgcheck=1
gpgkey=$base_url/$name.asc
EOF

case $(realpath -m "$out") in /|"$root"|"$HOME") die "REPO_OUT=$out would replace $(realpath -m "$out")" ;; esac
rm -rf "$out"
mkdir -p "$(dirname "$out")"
cp -a "$stage" "$out"
chmod -R a+rX "$out"
say "$out: $(dpkg-deb -f "$deb" Version) for $suites (deb) and $(basename "$rpm") (rpm), key $fpr"
echo "$out"
