#!/bin/bash
# Prints the version the packages of this tree get, in the semver form nfpm takes (nfpm turns a
# "-pre" part into the "~pre" that sorts before the release, in dpkg and in rpm alike):
#   - HEAD tagged vX.Y.Z[-pre]: X.Y.Z[-pre] (package.json must say the same);
#   - any other tree: the release after package.json's (package.json holds the last release),
#     X.(Y+1).0-dev.<yyyymmddHHMM UTC>.g<short commit>, e.g. 2.1.0-dev.202611291715.g1a2b3c4 →
#     .deb/.rpm 2.1.0~dev.202611291715.g1a2b3c4: after 2.0.0, before 2.1.0, and every later
#     build after every earlier one (the minute of the build, SOURCE_DATE_EPOCH when set).
# Usage: scripts/package-version.sh [--deb]   (--deb: the Debian/RPM form, with "~")
set -euo pipefail
die() { echo "package-version.sh: $*" >&2; exit 1; }
cd "$(dirname "$0")/.."

last=$(node -p 'require("./package.json").version')
[[ $last =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || die "package.json version '$last' is not x.y.z"
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}

tag=''
if git rev-parse --git-dir >/dev/null 2>&1; then
  tag=$(git describe --tags --exact-match --match 'v[0-9]*' HEAD 2>/dev/null || true)
fi
if [ -n "$tag" ]; then
  version=${tag#v}
  [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]] || die "tag '$tag' is not vX.Y.Z[-pre]"
  [ "${version%%-*}" = "$last" ] || die "HEAD is tagged $tag but package.json says $last: bump package.json with the tag"
else
  if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then stamp=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d%H%M)
  else stamp=$(date -u +%Y%m%d%H%M); fi
  # "g" (as git describe writes it): a hash of digits only would be a numeric semver part,
  # which may not start with 0.
  commit=$(git rev-parse --short=7 HEAD 2>/dev/null || echo 0000000)
  version="$major.$((minor + 1)).0-dev.$stamp.g$commit"
fi
if [ "${1:-}" = --deb ]; then echo "${version/-/\~}"; else echo "$version"; fi
