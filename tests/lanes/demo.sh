#!/usr/bin/env bash
# make demo: a short tour of hutch on a busybox image made from Debian's
# busybox-static, as the invoking user. As root it runs in private mount and
# network namespaces with its state under bin/demo, removed afterwards, so
# the host's mounts, interfaces, firewall and /var/lib stay untouched;
# rootless it uses the user's own directories (~/.local/share/hutch), and
# its networks live in the user's namespace holder.
source "$(dirname "$0")/common.sh"

flags=()
if [ "$(id -u)" = 0 ]; then
	if [ -z "${HUTCH_DEMO_UNSHARED:-}" ]; then
		exec env HUTCH_DEMO_UNSHARED=1 unshare --mount --net --propagation private -- "$0" "$@"
	fi
	ip link set lo up
	demo=$BIN_DIR/demo
	rm -rf "$demo"
	mkdir -p "$demo"
	flags=(--root "$demo/root" --runroot "$demo/run")
fi
hutch() { "$BIN_DIR/hutch" "${flags[@]}" "$@"; }
finish() {
	hutch rm -f demo-ticker demo-web >/dev/null 2>&1 || true
	hutch network rm demo-net >/dev/null 2>&1 || true
	if [ -n "${demo:-}" ]; then rm -rf "$demo"; fi
}
trap finish EXIT
step() {
	printf '\n\033[1m$ hutch %s\033[0m\n' "$*"
	hutch "$@"
}

rootfs=$(mktemp --suffix=.tar)
tests/mkrootfs.sh "$rootfs"
step import "$rootfs" demo
rm -f "$rootfs"
step images
step run --rm demo echo hello from hutch
step run --rm --hostname box demo sh -c 'echo "I am pid $$ on $(hostname), user $(id -un)"'
step run -d --name demo-ticker demo sh -c 'i=0; while true; do i=$((i + 1)); echo tick $i; sleep 0.5; done'
step ps
step exec demo-ticker sh -c 'echo "exec: pid $$, next to pid 1: $(tr "\0" " " </proc/1/cmdline)"'
sleep 2
step logs --tail 3 demo-ticker
step rm -f demo-ticker

# Networking: a user network with DNS between containers, and a port
# published on the host's loopback.
port=18080
step network create demo-net
step run -d --name demo-web --network demo-net -p "$port:80" demo \
	sh -c 'mkdir /www && echo "hello from $(hostname) at $(ip -4 -o addr show eth0 | cut -d" " -f7)" >/www/index.html && httpd -f -p 80 -h /www'
step port demo-web
step run --rm --network demo-net demo wget -qO- http://demo-web/
for _ in $(seq 50); do
	busybox wget -qO- "http://127.0.0.1:$port/" >/dev/null 2>&1 && break
	sleep 0.1
done
printf '
[1m$ wget -qO- http://127.0.0.1:%s/   (from the host)[0m
' "$port"
busybox wget -qO- "http://127.0.0.1:$port/"
step rm -f demo-web
step network rm demo-net
step ps -a
