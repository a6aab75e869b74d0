#!/usr/bin/env bash
# Proves that a fresh clone passes its own tests: clones this checkout's HEAD into an empty
# temporary directory (nothing beside it), installs from the lock file
# and runs the unit tests and the packaging-file tests there.
# usage: scripts/fresh-clone-test.sh   (from anywhere inside the checkout)
set -euo pipefail
repo="$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)"
tmp="$(mktemp -d /tmp/zrm-fresh-clone.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
git clone --quiet --no-hardlinks "$repo" "$tmp/clone"
cd "$tmp/clone"
# The point of the exercise: nothing the tests read may come from beside the checkout.
beside="$(ls -A "$tmp")"
if [ "$beside" != clone ]; then echo "fresh-clone-test: $tmp holds more than the clone: $beside" >&2; exit 1; fi
npm ci --no-audit --no-fund --prefer-offline
npm run build
node --test --test-concurrency=2 build/test/unit/ build/test/packaging/
echo "fresh-clone-test: a clone in $tmp/clone passes its unit and packaging-file tests"
