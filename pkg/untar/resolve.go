package untar

import (
	"errors"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// resolveFlags confine a lookup to the destination: no "..", absolute
// path or symlink may take it out (RESOLVE_BENEATH), no symlink is
// followed at all (the validator refuses layers that write through their
// own symlinks, so a legitimate layer never needs one), and no other
// file system is entered.
const resolveFlags = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV

// openBeneath opens name under the destination.
func (d *Dir) openBeneath(name string, flags int) (int, error) {
	return openAt2(d.root, name, flags)
}

func openAt2(dirfd int, name string, flags int) (int, error) {
	// No O_NOFOLLOW: with it, O_PATH would open a trailing symlink
	// itself; without it, RESOLVE_NO_SYMLINKS refuses it (ELOOP).
	how := &unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Resolve: resolveFlags}
	for range 8 {
		fd, err := unix.Openat2(dirfd, name, how)
		// EAGAIN: a rename elsewhere on the file system raced the
		// lookup, which the kernel will not risk; try again.
		if !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR) {
			return fd, err
		}
	}
	return -1, unix.EAGAIN
}

// parent returns an O_PATH descriptor of directory dir ("" for the
// destination), creating it and its missing parents as storage does
// (mode 0777 less the umask, owned by the extracting user). The
// descriptor belongs to the cache: callers must not close it.
func (d *Dir) parent(dir string) (int, error) {
	if dir == "" {
		return d.root, nil
	}
	if dir == d.cacheName && d.cacheFD >= 0 {
		return d.cacheFD, nil
	}
	fd, err := d.openBeneath(dir, unix.O_PATH|unix.O_DIRECTORY)
	if errors.Is(err, unix.ENOENT) {
		fd, err = d.mkdirAll(dir)
	}
	if err != nil {
		return -1, err
	}
	d.dropCache()
	d.cacheName, d.cacheFD = dir, fd
	return fd, nil
}

// mkdirAll creates dir's missing elements one at a time, each opened
// beneath the last, and returns dir's descriptor.
func (d *Dir) mkdirAll(dir string) (int, error) {
	cur := d.root
	for elem := range strings.SplitSeq(dir, "/") {
		if err := unix.Mkdirat(cur, elem, 0o777); err != nil && !errors.Is(err, unix.EEXIST) {
			closeOwned(d, cur)
			return -1, err
		}
		next, err := openAt2(cur, elem, unix.O_PATH|unix.O_DIRECTORY)
		closeOwned(d, cur)
		if err != nil {
			return -1, err
		}
		cur = next
	}
	return cur, nil
}

func closeOwned(d *Dir, fd int) {
	if fd != d.root {
		unix.Close(fd)
	}
}

func (d *Dir) dropCache() {
	if d.cacheFD >= 0 {
		unix.Close(d.cacheFD)
	}
	d.cacheName, d.cacheFD = "", -1
}

// forget drops the cached directory if name is it or one of its parents:
// name is about to be removed.
func (d *Dir) forget(name string) {
	if d.cacheName == name || strings.HasPrefix(d.cacheName, name+"/") {
		d.dropCache()
	}
}

// clear makes room for an entry: whatever is at base is removed, unless
// both it and the entry are directories (their metadata merges).
func (d *Dir) clear(pfd int, name, base string, isDir bool) error {
	var st unix.Stat_t
	err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR && isDir {
		return nil
	}
	d.forget(name)
	return removeAt(pfd, base, st.Mode&unix.S_IFMT == unix.S_IFDIR)
}

// removeAt removes base in directory pfd, a directory with its content.
func removeAt(pfd int, base string, isDir bool) error {
	if !isDir {
		return unix.Unlinkat(pfd, base, 0)
	}
	fd, err := unix.Openat(pfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), base)
	names, err := f.Readdirnames(-1)
	if err == nil {
		for _, n := range names {
			var st unix.Stat_t
			if err = unix.Fstatat(fd, n, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				break
			}
			if err = removeAt(fd, n, st.Mode&unix.S_IFMT == unix.S_IFDIR); err != nil {
				break
			}
		}
	}
	f.Close()
	if err != nil {
		return err
	}
	return unix.Unlinkat(pfd, base, unix.AT_REMOVEDIR)
}
