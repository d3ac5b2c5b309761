# Shared by the lane scripts; sourced, not run. Expects to be sourced from
# the repository root (the Makefile runs the scripts from there).

set -euo pipefail

# The Makefile exports these; defaults let the scripts run on their own.
export PATH=/usr/local/go/bin:$PATH
export CGO_ENABLED=1
TAGS=${TAGS:-exclude_graphdriver_btrfs,containers_image_openpgp}

# Binaries and results live under bin/ (ignored by git).
BIN_DIR=${BIN_DIR:-$PWD/bin}
RESULTS_DIR=$BIN_DIR/lanes
MAKE=${MAKE:-make}
# The unprivileged users the rootless lane and one root-lane test run as.
TEST_USER=${TEST_USER:-hutchtest}
NOSUB_USER=${NOSUB_USER:-hutchnosub}
E2E_PARALLEL=${E2E_PARALLEL:-4}
E2E_TIMEOUT=${E2E_TIMEOUT:-25m}

mkdir -p "$RESULTS_DIR"

# lane_fail LANE MESSAGE...: a lane that cannot run fails, never skips. It
# prints why and the lane's closing line, records the counts, and exits 1.
lane_fail() {
	local lane=$1
	shift
	echo "$lane: cannot run: $*"
	echo "$lane: 0 passed, 1 failed, 0 skipped"
	echo "0 1 0" >"$RESULTS_DIR/$lane.counts"
	exit 1
}

# build_tools LANE: the summariser and test2json (the rootless lane runs the
# test binary as a user who has no Go toolchain or cache).
build_tools() {
	local lane=$1
	go build -o "$BIN_DIR/summary" ./tests/summary || lane_fail "$lane" "cannot build tests/summary"
	go build -o "$BIN_DIR/test2json" cmd/test2json || lane_fail "$lane" "cannot build test2json"
}

# kill_started_by DIR: SIGKILL the processes whose environment mentions DIR,
# i.e. those the lane started (every e2e test gives hutch directories
# under the lane's temporary directory). Pids are listed first, then killed
# one by one.
kill_started_by() {
	local dir=$1 p pids=()
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = "$$" ] && continue
		if grep -qaF -- "$dir" "$p/environ" 2>/dev/null; then
			pids+=("${p#/proc/}")
		fi
	done
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
}
