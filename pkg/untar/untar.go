package untar

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ErrUnsupported reports that this kernel cannot confine an extraction
// (openat2 is missing, before Linux 5.6); callers fall back to another
// extractor.
var ErrUnsupported = errors.New("openat2 is not available")

// Options say how entries are written. The zero value writes them as they
// are, AUFS whiteout files included.
type Options struct {
	// OverlayWhiteouts turns AUFS whiteouts into overlayfs's: ".wh.NAME"
	// becomes a 0:0 character device NAME, and ".wh..wh..opq" sets
	// OpaqueXattr on its directory.
	OverlayWhiteouts bool
	// OpaqueXattr is the attribute that marks an opaque directory
	// ("trusted.overlay.opaque", or "user.overlay.opaque" for rootless
	// overlay); required with OverlayWhiteouts.
	OpaqueXattr string
	// InUserNS skips device nodes (a user namespace cannot create them)
	// and ignores EPERM from extended attributes, as storage does.
	InUserNS bool
	// IgnoreChownErrors keeps going when an owner cannot be set.
	IgnoreChownErrors bool
}

// Dir extracts entries into one directory. It is not safe for concurrent
// use.
type Dir struct {
	root int // O_PATH descriptor of the destination
	opts Options
	buf  []byte
	// cached parent directory: entries of a layer come grouped by
	// directory, so most of them resolve nothing.
	cacheName string
	cacheFD   int
	dirs      []dirTimes // set once all entries are written
}

type dirTimes struct {
	name         string
	atime, mtime time.Time
}

// Open prepares the extraction into dest, an existing directory.
func Open(dest string, o Options) (*Dir, error) {
	if o.OverlayWhiteouts && o.OpaqueXattr == "" {
		return nil, errors.New("untar: overlay whiteouts need the opaque attribute's name")
	}
	fd, err := unix.Open(dest, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &PathError{Op: "open", Path: dest, Err: err}
	}
	d := &Dir{root: fd, opts: o, cacheFD: -1, buf: make([]byte, 1<<20)}
	// Probe openat2 once: a kernel without it cannot confine us.
	probe, err := d.openBeneath(".", unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.ENOSYS) {
			return nil, ErrUnsupported
		}
		return nil, &PathError{Op: "openat2", Path: dest, Err: err}
	}
	unix.Close(probe)
	return d, nil
}

// Close releases the descriptors. It does not set directory times: call
// Finish for that.
func (d *Dir) Close() error {
	d.dropCache()
	if d.root >= 0 {
		unix.Close(d.root)
		d.root = -1
	}
	return nil
}

// Finish sets the directories' times, deepest last written first, now that
// nothing more is created in them.
func (d *Dir) Finish() error {
	for i := len(d.dirs) - 1; i >= 0; i-- {
		t := d.dirs[i]
		if err := d.chtimes(t.name, t.atime, t.mtime); err != nil {
			return err
		}
	}
	d.dirs = nil
	return nil
}

// PathError is an extraction failure on one entry.
type PathError struct {
	Op   string
	Path string
	Err  error
}

func (e *PathError) Error() string { return "untar " + e.Path + ": " + e.Op + ": " + e.Err.Error() }
func (e *PathError) Unwrap() error { return e.Err }

// Entry writes one entry. r supplies a regular file's content (at least
// h.Size bytes); it is not read for other types.
func (d *Dir) Entry(h *tar.Header, r io.Reader) error {
	if h.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	name, err := Clean(h.Name)
	if err != nil {
		return err
	}
	if name == "." {
		return d.root0(h)
	}
	dir, base := split(name)
	if d.opts.OverlayWhiteouts {
		if done, err := d.whiteout(h, dir, base); done || err != nil {
			return err
		}
	}
	pfd, err := d.parent(dir)
	if err != nil {
		return &PathError{Op: "resolve parent", Path: name, Err: err}
	}
	if err := d.clear(pfd, name, base, h.Typeflag == tar.TypeDir); err != nil {
		return &PathError{Op: "replace", Path: name, Err: err}
	}
	if err := d.create(pfd, name, base, h, r); err != nil {
		return &PathError{Op: "create", Path: name, Err: err}
	}
	return nil
}

// Clean returns a tar entry's name relative to the destination: leading
// slashes stripped and cleaned, as Docker and storage read names. A name
// that climbs out with ".." is an error.
func Clean(name string) (string, error) {
	if name == "" {
		return "", errors.New("tar entry with an empty name")
	}
	c := path.Clean(strings.TrimLeft(name, "/"))
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("tar entry %q escapes the root filesystem", name)
	}
	return c, nil
}

// split returns name's parent ("" for the top) and last element.
func split(name string) (dir, base string) {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return "", name
	}
	return name[:i], name[i+1:]
}

// root0 applies a header naming the destination itself: only a directory
// may, and it only changes the destination's metadata.
func (d *Dir) root0(h *tar.Header) error {
	if h.Typeflag != tar.TypeDir {
		return fmt.Errorf("untar: refusing a %s as the layer's root", typeName(h.Typeflag))
	}
	fd, err := d.openBeneath(".", unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return &PathError{Op: "open", Path: "/", Err: err}
	}
	defer unix.Close(fd)
	if err := d.metaFD(fd, "/", h); err != nil {
		return err
	}
	d.dirs = append(d.dirs, dirTimes{name: ".", atime: accessTime(h), mtime: h.ModTime})
	return nil
}

func typeName(t byte) string {
	switch t {
	case tar.TypeReg:
		return "regular file"
	case tar.TypeLink:
		return "hard link"
	case tar.TypeSymlink:
		return "symlink"
	case tar.TypeChar, tar.TypeBlock:
		return "device"
	case tar.TypeFifo:
		return "fifo"
	}
	return fmt.Sprintf("entry of type %q", t)
}

// Sync makes everything written so far durable with one syncfs of the
// destination's file system: one journal commit and one device flush for
// a whole layer, where an fsync per file would cost one each. (Starting
// each file's writeback as it was written, with sync_file_range, was
// measured: it only moved the writeback work into the extracting thread.)
func (d *Dir) Sync() error {
	// syncfs refuses O_PATH descriptors.
	fd, err := unix.Openat(d.root, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &PathError{Op: "open", Path: "/", Err: err}
	}
	defer unix.Close(fd)
	if err := unix.Syncfs(fd); err != nil {
		return &PathError{Op: "syncfs", Path: "/", Err: err}
	}
	return nil
}
