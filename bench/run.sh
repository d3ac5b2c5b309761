#!/bin/sh
# Side-by-side benchmarks of hutch and Podman 4.3; see bench/README.md.
# Usage (as root): HUTCH=path/to/hutch bench/run.sh [flags of the bench program]
# Prints a table and exits 0 even when goals are missed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
hutch=${HUTCH:-$here/../bin/hutch}
case $hutch in /*) ;; *) hutch=$PWD/$hutch ;; esac
PATH=$PATH:/usr/local/go/bin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
(cd "$here/.." && go build -tags exclude_graphdriver_btrfs,containers_image_openpgp -o "$tmp/bench" ./bench)
"$tmp/bench" -hutch "$hutch" "$@"
