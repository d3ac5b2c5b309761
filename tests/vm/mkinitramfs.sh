#!/usr/bin/env bash
# mkinitramfs.sh OUT MODDIR HUTCH VMTEST: writes the VM lane's initramfs
# (an uncompressed cpio "newc" archive) to OUT. MODDIR is the guest
# kernel's module directory (/lib/modules/VERSION), HUTCH the hutch binary
# and VMTEST the test binary built from tests/vm. The guest's /init is
# tests/vm/init.sh; see there for what happens at boot.
#
# Uncompressed: under TCG the guest's gunzip of it took 4 s more than
# loading the bigger file did.
set -euo pipefail
out=${1:?usage: mkinitramfs.sh OUT MODDIR HUTCH VMTEST}
moddir=${2:?moddir}
hutch=${3:?hutch binary}
vmtest=${4:?test binary}
here=$(cd "$(dirname "$0")" && pwd)
busybox=${BUSYBOX:-/usr/bin/busybox}

die() {
	echo "mkinitramfs: $*" >&2
	exit 1
}
[ -x "$busybox" ] || die "$busybox not found: install busybox-static (make deps)"
[ -f "$moddir/modules.dep" ] || die "$moddir/modules.dep not found: install linux-image-amd64 (make deps)"
for tool in cpio ldd newuidmap newgidmap slirp4netns ip nsenter; do
	command -v "$tool" >/dev/null || die "$tool not found (make deps)"
done

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
# mktemp made it 0700: it becomes the guest's /, which every user enters.
chmod 0755 "$root"

# Debian 12's merged /usr: the libraries' paths as ldd prints them
# (/lib/x86_64-linux-gnu, /lib64) resolve through these links.
mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{dev,proc,sys,run,tmp,etc,root,home,var/tmp,mnt}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$root/$d"; done
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 0700 "$root/root"

