package ns

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/overlay"
)

// rootfsSetup is what init does to its mount namespace before the user's
// process may run, in runc's order.
type rootfsSetup struct {
	rootfs string
	plan   *overlay.Plan
	// cwd is created (like runc) if missing, before the rootfs may turn
	// read-only.
	cwd string
	// console is set for Process.Terminal: /dev/console must exist to
	// bind the pty slave on it after pivot_root.
	console bool
}

// prepare runs everything up to and including pivot_root.
func (s *rootfsSetup) prepare() error {
	// Init's mount namespace is a copy of the monitor's; with shared
	// propagation every mount below would also appear there (and, for a
	// root monitor, on the host). Cut all peer links first.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return step("make / private", err)
	}
	if m := s.plan.Rootfs; m != nil {
		// The container's own overlay, mounted here in its mount
		// namespace: it goes away with the namespace, so no exit path
		// (not even a SIGKILL of every hutch process) can leak it.
		if err := unix.Mount(m.Source, s.rootfs, m.FSType, m.Flags, m.Data); err != nil {
			return stepf(err, "mount the rootfs (%s)", m.FSType)
		}
	} else if err := unix.Mount(s.rootfs, s.rootfs, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		// pivot_root needs the new root to be a mount point; a plain
		// directory rootfs is not.
		return stepf(err, "bind rootfs %s", s.rootfs)
	}
	for _, m := range s.plan.Mounts {
		if err := mountOne(s.rootfs, m); err != nil {
			return err
		}
	}
	if err := makeDevices(s.rootfs, s.plan.Devices); err != nil {
		return err
	}
	if err := makeSymlinks(s.rootfs, s.plan.Symlinks); err != nil {
		return err
	}
	if err := s.createTargets(); err != nil {
		return err
	}
	if s.plan.RootReadonly {
		if err := remount(s.rootfs, unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY); err != nil {
			return step("make rootfs read-only", err)
		}
	}
	return pivotRoot(s.rootfs)
}

// createTargets makes the cwd and /dev/console before the rootfs may
// become read-only.
func (s *rootfsSetup) createTargets() error {
	if s.cwd != "" {
		p, err := overlay.Resolve(s.rootfs, s.cwd)
		if err != nil {
			return stepf(err, "create cwd %s", s.cwd)
		}
		if err := os.MkdirAll(p, 0o755); err != nil {
			return stepf(err, "create cwd %s", s.cwd)
		}
	}
	if s.console {
		p, err := overlay.Resolve(s.rootfs, consoleTarget)
		if err == nil {
			err = createFile(p)
		}
		if err != nil {
			return stepf(err, "create %s", consoleTarget)
		}
	}
	return nil
}

// finish runs the steps after pivot_root: masked and read-only paths and
// the requested root propagation.
func (s *rootfsSetup) finish() error {
	for _, p := range s.plan.MaskedPaths {
		if err := maskPath(p); err != nil {
			return stepf(err, "mask %s", p)
		}
	}
	for _, p := range s.plan.ReadonlyPaths {
		if err := readonlyPath(p); err != nil {
			return stepf(err, "make %s read-only", p)
		}
	}
	if s.plan.RootPropagation != 0 {
		if err := unix.Mount("", "/", "", s.plan.RootPropagation, ""); err != nil {
			return step("set rootfs propagation", err)
		}
	}
	return nil
}

// pivotRoot makes rootfs the root. pivot_root(".", ".") stacks the old root
// on top of the new one, so no put_old directory is needed in a rootfs
// that may be read-only; unmounting "." then drops the old root (and with
// MNT_DETACH all the host mounts under it).
func pivotRoot(rootfs string) error {
	if err := unix.Chdir(rootfs); err != nil {
		return stepf(err, "chdir %s", rootfs)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return step("pivot_root", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return step("unmount old root", err)
	}
	return step("chdir /", unix.Chdir("/"))
}

// maskPath hides p: /dev/null over a file, an empty read-only tmpfs over a
// directory. A missing path needs no mask.
func maskPath(p string) error {
	err := unix.Mount("/dev/null", p, "", unix.MS_BIND, "")
	if errors.Is(err, unix.ENOTDIR) {
		err = unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY, "")
	}
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	return err
}

// readonlyPath binds p onto itself read-only. A missing path is skipped.
func readonlyPath(p string) error {
	err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, "")
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	return remount(p, unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY)
}

// remount changes the flags of the bind mount at p. In a user namespace the
// flags a mount inherited from a more privileged namespace are locked
// (nosuid, nodev, noexec, ro); a remount that drops one fails with EPERM,
// so the flags the mount already has are kept.
func remount(p string, flags uintptr) error {
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return err
	}
	for _, f := range []struct{ st, ms uintptr }{
		{unix.ST_NOSUID, unix.MS_NOSUID},
		{unix.ST_NODEV, unix.MS_NODEV},
		{unix.ST_NOEXEC, unix.MS_NOEXEC},
		{unix.ST_RDONLY, unix.MS_RDONLY},
	} {
		if uintptr(st.Flags)&f.st != 0 {
			flags |= f.ms
		}
	}
	return unix.Mount("", p, "", flags, "")
}

// createFile makes an empty file at p (and its parents) if p is missing.
func createFile(p string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDONLY|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}
