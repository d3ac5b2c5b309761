package overlay

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// defaultMounts are the mounts pkg/spec writes for every container.
func defaultMounts() []specs.Mount {
	return []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=64000k"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
	}
}

func namespaces(kinds ...specs.LinuxNamespaceType) []specs.LinuxNamespace {
	var ns []specs.LinuxNamespace
	for _, k := range kinds {
		ns = append(ns, specs.LinuxNamespace{Type: k})
	}
	return ns
}

func allNamespaces() []specs.LinuxNamespace {
	return namespaces(specs.PIDNamespace, specs.MountNamespace, specs.UTSNamespace, specs.IPCNamespace, specs.NetworkNamespace)
}

func testSpec(mounts []specs.Mount, ns []specs.LinuxNamespace) *specs.Spec {
	return &specs.Spec{
		Root:   &specs.Root{Path: "/rootfs"},
		Mounts: mounts,
		Linux:  &specs.Linux{Namespaces: ns},
	}
}

const (
	nsuidDevExec = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
)

// defaultPlanMounts is the plan of defaultMounts with every namespace owned.
func defaultPlanMounts() []Mount {
	return []Mount{
		{Source: "proc", Target: "/proc", FSType: "proc", Flags: nsuidDevExec},
		{Source: "tmpfs", Target: "/dev", FSType: "tmpfs", Flags: unix.MS_NOSUID | unix.MS_STRICTATIME, Data: "mode=755,size=65536k"},
		{Source: "devpts", Target: "/dev/pts", FSType: "devpts", Flags: unix.MS_NOSUID | unix.MS_NOEXEC, Data: "newinstance,ptmxmode=0666,mode=0620,gid=5"},
		{Source: "shm", Target: "/dev/shm", FSType: "tmpfs", Flags: nsuidDevExec, Data: "mode=1777,size=64000k"},
		{Source: "mqueue", Target: "/dev/mqueue", FSType: "mqueue", Flags: nsuidDevExec},
		{Source: "sysfs", Target: "/sys", FSType: "sysfs", Flags: nsuidDevExec | unix.MS_RDONLY},
	}
}

