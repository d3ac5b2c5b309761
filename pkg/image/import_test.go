package image

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestImport(t *testing.T) {
	testutil.Requires(t, testutil.Busybox())
	dir := t.TempDir()
	plain := filepath.Join(dir, "rootfs.tar")
	testutil.WriteRootfsTar(t, plain)
	b, _ := os.ReadFile(plain)
	gz := filepath.Join(dir, "rootfs.tar.gz")
	if err := os.WriteFile(gz, testutil.Gzip(b), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, ref string
		want            []string
	}{
		{"plain no ref", plain, "", nil},
		{"plain short ref", plain, "foo", []string{"localhost/foo:latest"}},
		{"gzip tagged ref", gz, "foo:v1", []string{"localhost/foo:v1"}},
		{"path ref", plain, "a/b", []string{"localhost/a/b:latest"}},
		{"qualified ref", plain, "quay.io/x/y:2", []string{"quay.io/x/y:2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			id, err := s.Import(context.Background(), tt.path, tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			img, err := s.Get(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(img.Names, tt.want); diff != "" {
				t.Errorf("names (-got +want):\n%s", diff)
			}
			if got, want := img.Config.RootFS.DiffIDs[0].String(), testutil.Digest(b); got != want {
				t.Errorf("diff ID %s, want %s", got, want)
			}
			if img.Config.History[0].Comment != "imported from tarball" || img.Config.OS != "linux" {
				t.Errorf("config = %+v", img.Config)
			}
			// A second import reuses the layer.
			if _, err := s.Import(context.Background(), tt.path, "again"); err != nil {
				t.Fatal(err)
			}
			if layers, _ := s.st.Layers(); len(layers) != 1 {
				t.Errorf("layers = %d, want 1", len(layers))
			}
		})
	}
}

func TestImportThenLoadSharesLayer(t *testing.T) {
	s := newStore(t)
	p := filepath.Join(t.TempDir(), "rootfs.tar")
	testutil.WriteRootfsTar(t, p)
	if _, err := s.Import(context.Background(), p, "imported"); err != nil {
		t.Fatal(err)
	}
	mustLoad(t, s, busyboxArchive(t, "docker", "busybox"))
	if layers, _ := s.st.Layers(); len(layers) != 1 {
		t.Errorf("layers = %d, want 1 (shared)", len(layers))
	}
}

func TestImportRejects(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, l := range testutil.EscapingLayers(outside)[:4] {
		t.Run(l.Name, func(t *testing.T) {
			s := newStore(t)
			p := filepath.Join(t.TempDir(), "evil.tar")
			if err := os.WriteFile(p, l.Tar, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Import(context.Background(), p, "evil"); !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("import: %v, want ErrInvalidArgument", err)
			}
			assertEmpty(t, s)
			assertNothingOutside(t, outside)
		})
	}
	s := newStore(t)
	if _, err := s.Import(context.Background(), filepath.Join(t.TempDir(), "nope.tar"), ""); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("import of a missing file: %v, want ErrNotFound", err)
	}
	if _, err := s.Import(context.Background(), "/dev/null", "Bad Name"); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("import with a bad name: %v, want ErrInvalidArgument", err)
	}
}
