package overlay

import (
	"fmt"
	"path"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Create says what the runtime creates at a mount target that is missing.
type Create int

const (
	// CreateDir makes the target a directory (filesystem mounts).
	CreateDir Create = iota
	// CreateFile makes the target an empty regular file (device nodes).
	CreateFile
	// CreateLikeSource makes a directory when the bind source is one and an
	// empty file otherwise; only the runtime can stat the source.
	CreateLikeSource
)

// Mount is one mount operation, in the order the runtime performs it.
type Mount struct {
	// Source is the host path of a bind mount, or the filesystem's source
	// name ("proc", "tmpfs") otherwise.
	Source string
	// Target is the clean absolute path inside the container.
	Target string
	// FSType is the filesystem type; empty for a bind mount.
	FSType string
	// Flags are the mount(2) flags of the first call.
	Flags uintptr
	// Data is the filesystem-specific option string.
	Data string
	// Remount, when non-zero, is the flag set of a second mount(2) call
	// (it includes MS_REMOUNT|MS_BIND): the kernel ignores ro, nosuid and
	// friends on the call that creates a bind mount.
	Remount uintptr
	// RecursiveReadonly asks for every submount of a recursive bind to be
	// made read-only as well (mount_setattr with AT_RECURSIVE).
	RecursiveReadonly bool
	// Propagation lists propagation changes (MS_PRIVATE|MS_REC, ...) to
	// apply, in order, once the mount exists.
	Propagation []uintptr
	// Create says what to create at a missing target.
	Create Create
	// Fallback, when set, is performed instead if this mount fails with
	// EPERM (a filesystem the user namespace may not mount here).
	Fallback *Mount `json:",omitempty"`
}

// Device is a device node that the runtime makes appear in the container.
type Device struct {
	// Path is the clean absolute path inside the container.
	Path string
	// Source is the host node that is bind-mounted there (mknod is not
	// allowed in a user namespace, so every mode uses the bind).
	Source string
	// Type is "c" or "b"; Major and Minor identify the node, so that the
	// runtime can check the host node it binds is the one the spec meant.
	Type         string
	Major, Minor int64
}

// Symlink is a symlink the runtime creates in the container's /dev.
type Symlink struct {
	// Path is where the link is created, Target what it points to.
	Path, Target string
}

// Plan is everything the runtime does to a rootfs besides pivot_root.
type Plan struct {
	// Rootfs, when set, is mounted on Root.Path before anything else (the
	// container's overlay of image layers and its own upper layer);
	// otherwise Root.Path is bound onto itself.
	Rootfs *Mount
	// Mounts are performed first, in order.
	Mounts []Mount
	// Devices and Symlinks populate /dev; both are empty when the spec
	// bind-mounts /dev from elsewhere.
	Devices  []Device
	Symlinks []Symlink
	// MaskedPaths get /dev/null (files) or an empty read-only tmpfs
	// (directories) mounted over them, after pivot_root.
	MaskedPaths []string
	// ReadonlyPaths are bound onto themselves read-only, after pivot_root.
	ReadonlyPaths []string
	// RootReadonly makes the rootfs mount itself read-only.
	RootReadonly bool
	// RootPropagation, when non-zero, is applied to / after pivot_root.
	RootPropagation uintptr
}

// Options describe the caller's situation, which changes what can be
// mounted.
type Options struct {
	// UserNS is set when the runtime runs in a non-initial user namespace
	// (rootless). There, sysfs can be mounted only in a network namespace
	// the user namespace owns, and mqueue only in an owned IPC namespace;
	// without one, the host's /sys and /dev/mqueue are bound instead.
	UserNS bool
}

// NewPlan computes the mount plan of spec. Errors wrap
// errdefs.ErrInvalidArgument and name the offending mount.
func NewPlan(spec *specs.Spec, opts Options) (*Plan, error) {
	if spec == nil || spec.Root == nil {
		return nil, fmt.Errorf("spec has no root: %w", errdefs.ErrInvalidArgument)
	}
	p := &Plan{RootReadonly: spec.Root.Readonly}
	owned := ownedNamespaces(spec)
	devBound := false
	mounts := spec.Mounts
	if len(mounts) > 0 && mounts[0].Destination == "/" {
		rm, err := planRootfs(mounts[0])
		if err != nil {
			return nil, err
		}
		p.Rootfs, mounts = &rm, mounts[1:]
	}
	for _, sm := range mounts {
		m, err := planMount(sm, opts, owned)
		if err != nil {
			return nil, err
		}
		if m.Target == "/dev" && m.FSType == "" {
			devBound = true
		}
		p.Mounts = append(p.Mounts, m)
	}
	linux := spec.Linux
	if linux == nil {
		linux = &specs.Linux{}
	}
	if !devBound {
		devs, err := planDevices(linux.Devices)
		if err != nil {
			return nil, err
		}
		p.Devices = devs
		p.Symlinks = devSymlinks()
	}
	var err error
	if p.MaskedPaths, err = cleanPaths("masked path", linux.MaskedPaths); err != nil {
		return nil, err
	}
	if p.ReadonlyPaths, err = cleanPaths("readonly path", linux.ReadonlyPaths); err != nil {
		return nil, err
	}
	if p.RootPropagation, err = rootPropagation(linux.RootfsPropagation); err != nil {
		return nil, err
	}
	return p, nil
}

// ownedNamespaces returns the namespace kinds the container creates (not
// joins by path, not shares with the host).
func ownedNamespaces(spec *specs.Spec) map[specs.LinuxNamespaceType]bool {
	owned := map[specs.LinuxNamespaceType]bool{}
	if spec.Linux == nil {
		return owned
	}
	for _, n := range spec.Linux.Namespaces {
		if n.Path == "" {
			owned[n.Type] = true
		}
	}
	return owned
}

// cleanDest validates a container path: absolute, and not / itself.
// Cleaning removes ".." lexically; symlinks are Resolve's business.
func cleanDest(what, p string) (string, error) {
	if !path.IsAbs(p) {
		return "", fmt.Errorf("%s %q: not an absolute path: %w", what, p, errdefs.ErrInvalidArgument)
	}
	c := path.Clean(p)
	if c == "/" {
		return "", fmt.Errorf("%s %q: cannot be the root: %w", what, p, errdefs.ErrInvalidArgument)
	}
	return c, nil
}

func cleanPaths(what string, ps []string) ([]string, error) {
	var out []string
	for _, p := range ps {
		c, err := cleanDest(what, p)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// planRootfs plans the mount of the rootfs itself, the first spec mount
// when its destination is exactly "/": the container's overlay, mounted on
// Root.Path.
func planRootfs(sm specs.Mount) (Mount, error) {
	if sm.Type != "overlay" || slices.Contains(sm.Options, "bind") || slices.Contains(sm.Options, "rbind") {
		return Mount{}, fmt.Errorf("rootfs mount: want an overlay, got %q: %w", sm.Type, errdefs.ErrInvalidArgument)
	}
	return planOne("/", sm)
}

// planMount turns one spec mount into a mount operation.
func planMount(sm specs.Mount, opts Options, owned map[specs.LinuxNamespaceType]bool) (Mount, error) {
	dest, err := cleanDest("mount", sm.Destination)
	if err != nil {
		return Mount{}, err
	}
	// A cgroup2 file system mounted in the container's own cgroup
	// namespace shows the container's cgroup as its root: its limits
	// (memory.max, cpu.max) are where runtimes such as the JVM look. In
	// the host's cgroup namespace (and for v1) the host's tree is bound.
	if sm.Type == "cgroup" || sm.Type == "cgroup2" && !owned[specs.CgroupNamespace] {
		sm = hostBind(sm, "/sys/fs/cgroup")
	}
	m, err := planOne(dest, sm)
	if err != nil {
		return Mount{}, err
	}
	if src := fallbackSource(sm, opts, owned); src != "" {
		fb, err := planOne(dest, hostBind(sm, src))
		if err != nil {
			return Mount{}, err
		}
		m.Fallback = &fb
	}
	return m, nil
}

// planOne turns a spec mount with a clean destination into an operation.
func planOne(dest string, sm specs.Mount) (Mount, error) {
	bind := sm.Type == "bind" || slices.Contains(sm.Options, "bind") || slices.Contains(sm.Options, "rbind")
	po, err := parseOptions(sm.Options, bind)
	if err != nil {
		return Mount{}, fmt.Errorf("mount %s: %w", dest, err)
	}
	m := Mount{Source: sm.Source, Target: dest, Propagation: po.propagation, Create: CreateDir}
	if !bind {
		if sm.Type == "" {
			return Mount{}, fmt.Errorf("mount %s: no filesystem type: %w", dest, errdefs.ErrInvalidArgument)
		}
		m.FSType, m.Flags, m.Data = sm.Type, po.flags, joinData(po.data)
		return m, nil
	}
	if !path.IsAbs(sm.Source) {
		return Mount{}, fmt.Errorf("mount %s: bind source %q is not an absolute path: %w", dest, sm.Source, errdefs.ErrInvalidArgument)
	}
	m.Source = path.Clean(sm.Source)
	m.Create = CreateLikeSource
	m.Flags = unix.MS_BIND | po.flags&unix.MS_REC
	if rest := po.flags &^ (unix.MS_BIND | unix.MS_REC); rest != 0 {
		m.Remount = unix.MS_BIND | unix.MS_REMOUNT | rest
	}
	m.RecursiveReadonly = po.recursiveRO && po.flags&unix.MS_REC != 0
	return m, nil
}

// fallbackSource names the host directory to bind when sm may fail in the
// caller's situation, as runc does for rootless containers: in a user
// namespace, sysfs mounts only in a network namespace the user namespace
// owns, and mqueue only in an owned IPC namespace. A namespace created for
// the container is owned; a joined one may be, so the mount is tried first.
func fallbackSource(sm specs.Mount, opts Options, owned map[specs.LinuxNamespaceType]bool) string {
	switch {
	case !opts.UserNS:
		return ""
	case sm.Type == "sysfs" && !owned[specs.NetworkNamespace]:
		return "/sys"
	case sm.Type == "mqueue" && !owned[specs.IPCNamespace]:
		return "/dev/mqueue"
	}
	return ""
}

// hostBind turns sm into a recursive bind of the host's src with sm's
// flags; "ro" becomes recursive. cgroup hierarchies are not set up by
// hutch (cgroups are out of scope here), so a cgroup mount always shows
// the host's /sys/fs/cgroup this way.
func hostBind(sm specs.Mount, src string) specs.Mount {
	o := []string{"rbind"}
	for _, opt := range sm.Options {
		switch {
		case opt == "ro":
			o = append(o, "rro")
		case isFlagOrPropagation(opt):
			o = append(o, opt)
		}
	}
	return specs.Mount{Destination: sm.Destination, Type: "bind", Source: src, Options: o}
}

func isFlagOrPropagation(o string) bool {
	_, f := optionFlag(o)
	_, p := propagationFlag(o)
	return f || p
}
