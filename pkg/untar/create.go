package untar

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/sys/unix"
)

// create makes the entry base in directory pfd (nothing is there any more,
// or a directory when the entry is one) and applies its metadata.
func (d *Dir) create(pfd int, name, base string, h *tar.Header, r io.Reader) error {
	switch h.Typeflag {
	case tar.TypeDir:
		return d.mkdir(pfd, name, base, h)
	case tar.TypeReg:
		return d.file(pfd, name, base, h, r)
	case tar.TypeSymlink:
		if err := unix.Symlinkat(h.Linkname, pfd, base); err != nil {
			return err
		}
		return d.metaAt(pfd, name, base, h, false)
	case tar.TypeLink:
		return d.link(pfd, name, base, h)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return d.node(pfd, name, base, h)
	}
	return fmt.Errorf("unhandled tar entry type %q", h.Typeflag)
}

// mkdir creates a directory unless one is there (a layer may name a
// directory twice, or its parent was created for an earlier entry), and
// applies the header's owner, mode and attributes; its times wait for
// Finish, since creating entries in it changes them.
func (d *Dir) mkdir(pfd int, name, base string, h *tar.Header) error {
	if err := unix.Mkdirat(pfd, base, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
		return err
	}
	fd, err := unix.Openat(pfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := d.metaFD(fd, name, h); err != nil {
		return err
	}
	d.dirs = append(d.dirs, dirTimes{name: name, atime: accessTime(h), mtime: h.ModTime})
	return nil
}

// file writes a regular file through one descriptor: content, owner, mode
// (after the owner, which clears set-id bits), attributes, times.
func (d *Dir) file(pfd int, name, base string, h *tar.Header, r io.Reader) (err error) {
	fd, err := unix.Openat(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := unix.Close(fd); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if h.Size > 0 {
		if err := d.copy(fd, r, h.Size); err != nil {
			return err
		}
	}
	if err := d.metaFD(fd, name, h); err != nil {
		return err
	}
	return d.times(pfd, base, h)
}

// copy writes size bytes of r to fd.
func (d *Dir) copy(fd int, r io.Reader, size int64) error {
	for size > 0 {
		b := d.buf[:min(int64(len(d.buf)), size)]
		n, err := io.ReadFull(r, b)
		if n > 0 {
			if werr := writeAll(fd, b[:n]); werr != nil {
				return werr
			}
			size -= int64(n)
		}
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// link makes a hard link to an earlier entry of the layer. The target is
// resolved beneath the destination like any name, and linkat does not
// follow a symlink as its last element: a link to a symlink links the
// symlink.
func (d *Dir) link(pfd int, name, base string, h *tar.Header) error {
	target, err := Clean(h.Linkname)
	if err != nil {
		return err
	}
	if target == "." {
		return errors.New("hard link to the layer's root")
	}
	tdir, tbase := split(target)
	tfd := d.root
	if tdir != "" {
		if tfd, err = d.openBeneath(tdir, unix.O_PATH|unix.O_DIRECTORY); err != nil {
			return fmt.Errorf("link target %q: %w", h.Linkname, err)
		}
		defer unix.Close(tfd)
	}
	if err := unix.Linkat(tfd, tbase, pfd, base, 0); err != nil {
		return fmt.Errorf("link to %q: %w", h.Linkname, err)
	}
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	return d.metaAt(pfd, name, base, h, st.Mode&unix.S_IFMT != unix.S_IFLNK)
}

// node makes a device or a fifo. A user namespace cannot make devices;
// they are skipped there, as storage does.
func (d *Dir) node(pfd int, name, base string, h *tar.Header) error {
	mode := uint32(h.Mode & 0o7777)
	switch h.Typeflag {
	case tar.TypeChar:
		mode |= unix.S_IFCHR
	case tar.TypeBlock:
		mode |= unix.S_IFBLK
	default:
		mode |= unix.S_IFIFO
	}
	if mode&unix.S_IFMT != unix.S_IFIFO && d.opts.InUserNS {
		return nil
	}
	dev := unix.Mkdev(uint32(h.Devmajor), uint32(h.Devminor))
	if err := unix.Mknodat(pfd, base, mode, int(dev)); err != nil {
		return err
	}
	return d.metaAt(pfd, name, base, h, true)
}

// whiteout converts the AUFS whiteouts of a layer to overlayfs's. It
// reports whether h was one.
func (d *Dir) whiteout(h *tar.Header, dir, base string) (bool, error) {
	const prefix, opaque = ".wh.", ".wh..wh..opq"
	if base == opaque {
		return true, d.markOpaque(dir)
	}
	orig, ok := strings.CutPrefix(base, prefix)
	if !ok {
		return false, nil
	}
	if orig == "" || orig == "." || orig == ".." {
		return true, fmt.Errorf("untar: invalid whiteout %q", h.Name)
	}
	pfd, err := d.parent(dir)
	if errors.Is(err, unix.ENOTDIR) {
		// "rm -rf /foo" can give both "/.wh.foo" and "/foo/.wh.bar":
		// foo is a whiteout device already, which hides bar too.
		return true, nil
	}
	if err != nil {
		return true, &PathError{Op: "resolve parent", Path: h.Name, Err: err}
	}
	if err := unix.Mknodat(pfd, orig, unix.S_IFCHR, 0); err != nil {
		if errors.Is(err, unix.ENOTDIR) {
			return true, nil
		}
		return true, &PathError{Op: "whiteout", Path: h.Name, Err: err}
	}
	if err := unix.Fchownat(pfd, orig, h.Uid, h.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil && !d.opts.IgnoreChownErrors {
		return true, &PathError{Op: "chown", Path: h.Name, Err: err}
	}
	return true, nil
}

// markOpaque sets the opaque attribute on directory dir.
func (d *Dir) markOpaque(dir string) error {
	pfd, err := d.parent(dir)
	if err != nil {
		return &PathError{Op: "resolve", Path: dir, Err: err}
	}
	// fsetxattr needs a real descriptor, not an O_PATH one.
	fd, err := unix.Openat(pfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	if err := unix.Fsetxattr(fd, d.opts.OpaqueXattr, []byte("y"), 0); err != nil {
		return &PathError{Op: "mark opaque", Path: dir, Err: err}
	}
	return nil
}
