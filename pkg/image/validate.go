package image

import (
	"archive/tar"
	"fmt"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/untar"
)

// tarValidator rejects the tar entries of one layer that could write outside
// the root filesystem. containers/storage already extracts in a chroot of the
// layer directory and refuses names and hard links that climb out with "..",
// but it silently follows a symlink created earlier in the same layer (an
// entry "evil/passwd" after "evil -> /etc" lands in the layer's /etc), which
// a layer built from a real filesystem never contains. The validator turns
// all of these into errors before storage sees the entry, so a malicious
// archive is refused as a whole, with a message naming the entry.
//
// Leading "/" in names is stripped, as Docker and storage do: "/etc/x" means
// the rootfs's etc/x.
type tarValidator struct {
	// symlinks holds the cleaned paths that are symlinks in this layer so
	// far (including hard links to such symlinks).
	symlinks map[string]bool
}

func newTarValidator() *tarValidator {
	return &tarValidator{symlinks: map[string]bool{}}
}

// check validates one header and records what it creates.
func (v *tarValidator) check(h *tar.Header) error {
	if h.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	name, err := rootfsPath(h.Name)
	if err != nil {
		return err
	}
	if err := v.throughSymlink(h.Name, name); err != nil {
		return err
	}
	switch h.Typeflag {
	case tar.TypeSymlink:
		v.symlinks[name] = true
		return nil
	case tar.TypeLink:
		target, err := rootfsPath(h.Linkname)
		if err != nil {
			return fmt.Errorf("hard link %q: %w", h.Name, err)
		}
		if err := v.throughSymlink(h.Linkname, target); err != nil {
			return fmt.Errorf("hard link %q: %w", h.Name, err)
		}
		if v.symlinks[target] {
			// A hard link to a symlink is a symlink too.
			v.symlinks[name] = true
			return nil
		}
	}
	delete(v.symlinks, name)
	return nil
}

// throughSymlink fails when a parent directory of clean (the cleaned form of
// raw) is a symlink created earlier in the layer.
func (v *tarValidator) throughSymlink(raw, clean string) error {
	for i := 0; i < len(clean); i++ {
		if clean[i] == '/' && v.symlinks[clean[:i]] {
			return fmt.Errorf("tar entry %q goes through symlink %q created earlier in the layer: %w",
				raw, clean[:i], errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

// rootfsPath returns name relative to the root filesystem, cleaned as
// the extraction cleans it (untar.Clean), or an error when it climbs out
// of it.
func rootfsPath(name string) (string, error) {
	c, err := untar.Clean(name)
	if err != nil {
		return "", fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
	}
	return c, nil
}
