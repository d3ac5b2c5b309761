package ns

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/ns/nsenter"
)

// namespaceSetup turns the spec's namespaces into clone flags (new ones) and
// open files for the nsenter constructor (ones joined by path). Joining by
// path is supported for net, uts, ipc and cgroup: a joined mount namespace
// would not have the container's rootfs, and a joined pid namespace would
// need init to fork.
func namespaceSetup(list []specs.LinuxNamespace) (uintptr, []nsenter.Namespace, error) {
	var flags uintptr
	var joins []nsenter.Namespace
	for _, n := range list {
		flag, kind, err := namespaceKind(n.Type)
		if err != nil {
			closeNamespaces(joins)
			return 0, nil, err
		}
		if n.Path == "" {
			flags |= flag
			continue
		}
		switch n.Type {
		case specs.NetworkNamespace, specs.UTSNamespace, specs.IPCNamespace, specs.CgroupNamespace:
		default:
			closeNamespaces(joins)
			return 0, nil, fmt.Errorf("joining a %s namespace by path: %w", n.Type, errdefs.ErrNotImplemented)
		}
		f, err := os.Open(n.Path)
		if err != nil {
			closeNamespaces(joins)
			return 0, nil, fmt.Errorf("%s namespace: %w", n.Type, err)
		}
		joins = append(joins, nsenter.Namespace{Kind: kind, File: f})
	}
	return flags, joins, nil
}

// namespaceKind maps a spec namespace type to its clone flag and its name
// under /proc/PID/ns.
func namespaceKind(t specs.LinuxNamespaceType) (uintptr, string, error) {
	switch t {
	case specs.PIDNamespace:
		return syscall.CLONE_NEWPID, nsenter.PID, nil
	case specs.MountNamespace:
		return syscall.CLONE_NEWNS, nsenter.Mount, nil
	case specs.UTSNamespace:
		return syscall.CLONE_NEWUTS, nsenter.UTS, nil
	case specs.IPCNamespace:
		return syscall.CLONE_NEWIPC, nsenter.IPC, nil
	case specs.NetworkNamespace:
		return syscall.CLONE_NEWNET, nsenter.Net, nil
	case specs.CgroupNamespace:
		return unix.CLONE_NEWCGROUP, nsenter.Cgroup, nil
	case specs.UserNamespace:
		// Rootless hutch already runs in the namespace holder's user
		// namespace; per-container user namespaces are not supported.
		return 0, "", fmt.Errorf("a per-container user namespace: %w", errdefs.ErrNotImplemented)
	}
	return 0, "", fmt.Errorf("%s namespace: %w", t, errdefs.ErrNotImplemented)
}

func closeNamespaces(nss []nsenter.Namespace) {
	for _, n := range nss {
		n.File.Close()
	}
}

// joinOrder is the order in which exec joins init's namespaces; the nsenter
// constructor joins user first whatever the order here.
func joinOrder() []string {
	return []string{nsenter.User, nsenter.Mount, nsenter.UTS, nsenter.IPC, nsenter.Net, nsenter.Cgroup, nsenter.PID}
}

// openContainerNamespaces opens the namespaces of the container whose init
// is pid that differ from the caller's. All are opened through one handle
// on /proc/PID: if init dies and its pid is reused meanwhile, the opens
// fail instead of reaching another process.
func openContainerNamespaces(pid int) ([]nsenter.Namespace, error) {
	dir, err := unix.Open(fmt.Sprintf("/proc/%d", pid), unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("container init %d: %w", pid, notFound(err))
	}
	defer unix.Close(dir)
	var nss []nsenter.Namespace
	for _, kind := range joinOrder() {
		fd, err := unix.Openat(dir, "ns/"+kind, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			closeNamespaces(nss)
			return nil, fmt.Errorf("container init %d: %s namespace: %w", pid, kind, notFound(err))
		}
		f := os.NewFile(uintptr(fd), "ns/"+kind)
		if same, err := sameAsOurs(f, kind); err != nil || same {
			f.Close()
			if err != nil {
				closeNamespaces(nss)
				return nil, err
			}
			continue
		}
		nss = append(nss, nsenter.Namespace{Kind: kind, File: f})
	}
	return nss, nil
}

// sameAsOurs reports whether f is the caller's own namespace of kind.
func sameAsOurs(f *os.File, kind string) (bool, error) {
	theirs, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("%s namespace: %w", kind, err)
	}
	ours, err := os.Stat("/proc/self/ns/" + kind)
	if err != nil {
		return false, fmt.Errorf("own %s namespace: %w", kind, err)
	}
	return os.SameFile(theirs, ours), nil
}

// notFound classifies a vanished process (ENOENT, ESRCH) as not found.
func notFound(err error) error {
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("%w (%w)", errdefs.ErrNotFound, err)
	}
	return err
}
