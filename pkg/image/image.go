package image

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/opencontainers/go-digest"
	"go.podman.io/storage"
)

// Image is a local image.
type Image struct {
	// ID is the hex sha256 of the configuration blob (Podman's image ID).
	ID string
	// Names are full references ("docker.io/library/busybox:latest").
	Names []string
	// Digest is the manifest digest ("sha256:...").
	Digest string
	// Created is the image's creation time from its configuration.
	Created time.Time
	// Size is the uncompressed size of all its layers plus its metadata.
	Size int64
	// TopLayer is the storage ID of its top layer.
	TopLayer string
	// Config is the parsed image configuration.
	Config *v1.ConfigFile
	// Dangling is true for an image without names.
	Dangling bool
}

// configKey is the big-data key of an image's configuration: its digest,
// as Podman stores it.
func configKey(id string) string { return digest.NewDigestFromEncoded(digest.SHA256, id).String() }

// Big-data keys of the manifest, as Podman stores them.
const manifestKey = "manifest"

func manifestKeyFor(d digest.Digest) string { return "manifest-" + d.String() }

// List returns all images, newest first.
func (s *Store) List(ctx context.Context) ([]*Image, error) {
	imgs, err := s.st.Images()
	if err != nil {
		return nil, fmt.Errorf("list images: %w", classify(err))
	}
	sizes, err := s.layerSizes()
	if err != nil {
		return nil, err
	}
	out := make([]*Image, 0, len(imgs))
	for i := range imgs {
		img, err := s.toImage(&imgs[i], sizes)
		if err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Get resolves ref (see resolve for the rules) to an image.
func (s *Store) Get(ctx context.Context, ref string) (*Image, error) {
	img, _, err := s.lookup(ref)
	if err != nil {
		return nil, err
	}
	sizes, err := s.layerSizes()
	if err != nil {
		return nil, err
	}
	return s.toImage(img, sizes)
}

// lookup resolves ref among the stored images and returns the image and the
// stored name that matched ("" for an ID match).
func (s *Store) lookup(ref string) (*storage.Image, string, error) {
	imgs, err := s.st.Images()
	if err != nil {
		return nil, "", fmt.Errorf("list images: %w", classify(err))
	}
	cands := make([]candidate, len(imgs))
	for i, img := range imgs {
		cands[i] = candidate{ID: img.ID, Names: img.Names, Digests: img.Digests}
	}
	m, err := resolve(cands, ref)
	if err != nil {
		return nil, "", err
	}
	return &imgs[m.index], m.name, nil
}

// layerNode is the part of a layer record sizes need.
type layerNode struct {
	parent string
	size   int64
}

func (s *Store) layerSizes() (map[string]layerNode, error) {
	layers, err := s.st.Layers()
	if err != nil {
		return nil, fmt.Errorf("list layers: %w", classify(err))
	}
	m := make(map[string]layerNode, len(layers))
	for _, l := range layers {
		m[l.ID] = layerNode{parent: l.Parent, size: l.UncompressedSize}
	}
	return m, nil
}

// toImage reads an image's configuration (one small file) and computes its
// size from the layer records.
func (s *Store) toImage(img *storage.Image, layers map[string]layerNode) (*Image, error) {
	raw, err := s.st.ImageBigData(img.ID, configKey(img.ID))
	if err != nil {
		return nil, fmt.Errorf("image %s: read configuration: %w", img.ID, classify(err))
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("image %s: parse configuration: %w", img.ID, err)
	}
	var size int64
	for id := img.TopLayer; id != ""; id = layers[id].parent {
		size += layers[id].size
	}
	for _, n := range img.BigDataSizes {
		size += n
	}
	created := img.Created
	if !cfg.Created.IsZero() {
		created = cfg.Created.Time
	}
	return &Image{
		ID: img.ID, Names: append([]string(nil), img.Names...), Digest: img.Digest.String(),
		Created: created, Size: size, TopLayer: img.TopLayer, Config: cfg, Dangling: len(img.Names) == 0,
	}, nil
}