# copy_elf PATH DEST MODE: the binary at DEST in the guest, with the shared
# libraries and the dynamic loader it needs at the paths ldd names.
copy_elf() {
	local bin=$1 dest=$2 mode=$3 lib
	# DEST may be a busybox applet link: replace the link, not busybox.
	rm -f "$root$dest"
	install -D -m "$mode" "$(readlink -f "$bin")" "$root$dest"
	# ldd prints "name => /path (addr)" and "/lib64/ld-linux... (addr)";
	# a static binary prints "not a dynamic executable" and exits 1.
	for lib in $(ldd "$bin" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		[ -e "$root$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
	done
}

# busybox at Debian's path (the test suite builds its fixture image from
# /usr/bin/busybox, as tests/e2e does), every applet linked to it.
install -m 0755 "$busybox" "$root/usr/bin/busybox"
for applet in $("$busybox" --list); do
	[ -e "$root/usr/bin/$applet" ] || ln -s busybox "$root/usr/bin/$applet"
done

copy_elf "$(command -v slirp4netns)" /usr/bin/slirp4netns 0755
# rootlesskit runs ip and nsenter by name with options busybox's applets
# lack (ip tuntap, nsenter --preserve-credentials): iproute2's and
# util-linux's.
copy_elf "$(command -v ip)" /usr/bin/ip 0755
copy_elf "$(command -v nsenter)" /usr/bin/nsenter 0755
# setuid root, as Debian installs them: the guest's test user maps its
# subordinate ids with them.
copy_elf "$(command -v newuidmap)" /usr/bin/newuidmap 4755
copy_elf "$(command -v newgidmap)" /usr/bin/newgidmap 4755
copy_elf "$hutch" /usr/local/bin/hutch 0755
copy_elf "$vmtest" /usr/local/bin/vm.test 0755
# Without their DWARF data (stack traces use Go's own tables) the two Go
# binaries are a quarter smaller: less for the guest to load and unpack.
if command -v strip >/dev/null; then
	strip --strip-debug "$root/usr/local/bin/hutch" "$root/usr/local/bin/vm.test"
fi
install -m 0755 "$here/init.sh" "$root/init"

# The test user: uid 1000 with 65536 subordinate ids, like the host's
# rootless lane user.
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
hutchtest:x:1000:1000:hutch test user:/home/hutchtest:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
hutchtest:x:1000:
nogroup:x:65534:
EOF
echo 'hutchtest:100000:65536' >"$root/etc/subuid"
echo 'hutchtest:100000:65536' >"$root/etc/subgid"
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' >"$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
echo 'nameserver 10.0.2.3' >"$root/etc/resolv.conf"
echo hutch-vm >"$root/etc/hostname"
install -d -m 0700 "$root/home/hutchtest"

# Kernel modules, with their dependencies first (modules.dep lists every
# module's dependencies, transitively), in the order init loads them. A
# "pre" soft dependency (modules.softdep: libcrc32c needs a crc32c
# implementation, which the kernel would otherwise ask modprobe for) is
# loaded first too; when it names an alias, every module that provides it
# goes in, marked optional with a "?" (crc32c_intel needs SSE4.2, which
# TCG's default CPU lacks, so crc32c_generic does the work).
# virtio_pci, virtio_blk, ext4: the scratch disk; xfrm_user: netlink
# handles open a NETLINK_XFRM socket besides the route and netfilter ones;
# the nft_* modules: the expressions of hutch's firewall rules.
# ipvlan and dummy: the ipvlan driver test (this machine's own kernel lacks ipvlan).
wanted=(virtio_pci virtio_blk ext4 overlay veth bridge tun xfrm_user ipvlan dummy nf_tables nft_ct nft_nat nft_masq nft_chain_nat
	nft_fib_inet nft_fib_ipv4 nft_fib_ipv6)
declare -A deps=() byname=() seen=() soft=() aliases=()
while IFS= read -r line; do
	mod=${line%%:*}
	deps[$mod]=${line#*:}
	name=${mod##*/}
	name=${name%%.ko*}
	byname[${name//-/_}]=$mod
done <"$moddir/modules.dep"
while read -r word mod rest; do
	[ "$word" = softdep ] || continue
	rest=${rest#pre:}
	soft[${mod//-/_}]=${rest%%post:*}
done <"$moddir/modules.softdep"
while read -r word alias mod; do
	[ "$word" = alias ] && aliases[$alias]="${aliases[$alias]:-} $mod"
done < <(grep -E '^alias [^ *?]+ [^ ]+$' "$moddir/modules.alias")
order=()
# visit MODPATH [?]: dependencies, soft dependencies, then the module.
visit() {
	local m=$1 opt=${2:-} d name a
	[ -n "${seen[$m]:-}" ] && return
	seen[$m]=1
	name=${m##*/}
	name=${name%%.ko*}
	for d in ${soft[${name//-/_}]:-}; do
		if [ -n "${byname[${d//-/_}]:-}" ]; then
			visit "${byname[${d//-/_}]}" "$opt"
		else
			for a in ${aliases[$d]:-}; do
				[ -n "${byname[${a//-/_}]:-}" ] && visit "${byname[${a//-/_}]}" "?"
			done
		fi
	done
	for d in ${deps[$m]}; do visit "$d" "$opt"; done
	order+=("$opt$m")
}
for w in "${wanted[@]}"; do
	[ -n "${byname[$w]:-}" ] || die "module $w is not in $moddir/modules.dep"
	visit "${byname[$w]}"
done
mkdir -p "$root/modules"
: >"$root/modules/order"
for entry in "${order[@]}"; do
	m=${entry#\?}
	opt=${entry%%"$m"}
	name=${m##*/}
	base=${name%%.ko*}.ko
	# Debian compresses modules in some releases: insmod wants them plain.
	case $name in
	*.ko) cp "$moddir/$m" "$root/modules/$base" ;;
	*.ko.xz) xz -dc "$moddir/$m" >"$root/modules/$base" ;;
	*.ko.zst) zstd -qdc "$moddir/$m" >"$root/modules/$base" ;;
	*.ko.gz) gzip -dc "$moddir/$m" >"$root/modules/$base" ;;
	*) die "unknown module format: $m" ;;
	esac
	echo "$opt$base" >>"$root/modules/order"
done

# Owners are root in the guest whoever builds it (cpio -R).
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null --quiet -o -H newc -R 0:0) >"$out"
