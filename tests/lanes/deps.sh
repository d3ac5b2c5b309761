#!/usr/bin/env bash
# make deps: prepares a fresh Debian 12 machine, as root, for every lane and
# the demo. Idempotent and quiet: apt runs only when a package is missing.
source "$(dirname "$0")/common.sh"

[ "$(id -u)" = 0 ] || {
	echo "make deps must run as root" >&2
	exit 1
}

# uidmap: newuidmap/newgidmap; busybox-static: the fixture images;
# util-linux: unshare, runuser, nsenter; iproute2: loopback in the lanes'
# network namespaces; bash-completion: the completion test sources it;
# docker-registry: the registry (distribution) the e2e registry tests and
# the pull benchmark start on 127.0.0.1; nftables: the networking tests
# list hutch's rules (nft); socat: the UDP server in the networking tests'
# image; iperf3: the network benchmarks (both copied from the host into
# images with their libraries); qemu-system-x86 and linux-image-amd64: the
# vm lane boots Debian's kernel under qemu, with an initramfs made by cpio
# and a scratch disk made by mkfs.ext4 (e2fsprogs); dbus-daemon: the
# systemd cgroup manager's unit test talks to a fake systemd on a private
# bus.
packages=(uidmap busybox-static util-linux iproute2 procps slirp4netns bash-completion gcc libc6-dev make git docker-registry
	nftables socat iperf3 qemu-system-x86 linux-image-amd64 cpio e2fsprogs dbus-daemon)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The package starts a registry service on :5000 where systemd runs; the
# tests start their own registries on free loopback ports, so stop it.
if command -v systemctl >/dev/null && systemctl is-enabled docker-registry >/dev/null 2>&1; then
	systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi

command -v go >/dev/null || {
	echo "deps: Go not found (expected in /usr/local/go/bin)" >&2
	exit 1
}

# range_of USER FILE: the user's first START:COUNT in FILE, if any.
range_of() {
	local uid
	uid=$(id -u "$1")
	grep -E "^($1|$uid):[0-9]+:[0-9]+$" "$2" | head -n1 | cut -d: -f2-
}

# The rootless lane's user, with 65536 subordinate ids. useradd on Debian
# may already have given it a range; any range of 65536 ids will do.
if ! id -u "$TEST_USER" >/dev/null 2>&1; then
	useradd --create-home --shell /bin/bash "$TEST_USER"
fi
touch /etc/subuid /etc/subgid
for f in /etc/subuid /etc/subgid; do
	if [ -z "$(range_of "$TEST_USER" "$f")" ]; then
		# The first free block of 65536 ids at or above 100000.
		start=100000
		while awk -F: -v s="$start" '$2 < s + 65536 && $2 + $3 > s { found = 1 } END { exit !found }' "$f"; do
			start=$((start + 65536))
		done
		echo "$TEST_USER:$start:65536" >>"$f"
	fi
done

# A user without any subordinate range, for the error-message test.
if ! id -u "$NOSUB_USER" >/dev/null 2>&1; then
	useradd --no-create-home --shell /usr/sbin/nologin -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$NOSUB_USER"
fi
nosub_uid=$(id -u "$NOSUB_USER")
sed -i -E "/^($NOSUB_USER|$nosub_uid):/d" /etc/subuid /etc/subgid

# Rootless networking (slirp4netns) opens /dev/net/tun as the user.
if [ ! -c /dev/net/tun ]; then
	mkdir -p /dev/net
	mknod /dev/net/tun c 10 200
fi
chmod 0666 /dev/net/tun

# A private XDG_RUNTIME_DIR for the test user (the lanes also give each
# test its own).
install -d -m 0700 -o "$TEST_USER" -g "$TEST_USER" "/run/user/$(id -u "$TEST_USER")"
