package image

import (
	"context"
	"fmt"
	"slices"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Tag gives image ref the additional name newName, qualified as Podman
// does ("foo" is localhost/foo:latest). A name another image had moves to
// this one. It returns the full name.
func (s *Store) Tag(ctx context.Context, ref, newName string) (string, error) {
	img, _, err := s.lookup(ref)
	if err != nil {
		return "", err
	}
	r, err := parseReference(newName)
	if err != nil {
		return "", err
	}
	if r.Digest != "" {
		return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "tag %q: a tag cannot contain a digest", newName)
	}
	full, err := normalizeName(newName, localDomain)
	if err != nil {
		return "", err
	}
	if err := s.st.AddNames(img.ID, []string{full}); err != nil {
		return "", fmt.Errorf("tag image %.12s as %s: %w", img.ID, full, classify(err))
	}
	return full, nil
}

// Untag removes name from image ref, or every name when name is empty.
// name is matched as references are (a short name finds the image's own
// localhost/ or docker.io name). The image stays, dangling when it has no
// name left. It returns the names removed.
func (s *Store) Untag(ctx context.Context, ref, name string) ([]string, error) {
	img, _, err := s.lookup(ref)
	if err != nil {
		return nil, err
	}
	names := slices.Clone(img.Names)
	if name != "" {
		m, err := resolve([]candidate{{ID: img.ID, Names: img.Names}}, name)
		if err != nil || m.name == "" {
			return nil, errdefs.Errorf(errdefs.ErrNotFound, "image %.12s has no name %q", img.ID, name)
		}
		names = []string{m.name}
	}
	if len(names) == 0 {
		return nil, nil
	}
	if err := s.st.RemoveNames(img.ID, names); err != nil {
		return nil, fmt.Errorf("untag image %.12s: %w", img.ID, classify(err))
	}
	return names, nil
}
