package image

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/config"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// extraLayer returns a small layer holding /etc/<name>.
func extraLayer(t *testing.T, name string) []byte {
	t.Helper()
	b, err := testutil.Tar(testutil.Entry{Name: "etc/"}, testutil.Entry{Name: "etc/" + name, Body: []byte(name + "\n")})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sortStrings() cmp.Option {
	return cmpopts.SortSlices(func(a, b string) bool { return a < b })
}

// cmpEmpty treats nil and empty slices alike.
func cmpEmpty() cmp.Option { return cmpopts.EquateEmpty() }

func idAndDigest(t *testing.T, img v1.Image) (string, string) {
	t.Helper()
	id, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return id.Hex, d.String()
}

func TestPullStoresVerifiedImage(t *testing.T) {
	s := newStore(t)
	tr := newTestRegistry(t)
	img := busybox(t, testutil.WithLayer(extraLayer(t, "one")))
	ref := tr.push(t, "lib/bb:v1", img)
	got := mustPull(t, s, tr.client(t, nil), ref)
	wantID, wantDigest := idAndDigest(t, img)
	if diff := cmp.Diff([]string{got.ID, got.Digest}, []string{wantID, wantDigest}); diff != "" {
		t.Errorf("pulled image (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(got.Names, []string{tr.host + "/lib/bb:v1"}); diff != "" {
		t.Errorf("names (-got +want):\n%s", diff)
	}
	dirs, err := s.LayerDirs(context.Background(), got.ID)
	if err != nil || len(dirs) != 2 {
		t.Fatalf("layer dirs %v, %v", dirs, err)
	}
	if b, err := os.ReadFile(filepath.Join(dirs[0], "etc", "one")); err != nil || string(b) != "one\n" {
		t.Errorf("top layer's etc/one: %q, %v", b, err)
	}
	// Save rebuilds each layer from storage's tar-split records and checks
	// it against its diff ID: the staged commit recorded them faithfully.
	if err := s.Save(context.Background(), io.Discard, FormatOCIArchive, []string{ref}); err != nil {
		t.Errorf("save of the pulled image: %v", err)
	}
}

func TestPullZstdLayer(t *testing.T) {
	s := newStore(t)
	tr := newTestRegistry(t)
	img := busybox(t, testutil.WithZstdLayer(extraLayer(t, "zstd")), testutil.WithLayer(extraLayer(t, "gzip")))
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if mt := m.Layers[1].MediaType; mt != "application/vnd.oci.image.layer.v1.tar+zstd" {
		t.Fatalf("fixture layer type %s", mt)
	}
	ref := tr.push(t, "lib/zstd:1", img)
	got := mustPull(t, s, tr.client(t, nil), ref)
	dirs, err := s.LayerDirs(context.Background(), got.ID)
	if err != nil || len(dirs) != 3 {
		t.Fatalf("layer dirs %v, %v", dirs, err)
	}
	if b, err := os.ReadFile(filepath.Join(dirs[1], "etc", "zstd")); err != nil || string(b) != "zstd\n" {
		t.Errorf("zstd layer's etc/zstd: %q, %v", b, err)
	}
	if err := s.Save(context.Background(), io.Discard, FormatDockerArchive, []string{ref}); err != nil {
		t.Errorf("save: %v", err)
	}
}

func TestPullSkipsStoredLayers(t *testing.T) {
	s := newStore(t)
	tr := newTestRegistry(t)
	base := busybox(t)
	derived := busybox(t, testutil.WithLayer(extraLayer(t, "two")))
	tr.push(t, "lib/base:1", base)
	tr.push(t, "lib/derived:1", derived)
	c := tr.client(t, nil)
	mustPull(t, s, c, tr.host+"/lib/base:1")
	baseLayers, _ := base.Layers()
	baseBlob, _ := baseLayers[0].Digest()
	before := tr.count("GET", "/blobs/"+baseBlob.String())
	mustPull(t, s, c, tr.host+"/lib/derived:1")
	if got := tr.count("GET", "/blobs/"+baseBlob.String()) - before; got != 0 {
		t.Errorf("the stored base layer was downloaded %d times again", got)
	}
	if got := layerCount(t, s); got != 2 {
		t.Errorf("%d layers stored, want 2", got)
	}
	// The same image again, under another tag: nothing is downloaded, the
	// image gains the name.
	tr.push(t, "lib/derived:again", derived)
	gets := tr.blobGets()
	img := mustPull(t, s, c, tr.host+"/lib/derived:again")
	if got := tr.blobGets() - gets; got != 0 {
		t.Errorf("a stored image caused %d blob downloads", got)
	}
	if diff := cmp.Diff(img.Names, []string{tr.host + "/lib/derived:1", tr.host + "/lib/derived:again"}, sortStrings()); diff != "" {
		t.Errorf("names (-got +want):\n%s", diff)
	}
	if got := imageCount(t, s); got != 2 {
		t.Errorf("%d images, want 2", got)
	}
}

func TestPullByDigest(t *testing.T) {
	s := newStore(t)
	tr := newTestRegistry(t)
	img := busybox(t)
	tr.push(t, "lib/bb:v1", img)
	_, d := idAndDigest(t, img)
	ref := tr.host + "/lib/bb@" + d
	got := mustPull(t, s, tr.client(t, nil), ref)
	if diff := cmp.Diff(got.Names, []string{ref}); diff != "" {
		t.Errorf("names (-got +want):\n%s", diff)
	}
	if _, err := s.Get(context.Background(), ref); err != nil {
		t.Errorf("get %s: %v", ref, err)
	}
	missing := tr.host + "/lib/bb@sha256:" + strings.Repeat("0", 64)
	_, err := s.Pull(context.Background(), missing, PullOptions{Registry: tr.client(t, nil)})
	if !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("pull of an unknown digest: %v, want ErrNotFound", err)
	}
}

func TestPullPlatform(t *testing.T) {
	s := newStore(t)
	tr := newTestRegistry(t)
	amd := busybox(t, testutil.WithPlatform("linux", "amd64", ""))
	arm := busybox(t, testutil.WithPlatform("linux", "arm64", "v8"), testutil.WithLabels(map[string]string{"arch": "arm64"}))
	armv7 := busybox(t, testutil.WithPlatform("linux", "arm", "v7"), testutil.WithLabels(map[string]string{"arch": "arm"}))
	idx, err := testutil.PlatformIndex(amd, arm, armv7)
	if err != nil {
		t.Fatal(err)
	}
	ref := tr.push(t, "lib/multi:1", idx)
	c := tr.client(t, nil)
	amdID, _ := idAndDigest(t, amd)
	armID, _ := idAndDigest(t, arm)
	tests := []struct {
		name     string
		platform *v1.Platform
		wantID   string
		wantErr  error
	}{
		{"host", nil, amdID, nil},
		{"arm64 without variant", &v1.Platform{OS: "linux", Architecture: "arm64"}, armID, nil},
		{"arm64 v8", &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, armID, nil},
		{"missing platform", &v1.Platform{OS: "linux", Architecture: "s390x"}, "", errdefs.ErrNotFound},
		{"missing variant", &v1.Platform{OS: "linux", Architecture: "arm", Variant: "v6"}, "", errdefs.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := s.Pull(context.Background(), ref, PullOptions{Registry: c, Platform: tt.platform})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), "linux/arm64/v8") {
					t.Errorf("error %v: want %v listing the index's platforms", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if img.ID != tt.wantID {
				t.Errorf("pulled %s, want %s", img.ID, tt.wantID)
			}
		})
	}
	// The image answers to the index's digest, as pulled.
	idxDigest, _ := idx.Digest()
	if _, err := s.Pull(context.Background(), tr.host+"/lib/multi@"+idxDigest.String(), PullOptions{Registry: c}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(context.Background(), tr.host+"/lib/multi@"+idxDigest.String())
	if err != nil || got.ID != amdID {
		t.Errorf("get by index digest: %v, %v", got, err)
	}
}

func TestPullMirrors(t *testing.T) {
	s := newStore(t)
	src, lacking, having := newTestRegistry(t), newTestRegistry(t), newTestRegistry(t)
	img := busybox(t)
	src.push(t, "team/app:1", img)
	having.push(t, "mirror-prefix/team/app:1", img)
	cfg := &config.File{Registries: []config.Registry{{
		Prefix:   src.host + "/team",
		Insecure: true,
		Mirrors: []config.Mirror{
			{Location: lacking.host + "/team", Insecure: true},
			{Location: having.host + "/mirror-prefix/team", Insecure: true},
		},
	}}}
	c := src.client(t, cfg)
	mustPull(t, s, c, src.host+"/team/app:1")
	if lacking.count("GET", "/manifests/1") == 0 {
		t.Error("the first mirror was not asked")
	}
	if got := having.blobGets(); got != 2 {
		t.Errorf("the mirror that has the image served %d blobs, want 2 (configuration and layer)", got)
	}
	if got := src.blobGets() + lacking.blobGets(); got != 0 {
		t.Errorf("%d blobs came from elsewhere", got)
	}

	// A mirror that lacks the image and one that is down: the source
	// serves it.
	s2 := newStore(t)
	down := newTestRegistry(t)
	down.srv.Close()
	cfg2 := &config.File{Registries: []config.Registry{{
		Prefix:   src.host,
		Insecure: true,
		Mirrors:  []config.Mirror{{Location: down.host, Insecure: true}, {Location: lacking.host, Insecure: true}},
	}}}
	mustPull(t, s2, src.client(t, cfg2), src.host+"/team/app:1")
	if got := src.blobGets(); got != 2 {
		t.Errorf("the source served %d blobs, want 2", got)
	}
}

func TestPullProgress(t *testing.T) {
	s := newStore(t)
	tr := newTestRegistry(t)
	ref := tr.push(t, "lib/bb:v1", busybox(t, testutil.WithLayer(extraLayer(t, "p"))))
	c := tr.client(t, nil)
	var quiet, term bytes.Buffer
	if _, err := s.Pull(context.Background(), ref, PullOptions{Registry: c, Progress: &quiet}); err != nil {
		t.Fatal(err)
	}
	if quiet.Len() != 0 {
		t.Errorf("not a terminal, yet progress was written: %q", quiet.String())
	}
	s2 := newStore(t)
	if _, err := s2.Pull(context.Background(), ref, PullOptions{Registry: c, Progress: &term, Terminal: true}); err != nil {
		t.Fatal(err)
	}
	out := term.String()
	for _, want := range []string{"done", "Pulled " + ref + ": 2 layers (0 already stored)", "\x1b[2K"} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal progress lacks %q:\n%q", want, out)
		}
	}
	var again bytes.Buffer
	if _, err := s2.Pull(context.Background(), ref, PullOptions{Registry: c, Progress: &again, Terminal: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(again.String(), "exists") || !strings.Contains(again.String(), "(2 already stored)") {
		t.Errorf("second pull's progress: %q", again.String())
	}
}
