#!/bin/sh
# /init of the VM lane's guest (busybox sh, PID 1). It prepares a machine
# like a cgroup v2 host with a systemd user session: cgroup2 mounted with
# nsdelegate, the controllers enabled, and a subtree delegated to the test
# user (uid 1000) as systemd's user@.service does (Delegate=pids memory
# cpu). Then it runs the VM suite (/usr/local/bin/vm.test) as root and as
# the test user, printing each run's output on the console between markers
# that tests/lanes/vm.sh looks for, and powers off.
#
# Kernel command line (unknown words reach init as environment variables):
# vmrun=REGEXP (-test.run), vmtimeout=DURATION (-test.timeout per run).

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
cg=/sys/fs/cgroup
user_slice=$cg/user.slice/user-1000.slice
user_svc=$user_slice/user@1000.service
leaf=$user_svc/app.slice/hutch-vm-tests.scope

# fatal: a guest that cannot be prepared says why and stops; the host sees
# no end marker and fails the lane with the console's tail.
fatal() {
	echo "HUTCH-VM-FATAL: $*"
	poweroff -f
	sleep 60
}

# Stage 1: the kernel unpacked the initramfs into "rootfs", from which
# pivot_root (which every container start does in its mount namespace)
# cannot move away. So copy it all to a tmpfs and make that the root;
# switch_root frees the initramfs' copy.
if [ -z "${HUTCH_VM_STAGE2:-}" ]; then
	mkdir -p /newroot
	mount -t tmpfs -o mode=0755 tmpfs /newroot || fatal "mount the new root"
	for f in /* /.[!.]*; do
		[ -e "$f" ] && [ "$f" != /newroot ] && { cp -a "$f" /newroot/ || fatal "copy $f to the new root"; }
	done
	exec env HUTCH_VM_STAGE2=1 switch_root /newroot /init
	fatal "switch_root"
fi

mount -t proc proc /proc || fatal "mount /proc"
mount -t sysfs sysfs /sys || fatal "mount /sys"
mount -t devtmpfs devtmpfs /dev || fatal "mount /dev"
mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts || fatal "mount /dev/pts"
ln -sf pts/ptmx /dev/ptmx
mount -t tmpfs -o mode=1777 tmpfs /dev/shm || fatal "mount /dev/shm"
mount -t tmpfs -o mode=0755 tmpfs /run || fatal "mount /run"
# Only emergencies on the console: the OOM killer's reports (which the
# tests provoke) would otherwise land in the middle of the test output.
echo 1 >/proc/sys/kernel/printk
hostname hutch-vm

echo "HUTCH-VM: booted in $(cut -d' ' -f1 /proc/uptime)s (guest clock), kernel $(uname -r)"

# The kernel asks modprobe for modules it misses (a netlink family, an
# nftables expression); the guest has none, so note the requests, which
# init prints at the end: a missing module shows up there.
printf '#!/bin/sh\necho "$*" >>/run/modprobe.log\nexit 1\n' >/run/modprobe
chmod 0755 /run/modprobe
echo /run/modprobe >/proc/sys/kernel/modprobe

# Modules, dependencies first (mkinitramfs.sh wrote the order; a "?"
# marks one of several providers of a soft dependency, which may not load
# on this CPU).
while read -r m; do
	case $m in
	\?*) insmod "/modules/${m#?}" 2>/dev/null || true ;;
	*) insmod "/modules/$m" || fatal "insmod $m" ;;
	esac
done </modules/order
# slirp4netns opens /dev/net/tun as the test user.
[ -c /dev/net/tun ] || fatal "/dev/net/tun missing after loading tun"
chmod 0666 /dev/net/tun
ip link set lo up || fatal "loopback up"

# /tmp, where every test keeps its storage, is the scratch disk the host
# made (ext4): rootless overlay needs user.* extended attributes on its
# upper layer, which tmpfs has only from Linux 6.6 on.
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
mount -t ext4 -o noinit_itable /dev/vda /tmp || fatal "mount the scratch disk /dev/vda on /tmp"
chmod 1777 /tmp

# cgroup v2. nsdelegate makes cgroup namespaces delegation boundaries, as
# systemd mounts it.
mount -t cgroup2 -o nsdelegate cgroup2 $cg || fatal "mount cgroup2"
for c in cpu memory pids io cpuset; do
	echo "+$c" >$cg/cgroup.subtree_control || fatal "enable $c at the root"
done
mkdir -p "$user_svc" || fatal "make $user_svc"
echo "+cpu +memory +pids +io +cpuset" >$cg/user.slice/cgroup.subtree_control || fatal "enable controllers in user.slice"
# The user's slice passes memory, pids and cpu on to user@1000.service,
# like systemd's default; io and cpuset are not delegated, so a limit on
# them must be refused for the user (the tests check the error).
echo "+cpu +memory +pids" >$user_slice/cgroup.subtree_control || fatal "enable controllers in user-1000.slice"
# Delegate=yes: the user owns the directory and the files that move
# processes and enable controllers; everything below it the user makes.
chown 1000:1000 "$user_svc" "$user_svc/cgroup.procs" "$user_svc/cgroup.subtree_control" "$user_svc/cgroup.threads" ||
	fatal "delegate $user_svc"
su -s /bin/sh -c "mkdir -p $leaf" hutchtest || fatal "make $leaf as the test user"

chown 1000:1000 /home/hutchtest
mkdir -m 0755 /tmp/vm-root && mkdir -m 0700 /tmp/vm-user && chown 1000:1000 /tmp/vm-user ||
	fatal "make the suite's directories"

# suite LABEL COMMAND...: runs the suite between the markers; the end
# marker carries its exit code.
suite() {
	label=$1
	shift
	echo "HUTCH-VM-BEGIN $label"
	"$@" 2>&1
	echo "HUTCH-VM-END $label rc=$?"
}

# as_user COMMAND...: runs COMMAND as the test user, from the leaf of its
# delegated subtree, as a process of a systemd user session would be: root
# moves the shell there (the user may not move a process out of the root
# cgroup), then su switches to the user. COMMAND's words reach the user's
# shell as its "$0" "$@", so they keep their boundaries; "--" keeps su from
# taking COMMAND's options for its own.
as_user() {
	sh -c 'echo $$ >"$0/cgroup.procs" && exec su -s /bin/sh -c "exec \"\$0\" \"\$@\"" -- hutchtest "$@"' "$leaf" "$@"
}

set -- /usr/local/bin/vm.test -test.v=test2json "-test.timeout=${vmtimeout:-4m}" -test.parallel=2
[ -n "${vmrun:-}" ] && set -- "$@" "-test.run=$vmrun"
envs="PATH=$PATH LANG=C.UTF-8 HUTCH_BINARY=/usr/local/bin/hutch"

cd /tmp/vm-root || fatal "cd /tmp/vm-root"
# shellcheck disable=SC2086 # envs is a word list
suite root env -i $envs HOME=/root USER=root LOGNAME=root TMPDIR=/tmp/vm-root "$@"

cd /tmp/vm-user || fatal "cd /tmp/vm-user"
# shellcheck disable=SC2086 # envs is a word list
suite rootless as_user env -i $envs HOME=/home/hutchtest USER=hutchtest LOGNAME=hutchtest TMPDIR=/tmp/vm-user "$@"

# (binfmt-* requests are the kernel's guesses for a file it cannot
# execute, not a missing feature.)
if grep -qv -- '-- binfmt-' /run/modprobe.log 2>/dev/null; then
	echo "HUTCH-VM: the kernel asked for modules the initramfs lacks (tests/vm/mkinitramfs.sh):"
	grep -v -- '-- binfmt-' /run/modprobe.log | sort -u | sed 's/^/HUTCH-VM:   modprobe /'
fi
echo "HUTCH-VM-DONE after $(cut -d' ' -f1 /proc/uptime)s (guest clock)"
sync
poweroff -f
