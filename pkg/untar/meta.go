package untar

import (
	"archive/tar"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

const paxXattr = "SCHILY.xattr."

// metaFD applies owner, mode and extended attributes through fd.
func (d *Dir) metaFD(fd int, name string, h *tar.Header) error {
	if err := unix.Fchown(fd, h.Uid, h.Gid); err != nil && !d.opts.IgnoreChownErrors {
		return &PathError{Op: "chown", Path: name, Err: err}
	}
	if err := unix.Fchmod(fd, uint32(h.Mode&0o7777)); err != nil {
		return &PathError{Op: "chmod", Path: name, Err: err}
	}
	return d.xattrs(name, h, func(k string, v []byte) error { return unix.Fsetxattr(fd, k, v, 0) })
}

// metaAt applies owner, mode (when chmod: never on a symlink, which has
// none), times and extended attributes to base in directory pfd without
// following a symlink there.
func (d *Dir) metaAt(pfd int, name, base string, h *tar.Header, chmod bool) error {
	if err := unix.Fchownat(pfd, base, h.Uid, h.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil && !d.opts.IgnoreChownErrors {
		return &PathError{Op: "chown", Path: name, Err: err}
	}
	if chmod {
		// fchmodat follows a symlink, but base is none: the caller
		// made it a device or fifo, or checked the hard link.
		if err := unix.Fchmodat(pfd, base, uint32(h.Mode&0o7777), 0); err != nil {
			return &PathError{Op: "chmod", Path: name, Err: err}
		}
	}
	if err := d.times(pfd, base, h); err != nil {
		return &PathError{Op: "set times", Path: name, Err: err}
	}
	// No l*xattr call takes a directory descriptor; /proc/self/fd/N is
	// the resolved parent itself, and lsetxattr does not follow base.
	p := fmt.Sprintf("/proc/self/fd/%d/%s", pfd, base)
	return d.xattrs(name, h, func(k string, v []byte) error { return unix.Lsetxattr(p, k, v, 0) })
}

// xattrs sets the header's extended attributes with set. Like storage, it
// skips SELinux labels, and tolerates file systems without attributes and,
// in a user namespace, attributes it may not set.
func (d *Dir) xattrs(name string, h *tar.Header, set func(string, []byte) error) error {
	for k, v := range h.PAXRecords {
		attr, ok := strings.CutPrefix(k, paxXattr)
		if !ok || attr == "security.selinux" {
			continue
		}
		err := set(attr, []byte(v))
		if err == nil || errors.Is(err, unix.ENOTSUP) || (d.opts.InUserNS && errors.Is(err, unix.EPERM)) {
			continue
		}
		return &PathError{Op: "set attribute " + attr, Path: name, Err: err}
	}
	return nil
}

// times sets base's access and modification times, not following a
// symlink.
func (d *Dir) times(pfd int, base string, h *tar.Header) error {
	ts := []unix.Timespec{timespec(accessTime(h)), timespec(h.ModTime)}
	return unix.UtimesNanoAt(pfd, base, ts, unix.AT_SYMLINK_NOFOLLOW)
}

// chtimes sets a directory's times by name, at the end.
func (d *Dir) chtimes(name string, atime, mtime time.Time) error {
	ts := []unix.Timespec{timespec(atime), timespec(mtime)}
	if name == "." {
		// The destination has no parent here; its descriptor's
		// /proc link is it.
		err := unix.UtimesNanoAt(unix.AT_FDCWD, fmt.Sprintf("/proc/self/fd/%d", d.root), ts, 0)
		if err != nil {
			return &PathError{Op: "set times", Path: "/", Err: err}
		}
		return nil
	}
	dir, base := split(name)
	pfd, err := d.parent(dir)
	if err == nil {
		err = unix.UtimesNanoAt(pfd, base, ts, unix.AT_SYMLINK_NOFOLLOW)
	}
	if err != nil && !errors.Is(err, unix.ENOENT) { // a later entry removed it
		return &PathError{Op: "set times", Path: name, Err: err}
	}
	return nil
}

// accessTime is the header's access time, never before its modification
// time (storage's rule).
func accessTime(h *tar.Header) time.Time {
	if h.AccessTime.Before(h.ModTime) {
		return h.ModTime
	}
	return h.AccessTime
}

func timespec(t time.Time) unix.Timespec {
	return unix.Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
}
