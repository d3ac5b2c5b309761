#!/usr/bin/env bash
# The e2e lanes: the end-to-end suite (tests/e2e) against bin/hutch, as root
# (lane "root") or as the unprivileged test user (lane "rootless"). Both run
# inside new network and mount namespaces, loopback up and propagation
# private, so nothing reaches the host's interfaces, firewall or mounts.
#
# Usage: tests/lanes/e2e.sh root|rootless
# Environment: E2E_RUN (a -test.run pattern), E2E_VERBOSE=1 (all output),
# E2E_PARALLEL, E2E_TIMEOUT.
source "$(dirname "$0")/common.sh"
lane=${1:-}
case $lane in root | rootless) ;; *)
	echo "usage: $0 root|rootless" >&2
	exit 2
	;;
esac
rm -f "$RESULTS_DIR/$lane.counts"

[ "$(id -u)" = 0 ] || lane_fail "$lane" "start the $lane lane as root (the rootless lane switches to $TEST_USER by itself)"
for tool in unshare ip runuser; do
	command -v "$tool" >/dev/null || lane_fail "$lane" "$tool not found: run make deps"
done
if [ "$lane" = rootless ]; then
	uid=$(id -u "$TEST_USER" 2>/dev/null) || lane_fail "$lane" "user $TEST_USER does not exist: run make deps"
	for f in /etc/subuid /etc/subgid; do
		grep -qE "^($TEST_USER|$uid):[0-9]+:[0-9]+$" "$f" 2>/dev/null ||
			lane_fail "$lane" "$TEST_USER has no range in $f: run make deps"
	done
	for tool in newuidmap newgidmap; do
		command -v "$tool" >/dev/null || lane_fail "$lane" "$tool not found: install the uidmap package (make deps)"
	done
fi

build_tools "$lane"
"$MAKE" -s --no-print-directory build || lane_fail "$lane" "cannot build bin/hutch"
go test -c -tags "e2e,$TAGS" -o "$BIN_DIR/e2e.test" ./tests/e2e || lane_fail "$lane" "cannot build the e2e suite"

# Everything the suite writes lives under work, which the test user can
# enter: CI's clone may sit under /root.
work=$(mktemp -d "/tmp/hutch-$lane-lane.XXXXXX")
chmod 0755 "$work"
rc_file=$(mktemp)
cleanup() {
	kill_started_by "$work"
	rm -rf "$work" "$rc_file"
}
trap cleanup EXIT
install -m 0755 "$BIN_DIR/hutch" "$BIN_DIR/e2e.test" "$work/"

envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
	HUTCH_BINARY="$work/hutch" HUTCH_E2E_ISOLATED=1 HOME="$work/home" TMPDIR="$work/tmp")
runas=()
if [ "$lane" = rootless ]; then
	install -d -m 0700 -o "$TEST_USER" -g "$TEST_USER" "$work/home" "$work/tmp" "$work/xdg-run"
	envs+=(XDG_RUNTIME_DIR="$work/xdg-run" USER="$TEST_USER" LOGNAME="$TEST_USER")
	runas=(runuser -u "$TEST_USER" --)
else
	# TMPDIR may be traversed (not listed) by the users a test switches to.
	install -d -m 0700 "$work/home"
	install -d -m 0711 "$work/tmp"
	envs+=(USER=root LOGNAME=root)
fi
args=(-test.v=test2json "-test.parallel=$E2E_PARALLEL" "-test.timeout=$E2E_TIMEOUT")
[ -n "${E2E_RUN:-}" ] && args+=("-test.run=$E2E_RUN")
summary_flags=()
[ -n "${E2E_VERBOSE:-}" ] && summary_flags+=(-v)

status=0
{
	rc=0
	cd "$work"
	# `ip link set lo up` runs in the new network namespace, as root, before
	# the suite (and, rootless, the switch to the test user).
	unshare --net --mount --propagation private -- \
		sh -c 'ip link set lo up && exec "$@"' sh \
		"${runas[@]}" env -i "${envs[@]}" "$work/e2e.test" "${args[@]}" || rc=$?
	echo "$rc" >"$rc_file"
} 2>&1 | "$BIN_DIR/test2json" -t -p "e2e-$lane" |
	"$BIN_DIR/summary" "${summary_flags[@]}" -lane "$lane" -counts "$RESULTS_DIR/$lane.counts" -rc-file "$rc_file" ||
	status=$?
exit $status