func TestNewPlanMounts(t *testing.T) {
	hostSys := Mount{
		Source: "/sys", Target: "/sys", Flags: unix.MS_BIND | unix.MS_REC,
		Remount:           unix.MS_BIND | unix.MS_REMOUNT | nsuidDevExec | unix.MS_RDONLY,
		RecursiveReadonly: true, Create: CreateLikeSource,
	}
	hostMqueue := Mount{
		Source: "/dev/mqueue", Target: "/dev/mqueue", Flags: unix.MS_BIND | unix.MS_REC,
		Remount: unix.MS_BIND | unix.MS_REMOUNT | nsuidDevExec, Create: CreateLikeSource,
	}
	withFallback := func(ms []Mount, i int, fb Mount) []Mount { ms[i].Fallback = &fb; return ms }
	tests := []struct {
		name   string
		mounts []specs.Mount
		ns     []specs.LinuxNamespace
		opts   Options
		want   []Mount
	}{
		{name: "root defaults", mounts: defaultMounts(), ns: allNamespaces(), want: defaultPlanMounts()},
		{name: "root host network keeps sysfs", mounts: defaultMounts(),
			ns: namespaces(specs.PIDNamespace, specs.MountNamespace, specs.IPCNamespace), want: defaultPlanMounts()},
		{name: "userns with own netns keeps sysfs", mounts: defaultMounts(), ns: allNamespaces(),
			opts: Options{UserNS: true}, want: defaultPlanMounts()},
		{name: "userns host network falls back to /sys", mounts: defaultMounts(),
			ns:   namespaces(specs.PIDNamespace, specs.MountNamespace, specs.IPCNamespace),
			opts: Options{UserNS: true}, want: withFallback(defaultPlanMounts(), 5, hostSys)},
		{name: "userns joined netns falls back to /sys", mounts: defaultMounts(),
			ns: append(namespaces(specs.PIDNamespace, specs.MountNamespace, specs.IPCNamespace),
				specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: "/proc/1/ns/net"}),
			opts: Options{UserNS: true}, want: withFallback(defaultPlanMounts(), 5, hostSys)},
		{name: "userns host ipc falls back to /dev/mqueue", mounts: defaultMounts(),
			ns:   namespaces(specs.PIDNamespace, specs.MountNamespace, specs.NetworkNamespace),
			opts: Options{UserNS: true}, want: withFallback(defaultPlanMounts(), 4, hostMqueue)},
		{name: "user binds and tmpfs", ns: allNamespaces(), mounts: []specs.Mount{
			{Destination: "/data/", Type: "bind", Source: "/srv/data", Options: []string{"rbind", "ro", "rprivate"}},
			{Destination: "/etc/hosts", Source: "/run/c1/hosts", Options: []string{"bind", "rw"}},
			{Destination: "/cache", Source: "/var/cache", Options: []string{"rbind", "rro", "nosuid"}},
			{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"rw", "nodev", "size=1m", "shared"}},
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "ro"}},
		}, want: []Mount{
			{Source: "/srv/data", Target: "/data", Flags: unix.MS_BIND | unix.MS_REC,
				Remount:     unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY,
				Propagation: []uintptr{unix.MS_PRIVATE | unix.MS_REC}, Create: CreateLikeSource},
			{Source: "/run/c1/hosts", Target: "/etc/hosts", Flags: unix.MS_BIND, Create: CreateLikeSource},
			{Source: "/var/cache", Target: "/cache", Flags: unix.MS_BIND | unix.MS_REC,
				Remount:           unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY | unix.MS_NOSUID,
				RecursiveReadonly: true, Create: CreateLikeSource},
			{Source: "tmpfs", Target: "/tmp", FSType: "tmpfs", Flags: unix.MS_NODEV, Data: "size=1m",
				Propagation: []uintptr{unix.MS_SHARED}},
			{Source: "/sys/fs/cgroup", Target: "/sys/fs/cgroup", Flags: unix.MS_BIND | unix.MS_REC,
				Remount:           unix.MS_BIND | unix.MS_REMOUNT | unix.MS_NOSUID | unix.MS_RDONLY,
				RecursiveReadonly: true, Create: CreateLikeSource},
		}},
		{name: "cgroup2 in the container's own cgroup namespace is mounted",
			ns: append(allNamespaces(), specs.LinuxNamespace{Type: specs.CgroupNamespace}), mounts: []specs.Mount{
				{Destination: "/sys/fs/cgroup", Type: "cgroup2", Source: "cgroup2", Options: []string{"ro", "nosuid", "noexec", "nodev"}},
			}, want: []Mount{
				{Source: "cgroup2", Target: "/sys/fs/cgroup", FSType: "cgroup2",
					Flags: unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV, Create: CreateDir},
			}},
		{name: "cgroup2 in the host's cgroup namespace is the host's, bound", ns: allNamespaces(), mounts: []specs.Mount{
			{Destination: "/sys/fs/cgroup", Type: "cgroup2", Source: "cgroup2", Options: []string{"ro", "nosuid"}},
		}, want: []Mount{
			{Source: "/sys/fs/cgroup", Target: "/sys/fs/cgroup", Flags: unix.MS_BIND | unix.MS_REC,
				Remount:           unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY | unix.MS_NOSUID,
				RecursiveReadonly: true, Create: CreateLikeSource},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPlan(testSpec(tt.mounts, tt.ns), tt.opts)
			if err != nil {
				t.Fatalf("NewPlan: %v", err)
			}
			if diff := cmp.Diff(p.Mounts, tt.want); diff != "" {
				t.Errorf("mounts (-got +want):\n%s", diff)
			}
		})
	}
}

