package engine

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/cgroupsv2"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/state"
)

// cgroupBackend is what the engine needs of pkg/cgroupsv2: checking limits
// at create, and the cgroup of a container that runs (update, pause,
// stats, top, cleanup after a dead monitor). Tests use a fake.
type cgroupBackend interface {
	// Check says whether r can be enforced for o (cgroupsv2.Check).
	Check(o cgroupsv2.Options, r *specs.LinuxResources) error
	// Unified reports a cgroup v2 host, where --cgroupns defaults to
	// private.
	Unified() bool
	// Open returns the cgroup ref names.
	Open(ref cgroupsv2.Ref) cgroupHandle
}

// cgroupHandle is one container's cgroup (*cgroupsv2.Cgroup).
type cgroupHandle interface {
	Join(pid int) error
	Update(r *specs.LinuxResources) error
	Freeze() error
	Thaw() error
	Stats() (*cgroupsv2.Stats, error)
	Procs() ([]int, error)
	Destroy() error
}

// cgroups returns the engine's cgroup backend: the real one unless a test
// set e.cg.
func (e *Engine) cgroups() cgroupBackend {
	if e.cg != nil {
		return e.cg
	}
	return realCgroups{}
}

type realCgroups struct{}

func (realCgroups) Check(o cgroupsv2.Options, r *specs.LinuxResources) error {
	return cgroupsv2.Check(o, r)
}

// Unified tells v2 from v1 and hybrid hosts by the file system mounted at
// /sys/fs/cgroup (a tmpfs of per-controller mounts on v1), as Podman does.
func (realCgroups) Unified() bool {
	var fs unix.Statfs_t
	return unix.Statfs("/sys/fs/cgroup", &fs) == nil && fs.Type == unix.CGROUP2_SUPER_MAGIC
}

func (realCgroups) Open(ref cgroupsv2.Ref) cgroupHandle { return cgroupsv2.FromRef(ref, "") }

// cgroupOptions are the cgroupsv2 options of container id, with the
// --cgroup-parent its spec records.
func (e *Engine) cgroupOptions(id string, sp *specs.Spec) cgroupsv2.Options {
	o := cgroupsv2.Options{ID: id, Rootless: e.paths.Rootless, Manager: e.cgroupManager()}
	if sp != nil {
		o.Parent = sp.Annotations[cgroupParentAnnotation]
	}
	return o
}

// hasCgroup reports whether the monitor recorded a cgroup of the
// container's own.
func hasCgroup(s state.State) bool {
	return s.Cgroup != nil && s.Cgroup.Layout != "" && s.Cgroup.Layout != cgroupsv2.LayoutNone
}

// containerCgroup returns the cgroup of a container that runs; what names
// the verb for the error when it has none.
func (e *Engine) containerCgroup(c *state.Container, what string) (cgroupHandle, error) {
	if !hasCgroup(c.State) {
		return nil, errdefs.Errorf(errdefs.ErrPermission,
			"%s container %s: it has no cgroup of its own (rootless containers get one only on a cgroup v2 host with a delegated subtree, not on cgroup v1)",
			what, c.Config.Name)
	}
	return e.cgroups().Open(*c.State.Cgroup), nil
}

// destroyCgroup removes what is left of a container's cgroup after its
// monitor died without removing it. Failures are logged: the record must
// still become truthful.
func (e *Engine) destroyCgroup(c *state.Container) error {
	if !hasCgroup(c.State) {
		return nil
	}
	return e.cgroups().Open(*c.State.Cgroup).Destroy()
}

// cgroupManager is hutch.yaml's cgroup-manager ("" when unset or when the
// file cannot be read: create reports a bad file where it matters).
func (e *Engine) cgroupManager() string {
	if f, err := e.hutchConfig(); err == nil {
		return f.CgroupManager
	}
	return ""
}
