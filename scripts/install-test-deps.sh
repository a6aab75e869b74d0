#!/usr/bin/env bash
# Everything the tests and the demo need on a Debian 12 machine (root): the real database,
# backup tool, super-server, tar, logrotate, packaging and fleet tools, and nfpm.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# usage: install-test-deps.sh [--demo]   (--demo: only what the demo needs)
PACKAGES=(mariadb-server mariadb-client mariadb-backup xinetd tar iproute2 procps perl)
# Node.js: whatever the machine has (18.19+); Debian's own only where there is none.
command -v node >/dev/null || PACKAGES+=(nodejs npm)
if [ "${1:-}" != "--demo" ]; then
  PACKAGES+=(logrotate debootstrap lintian rpm rpmlint cpio zstd systemd time ansible ansible-lint openssh-server openssh-client sshpass sudo)
  # npm run repo and its tests: apt and yum repositories, signing.
  PACKAGES+=(reprepro createrepo-c gnupg gpgv dpkg-dev python3 dnf)
fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  # The packaged MariaDB/xinetd services are not used: tests start their own daemons.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq "${missing[@]}"
  rm -f /usr/sbin/policy-rc.d
fi
[ "${1:-}" = "--demo" ] && exit 0
NFPM_VERSION=v2.45.2
GOBIN="$(go env GOPATH 2>/dev/null || echo /root/go)/bin"
if ! command -v nfpm >/dev/null; then
  [ -x "$GOBIN/nfpm" ] || GOBIN="$GOBIN" PATH="$PATH:/usr/local/go/bin" go install "github.com/goreleaser/nfpm/v2/cmd/nfpm@${NFPM_VERSION}"
  # On PATH for every later step, whatever HOME or GOPATH they see.
  ln -sf "$GOBIN/nfpm" /usr/local/bin/nfpm
fi
