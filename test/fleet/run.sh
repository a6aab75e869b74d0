#!/usr/bin/env bash
# The fleet test (slow, root): ansible/site.yml against a real fleet on this machine.
#
#   ctl  10.213.37.1   the Ansible control node (this machine's file system, own netns)
#   db1  10.213.37.11  database host: MariaDB + mariabackup, serves backups (xinetd)
#   db2  10.213.37.12  database host, backup set named db2-fleet
#   bk1  10.213.37.21  backup server: ZRM backup sets, the copy plugin
#
# Each host has its own network namespace (a veth to a bridge in one more namespace of ours;
# the addresses exist only there), its own PID/mount/UTS namespaces, its own root (an overlay
# of one Debian 12 root made by scripts/make-rootfs.sh) and its own sshd. The test:
#   1. runs the play: it succeeds; runs it again: changed=0; --check --diff: changed=0, no diff;
#   2. from bk1, drives a backup of each database host through the deployed plugins in ZRM's
#      order (snapshot get-vm-device-details, create-snapshot, mount; copy plugin copy from;
#      umount, remove-snapshot), prepares it with mariabackup --prepare and reads the host's
#      marker row from a MariaDB started on the prepared copy;
#   3. shows that port 25300 answers bk1 and refuses ctl (not in only_from).
# Namespaces, mounts and daemons go on every exit path (trap). Usage: test/fleet/run.sh
#   4. publishes a newer build in the repository: the play with
#      zrm_innobackupex_package_state=latest upgrades every host to it, and again changes nothing.
# The hosts install the package by name from the signed repository (npm run repo) that the
# control node serves over HTTP; they have no other apt source (no Internet in the namespaces).
# Environment: ZRM_FLEET_KEEP=1 keeps the work dir.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
pfx=zrmfleet
net=10.213.37
declare -A ip=([ctl]=$net.1 [db1]=$net.11 [db2]=$net.12 [bk1]=$net.21)
hosts=(db1 db2 bk1)
dbhosts=(db1 db2)
declare -A setname=([db1]=db1 [db2]=db2-fleet)
# The signed repository, served over HTTP from the control node's namespace.
repo_url=http://$net.1:8080
rootfs_pkgs=openssh-server,python3,python3-apt,mariadb-server,mariadb-client,mariadb-backup,xinetd,nodejs,tar,gzip,logrotate,procps,iproute2

