package cgroupsv2

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Layouts of a Ref.
const (
	LayoutV2   = "v2"   // unified hierarchy
	LayoutV1   = "v1"   // one directory per v1 controller
	LayoutNone = "none" // no cgroup of its own (rootless on v1 without limits)
)

// Managers (hutch.yaml's cgroup_manager; "" picks systemd when it is PID 1).
const (
	ManagerCgroupfs = "cgroupfs"
	ManagerSystemd  = "systemd"
)

// Options say where a container's cgroup goes.
type Options struct {
	// ID is the container's ID. Required.
	ID string
	// Parent is --cgroup-parent: a cgroup path relative to the root of
	// the hierarchy (cgroupfs), or a slice name (systemd). "" picks the
	// default: "hutch" as root, the caller's delegated subtree rootless.
	Parent string
	// Rootless: the caller is not root in the initial user namespace.
	Rootless bool
	// Manager is ManagerCgroupfs, ManagerSystemd or "" (auto).
	Manager string
	// Root is where the cgroup filesystems are mounted; "" means
	// /sys/fs/cgroup. Tests point it at a fake tree.
	Root string
}

// Ref names a container's cgroup so that later commands (update, stats,
// pause, rm after a crash) can find it from the container's state alone.
// It is stored in state.json.
type Ref struct {
	Layout string `json:"layout"`
	// Paths are absolute directories: one ("" key) for v2, one per
	// controller for v1.
	Paths map[string]string `json:"paths,omitempty"`
	// Unit is the systemd scope, when systemd made it.
	Unit string `json:"unit,omitempty"`
}

// Stats are a cgroup's counters, read on demand.
type Stats struct {
	CPUUsageNanos uint64
	MemoryUsage   uint64
	MemoryLimit   uint64 // 0: unlimited
	PidsCurrent   uint64
	PidsLimit     uint64 // 0: unlimited
	BlockRead     uint64 // bytes
	BlockWrite    uint64 // bytes
	OOMKills      uint64
}

// Cgroup is one container's control group.
type Cgroup struct {
	opts Options
	ref  Ref
}

// New decides the layout and the cgroup's place for o without creating
// anything. It fails only for bad options.
func New(o Options) (*Cgroup, error) {
	return nil, errdefs.Errorf(errdefs.ErrNotImplemented, "cgroups: not implemented yet")
}

// FromRef returns the cgroup a Ref names (root is Options.Root).
func FromRef(ref Ref, root string) *Cgroup { return &Cgroup{ref: ref, opts: Options{Root: root}} }

// Check says whether r can be enforced for o on this host, before anything
// is created: an error names the flag's controller and how to get it
// (errdefs.ErrPermission for an undelegated or v1 rootless controller,
// ErrNotImplemented for one the kernel lacks). A nil or empty r is always
// fine.
func Check(o Options, r *specs.LinuxResources) error {
	return errdefs.Errorf(errdefs.ErrNotImplemented, "cgroups: not implemented yet")
}

// Create makes the cgroup, enables the controllers r needs along its path
// and writes r's limits. With LayoutNone it does nothing.
func (c *Cgroup) Create(r *specs.LinuxResources) error {
	return errdefs.Errorf(errdefs.ErrNotImplemented, "cgroups: not implemented yet")
}

// Join moves pid (and so its future children) into the cgroup.
func (c *Cgroup) Join(pid int) error {
	return errdefs.Errorf(errdefs.ErrNotImplemented, "cgroups: not implemented yet")
}

// Update writes r's limits to a live cgroup (hutch update). Fields left
// nil keep their values.
func (c *Cgroup) Update(r *specs.LinuxResources) error {
	return errdefs.Errorf(errdefs.ErrNotImplemented, "cgroups: not implemented yet")
}

// Freeze stops every process of the cgroup and returns once they are
// frozen; Thaw resumes them.
func (c *Cgroup) Freeze() error {
	return errdefs.Errorf(errdefs.ErrNotImplemented, "cgroups: not implemented yet")
}

// Thaw resumes a frozen cgroup.
func (c *Cgroup) Thaw() error {
	return errdefs.Errorf(errdefs.ErrNotImplemented, "cgroups: not implemented yet")
}

// Stats reads the cgroup's counters.
func (c *Cgroup) Stats() (*Stats, error) {
	return nil, errdefs.Errorf(errdefs.ErrNotImplemented, "cgroups: not implemented yet")
}

// OOMKills is how many processes of the cgroup the OOM killer killed
// (memory.events oom_kill on v2, memory.oom_control oom_kill on v1).
func (c *Cgroup) OOMKills() (uint64, error) {
	return 0, errdefs.Errorf(errdefs.ErrNotImplemented, "cgroups: not implemented yet")
}

// Procs lists the pids in the cgroup (top, and Destroy's last resort).
func (c *Cgroup) Procs() ([]int, error) {
	return nil, errdefs.Errorf(errdefs.ErrNotImplemented, "cgroups: not implemented yet")
}

// Destroy removes the cgroup (and the systemd scope), killing what is left
// in it. A cgroup already gone is no error.
func (c *Cgroup) Destroy() error {
	return errdefs.Errorf(errdefs.ErrNotImplemented, "cgroups: not implemented yet")
}

// Ref is what to store to find the cgroup again.
func (c *Cgroup) Ref() Ref { return c.ref }
