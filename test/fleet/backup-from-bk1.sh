#!/usr/bin/env bash
# Runs ON the backup server (run.sh pipes it through ssh): one full backup of a database host
# through the deployed plugins, in the order real ZRM calls them, with the backup set the role
# wrote as ZRM's settings; then mariabackup --prepare and a MariaDB started on the prepared
# copy must show the host's marker row.  Usage: bash -s SET ADDRESS HOSTNAME
set -euo pipefail
set_name=$1 address=$2 name=$3
plugins=/usr/share/mysql-zrm/plugins
conf=/etc/mysql-zrm/$set_name/mysql-zrm.conf
run=$(mktemp -d /tmp/zrm-fleet-run.XXXXXX)
trap 'mariadb-admin --no-defaults -S "$run/restore/sock" shutdown 2>/dev/null || true; rm -rf "$run"' EXIT

# ZRM hands the plugins its settings as key=value lines in a private file.
umask 077
grep -v '^#' "$conf" >"$run/zrm.conf"
umask 022
export ZRM_CONF=$run/zrm.conf
step() { echo "+ $*"; "$@"; }

step "$plugins/inno-snapshot.pl" --action get-vm-device-details --directory /var/lib/mysql/fleet \
  --sname zrmfleet1 --host "$address" | tee "$run/details"
grep -q '^snapshot-mount-point=' "$run/details" || { echo "get-vm-device-details gave no snapshot-mount-point"; exit 1; }
step "$plugins/inno-snapshot.pl" --action create-snapshot --dev /dev/null --size 10 --sname null \
  --directory /tmp/zrm-innosnap --host "$address"
step "$plugins/inno-snapshot.pl" --action mount --dev /dev/null --directory /tmp/zrm-innosnap \
  --fstype null --host "$address"
dest=/var/lib/mysql-zrm/$set_name/$(date +%Y%m%d%H%M%S)
mkdir -p "$dest"
# The redirect point, as ZRM asks for it: its links directory under the backup's destination.
step "$plugins/socket-copy.palomino.pl" --source-host "$address" --source-file "$dest/ZRM_LINKS/." \
  --destination-host localhost --destination-directory "$dest"
step "$plugins/inno-snapshot.pl" --action umount --directory /tmp/zrm-innosnap --host "$address"
step "$plugins/inno-snapshot.pl" --action remove-snapshot --dev /dev/null --host "$address"
echo "copied: $(du -sh "$dest" | cut -f1) in $(find "$dest" -type f | wc -l) files"

step mariabackup --prepare --target-dir "$dest" >"$run/prepare.log" 2>&1 || { tail -n 20 "$run/prepare.log"; exit 1; }
tail -n 1 "$run/prepare.log" | grep -q 'completed OK!' || { tail -n 20 "$run/prepare.log"; echo "prepare did not complete OK"; exit 1; }
# mariabackup 10.x says log-applied where xtrabackup says full-prepared.
grep -Eqx 'backup_type = (log-applied|full-prepared)' "$dest/xtrabackup_checkpoints" \
  || { cat "$dest/xtrabackup_checkpoints"; echo "the copy is not a prepared full backup"; exit 1; }

# Restore it the way a DBA would (mariabackup --copy-back into an empty data directory), start
# MariaDB there and read the marker.
chmod 0711 "$run"
install -d -o mysql -g mysql -m 0700 "$run/restore"
step mariabackup --copy-back --target-dir "$dest" --datadir "$run/restore/data" >"$run/copy-back.log" 2>&1 \
  || { tail -n 20 "$run/copy-back.log"; echo "copy-back failed"; exit 1; }
chown -R mysql:mysql "$run/restore/data"
mariadbd --no-defaults --user=mysql --datadir="$run/restore/data" --socket="$run/restore/sock" \
  --skip-networking --pid-file="$run/restore/pid" --innodb-buffer-pool-size=32M \
  >"$run/restore.log" 2>&1 </dev/null &
for _ in $(seq 150); do [ -S "$run/restore/sock" ] && break; sleep 0.2; done
marker=$(mariadb --no-defaults -S "$run/restore/sock" -N -e 'SELECT host FROM fleet.marker') \
  || { tail -n 30 "$run/restore.log"; echo "MariaDB on the prepared copy did not answer"; exit 1; }
[ "$marker" = "$name" ] || { echo "marker is '$marker', want '$name'"; exit 1; }
echo "restored copy of $name holds its marker row: ok"