t_start=$(date +%s)
phase_t=$t_start
declare -a timings=()
phase() { # phase NAME: records the time since the previous phase under NAME
  local now; now=$(date +%s)
  timings+=("$1: $((now - phase_t)) s")
  phase_t=$now
}
log() { echo "fleet: $*" >&2; }
passed=0
ok() { passed=$((passed + 1)); log "ok: $*"; }
die() { echo "fleet: FAIL: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (namespaces, chroot, mounts)"
for c in ip unshare ansible-playbook ansible-vault ssh ssh-keygen python3 flock; do
  command -v "$c" >/dev/null || die "$c is not installed"
done

exec 8>/run/lock/$pfx.lock
flock -n 8 || die "another fleet test is running"

work=$(mktemp -d /tmp/zrm-fleet.XXXXXX)
declare -A boot_pid=()
http_pid=''

# Every process we started lives in one of our namespaces: end them by pid, then the
# namespaces. The mounts of a host go with its mount namespace.
remove_namespaces() {
  local ns p
  for ns in $(ip netns list | awk -v p="$pfx-" 'index($1, p) == 1 { print $1 }'); do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}
cleanup() {
  local rc=$? h p
  set +e
  if [ -n "$http_pid" ]; then kill "$http_pid" 2>/dev/null; wait "$http_pid" 2>/dev/null; fi
  for h in "${!boot_pid[@]}"; do kill -KILL "${boot_pid[$h]}" 2>/dev/null; done
  for p in "${boot_pid[@]}"; do wait "$p" 2>/dev/null; done
  remove_namespaces
  # A host's mount namespace outlives its last process by a moment: wait for its overlay.
  for _ in $(seq 50); do grep -q " $work/" /proc/mounts || break; sleep 0.1; done
  if grep -q " $work/" /proc/mounts; then
    log "mounts still present under $work, not removing it"
  elif [ "${ZRM_FLEET_KEEP:-0}" = 1 ]; then
    log "kept $work"
  else
    rm -rf --one-file-system "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

remove_namespaces # left by a run that was killed

# ---------------------------------------------------------------------------------------
log "work dir $work"
"$here/lint.sh" >"$work/lint.log" 2>&1 || { cat "$work/lint.log" >&2; die "lint"; }
ok "ansible-lint (production profile) and --syntax-check"
phase "lint"
# The repository of `npm run repo` (scripts/repo.sh) with this tree's packages, signed by a
# key of this run; v2, a later build of the same bundle, is published for the upgrade.
install -d -m 0700 "$work/gnupg"
gpg --homedir "$work/gnupg" --batch --quiet --passphrase '' \
  --quick-gen-key "zrm fleet test <fleet@localhost.invalid>" rsa3072 sign 1d 2>/dev/null
v1=$("$repo/scripts/package-version.sh")
for n in 1 2; do
  if [ "$n" = 1 ]; then v=$v1; else v="$v1.fleet2"; fi
  [ "$n" = 1 ] || [[ $v1 == *-* ]] || v="$v1+fleet.2"
  PKG_OUT="$work/packages-v$n" PKG_VERSION=$v PKG_SKIP_BUILD=$((n - 1)) "$repo/scripts/package.sh" >/dev/null
  REPO_OUT="$work/repo-v$n" REPO_PACKAGES="$work/packages-v$n" REPO_GPG_HOME="$work/gnupg" \
    "$repo/scripts/repo.sh" >/dev/null 2>"$work/repo-v$n.log" || { cat "$work/repo-v$n.log" >&2; die "npm run repo (v$n) failed"; }
done
gpgconf --homedir "$work/gnupg" --kill all
deb_v1=$(sed -n 's/^Version: //p' "$work/repo-v1/deb/dists/bookworm/main/binary-amd64/Packages")
deb_v2=$(sed -n 's/^Version: //p' "$work/repo-v2/deb/dists/bookworm/main/binary-amd64/Packages")
dpkg --compare-versions "$deb_v1" lt "$deb_v2" || die "v2 ($deb_v2) does not sort after v1 ($deb_v1)"
# What the web server publishes: v1 now (the hosts trust the key the control node holds).
cp -a "$work/repo-v1" "$work/www"
cp "$work/repo-v1/mysql-zrm-innobackupex.asc" "$work/repository-key.asc"
log "repository of $deb_v1 (then $deb_v2) at $repo_url"
phase "package"

"$repo/scripts/make-rootfs.sh" --include "$rootfs_pkgs" "$work/lower" >/dev/null
phase "root file system"

# Keys, ssh config, /etc/hosts, vault: fresh for every run.
ssh-keygen -q -t ed25519 -N '' -f "$work/id_ed25519"
{
  echo "127.0.0.1 localhost"
  for h in "${hosts[@]}"; do echo "${ip[$h]} $h"; done
} >"$work/hosts"
{
  for h in "${hosts[@]}"; do printf 'Host %s\n  HostName %s\n' "$h" "${ip[$h]}"; done
  printf 'Host *\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n' "$work/id_ed25519"
  printf '  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n'
  printf '  ConnectTimeout 5\n  BatchMode yes\n'
} >"$work/ssh_config"
umask 077
mysql_password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
head -c 24 /dev/urandom | base64 >"$work/vault-pass"
printf 'vault_zrm_innobackupex_mysql_password: "%s"\n' "$mysql_password" >"$work/vault.yml"
ansible-vault encrypt --vault-password-file "$work/vault-pass" "$work/vault.yml" >/dev/null
umask 022

# Network: a bridge in its own namespace, one veth per host (and ctl).
ip netns add "$pfx-lan"
ip -n "$pfx-lan" link set lo up
ip -n "$pfx-lan" link add br0 type bridge
ip -n "$pfx-lan" link set br0 up
for h in ctl "${hosts[@]}"; do
  ip netns add "$pfx-$h"
  ip -n "$pfx-lan" link add "v-$h" type veth peer name eth0 netns "$pfx-$h"
  ip -n "$pfx-lan" link set "v-$h" master br0 up
  ip -n "$pfx-$h" link set lo up
  ip -n "$pfx-$h" addr add "${ip[$h]}/24" dev eth0
  ip -n "$pfx-$h" link set eth0 up
done

mkdir -p "$work/logs"
# The repository's web server: any static server does; this one runs in ctl's namespace.
ip netns exec "$pfx-ctl" python3 -m http.server 8080 --bind "$net.1" --directory "$work/www" \
  >"$work/logs/http.log" 2>&1 &
http_pid=$!
for i in $(seq 50); do
  ip netns exec "$pfx-ctl" python3 -c "import urllib.request as u; u.urlopen('$repo_url/deb/dists/bookworm/InRelease')" 2>/dev/null && break
  [ "$i" -lt 50 ] || { cat "$work/logs/http.log" >&2; die "the repository's web server does not answer"; }
  sleep 0.1
done
for h in "${hosts[@]}"; do
  ip netns exec "$pfx-$h" unshare --pid --fork --kill-child --mount --uts --propagation private \
    "$here/boot-host.sh" "$h" "$work/lower" "$work/host-$h" "$work/id_ed25519.pub" "$work/hosts" \
    >"$work/logs/$h-boot.log" 2>&1 &
  boot_pid[$h]=$!
done

ctl() { ip netns exec "$pfx-ctl" "$@"; }
on() { local h=$1; shift; ctl ssh -F "$work/ssh_config" "$h" "$@"; }

for h in "${hosts[@]}"; do
  for i in $(seq 100); do
    on "$h" true 2>/dev/null && break
    kill -0 "${boot_pid[$h]}" 2>/dev/null || { cat "$work/logs/$h-boot.log" >&2; die "$h did not boot"; }
    [ "$i" -lt 100 ] || die "no ssh to $h"
    sleep 0.2
  done
done
phase "boot 3 hosts"

# The database hosts run MariaDB before Ansible comes: the role deploys next to it. Each gets
# a marker row naming it and the backup account (SQL on stdin: no password on a command line).
for h in "${dbhosts[@]}"; do
  on "$h" /etc/init.d/mariadb start >"$work/logs/$h-mariadb-start.log" 2>&1 \
    || { cat "$work/logs/$h-mariadb-start.log" >&2; die "MariaDB did not start on $h"; }
  on "$h" mariadb <<SQL
CREATE DATABASE fleet;
CREATE TABLE fleet.marker (host VARCHAR(64) PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO fleet.marker VALUES ('$h');
CREATE USER 'zrm_backup'@'localhost' IDENTIFIED BY '$mysql_password';
GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO 'zrm_backup'@'localhost';
SQL
done
phase "MariaDB on the database hosts"

# ---------------------------------------------------------------------------------------
play() { # play LOGNAME [ansible-playbook options...]
  local name=$1; shift
  (cd "$repo/ansible" && ctl env ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 \
    ANSIBLE_SSH_ARGS="-F $work/ssh_config -o ControlMaster=auto -o ControlPersist=60s" \
    ANSIBLE_SSH_CONTROL_PATH_DIR="$work/cp" ANSIBLE_LOCAL_TEMP="$work/ansible-tmp" \
    ANSIBLE_PIPELINING=1 ANSIBLE_FORKS=3 ANSIBLE_RETRY_FILES_ENABLED=0 \
    ansible-playbook -i "$here/inventory" site.yml \
      -e "zrm_fleet_repository_url=$repo_url" -e "zrm_fleet_repository_key=$work/repository-key.asc" \
      -e "@$work/vault.yml" --vault-password-file "$work/vault-pass" \
      -e "zrm_innobackupex_auth_secret_store=$work/auth-secret" \
      "$@") >"$work/logs/play-$name.log" 2>&1
}
recap_ok() { # recap_ok LOGNAME: every host ok, nothing changed
  local f=$work/logs/play-$1.log h
  for h in "${hosts[@]}"; do
    grep -Eq "^$h +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=0" "$f" || return 1
  done
}
show() { sed -n '/PLAY RECAP/,$p' "$work/logs/play-$1.log" >&2; }

# --check on hosts that have nothing yet must run through (nothing is installed, of course).
play fresh-check --check || { tail -n 60 "$work/logs/play-fresh-check.log" >&2; die "--check on fresh hosts failed"; }
ok "--check on fresh hosts runs through"
phase "play, --check on fresh hosts"
play first || { tail -n 60 "$work/logs/play-first.log" >&2; die "the play failed"; }
show first
ok "the play succeeds"
phase "play, first run"
play second || { tail -n 60 "$work/logs/play-second.log" >&2; die "the second run failed"; }
show second
recap_ok second || { grep -B2 -A8 '^changed:' "$work/logs/play-second.log" >&2; die "second run changed something"; }
ok "second run: changed=0"
phase "play, second run (changed=0)"
play check --check --diff || { tail -n 60 "$work/logs/play-check.log" >&2; die "check mode failed"; }
show check
recap_ok check || { cat "$work/logs/play-check.log" >&2; die "--check --diff reports changes"; }
if grep -Eq '^(--- before|\+\+\+ after)' "$work/logs/play-check.log"; then
  cat "$work/logs/play-check.log" >&2; die "--check --diff shows a diff"
fi
ok "--check --diff on the converged fleet: changed=0, no diff"
for f in "$work"/logs/play-*.log; do
  if grep -qF "$mysql_password" "$f"; then die "the MySQL password is in $(basename "$f")"; fi
done
ok "the MySQL password is in no play output"
secret=$(cat "$work/auth-secret")
[ "${#secret}" -ge 32 ] || die "no shared secret was generated on the control node"
for f in "$work"/logs/play-*.log; do
  if grep -qF "$secret" "$f"; then die "the shared secret is in $(basename "$f")"; fi
done
ok "the shared secret is in no play output"
phase "play, --check --diff (nothing)"

# ---------------------------------------------------------------------------------------
# What the play left on the hosts.
for h in "${dbhosts[@]}"; do
  on "$h" cat /etc/xinetd.d/zrm-innobackupex >"$work/logs/$h-xinetd"
  grep -Eq "^[[:space:]]*only_from[[:space:]]*= ${ip[bk1]}\$" "$work/logs/$h-xinetd" \
    || { cat "$work/logs/$h-xinetd" >&2; die "$h: only_from is not exactly bk1's address"; }
  on "$h" pgrep -x xinetd >/dev/null || die "$h: xinetd is not running"
done
for h in "${dbhosts[@]}"; do
  s=${setname[$h]}
  on bk1 "stat -c '%a %U' /etc/mysql-zrm/$s/mysql-zrm.conf" | grep -qx '600 root' \
    || die "bk1: backup set $s is missing or not 0600 root"
  on bk1 grep -qx "host=${ip[$h]}" "/etc/mysql-zrm/$s/mysql-zrm.conf" || die "bk1: set $s has the wrong host"
done
ok "xinetd serves with only_from = bk1; backup sets db1, db2-fleet are 0600 root"
for h in "${dbhosts[@]}"; do
  on "$h" "stat -c '%a %U' /etc/mysql-zrm/innobackupex.secret" | grep -qx '600 mysql' || die "$h: the secret is not 0600 mysql"
  on "$h" "grep -Eqx 'allowed_clients = ${ip[bk1]}' /etc/mysql-zrm/innobackupex.conf.d/50-ansible.conf" \
    || die "$h: [server] allowed_clients is not exactly bk1's address"
  [ "$(on "$h" cat /etc/mysql-zrm/innobackupex.secret)" = "$secret" ] || die "$h: not the generated secret"
done
on bk1 "stat -c '%a %U' /etc/mysql-zrm/innobackupex.secret" | grep -qx '600 root' || die "bk1: the secret is not 0600 root"
[ "$(on bk1 cat /etc/mysql-zrm/innobackupex.secret)" = "$secret" ] || die "bk1: not the generated secret"
ok "the same secret on every host (0600 mysql on database hosts, root on bk1); allowed_clients = bk1"

# Port 25300: bk1 is answered, ctl (outside only_from) is not.
for h in "${dbhosts[@]}"; do
  got=$(on bk1 python3 - "${ip[$h]}" 25300 <"$here/probe.py") || die "probe from bk1 to $h failed"
  [ "$got" -gt 0 ] || die "$h did not answer bk1 on 25300"
  refused=$(ctl python3 "$here/probe.py" "${ip[$h]}" 25300) || die "probe from ctl to $h failed"
  [ "$refused" = 0 ] || die "$h answered ctl ($refused bytes) though ctl is outside only_from"
  # The package's own service (only_from 127.0.0.1) must be off: the host itself is refused too.
  local_got=$(on "$h" python3 - 127.0.0.1 25300 <"$here/probe.py") || die "probe on $h failed"
  [ "$local_got" = 0 ] || die "$h answered itself ($local_got bytes): the package's xinetd service is on"
  ok "$h:25300 answered bk1 ($got bytes), refused ctl and $h itself (0 bytes)"
done
phase "only_from"

# A backup of each database host, driven from bk1 through the deployed plugins.
for h in "${dbhosts[@]}"; do
  log "backup of $h from bk1"
  timeout 900 ip netns exec "$pfx-ctl" ssh -F "$work/ssh_config" bk1 \
    bash -s -- "${setname[$h]}" "${ip[$h]}" "$h" <"$here/backup-from-bk1.sh" \
    >"$work/logs/backup-$h.log" 2>&1 || { cat "$work/logs/backup-$h.log" >&2; die "backup of $h failed"; }
  tail -n 3 "$work/logs/backup-$h.log" >&2
  ok "backup of $h through the plugins, prepared, restored, marker row read"
done
phase "backup of 2 hosts through the plugins, prepared and read"

# With authentication on (the role's default): a host without the secret, or with another one,
# is refused by the database hosts, and their log says why.
for h in "${dbhosts[@]}"; do
  ip netns exec "$pfx-ctl" ssh -F "$work/ssh_config" bk1 bash -s -- "${setname[$h]}" "${ip[$h]}" \
    <"$here/refused-from-bk1.sh" >"$work/logs/refused-$h.log" 2>&1 \
    || { cat "$work/logs/refused-$h.log" >&2; die "$h did not refuse a client without the secret"; }
  on "$h" "grep -q 'requires hmac-sha256: set the same' /var/log/socket-server.log" \
    || die "$h: no refusal in its log"
  ok "$h refused bk1 without the secret and with another secret, and logged why"
done
phase "authentication"

# ---------------------------------------------------------------------------------------
# A newer build in the repository: package_state=latest moves every host to it.
for h in "${hosts[@]}"; do
  assert_version=$(on "$h" dpkg-query -W -f='\${Version}' mysql-zrm-innobackupex)
  [ "$assert_version" = "$deb_v1" ] || die "$h has $assert_version, not $deb_v1 from the repository"
  on "$h" "grep -qx 'URIs: $repo_url/deb' /etc/apt/sources.list.d/mysql-zrm-innobackupex.sources" || die "$h: no repository source"
done
ok "every host installed $deb_v1 by name from the signed repository"
rm -rf "$work/www.new" && cp -a "$work/repo-v2" "$work/www.new"
# Published now: http.server answers apt's If-Modified-Since by the files' mtime (to the
# second), so a v2 tree kept at its build time could look no newer than v1's cached lists.
find "$work/www.new" -exec touch {} +
rm -rf "$work/www" && mv "$work/www.new" "$work/www"
play latest -e zrm_innobackupex_package_state=latest || { tail -n 60 "$work/logs/play-latest.log" >&2; die "the play with package_state=latest failed"; }
show latest
for h in "${hosts[@]}"; do
  got=$(on "$h" dpkg-query -W -f='\${Version}' mysql-zrm-innobackupex)
  [ "$got" = "$deb_v2" ] || { on "$h" apt-cache policy mysql-zrm-innobackupex >&2 || true; die "$h has $got after package_state=latest, not $deb_v2"; }
done
ok "package_state=latest upgraded every host to $deb_v2"
play latest-again -e zrm_innobackupex_package_state=latest || { tail -n 60 "$work/logs/play-latest-again.log" >&2; die "the second play with latest failed"; }
recap_ok latest-again || { grep -B2 -A8 '^changed:' "$work/logs/play-latest-again.log" >&2; die "package_state=latest changed something on an upgraded fleet"; }
ok "package_state=latest again: changed=0"
for h in "${dbhosts[@]}"; do
  got=$(on bk1 python3 - "${ip[$h]}" 25300 <"$here/probe.py") || die "probe from bk1 to $h failed"
  [ "$got" -gt 0 ] || die "$h did not answer bk1 on 25300 after the upgrade"
done
ok "the upgraded database hosts still answer bk1"
phase "upgrade through the repository (package_state=latest)"

total=$(( $(date +%s) - t_start ))
printf '  %s\n' "${timings[@]}" >&2
log "total ${total} s"
echo "fleet: $passed passed, 0 failed"
