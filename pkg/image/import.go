package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/opencontainers/go-digest"
	"go.podman.io/storage"
)

// Import makes a single-layer image from a root filesystem tarball (plain
// or compressed) and returns its ID. A non-empty ref names it, qualified with
// localhost/ when it has no registry ("foo" → localhost/foo:latest), as
// Podman does. The configuration matches Podman's for imported images.
func (s *Store) Import(ctx context.Context, path, ref string) (string, error) {
	release, err := s.Hold(ctx) // see Load
	if err != nil {
		return "", err
	}
	defer release()
	var names []string
	if ref != "" {
		n, err := normalizeName(ref, localDomain)
		if err != nil {
			return "", err
		}
		names = []string{n}
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("import %s: %w", path, errdefs.ErrNotFound)
		}
		return "", fmt.Errorf("import %s: %w", path, err)
	}
	defer f.Close()
	t := &txn{st: s.st, lock: s.lockLayers}
	id, err := s.importLayer(ctx, t, f.Name(), f, names)
	if err != nil {
		t.rollback()
		return "", err
	}
	return id, nil
}

func (s *Store) importLayer(ctx context.Context, t *txn, path string, f *os.File, names []string) (string, error) {
	// The diff ID is known once the layer is read: putLayer stores it
	// under its chain ID, or reuses an identical base layer.
	layer, err := t.putLayer(ctx, "", "", f, layerCheck{blobSize: -1})
	if err != nil {
		return "", fmt.Errorf("import %s: %w", path, err)
	}
	now := time.Now().UTC()
	cfg := v1.ConfigFile{
		Created: v1.Time{Time: now}, Architecture: runtime.GOARCH, OS: "linux",
		RootFS: v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{{Algorithm: "sha256", Hex: layer.UncompressedDigest.Encoded()}}},
		History: []v1.History{{
			Created:   v1.Time{Time: now},
			CreatedBy: "/bin/sh -c #(nop) ADD file:" + layer.UncompressedDigest.Encoded() + " in /",
			Comment:   "imported from tarball",
		}},
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return "", err
	}
	spec := &loadSpec{config: raw, cfg: &cfg, names: names}
	if spec.manifest, err = ociManifestFor(raw, []*storage.Layer{layer}); err != nil {
		return "", err
	}
	if err := s.createImage(t, spec, layer); err != nil {
		return "", err
	}
	return spec.ID(), nil
}

// ociManifestFor describes an image with uncompressed layers, the form in
// which storage holds (and Save writes) them.
func ociManifestFor(config []byte, chain []*storage.Layer) ([]byte, error) {
	m := ociManifest{
		SchemaVersion: 2,
		MediaType:     "application/vnd.oci.image.manifest.v1+json",
		Config: ociDescriptor{
			MediaType: "application/vnd.oci.image.config.v1+json",
			Digest:    digest.FromBytes(config), Size: int64(len(config)),
		},
		Layers: []ociDescriptor{},
	}
	for _, l := range chain {
		m.Layers = append(m.Layers, ociDescriptor{
			MediaType: "application/vnd.oci.image.layer.v1.tar", Digest: l.UncompressedDigest, Size: l.UncompressedSize,
		})
	}
	return json.Marshal(m)
}
