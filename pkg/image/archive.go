package image

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// maxJSON bounds the JSON documents read from an archive (manifests,
// configs, indexes) so a hostile archive cannot make hutch read gigabytes
// into memory.
const maxJSON = 8 << 20

// archiveFile is a tar archive indexed once, so that its members can be read
// in any order straight from the file (io.SectionReader), without extracting
// anything to disk.
type archiveFile struct {
	path    string
	f       *os.File
	entries map[string]archiveEntry
}

type archiveEntry struct {
	offset, size int64
	link         string // symlink or hard link target, archive-relative
}

// openArchive scans the headers of the tar at path. tar.Reader skips
// member contents with Seek, so this reads only the headers.
func openArchive(p string) (*archiveFile, error) {
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("archive %s: %w", p, errdefs.ErrNotFound)
		}
		return nil, fmt.Errorf("archive %s: %w", p, err)
	}
	a := &archiveFile{path: p, f: f, entries: map[string]archiveEntry{}}
	if err := a.index(); err != nil {
		f.Close()
		return nil, err
	}
	return a, nil
}

func (a *archiveFile) index() error {
	st, err := a.f.Stat()
	if err != nil {
		return fmt.Errorf("archive %s: %w", a.path, err)
	}
	if st.IsDir() {
		return fmt.Errorf("archive %s is a directory: %w", a.path, errdefs.ErrInvalidArgument)
	}
	tr := tar.NewReader(a.f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("archive %s: not a valid tar archive (%v): %w", a.path, err, errdefs.ErrInvalidArgument)
		}
		// tar.Reader reads the file directly, without buffering, so the
		// file offset is where this member's data starts.
		off, err := a.f.Seek(0, io.SeekCurrent)
		if err != nil {
			return fmt.Errorf("archive %s: %w", a.path, err)
		}
		if off+h.Size > st.Size() {
			return fmt.Errorf("archive %s is truncated (member %q ends at byte %d of %d): %w",
				a.path, h.Name, off+h.Size, st.Size(), errdefs.ErrInvalidArgument)
		}
		name := cleanMember(h.Name)
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			a.entries[name] = archiveEntry{offset: off, size: h.Size}
		case tar.TypeSymlink:
			a.entries[name] = archiveEntry{link: cleanMember(path.Join(path.Dir(name), h.Linkname))}
		case tar.TypeLink:
			a.entries[name] = archiveEntry{link: cleanMember(h.Linkname)}
		}
	}
	if len(a.entries) == 0 {
		return fmt.Errorf("archive %s: empty or not a tar archive: %w", a.path, errdefs.ErrInvalidArgument)
	}
	return nil
}

func cleanMember(n string) string {
	return path.Clean(strings.TrimLeft(n, "/"))
}

func (a *archiveFile) Close() error { return a.f.Close() }

func (a *archiveFile) has(name string) bool {
	_, ok := a.entries[cleanMember(name)]
	return ok
}

// open returns a reader of a member's content, following links.
func (a *archiveFile) open(name string) (*io.SectionReader, error) {
	n := cleanMember(name)
	for range 16 {
		e, ok := a.entries[n]
		if !ok {
			return nil, fmt.Errorf("archive %s: missing %q: %w", a.path, name, errdefs.ErrInvalidArgument)
		}
		if e.link == "" {
			return io.NewSectionReader(a.f, e.offset, e.size), nil
		}
		n = e.link
	}
	return nil, fmt.Errorf("archive %s: %q: too many links: %w", a.path, name, errdefs.ErrInvalidArgument)
}

// readBlob returns a member's content, at most maxJSON bytes.
func (a *archiveFile) readBlob(name string) ([]byte, error) {
	r, err := a.open(name)
	if err != nil {
		return nil, err
	}
	if r.Size() > maxJSON {
		return nil, fmt.Errorf("archive %s: %q is too large (%d bytes): %w", a.path, name, r.Size(), errdefs.ErrInvalidArgument)
	}
	b := make([]byte, r.Size())
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("archive %s: read %q: %w", a.path, name, err)
	}
	return b, nil
}

// readJSON reads and decodes a JSON member into v and returns its bytes.
func (a *archiveFile) readJSON(name string, v any) ([]byte, error) {
	b, err := a.readBlob(name)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("archive %s: %s is not valid JSON (%v): %w", a.path, name, err, errdefs.ErrInvalidArgument)
	}
	return b, nil
}
