#!/usr/bin/env bash
# mkrootfs.sh OUT.tar: writes a minimal root filesystem tarball built from
# Debian's busybox-static, for `hutch import` (used by make demo).
set -euo pipefail
out=${1:?usage: mkrootfs.sh OUT.tar}
busybox=${BUSYBOX:-/usr/bin/busybox}
[ -x "$busybox" ] || {
	echo "mkrootfs: $busybox not found: install busybox-static (make deps)" >&2
	exit 1
}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,etc,proc,root,sys,tmp,usr/bin,var}
chmod 1777 "$root/tmp"
install -m 0755 "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$out" .
