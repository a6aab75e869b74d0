#!/usr/bin/env bash
# Runs ON the backup server (run.sh pipes it through ssh): the copy plugin asks a database host
# for a file first without the shared secret, then with a wrong one. Both must fail with the
# reason, and copy nothing.  Usage: bash -s SET ADDRESS
set -euo pipefail
set_name=$1 address=$2
plugin=/usr/share/mysql-zrm/plugins/socket-copy.palomino.pl
run=$(mktemp -d /tmp/zrm-fleet-refused.XXXXXX)
trap 'rm -rf "$run"' EXIT
umask 077
grep -v '^#' "/etc/mysql-zrm/$set_name/mysql-zrm.conf" >"$run/zrm.conf"
export ZRM_CONF=$run/zrm.conf

attempt() { # attempt NAME CONFIG EXPECTED-MESSAGE
  local name=$1 config=$2 want=$3
  mkdir "$run/$name"
  if ZRM_INNOBACKUPEX_CONF=$config "$plugin" --source-host "$address" --source-file /var/lib/mysql/fleet \
    --destination-directory "$run/$name" 2>"$run/$name.err"; then
    echo "$name: the copy succeeded"; exit 1
  fi
  grep -q "$want" "$run/$name.err" || { cat "$run/$name.err"; echo "$name: no '$want' in the error"; exit 1; }
  [ -z "$(ls -A "$run/$name")" ] || { echo "$name: something was copied"; exit 1; }
  echo "$name: refused ($(tail -n 1 "$run/$name.err"))"
}

# A host without the secret: the package's defaults only (no drop-ins next to an empty file).
: >"$run/none.conf"
attempt no-secret "$run/none.conf" 'requires hmac-sha256'
# A host with another secret.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$run/wrong.secret"
printf '[auth]\nsecret_file = %s\n' "$run/wrong.secret" >"$run/wrong.conf"
attempt wrong-secret "$run/wrong.conf" 'did not prove it holds the shared secret'
