// Command bench measures hutch against Podman 4.3 on this host, side by side,
// and prints one table: benchmark | hutch median | podman median | ratio | goal.
//
// It runs the same busybox image (one rootfs tarball imported into both
// tools) through three benchmarks (DESIGN.md §7):
//
//   - `run --rm IMAGE true` wall time, as root and as an unprivileged user;
//   - `ps -a` with 0 and with 200 created containers (root);
//   - resident memory (RSS and PSS) of the per-container monitor process
//     (hutch's monitor, Podman's conmon) with ten `run -d IMAGE sleep 300`.
//
// The "images" suite (issue 3) adds, as root:
//
//   - `pull` of a generated ~200 MiB, 4-layer gzip image from a
//     docker-registry started on 127.0.0.1 in the program's network
//     namespace, into new, empty storage each time, next to this machine's
//     gzip decompression and disk write (with fsync) rates measured in the
//     same run: the "machine limit" is the longer of decompressing every
//     layer at once and writing their content;
//   - `images` with 100 images loaded from one docker archive.
//
// Commands alternate between the tools (hutch, podman, hutch, podman…) so that
// drift on the machine hits both alike, and warm-up rounds are discarded.
// Every invocation gets temporary --root/--runroot directories and a private
// HOME, XDG_RUNTIME_DIR and TMPDIR, never a real store. Results are reported,
// never asserted: the program exits 0 when a goal is missed or a tool fails,
// and non-zero only when the harness itself cannot run.
//
// As root the program re-executes itself under `unshare --mount --net` with
// private propagation, so Podman's (and hutch's) overlay mounts, and the
// private binds over Podman's hard-coded host paths, never reach the host.
// The rootless half runs a copy of this binary as the test user
// (`runuser -u hutchtest`), which reports its results as JSON on stdout.
//
// Usage: see bench/README.md, or `bench/run.sh` with HUTCH=path/to/hutch.
package main
