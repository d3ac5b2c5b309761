package image

import (
	"context"
	"encoding/json"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/opencontainers/go-digest"
)

// TestLoadArchiveVariants loads archive layouts other tools produce.
func TestLoadArchiveVariants(t *testing.T) {
	testutil.Requires(t, testutil.Busybox())
	base, err := testutil.BusyboxLayer()
	if err != nil {
		t.Fatal(err)
	}
	cfg := testutil.ConfigFor(base)
	tests := []struct {
		name  string
		files func() []testutil.File
		want  []string
	}{
		{"docker-archive with gzip layers", func() []testutil.File {
			return testutil.DockerArchiveFiles(testutil.RawImage{Config: cfg, Layers: [][]byte{testutil.Gzip(base)}, Ref: "gz:1"})
		}, []string{"docker.io/library/gz:1"}},
		{"docker legacy layout with a symlinked layer", func() []testutil.File {
			m, _ := json.Marshal([]map[string]any{{"Config": "c.json", "RepoTags": []string{"legacy:1"}, "Layers": []string{"aaa/layer.tar"}}})
			return []testutil.File{
				{Name: "manifest.json", Body: m}, {Name: "c.json", Body: cfg},
				{Name: "bbb/layer.tar", Body: base}, {Name: "aaa/layer.tar", Linkname: "../bbb/layer.tar"},
			}
		}, []string{"docker.io/library/legacy:1"}},
		{"docker 25 layout (manifest.json and an OCI layout)", func() []testutil.File {
			oci := testutil.OCIArchiveFiles(testutil.RawImage{Config: cfg, Layers: [][]byte{base}, Ref: "latest"})
			m, _ := json.Marshal([]map[string]any{{"Config": "blobs/sha256/" + testutil.Hex(cfg), "RepoTags": []string{"d25:latest"}, "Layers": []string{"blobs/sha256/" + testutil.Hex(base)}}})
			return append(oci, testutil.File{Name: "manifest.json", Body: m})
		}, []string{"docker.io/library/d25:latest"}},
		{"oci-archive with a multi-platform index", func() []testutil.File {
			files := testutil.OCIArchiveFiles(testutil.RawImage{Config: cfg, Layers: [][]byte{base}})
			return nestIndex(t, files)
		}, []string{"docker.io/library/multi:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			p := filepath.Join(t.TempDir(), "a.tar")
			testutil.WriteFiles(t, p, tt.files())
			got := mustLoad(t, s, p)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("names (-got +want):\n%s", diff)
			}
			img, err := s.Get(context.Background(), tt.want[0])
			if err != nil {
				t.Fatal(err)
			}
			if img.ID != testutil.Hex(cfg) {
				t.Errorf("ID %s, want %s", img.ID, testutil.Hex(cfg))
			}
		})
	}
}

// nestIndex moves an OCI layout's only manifest behind a nested index with
// an arm64 decoy and this platform's entry, named "multi:1".
func nestIndex(t *testing.T, files []testutil.File) []testutil.File {
	t.Helper()
	var idx ociIndex
	for i, f := range files {
		if f.Name != "index.json" {
			continue
		}
		if err := json.Unmarshal(f.Body, &idx); err != nil {
			t.Fatal(err)
		}
		own := idx.Manifests[0]
		decoy := own
		decoy.Digest = digest.FromString("decoy")
		decoy.Platform, own.Platform = platform("arm64"), platform(runtime.GOARCH)
		if runtime.GOARCH == "arm64" {
			decoy.Platform = platform("s390x")
		}
		nested, _ := json.Marshal(ociIndex{SchemaVersion: 2, Manifests: []ociDescriptor{decoy, own}})
		top, _ := json.Marshal(ociIndex{SchemaVersion: 2, Manifests: []ociDescriptor{{
			MediaType: mediaOCIIndex, Digest: digest.FromBytes(nested), Size: int64(len(nested)),
			Annotations: map[string]string{refNameAnnotation: "multi:1"},
		}}})
		files[i].Body = top
		return append(files, testutil.File{Name: "blobs/sha256/" + testutil.Hex(nested), Body: nested})
	}
	t.Fatal("no index.json")
	return nil
}

func platform(arch string) *v1.Platform { return &v1.Platform{OS: "linux", Architecture: arch} }
