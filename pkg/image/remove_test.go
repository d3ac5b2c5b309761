package image

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestRemove(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustLoad(t, s, busyboxArchive(t, "docker", "busybox"))
	mustLoad(t, s, busyboxArchive(t, "oci", "localhost/other:1"))
	img, err := s.Get(ctx, "busybox")
	if err != nil {
		t.Fatal(err)
	}
	// The image has two names: removing one only untags.
	got, err := s.Remove(ctx, "other:1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, []string{"Untagged: localhost/other:1"}); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
	got, err = s.Remove(ctx, img.ID[:6])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, []string{"Untagged: docker.io/library/busybox:latest", "Deleted: " + img.ID}); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
	if _, err := s.Remove(ctx, "busybox"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("second remove: %v, want ErrNotFound", err)
	}
	assertEmpty(t, s)
}

// TestLayerDirs lists an image's layer directories top first, as the
// short links storage itself mounts with.
func TestLayerDirs(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustLoad(t, s, busyboxArchive(t, "docker", "busybox"))
	img, err := s.Get(ctx, "busybox")
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := s.LayerDirs(ctx, img.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != len(img.Config.RootFS.DiffIDs) {
		t.Fatalf("got %d layer dirs %v, want %d", len(dirs), dirs, len(img.Config.RootFS.DiffIDs))
	}
	top, err := os.Stat(filepath.Join(s.opts.GraphRoot, "overlay", img.TopLayer, "diff"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.Stat(dirs[0]); err != nil || !os.SameFile(got, top) {
		t.Errorf("first dir %s is not the top layer's diff (%v)", dirs[0], err)
	}
	if !strings.Contains(dirs[0], "/overlay/l/") {
		t.Errorf("first dir %s is not a short link", dirs[0])
	}
	if _, err := s.LayerDirs(ctx, "nope"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("unknown image: got %v, want ErrNotFound", err)
	}
}
