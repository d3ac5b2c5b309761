package main

import (
	"archive/tar"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGenBigImage(t *testing.T) {
	a, err := genBigImage(2, 4)
	if err != nil {
		t.Fatal(err)
	}
	b, err := genBigImage(2, 4)
	if err != nil {
		t.Fatal(err)
	}
	da, _ := a.img.Digest()
	db, _ := b.img.Digest()
	if da != db {
		t.Errorf("two generations differ: %s and %s", da, db)
	}
	zipped, raw := a.sizes()
	// 4 files of 1 MiB plus tar headers; gzip keeps the random half.
	if raw < 4<<20 || raw > 4<<20+64<<10 {
		t.Errorf("uncompressed size %d, want about 4 MiB", raw)
	}
	if ratio := float64(zipped) / float64(raw); ratio < 0.5 || ratio > 0.8 {
		t.Errorf("gzip ratio %.2f, want the content half compressible", ratio)
	}
	cfg, err := a.img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	layers, err := a.img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range layers {
		// The layer's own diff ID is computed from its blob.
		got, err := l.DiffID()
		if err != nil {
			t.Fatal(err)
		}
		if got != cfg.RootFS.DiffIDs[i] {
			t.Errorf("layer %d: config says diff ID %s, the blob has %s", i, cfg.RootFS.DiffIDs[i], got)
		}
	}
}

func TestWriteManyImages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "many.tar")
	if err := writeManyImages(path, 3); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	var manifest []struct{ RepoTags []string }
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "manifest.json" {
			if err := json.NewDecoder(tr).Decode(&manifest); err != nil {
				t.Fatal(err)
			}
		}
	}
	var got []string
	for _, m := range manifest {
		got = append(got, m.RepoTags...)
	}
	want := []string{"localhost/bench-many-000:latest", "localhost/bench-many-001:latest", "localhost/bench-many-002:latest"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("archive's images (-got +want):\n%s", diff)
	}
}
