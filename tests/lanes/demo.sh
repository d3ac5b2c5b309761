#!/usr/bin/env bash
# make demo: a short tour of hutch on a busybox image made from Debian's
# busybox-static, as the invoking user. As root it runs in a private mount
# namespace with its state under bin/demo, removed afterwards, so the host's
# mounts and /var/lib stay untouched; rootless it uses the user's own
# directories (~/.local/share/hutch).
source "$(dirname "$0")/common.sh"

flags=()
if [ "$(id -u)" = 0 ]; then
	if [ -z "${HUTCH_DEMO_UNSHARED:-}" ]; then
		exec env HUTCH_DEMO_UNSHARED=1 unshare --mount --propagation private -- "$0" "$@"
	fi
	demo=$BIN_DIR/demo
	rm -rf "$demo"
	mkdir -p "$demo"
	flags=(--root "$demo/root" --runroot "$demo/run")
fi
hutch() { "$BIN_DIR/hutch" "${flags[@]}" "$@"; }
finish() {
	hutch rm -f demo-ticker >/dev/null 2>&1 || true
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
step ps -a
