#!/usr/bin/env bash
# Boots one fleet host; run by run.sh as
#   ip netns exec NS unshare --pid --fork --kill-child --mount --uts --propagation private \
#     boot-host.sh NAME LOWER HOSTDIR PUBKEY HOSTS_FILE
# In its own PID, mount and UTS namespaces: an overlay of the shared Debian root (LOWER, never
# written) with this host's own upper layer, the usual kernel file systems, then sshd as PID 1.
# Everything it mounts lives in this mount namespace only and goes when its last process
# does; killing this PID 1 (run.sh kills the unshare above it) ends every process of the host.
set -euo pipefail
name=$1 lower=$2 dir=$3 pubkey=$4 hosts=$5
root=$dir/root
mkdir -p "$dir/upper" "$dir/work" "$root"
hostname "$name"
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$dir/upper,workdir=$dir/work" "$root"
mount -t proc proc "$root/proc"
mount --bind /sys "$root/sys"
mount --bind /dev "$root/dev"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
mount --bind "$root/dev/pts/ptmx" "$root/dev/ptmx"
mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
mount -t tmpfs -o mode=0755 tmpfs "$root/run"
mkdir -p "$root/run/sshd" "$root/run/mysqld" "$root/run/lock"
chroot "$root" chown mysql:mysql /run/mysqld
# A real host runs its packages' maintainer scripts in full.
rm -f "$root/usr/sbin/policy-rc.d"
# No Internet in the namespaces: the repository the control node serves is the only apt source.
rm -f "$root/etc/apt/sources.list" "$root"/etc/apt/sources.list.d/*
echo "$name" >"$root/etc/hostname"
cp "$hosts" "$root/etc/hosts"
rm -f "$root"/etc/ssh/ssh_host_*
chroot "$root" ssh-keygen -q -A
install -d -m 0700 "$root/root/.ssh"
install -m 0600 "$pubkey" "$root/root/.ssh/authorized_keys"
exec chroot "$root" /usr/sbin/sshd -D -e
