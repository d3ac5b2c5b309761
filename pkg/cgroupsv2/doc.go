// Package cgroupsv2 puts containers in control groups and enforces their
// resource limits: one cgroup per container, created by its monitor after
// init is cloned and before init runs the user's program, removed when the
// container exits.
//
// The unified hierarchy (cgroup v2) is the primary implementation. On a
// hybrid or v1 host (like the one hutch is developed on), root gets the v1
// controllers memory, pids, cpu, cpuset, blkio and freezer instead, so that
// limits are still enforced; rootless on v1, any limit is refused with an
// error saying why, and a container without limits runs without a cgroup
// of its own. When systemd is PID 1 the cgroup is a transient scope made
// over D-Bus (Delegate=yes), unless hutch.yaml says cgroupfs.
//
// Limits come as runtime-spec LinuxResources (v1 units, as Podman and crun
// take them) and are translated to the files of the layout in use, for
// example cpu shares to cpu.weight with crun's formula.
//
// The package touches only the cgroup filesystem (and systemd's D-Bus API);
// callers say where the filesystem is (Options.Root), so tests run against a
// fake tree.
package cgroupsv2
