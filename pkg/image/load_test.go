package image

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/hutchctr/hutch/internal/testutil"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		format, ref string
		want        []string
	}{
		{"docker", "busybox:latest", []string{"docker.io/library/busybox:latest"}},
		{"docker", "quay.io/x/bb:1.0", []string{"quay.io/x/bb:1.0"}},
		{"docker", "", nil}, // unnamed: "sha256:<id>"
		{"oci", "localhost/foo:latest", []string{"localhost/foo:latest"}},
		{"oci", "busybox", []string{"docker.io/library/busybox:latest"}},
		{"oci", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.format+"/"+tt.ref, func(t *testing.T) {
			s := newStore(t)
			img, err := testutil.BusyboxImage(testutil.WithLabels(map[string]string{"k": "v"}), testutil.WithUser("tester"))
			if err != nil {
				t.Fatal(err)
			}
			cfgName, _ := img.ConfigName()
			p := busyboxArchive(t, tt.format, tt.ref, testutil.WithLabels(map[string]string{"k": "v"}), testutil.WithUser("tester"))
			got := mustLoad(t, s, p)
			want := tt.want
			if want == nil {
				want = []string{"sha256:" + cfgName.Hex}
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("names (-got +want):\n%s", diff)
			}
			gi, err := s.Get(context.Background(), cfgName.Hex)
			if err != nil {
				t.Fatal(err)
			}
			if gi.ID != cfgName.Hex || gi.Config.Config.User != "tester" || gi.Config.Config.Labels["k"] != "v" ||
				gi.Size < 1<<20 || gi.Digest == "" || gi.Dangling != (tt.ref == "") {
				t.Errorf("image = %+v", gi)
			}
			if diff := cmp.Diff(gi.Config.Config.Cmd, []string{"sh"}); diff != "" {
				t.Errorf("cmd (-got +want):\n%s", diff)
			}
			// Loading again stores nothing new.
			before, _ := s.st.Layers()
			mustLoad(t, s, p)
			after, _ := s.st.Layers()
			if len(before) != 1 || len(after) != 1 {
				t.Errorf("layers before/after reload = %d/%d, want 1/1", len(before), len(after))
			}
		})
	}
}

// TestSaveRoundTrip saves in both formats, checks the archives with
// go-containerregistry's validator (an independent reader that re-hashes
// every blob), and loads them into a fresh store: same ID, same names.
func TestSaveRoundTrip(t *testing.T) {
	for _, format := range []string{FormatDockerArchive, FormatOCIArchive} {
		t.Run(format, func(t *testing.T) {
			s := newStore(t)
			extra := testutil.MustTar(testutil.Entry{Name: "etc/motd", Body: []byte("hi\n")}, testutil.Entry{Name: "bin/.wh.true"})
			mustLoad(t, s, busyboxArchive(t, "docker", "busybox", testutil.WithLayer(extra)))
			orig, err := s.Get(context.Background(), "busybox")
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "out.tar")
			f, err := os.Create(out)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Save(context.Background(), f, format, []string{"busybox"}); err != nil {
				t.Fatal(err)
			}
			f.Close()
			validateArchive(t, format, out)

			s2 := newStore(t)
			names := mustLoad(t, s2, out)
			if diff := cmp.Diff(names, []string{"docker.io/library/busybox:latest"}); diff != "" {
				t.Errorf("names (-got +want):\n%s", diff)
			}
			got, err := s2.Get(context.Background(), "busybox")
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != orig.ID || got.TopLayer != orig.TopLayer {
				t.Errorf("after round trip: ID %s top %s, want %s %s", got.ID, got.TopLayer, orig.ID, orig.TopLayer)
			}
		})
	}
}

func validateArchive(t *testing.T, format, path string) {
	t.Helper()
	if format == FormatDockerArchive {
		img, err := tarball.ImageFromPath(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Image(img); err != nil {
			t.Fatalf("ggcr validate: %v", err)
		}
		return
	}
	dir := t.TempDir()
	a, err := openArchive(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for name := range a.entries {
		b, err := a.readBlobAny(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	// ggcr's layout reader assumes compressed layer blobs, so only the
	// structure and the manifest and config digests are checked here; the
	// reload below re-hashes every layer.
	if err := validate.Index(idx, validate.Fast); err != nil {
		t.Fatalf("ggcr validate: %v", err)
	}
}

// readBlobAny reads a member of any size (tests only).
func (a *archiveFile) readBlobAny(name string) ([]byte, error) {
	r, err := a.open(name)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	_, err = buf.ReadFrom(r)
	return buf.Bytes(), err
}

// TestSaveMultiImage saves two images sharing their base layer into one
// docker-archive: the shared layer is written once, and both load back.
func TestSaveMultiImage(t *testing.T) {
	s := newStore(t)
	mustLoad(t, s, busyboxArchive(t, "docker", "one"))
	extra := testutil.MustTar(testutil.Entry{Name: "two", Body: []byte("2\n")})
	mustLoad(t, s, busyboxArchive(t, "oci", "two", testutil.WithLayer(extra)))
	if layers, _ := s.st.Layers(); len(layers) != 2 {
		t.Fatalf("layers = %d, want 2 (shared base)", len(layers))
	}
	out := filepath.Join(t.TempDir(), "multi.tar")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(context.Background(), f, "", []string{"one", "two", "docker.io/library/one:latest"}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	a, err := openArchive(out)
	if err != nil {
		t.Fatal(err)
	}
	var tars int
	for name := range a.entries {
		if filepath.Ext(name) == ".tar" {
			tars++
		}
	}
	a.Close()
	if tars != 2 {
		t.Errorf("archive holds %d layer files, want 2", tars)
	}
	s2 := newStore(t)
	got := mustLoad(t, s2, out)
	if diff := cmp.Diff(got, []string{"docker.io/library/one:latest", "docker.io/library/two:latest"}); diff != "" {
		t.Errorf("names (-got +want):\n%s", diff)
	}
}

func TestSaveErrors(t *testing.T) {
	s := newStore(t)
	mustLoad(t, s, busyboxArchive(t, "docker", "busybox"))
	tests := []struct {
		name, format string
		refs         []string
	}{
		{"bad format", "tar", []string{"busybox"}},
		{"no refs", "", nil},
		{"unknown image", "", []string{"nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := s.Save(context.Background(), &buf, tt.format, tt.refs); err == nil {
				t.Fatal("save succeeded")
			}
		})
	}
}
