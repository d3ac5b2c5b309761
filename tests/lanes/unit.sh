#!/usr/bin/env bash
# The unit lane: `go test ./...` with the build tags, as root.
source "$(dirname "$0")/common.sh"
lane=unit
rm -f "$RESULTS_DIR/$lane.counts"
[ "$(id -u)" = 0 ] || lane_fail "$lane" "the unit lane runs as root (some packages test namespaces)"
build_tools "$lane"
rc_file=$(mktemp)
trap 'rm -f "$rc_file"' EXIT
status=0
{
	rc=0
	go test -json -timeout 20m -tags "$TAGS" ./... || rc=$?
	echo "$rc" >"$rc_file"
} 2>&1 | "$BIN_DIR/summary" -lane "$lane" -counts "$RESULTS_DIR/$lane.counts" -rc-file "$rc_file" || status=$?
exit $status
