#!/bin/bash
# lintian on the .deb and rpmlint on the .rpm: fails on any lintian or rpmlint error or warning
# (packaging/rpmlintrc lists the filtered ones, each with its reason; packaging/rpmlint.toml
# holds rpmlint's settings).
# Usage: test/packaging/lint.sh DEB RPM
#
# Both run as nobody, from a private copy of the packages. rpmlint unpacks the .rpm with
# `rpm2cpio | cpio -id`, and nfpm writes absolute paths into the cpio archive: run as root,
# that would lay the package's files over /. A cpio that forces relative names comes first in
# PATH, and nobody could not write there anyway.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 DEB RPM" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/zrm-lint.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin" "$work/home"
cp "$1" "$2" "$repo/packaging/rpmlintrc" "$repo/packaging/rpmlint.toml" "$work/"
printf '#!/bin/sh\nexec /usr/bin/cpio --no-absolute-filenames "$@"\n' >"$work/bin/cpio"
chmod 0755 "$work" "$work/bin" "$work/bin/cpio"
chmod 0644 "$work"/*.deb "$work"/*.rpm "$work/rpmlintrc" "$work/rpmlint.toml"
chown nobody "$work/home"

as_nobody() {
  setpriv --reuid=nobody --regid=nogroup --clear-groups \
    env -i PATH="$work/bin:/usr/bin:/bin" HOME="$work/home" LANG=C.UTF-8 "$@"
}

status=0
echo "== lintian $(basename "$1")"
as_nobody lintian --pedantic --display-experimental --fail-on error,warning \
  "$work/$(basename "$1")" || status=1

echo "== rpmlint $(basename "$2")"
out=$(as_nobody rpmlint -c "$work/rpmlint.toml" -r "$work/rpmlintrc" "$work/$(basename "$2")" 2>&1) || true
echo "$out" | grep -E ': [EW]: |errors,' || true
if echo "$out" | grep -qE ': [EW]: '; then status=1; fi
echo "$out" | grep -qE '^ *[0-9]+ packages and' || { echo "$out"; status=1; }
exit "$status"
