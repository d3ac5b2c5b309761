#!/usr/bin/env bash
# The vm lane: the cgroup v2 suite (tests/vm) in a qemu guest, since this
# host is cgroup v1. It boots Debian's newest installed kernel under TCG
# with an initramfs made by tests/vm/mkinitramfs.sh (busybox, bin/hutch,
# the suite, uidmap, slirp4netns, modules); the guest's /init
# (tests/vm/init.sh) runs the suite as root and as uid 1000 with a
# delegated subtree and prints both runs on the serial console between
# markers. The guest has no network device: nothing leaves it. Its /tmp
# is a scratch disk (a sparse file under the lane's temporary directory).
#
# Environment: VM_RUN (a -test.run pattern), VM_VERBOSE=1 (all output),
# VM_TIMEOUT (seconds for the whole guest, default 540), VM_TEST_TIMEOUT
# (-test.timeout of each run, default 4m), VM_MEMORY (MiB, default 1024),
# VM_KERNEL (a vmlinuz; its modules must be in /lib/modules/VERSION),
# VM_DISK_SIZE (the scratch disk, default 4G).
source "$(dirname "$0")/common.sh"
lane=vm
rm -f "$RESULTS_DIR/$lane.counts"
VM_TIMEOUT=${VM_TIMEOUT:-540}
VM_TEST_TIMEOUT=${VM_TEST_TIMEOUT:-4m}
VM_MEMORY=${VM_MEMORY:-1024}
lane_start=$(date +%s)

for tool in qemu-system-x86_64 cpio busybox newuidmap newgidmap slirp4netns mkfs.ext4; do
	command -v "$tool" >/dev/null || lane_fail "$lane" "$tool not found: run make deps"
done
# The newest Debian kernel installed (package linux-image-amd64).
kernel=${VM_KERNEL:-$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -n1)}
[ -n "$kernel" ] && [ -r "$kernel" ] || lane_fail "$lane" "no readable /boot/vmlinuz-*-amd64: run make deps (linux-image-amd64)"
kver=${kernel##*/vmlinuz-}
moddir=/lib/modules/$kver
[ -f "$moddir/modules.dep" ] || lane_fail "$lane" "$moddir/modules.dep not found for $kernel"

build_tools "$lane"
"$MAKE" -s --no-print-directory build || lane_fail "$lane" "cannot build bin/hutch"
go test -c -tags "vm,$TAGS" -o "$BIN_DIR/vm.test" ./tests/vm || lane_fail "$lane" "cannot build the vm suite"

work=$(mktemp -d /tmp/hutch-vm-lane.XXXXXX)
rc_file=$work/rc
trap 'rm -rf "$work"' EXIT
tests/vm/mkinitramfs.sh "$work/initramfs" "$moddir" "$BIN_DIR/hutch" "$BIN_DIR/vm.test" ||
	lane_fail "$lane" "cannot build the initramfs"

# The guest's /tmp: a sparse scratch disk, ext4 as on a real host (tmpfs
# lacks what rootless overlay needs before Linux 6.6).
truncate -s "${VM_DISK_SIZE:-4G}" "$work/disk.img"
mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1 "$work/disk.img" ||
	lane_fail "$lane" "cannot make the guest's scratch disk"

# Unknown words on the kernel command line reach /init as environment
# variables; hutchvm=1 is what tests/vm's TestMain looks for.
append="console=ttyS0 quiet panic=-1 hutchvm=1 vmtimeout=$VM_TEST_TIMEOUT"
[ -n "${VM_RUN:-}" ] && append="$append vmrun=$VM_RUN"
console=$RESULTS_DIR/vm-console.log

# now_ms: the wall clock in milliseconds.
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

# boot: runs the guest to its end, or kills it after VM_TIMEOUT seconds,
# with the serial console in $console; prints how long it took.
boot() {
	local start elapsed booted= guest_boot qemu_pid
	echo "vm: booting $kernel under TCG ($(du -m "$work/initramfs" | cut -f1) MB initramfs)"
	start=$(now_ms)
	qemu-system-x86_64 -accel tcg -m "$VM_MEMORY" -smp 2 -nographic -no-reboot -nic none \
		-drive "file=$work/disk.img,format=raw,if=virtio,cache=unsafe" \
		-kernel "$kernel" -initrd "$work/initramfs" -append "$append" </dev/null >"$console" 2>&1 &
	qemu_pid=$!
	# boot runs in the pipeline's subshell: its trap, not the lane's.
	trap 'kill -KILL "$qemu_pid" 2>/dev/null || true' EXIT
	while kill -0 "$qemu_pid" 2>/dev/null; do
		elapsed=$(($(now_ms) - start))
		if [ -z "$booted" ] && grep -q 'HUTCH-VM: booted' "$console"; then
			booted="$((elapsed / 1000)).$((elapsed % 1000 / 100))"
		fi
		if [ "$elapsed" -gt $((VM_TIMEOUT * 1000)) ]; then
			kill -KILL "$qemu_pid" 2>/dev/null || true
			echo "vm: the guest did not power off within ${VM_TIMEOUT}s: killed"
			break
		fi
		sleep 0.5
	done
	wait "$qemu_pid" 2>/dev/null || true
	trap - EXIT
	# The console, without the serial line's carriage returns.
	tr -d '\r' <"$console" >"$work/console"
	guest_boot=$(sed -n 's/.*HUTCH-VM: booted in \([0-9.]*\)s.*/\1/p' "$work/console")
	echo "vm: /init started after ${booted:-?}s of wall time (${guest_boot:-?}s guest clock);" \
		"the guest ran $((($(now_ms) - start) / 1000))s"
}

# section LABEL: the lines of one run, between its markers; its exit code
# goes to $work/LABEL.rc (absent if the run did not finish).
section() {
	awk -v label="$1" -v rcfile="$work/$1.rc" '
		$0 == "HUTCH-VM-BEGIN " label { on = 1; next }
		on && index($0, "HUTCH-VM-END " label " rc=") == 1 {
			sub(/.* rc=/, ""); print > rcfile; on = 0; next }
		on { print }' "$work/console"
}

# report: both runs as test2json events for the summary, then whether the
# guest got through (0) or not (1) in $rc_file; on failure, the console's
# tail.
report() {
	local rc=0 label
	for label in root rootless; do
		section "$label" | "$BIN_DIR/test2json" -t -p "vm-$label"
		if [ ! -s "$work/$label.rc" ]; then
			echo "vm: the $label run did not finish"
			rc=1
		elif [ "$(cat "$work/$label.rc")" != 0 ]; then
			rc=1
		fi
	done
	grep '^HUTCH-VM-FATAL' "$work/console" || true
	grep -q '^HUTCH-VM-DONE' "$work/console" || rc=1
	if [ "$rc" != 0 ]; then
		echo "vm: last lines of the console (all of it: $console):"
		tail -n 40 "$work/console" | sed 's/^/  | /'
	fi
	grep '^HUTCH-VM: ' "$work/console" | grep -v 'HUTCH-VM: booted' || true
	echo "$rc" >"$rc_file"
}

status=0
{
	boot
	report
} 2>&1 | "$BIN_DIR/summary" ${VM_VERBOSE:+-v} -lane "$lane" -counts "$RESULTS_DIR/$lane.counts" -rc-file "$rc_file" ||
	status=$?
echo "vm: the lane took $(($(date +%s) - lane_start))s with its builds"
exit $status
