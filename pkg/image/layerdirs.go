package image

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// LayerDirs returns the directories holding the layers of image ref, top
// layer first, as overlay's lowerdir wants them. Each is the overlay
// driver's short link (<graphroot>/overlay/l/<26 chars>, the name storage
// itself mounts with) when it exists, else the layer's diff directory, so
// that images with many layers still fit in one page of mount options.
//
// The directories belong to storage: they must not be written, and only
// images no container uses may be removed (the engine checks).
func (s *Store) LayerDirs(ctx context.Context, ref string) ([]string, error) {
	img, err := s.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	home := filepath.Join(s.opts.GraphRoot, "overlay")
	var dirs []string
	for id := img.TopLayer; id != ""; {
		l, err := s.st.Layer(id)
		if err != nil {
			return nil, fmt.Errorf("layer %s of image %.12s: %w", id, img.ID, classify(err))
		}
		dir, err := layerDir(home, l.ID)
		if err != nil {
			return nil, err
		}
		dirs = append(dirs, dir)
		id = l.Parent
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("image %.12s has no layers: %w", img.ID, errdefs.ErrInvalidArgument)
	}
	return dirs, nil
}

// layerDir is the lowerdir path of layer id under the overlay driver's home.
func layerDir(home, id string) (string, error) {
	diff := filepath.Join(home, id, "diff")
	want, err := os.Stat(diff)
	if err != nil {
		return "", fmt.Errorf("layer %s: %w", id, err)
	}
	link, err := os.ReadFile(filepath.Join(home, id, "link"))
	if err != nil {
		return diff, nil
	}
	short := filepath.Join(home, "l", strings.TrimSpace(string(link)))
	if got, err := os.Stat(short); err != nil || !os.SameFile(got, want) {
		return diff, nil
	}
	return short, nil
}
