#!/bin/sh
# Runs inside the test chroot with the package installed. Writers keep appending to both logs
# while `logrotate -f` runs the shipped /etc/logrotate.d/mysql-zrm-innobackupex: one holds its
# file open for the whole run (a socket server streaming a backup), one opens the file by name
# for every line (the short-lived plugin processes), both as the mysql user. No line may be
# lost, the long-lived writer's lines stay in the .1 file (delaycompress), and the fresh log
# is the mysql user's (create). A second rotation then compresses .1 into .2.gz.
set -eu

t=/tmp/pkgtest/logrotate
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
rm -rf "$t"
mkdir -p "$t"
chmod 0777 "$t"

# writer KIND LOG: KIND held keeps one descriptor; KIND open reopens for every line, and
# retries for up to a second when the log is missing: between logrotate's rename and its
# create, the mysql user cannot create the file in /var/log (the window the app's logger must
# also ride out).
writer() {
	runuser -u mysql -- sh -c '
		kind=$1 log=$2 stop=$3 count=$4
		i=0
		if [ "$kind" = held ]; then
			exec 3>>"$log"
			while [ ! -e "$stop" ]; do echo "$kind $i" >&3; i=$((i + 1)); done
		else
			while [ ! -e "$stop" ]; do
				tries=0
				until echo "$kind $i" 2>/dev/null >>"$log"; do
					tries=$((tries + 1))
					[ "$tries" -lt 100 ] || exit 1
					echo "$log missing at line $i" >>"$count.waits"
					sleep 0.01
				done
				i=$((i + 1))
			done
		fi
		echo "$i" >"$count"' writer "$1" "$2" "$t/stop" "$t/count.$1.$(basename "$2")"
}

# lines LOG KIND: the numbers KIND wrote, in file order, from LOG and its rotations.
lines() {
	for f in "$1.2.gz" "$1.1" "$1"; do
		[ -e "$f" ] || continue
		case "$f" in *.gz) zcat "$f" ;; *) cat "$f" ;; esac
	done | sed -n "s/^$2 \([0-9]*\)\$/\1/p"
}

# check LOG KIND: every number from 0 to the writer's count, once each, in order.
check() {
	n=$(cat "$t/count.$2.$(basename "$1")")
	[ "$n" -gt 1000 ] || fail "the $2 writer of $1 wrote only $n lines"
	lines "$1" "$2" >"$t/got"
	seq 0 $((n - 1)) >"$t/want"
	cmp -s "$t/want" "$t/got" || fail "$1: $2 writer lines lost or out of order ($(wc -l <"$t/got") of $n)"
	ok "$1: all $n lines of the $2 writer are there, in order"
}

# Start from empty logs without rotations, so that every line counted is this run's.
for log in /var/log/socket-server.log /var/log/innobackupex.log; do
	rm -f "$log".[0-9]*
	: >"$log"
done
for log in /var/log/socket-server.log /var/log/innobackupex.log; do
	writer held "$log" &
	writer open "$log" &
done
sleep 1
logrotate -f -s "$t/status" /etc/logrotate.d/mysql-zrm-innobackupex || fail "logrotate -f failed"
sleep 1
touch "$t/stop"
wait

for log in /var/log/socket-server.log /var/log/innobackupex.log; do
	[ -f "$log.1" ] || fail "$log was not rotated"
	owner=$(stat -c '%a %U %G' "$log")
	[ "$owner" = "640 mysql mysql" ] || fail "the new $log is '$owner', not '640 mysql mysql'"
	ok "the new $log is 0640 mysql:mysql"
	[ -z "$(sed -n '/^held /p' "$log")" ] || fail "held writer's lines in the new $log"
	sed -n '/^open /p' "$log" | grep -q . || fail "no open writer's line in the new $log: rotation was not mid-run"
	sed -n '/^open /p' "$log.1" | grep -q . || fail "no open writer's line in $log.1"
	ok "$log: the held writer stayed in .1, new processes moved to the new file"
	check "$log" held
	check "$log" open
	if [ -e "$t/count.open.$(basename "$log").waits" ]; then
		echo "note: $(wc -l <"$t/count.open.$(basename "$log").waits") open(s) of $log found no file during the rotation and were retried"
	fi
done

logrotate -f -s "$t/status" /etc/logrotate.d/mysql-zrm-innobackupex || fail "second logrotate -f failed"
for log in /var/log/socket-server.log /var/log/innobackupex.log; do
	[ -f "$log.2.gz" ] || fail "$log.1 was not compressed into $log.2.gz by the second rotation"
	check "$log" held
	check "$log" open
done
ok "second rotation: .1 compressed to .2.gz, still no line lost"
