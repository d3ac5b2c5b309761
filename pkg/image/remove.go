package image

import (
	"context"
	"fmt"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Remove untags or deletes the image ref names and returns the lines to
// print, as Podman does: a name of an image that has other names is only
// untagged ("Untagged: NAME"); otherwise (or for an ID) every name is
// untagged and the image deleted ("Deleted: ID"), with the layers no other
// image uses. Deleting an image a storage container uses is ErrConflict.
func (s *Store) Remove(ctx context.Context, ref string) ([]string, error) {
	img, name, err := s.lookup(ref)
	if err != nil {
		return nil, err
	}
	if name != "" && len(img.Names) > 1 {
		if err := s.st.RemoveNames(img.ID, []string{name}); err != nil {
			return nil, fmt.Errorf("untag %s: %w", name, classify(err))
		}
		return []string{"Untagged: " + name}, nil
	}
	ctrs, err := s.st.Containers()
	if err != nil {
		return nil, fmt.Errorf("list storage containers: %w", classify(err))
	}
	for _, c := range ctrs {
		if c.ImageID == img.ID {
			return nil, fmt.Errorf("image %s is in use by container %s: %w", img.ID[:12], c.ID[:min(12, len(c.ID))], errdefs.ErrConflict)
		}
	}
	var lines []string
	for _, n := range img.Names {
		lines = append(lines, "Untagged: "+n)
	}
	if _, err := s.st.DeleteImage(img.ID, true); err != nil {
		return nil, fmt.Errorf("delete image %s: %w", img.ID, classify(err))
	}
	return append(lines, "Deleted: "+img.ID), nil
}
