#!/usr/bin/env bash
# The demo: installs what it needs (Debian 12, root), builds, and takes a real hot backup of a
# throwaway local MariaDB through the three plugins behind xinetd, then restores and compares it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh --demo
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build
node build/demo/run.js
