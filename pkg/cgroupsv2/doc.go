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
// The monitor uses it in this order: New (decides the layout and the place,
// creates nothing), Create (directories, controllers, limits; a systemd
// scope waits for Join, which gives it its first pid), Join (init, before
// it does anything), and after the container exited OOMKills and Destroy.
// Later commands find the cgroup again with FromRef and the Ref the
// monitor stored in state.json.
//
// Rootless on v2, the container's cgroup goes below the highest cgroup the
// user owns that contains the caller's (user@UID.service in a systemd
// session), in <that>/hutch/hutch-<id>.scope; controllers are enabled from
// there down, so that cgroup must have no processes of its own.
//
// The package touches only the cgroup filesystem (and systemd's D-Bus API);
// callers say where the filesystem is (Options.Root), so tests run against a
// fake tree.
package cgroupsv2
