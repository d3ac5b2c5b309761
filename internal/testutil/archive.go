package testutil

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// File is one member of an archive written by WriteFiles. A non-empty
// Linkname makes it a symlink.
type File struct {
	Name     string
	Body     []byte
	Linkname string
}

// RawImage is an image as its pieces appear in an archive. Tests edit these
// bytes to build broken archives.
type RawImage struct {
	// Config is the image configuration blob; the image ID is its sha256.
	Config []byte
	// Manifest is the OCI manifest blob. OCIArchiveFiles builds one from
	// Config and Layers when it is nil; docker archives have none.
	Manifest []byte
	// Layers are the layer blobs as stored (uncompressed tars, or gzip).
	Layers [][]byte
	// Ref names the image: a RepoTags entry in a docker archive, the
	// org.opencontainers.image.ref.name annotation in an OCI archive.
	// Empty for an unnamed image.
	Ref string
}

// RawFromImage extracts img's config and layer blobs: uncompressed tars when
// compressed is false (as `docker save` writes), else the manifest's blobs.
func RawFromImage(img v1.Image, compressed bool) (RawImage, error) {
	var r RawImage
	var err error
	if r.Config, err = img.RawConfigFile(); err != nil {
		return r, err
	}
	if compressed {
		if r.Manifest, err = img.RawManifest(); err != nil {
			return r, err
		}
	}
	layers, err := img.Layers()
	if err != nil {
		return r, err
	}
	for _, l := range layers {
		open := l.Uncompressed
		if compressed {
			open = l.Compressed
		}
		rc, err := open()
		if err != nil {
			return r, err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return r, err
		}
		r.Layers = append(r.Layers, b)
	}
	return r, nil
}

// DockerArchiveFiles lays out images as `docker save` does: manifest.json,
// <config hex>.json, one <blob hex>.tar per layer and a repositories file.
func DockerArchiveFiles(imgs ...RawImage) []File {
	type entry struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	var manifest []entry
	var files []File
	seen := map[string]bool{}
	add := func(name string, body []byte) {
		if !seen[name] {
			seen[name] = true
			files = append(files, File{Name: name, Body: body})
		}
	}
	for _, img := range imgs {
		e := entry{Config: Hex(img.Config) + ".json", RepoTags: []string{}}
		add(e.Config, img.Config)
		for _, l := range img.Layers {
			name := Hex(l) + ".tar"
			add(name, l)
			e.Layers = append(e.Layers, name)
		}
		if img.Ref != "" {
			e.RepoTags = append(e.RepoTags, img.Ref)
		}
		manifest = append(manifest, e)
	}
	m, _ := json.Marshal(manifest) // plain structs: cannot fail
	return append([]File{{Name: "manifest.json", Body: m}}, files...)
}

// OCIManifest returns an OCI image manifest for config and layer blobs;
// blobs starting with the gzip magic are declared tar+gzip.
func OCIManifest(config []byte, layers [][]byte) []byte {
	type desc struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
		Size      int    `json:"size"`
	}
	m := struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType"`
		Config        desc   `json:"config"`
		Layers        []desc `json:"layers"`
	}{
		SchemaVersion: 2,
		MediaType:     "application/vnd.oci.image.manifest.v1+json",
		Config:        desc{"application/vnd.oci.image.config.v1+json", Digest(config), len(config)},
		Layers:        []desc{},
	}
	for _, l := range layers {
		mt := "application/vnd.oci.image.layer.v1.tar"
		if len(l) > 2 && l[0] == 0x1f && l[1] == 0x8b {
			mt += "+gzip"
		}
		m.Layers = append(m.Layers, desc{mt, Digest(l), len(l)})
	}
	b, _ := json.Marshal(m) // plain structs: cannot fail
	return b
}

// OCIArchiveFiles lays out images as an OCI image layout (oci-layout,
// index.json, blobs/sha256/...), the content of an oci-archive.
func OCIArchiveFiles(imgs ...RawImage) []File {
	type desc struct {
		MediaType   string            `json:"mediaType"`
		Digest      string            `json:"digest"`
		Size        int               `json:"size"`
		Annotations map[string]string `json:"annotations,omitempty"`
	}
	index := struct {
		SchemaVersion int    `json:"schemaVersion"`
		Manifests     []desc `json:"manifests"`
	}{SchemaVersion: 2}
	files := []File{{Name: "oci-layout", Body: []byte(`{"imageLayoutVersion":"1.0.0"}`)}}
	seen := map[string]bool{}
	blob := func(b []byte) {
		if h := Hex(b); !seen[h] {
			seen[h] = true
			files = append(files, File{Name: "blobs/sha256/" + h, Body: b})
		}
	}
	for _, img := range imgs {
		m := img.Manifest
		if m == nil {
			m = OCIManifest(img.Config, img.Layers)
		}
		blob(img.Config)
		for _, l := range img.Layers {
			blob(l)
		}
		blob(m)
		d := desc{MediaType: "application/vnd.oci.image.manifest.v1+json", Digest: Digest(m), Size: len(m)}
		if img.Ref != "" {
			d.Annotations = map[string]string{"org.opencontainers.image.ref.name": img.Ref}
		}
		index.Manifests = append(index.Manifests, d)
	}
	ib, _ := json.Marshal(index) // plain structs: cannot fail
	return append(files, File{Name: "index.json", Body: ib})
}

// WriteFiles writes files as a tar archive at path.
func WriteFiles(t testing.TB, path string, files []File) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	dirs := map[string]bool{}
	for _, file := range files {
		if d := filepath.Dir(file.Name); d != "." && !dirs[d] {
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: Epoch()}); err != nil {
				t.Fatal(err)
			}
		}
		h := &tar.Header{Name: file.Name, Mode: 0o644, ModTime: Epoch(), Size: int64(len(file.Body)), Typeflag: tar.TypeReg}
		if file.Linkname != "" {
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, file.Linkname, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(file.Body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// WriteDockerArchive writes img to path like `docker save` (uncompressed
// layers), tagged ref ("" for an unnamed image).
func WriteDockerArchive(t testing.TB, img v1.Image, ref, path string) {
	t.Helper()
	raw, err := RawFromImage(img, false)
	if err != nil {
		t.Fatal(err)
	}
	raw.Ref = ref
	WriteFiles(t, path, DockerArchiveFiles(raw))
}

// WriteOCIArchive writes img to path like `podman save --format
// oci-archive` (gzip layers, ref in the ref.name annotation).
func WriteOCIArchive(t testing.TB, img v1.Image, ref, path string) {
	t.Helper()
	raw, err := RawFromImage(img, true)
	if err != nil {
		t.Fatal(err)
	}
	raw.Ref = ref
	WriteFiles(t, path, OCIArchiveFiles(raw))
}

// WriteRootfsTar writes BusyboxLayer to path, the input of `hutch import`.
func WriteRootfsTar(t testing.TB, path string) {
	t.Helper()
	b, err := BusyboxLayer()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// ConfigFor returns a minimal image configuration whose rootfs lists the
// diff IDs of the given uncompressed layer tars, for hand-built archives.
func ConfigFor(layers ...[]byte) []byte {
	ids := []string{}
	for _, l := range layers {
		ids = append(ids, Digest(l))
	}
	b, _ := json.Marshal(map[string]any{
		"architecture": runtime.GOARCH, "os": "linux", "created": Epoch(),
		"config": map[string]any{"Env": []string{DefaultPath}, "Cmd": []string{"sh"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": ids},
	})
	return b
}

// Truncate cuts the file at path to size bytes.
func Truncate(t testing.TB, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(fmt.Errorf("truncate %s: %w", path, err))
	}
}