func TestNewPlanDevices(t *testing.T) {
	tests := []struct {
		name         string
		mounts       []specs.Mount
		devs         []specs.LinuxDevice
		wantDevs     []string
		wantSymlinks int
	}{
		{name: "defaults", mounts: defaultMounts(),
			wantDevs:     []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"},
			wantSymlinks: 6},
		{name: "spec devices first, console and ptmx skipped, duplicates once", mounts: defaultMounts(),
			devs: []specs.LinuxDevice{
				{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229},
				{Path: "/dev/console", Type: "c", Major: 5, Minor: 1},
				{Path: "/dev/ptmx", Type: "c", Major: 5, Minor: 2},
				{Path: "/dev/null", Type: "c", Major: 1, Minor: 3},
				{Path: "/dev//fuse", Type: "c", Major: 10, Minor: 229},
			},
			wantDevs:     []string{"/dev/fuse", "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"},
			wantSymlinks: 6},
		{name: "bound /dev gets nothing", mounts: []specs.Mount{
			{Destination: "/dev", Type: "bind", Source: "/dev", Options: []string{"rbind"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSpec(tt.mounts, allNamespaces())
			s.Linux.Devices = tt.devs
			p, err := NewPlan(s, Options{})
			if err != nil {
				t.Fatalf("NewPlan: %v", err)
			}
			var got []string
			for _, d := range p.Devices {
				got = append(got, d.Path)
				if d.Source != d.Path {
					t.Errorf("device %s: source %s", d.Path, d.Source)
				}
			}
			if diff := cmp.Diff(got, tt.wantDevs); diff != "" {
				t.Errorf("devices (-got +want):\n%s", diff)
			}
			if got, want := len(p.Symlinks), tt.wantSymlinks; got != want {
				t.Errorf("got %d symlinks, want %d", got, want)
			}
		})
	}
}

func TestNewPlanPaths(t *testing.T) {
	s := testSpec(defaultMounts(), allNamespaces())
	s.Root.Readonly = true
	s.Linux.MaskedPaths = []string{"/proc/kcore", "/sys/firmware/"}
	s.Linux.ReadonlyPaths = []string{"/proc/sys", "/proc/../proc/bus"}
	s.Linux.RootfsPropagation = "rslave"
	p, err := NewPlan(s, Options{})
	if err != nil {
		t.Fatalf("NewPlan: %v", err)
	}
	got := []any{p.MaskedPaths, p.ReadonlyPaths, p.RootReadonly, p.RootPropagation}
	want := []any{
		[]string{"/proc/kcore", "/sys/firmware"}, []string{"/proc/sys", "/proc/bus"},
		true, uintptr(unix.MS_SLAVE | unix.MS_REC),
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("plan (-got +want):\n%s", diff)
	}
}

func TestNewPlanErrors(t *testing.T) {
	tests := []struct {
		name string
		spec *specs.Spec
	}{
		{name: "no root", spec: &specs.Spec{}},
		{name: "relative destination", spec: testSpec([]specs.Mount{{Destination: "proc", Type: "proc"}}, nil)},
		{name: "root destination", spec: testSpec([]specs.Mount{{Destination: "/..", Type: "tmpfs"}}, nil)},
		{name: "no type", spec: testSpec([]specs.Mount{{Destination: "/x", Source: "x"}}, nil)},
		{name: "relative bind source", spec: testSpec([]specs.Mount{{Destination: "/x", Type: "bind", Source: "data"}}, nil)},
		{name: "unknown bind option", spec: testSpec([]specs.Mount{{Destination: "/x", Type: "bind", Source: "/d", Options: []string{"z"}}}, nil)},
		{name: "bad device type", spec: &specs.Spec{Root: &specs.Root{}, Linux: &specs.Linux{
			Devices: []specs.LinuxDevice{{Path: "/dev/fifo", Type: "p"}}}}},
		{name: "relative device", spec: &specs.Spec{Root: &specs.Root{}, Linux: &specs.Linux{
			Devices: []specs.LinuxDevice{{Path: "dev/null", Type: "c"}}}}},
		{name: "relative masked path", spec: &specs.Spec{Root: &specs.Root{}, Linux: &specs.Linux{MaskedPaths: []string{"proc/kcore"}}}},
		{name: "relative readonly path", spec: &specs.Spec{Root: &specs.Root{}, Linux: &specs.Linux{ReadonlyPaths: []string{"x"}}}},
		{name: "bad propagation", spec: &specs.Spec{Root: &specs.Root{}, Linux: &specs.Linux{RootfsPropagation: "sideways"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewPlan(tt.spec, Options{})
			if got, want := errors.Is(err, errdefs.ErrInvalidArgument), true; got != want {
				t.Errorf("NewPlan error %v: got invalid-argument %v, want %v", err, got, want)
			}
		})
	}
}
