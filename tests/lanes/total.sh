#!/usr/bin/env bash
# Adds up the lanes' counts and prints the closing line of `make test`. A
# lane without counts did not run, which is a failure.
# Usage: tests/lanes/total.sh LANE...
source "$(dirname "$0")/common.sh"
passed=0 failed=0 skipped=0
for lane in "$@"; do
	if [ ! -s "$RESULTS_DIR/$lane.counts" ]; then
		echo "lane $lane did not report results"
		failed=$((failed + 1))
		continue
	fi
	read -r p f s <"$RESULTS_DIR/$lane.counts"
	echo "lane $lane: $p passed, $f failed, $s skipped"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
echo "total: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
