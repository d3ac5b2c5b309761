#!/usr/bin/env bash
# The unit lane: `go test ./...` with the build tags, as root.
source "$(dirname "$0")/common.sh"
lane=unit
rm -f "$RESULTS_DIR/$lane.counts"
[ "$(id -u)" = 0 ] || lane_fail "$lane" "the unit lane runs as root (some packages test namespaces)"
build_tools "$lane"
# The tree must be formatted and vetted: a failure here fails the lane.
unformatted=$(gofmt -l $(git ls-files '*.go'))
[ -z "$unformatted" ] || lane_fail "$lane" "not gofmt-formatted: $unformatted"
go vet -tags "$TAGS" ./... || lane_fail "$lane" "go vet failed"
go vet -tags "e2e,$TAGS" ./tests/e2e || lane_fail "$lane" "go vet of tests/e2e failed"
go vet -tags "vm,$TAGS" ./tests/vm || lane_fail "$lane" "go vet of tests/vm failed"
rc_file=$(mktemp)
trap 'rm -f "$rc_file"' EXIT
status=0
{
	rc=0
	go test -json -timeout 20m -tags "$TAGS" ./... || rc=$?
	echo "$rc" >"$rc_file"
} 2>&1 | "$BIN_DIR/summary" -lane "$lane" -counts "$RESULTS_DIR/$lane.counts" -rc-file "$rc_file" || status=$?
exit $status
