package cgroupsv2

import (
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Layouts of a Ref.
const (
	LayoutV2   = "v2"   // unified hierarchy
	LayoutV1   = "v1"   // one directory per v1 controller
	LayoutNone = "none" // no cgroup of its own (rootless on v1 without limits)
)

// Managers (hutch.yaml's cgroup-manager; "" picks systemd when it is PID 1).
const (
	ManagerCgroupfs = "cgroupfs"
	ManagerSystemd  = "systemd"
)

// ParentAnnotation is the spec annotation that carries --cgroup-parent
// from the engine to the monitor.
const ParentAnnotation = "io.hutch.cgroup-parent"

// DefaultRoot is where the cgroup filesystems are mounted.
const DefaultRoot = "/sys/fs/cgroup"

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
}

// Cgroup is one container's control group.
type Cgroup struct {
	opts Options
	ref  Ref
	env  env
	// v2 (cgroupfs): controllers are enabled in cgroup.subtree_control
	// of every directory from enableFrom down to the container's parent.
	enableFrom string
	// none says why a LayoutNone cgroup has no directory (Check's error).
	none noneReason
	// mounts are the v1 hierarchies' mount points, by controller (unset
	// for a cgroup from FromRef).
	mounts map[string]string
	// unit and slice are the systemd scope and its slice.
	unit, slice string
	// pending are the limits Create got under systemd: the scope exists
	// only once Join gives it a pid.
	pending *specs.LinuxResources
	// timeout bounds the waits for freezing and for emptying.
	timeout time.Duration
}

// New decides the layout and the cgroup's place for o without creating
// anything. It fails only for bad options.
func New(o Options) (*Cgroup, error) { return newCgroup(o, hostEnv()) }

// FromRef returns the cgroup a Ref names (root is Options.Root).
func FromRef(ref Ref, root string) *Cgroup {
	e := hostEnv()
	o := Options{Root: root, Rootless: e.inUserNS()}
	if ref.Unit != "" {
		o.Manager = ManagerSystemd
	}
	return &Cgroup{ref: ref, opts: o, env: e, timeout: defaultTimeout}
}

// Check says whether r can be enforced for o on this host, before anything
// is created: an error names the flag's controller and how to get it
// (errdefs.ErrPermission for an undelegated or v1 rootless controller,
// ErrNotImplemented for one the kernel lacks). A nil or empty r is always
// fine.
func Check(o Options, r *specs.LinuxResources) error {
	if Empty(r) {
		return nil
	}
	c, err := New(o)
	if err != nil {
		return err
	}
	return c.check(r)
}

// Empty reports whether r asks for no limit at all (device rules do not
// count: hutch controls devices through the container's /dev).
func Empty(r *specs.LinuxResources) bool {
	return r == nil || len(wanted(r)) == 0
}

// Create makes the cgroup, enables the controllers r needs along its path
// and writes r's limits. With LayoutNone it does nothing. Under systemd
// the scope is made by Join, which needs the first pid; Create only checks
// r.
func (c *Cgroup) Create(r *specs.LinuxResources) error {
	if err := c.check(r); err != nil {
		return err
	}
	switch {
	case c.ref.Layout == LayoutNone:
		return nil
	case c.systemd():
		c.pending = r
		return nil
	case c.ref.Layout == LayoutV1:
		return c.createV1(r)
	}
	return c.createV2(r)
}

// Join moves pid (and so its future children) into the cgroup.
func (c *Cgroup) Join(pid int) error {
	switch {
	case c.ref.Layout == LayoutNone:
		return nil
	case c.systemd() && c.ref.Unit == "":
		return c.startScope(pid)
	}
	return c.join(pid)
}

// Update writes r's limits to a live cgroup (hutch update). Fields left
// nil keep their values.
func (c *Cgroup) Update(r *specs.LinuxResources) error {
	if Empty(r) {
		return nil
	}
	if c.ref.Layout == LayoutNone {
		return c.check(r)
	}
	if err := c.exists(); err != nil {
		return err
	}
	return c.apply(r)
}

// Freeze stops every process of the cgroup and returns once they are
// frozen; Thaw resumes them.
func (c *Cgroup) Freeze() error { return c.setFrozen(true) }

// Thaw resumes a frozen cgroup.
func (c *Cgroup) Thaw() error { return c.setFrozen(false) }

// Stats reads the cgroup's counters.
func (c *Cgroup) Stats() (*Stats, error) {
	if err := c.exists(); err != nil {
		return nil, err
	}
	if c.ref.Layout == LayoutV1 {
		return c.statsV1()
	}
	return c.statsV2()
}

// OOMKills is how many processes of the cgroup the OOM killer killed
// (memory.events oom_kill on v2, memory.oom_control oom_kill on v1).
func (c *Cgroup) OOMKills() (uint64, error) {
	switch c.ref.Layout {
	case LayoutNone:
		return 0, nil
	case LayoutV1:
		return readKeyed(c.ref.Paths["memory"], "memory.oom_control", "oom_kill")
	}
	return readKeyed(c.ref.Paths[""], "memory.events", "oom_kill")
}

// Procs lists the pids in the cgroup (top, and Destroy's last resort).
func (c *Cgroup) Procs() ([]int, error) {
	dir := c.procsDir()
	if dir == "" {
		return nil, nil
	}
	return readProcsTree(dir)
}

// Destroy removes the cgroup (and the systemd scope), killing what is left
// in it. A cgroup already gone is no error.
func (c *Cgroup) Destroy() error {
	switch {
	case c.ref.Layout == LayoutNone:
		return nil
	case c.ref.Layout == LayoutV1:
		return c.destroyV1()
	}
	return c.destroyV2()
}

// Ref is what to store to find the cgroup again.
func (c *Cgroup) Ref() Ref { return c.ref }

// exists fails with ErrNotFound when the cgroup's directory is gone.
func (c *Cgroup) exists() error {
	if c.ref.Layout == LayoutNone {
		return errdefs.Errorf(errdefs.ErrNotFound, "the container has no cgroup of its own")
	}
	dir := c.procsDir()
	if dir == "" {
		return errdefs.Errorf(errdefs.ErrNotFound, "the container's cgroup has no directory")
	}
	if err := statDir(dir); err != nil {
		return err
	}
	return nil
}
