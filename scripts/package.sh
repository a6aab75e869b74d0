#!/bin/bash
# Builds the Debian and RPM packages (npm run package):
#   dist/mysql-zrm-innobackupex_<version>_all.deb
#   dist/mysql-zrm-innobackupex-<version>-1.noarch.rpm
# from packaging/nfpm.yaml, after `npm run build` has made the bundles in dist/app/, and
# prints their paths. <version> is the packages' own (a semver "-pre" becomes "~pre", which
# sorts before the release in dpkg and rpm). Generated files are staged under build/package/.
#
# Environment:
#   PKG_VERSION     package version, semver (default: scripts/package-version.sh: the tag of a
#                   tagged release, else <next minor>-dev.<yyyymmddHHMM>.g<commit>); the bundle
#                   built here reports it in --version
#   PKG_OUT         output directory (default: dist)
#   PKG_MAINTAINER  "Name <address>" for the Maintainer field and the changelog
#   PKG_SKIP_BUILD  1: package the bundle already in dist/app (a second version in tests)
#   NFPM            the nfpm binary (default: nfpm in PATH, else ~/go/bin/nfpm); install it with
#                   go install github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
set -euo pipefail

die() { echo "package.sh: $*" >&2; exit 1; }

cd "$(dirname "$0")/.."
version=${PKG_VERSION:-$(scripts/package-version.sh)}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]*)?$ ]] || die "version '$version' is not x.y.z[-pre][+meta]"
# The version nfpm writes into both packages (semver 2.1.0-dev.x is 2.1.0~dev.x in dpkg and rpm):
# their file names and changelog entries carry it.
pkg_version=${version/-/\~}
out=${PKG_OUT:-dist}
maintainer=${PKG_MAINTAINER:-mysql-zrm-innobackupex maintainers <maintainers@users.noreply.r-seed-9b404211.example>}
nfpm=${NFPM:-$(command -v nfpm || echo "$HOME/go/bin/nfpm")}
[ -x "$nfpm" ] || die "nfpm not found; go install github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2"

if [ "${PKG_SKIP_BUILD:-0}" != 1 ]; then
  ZRM_BUILD_VERSION=$version npm run --silent build
fi
for bundle in dist/app/zrm-innobackupex.mjs dist/app/zrm-plugins.mjs; do
  [ -s "$bundle" ] || die "$bundle is missing: npm run build"
done

stage=build/package
rm -rf "$stage"
mkdir -p "$stage" "$out"
# The launcher reads a bundle and runs its program (as a script with V8's code cache); no #! line.
for bundle in zrm-innobackupex.mjs zrm-plugins.mjs; do
  sed '1{/^#!/d}' "dist/app/$bundle" >"$stage/$bundle"
done
gzip -9n <packaging/man/zrm-innobackupex.1 >"$stage/zrm-innobackupex.1.gz"
for doc in README.md CHANGELOG.md; do
  [ -f "$doc" ] || die "$doc is missing (the packages ship it under /usr/share/doc)"
  gzip -9n <"$doc" >"$stage/$doc.gz"
done
date_epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
PKG_VERSION=$pkg_version PKG_MAINTAINER=$maintainer PKG_DATE=$date_epoch \
  node packaging/tools/stage-docs.mjs "$stage"
# RPM only: with `changelog:` nfpm would also write a changelog.Debian.gz into the .deb.
{ cat packaging/nfpm.yaml; printf '\nchangelog: %s/changelog.yml\n' "$stage"; } >"$stage/nfpm-rpm.yaml"

deb="$out/mysql-zrm-innobackupex_${pkg_version}_all.deb"
# The .rpm is named as rpm names it (NAME-VERSION-RELEASE.ARCH.rpm, rpmlint's coherent name).
rpm="$out/mysql-zrm-innobackupex-${pkg_version}-1.noarch.rpm"
rm -f "$deb" "$rpm"
export PKG_VERSION=$version PKG_MAINTAINER=$maintainer
"$nfpm" pkg --config packaging/nfpm.yaml --packager deb --target "$deb" >/dev/null
"$nfpm" pkg --config "$stage/nfpm-rpm.yaml" --packager rpm --target "$rpm" >/dev/null
echo "$deb"
echo "$rpm"
