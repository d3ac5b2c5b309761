package ns

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/overlay"
)

// mountOne performs one planned mount inside rootfs.
func mountOne(rootfs string, m overlay.Mount) error {
	// Resolve the target now, after the mounts before it: a symlink in
	// the image (or in an earlier mount) must resolve inside rootfs.
	dst, err := overlay.Resolve(rootfs, m.Target)
	if err != nil {
		return stepf(err, "mount %s", m.Target)
	}
	if err := createTarget(dst, m); err != nil {
		return stepf(err, "mount %s", m.Target)
	}
	if err := unix.Mount(m.Source, dst, m.FSType, m.Flags, m.Data); err != nil {
		if errors.Is(err, unix.EPERM) && m.Fallback != nil {
			return mountOne(rootfs, *m.Fallback)
		}
		return stepf(err, "mount %s", m.Target)
	}
	if m.Remount != 0 {
		if err := remount(dst, m.Remount); err != nil {
			return stepf(err, "remount %s", m.Target)
		}
	}
	if m.RecursiveReadonly {
		// Remount changes only the top mount; mount_setattr reaches
		// every submount of the recursive bind too.
		attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
		if err := unix.MountSetattr(unix.AT_FDCWD, dst, unix.AT_RECURSIVE, attr); err != nil {
			return stepf(err, "make %s recursively read-only", m.Target)
		}
	}
	for _, p := range m.Propagation {
		if err := unix.Mount("", dst, "", p, ""); err != nil {
			return stepf(err, "set propagation of %s", m.Target)
		}
	}
	return nil
}

// createTarget makes the mount point if it is missing.
func createTarget(dst string, m overlay.Mount) error {
	kind := m.Create
	if kind == overlay.CreateLikeSource {
		st, err := os.Stat(m.Source)
		if err != nil {
			return fmt.Errorf("bind source: %w", err)
		}
		kind = overlay.CreateFile
		if st.IsDir() {
			kind = overlay.CreateDir
		}
	}
	if kind == overlay.CreateDir {
		return os.MkdirAll(dst, 0o755)
	}
	return createFile(dst)
}

// makeDevices binds the host's device nodes into the container's /dev.
// mknod is not allowed in a user namespace, and a bind works for root too,
// so there is one code path. The host node is checked against the spec's
// type and numbers first.
func makeDevices(rootfs string, devs []overlay.Device) error {
	for _, d := range devs {
		if err := checkDevice(d); err != nil {
			return stepf(err, "device %s", d.Path)
		}
		dst, err := overlay.Resolve(rootfs, d.Path)
		if err == nil {
			err = createFile(dst)
		}
		if err == nil {
			err = unix.Mount(d.Source, dst, "", unix.MS_BIND, "")
		}
		if err != nil {
			return stepf(err, "device %s", d.Path)
		}
	}
	return nil
}

func checkDevice(d overlay.Device) error {
	var st unix.Stat_t
	if err := unix.Stat(d.Source, &st); err != nil {
		return fmt.Errorf("host node %s: %w", d.Source, err)
	}
	want := uint32(unix.S_IFCHR)
	if d.Type == "b" {
		want = unix.S_IFBLK
	}
	if st.Mode&unix.S_IFMT != want || unix.Major(st.Rdev) != uint32(d.Major) || unix.Minor(st.Rdev) != uint32(d.Minor) {
		return fmt.Errorf("host node %s is not %s %d:%d: %w", d.Source, d.Type, d.Major, d.Minor, unix.ENODEV)
	}
	return nil
}

// makeSymlinks creates the /dev links, replacing whatever is in the way
// (an image may ship a /dev/ptmx node).
func makeSymlinks(rootfs string, links []overlay.Symlink) error {
	for _, l := range links {
		// Resolve the parent only: the link itself must not be followed.
		dir, err := overlay.Resolve(rootfs, path.Dir(l.Path))
		if err != nil {
			return stepf(err, "symlink %s", l.Path)
		}
		dst := filepath.Join(dir, path.Base(l.Path))
		err = os.Symlink(l.Target, dst)
		if errors.Is(err, os.ErrExist) {
			if cur, rerr := os.Readlink(dst); rerr == nil && cur == l.Target {
				continue
			}
			if err = os.Remove(dst); err == nil {
				err = os.Symlink(l.Target, dst)
			}
		}
		if err != nil {
			return stepf(err, "symlink %s", l.Path)
		}
	}
	return nil
}
