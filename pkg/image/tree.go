package image

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"go.podman.io/storage"
)

// Tree is an image's layer stack and what each layer shares with other
// images (`image tree`).
type Tree struct {
	ID    string
	Names []string
	// Size is the image's size, as List reports it.
	Size int64
	// Layers are bottom first.
	Layers []TreeLayer
}

// TreeLayer is one layer of a Tree.
type TreeLayer struct {
	// ID is storage's layer ID (the layer's chain ID).
	ID string
	// DiffID is the digest of the layer's uncompressed tar.
	DiffID string
	// Size is the layer's uncompressed size.
	Size int64
	// TopOf lists the images, this one included, whose top layer this is:
	// by their first name, or short ID when unnamed.
	TopOf []string
	// SharedWith lists the other images whose stacks contain this layer,
	// named as in TopOf.
	SharedWith []string
}

// Tree returns image ref's layers, bottom first, each with the images
// that share it.
func (s *Store) Tree(ctx context.Context, ref string) (*Tree, error) {
	img, _, err := s.lookup(ref)
	if err != nil {
		return nil, err
	}
	layers, err := s.st.Layers()
	if err != nil {
		return nil, fmt.Errorf("list layers: %w", classify(err))
	}
	imgs, err := s.st.Images()
	if err != nil {
		return nil, fmt.Errorf("list images: %w", classify(err))
	}
	byID := make(map[string]*storage.Layer, len(layers))
	nodes := make(map[string]layerNode, len(layers))
	for i, l := range layers {
		byID[l.ID] = &layers[i]
		nodes[l.ID] = layerNode{parent: l.Parent, size: max(l.UncompressedSize, 0)}
	}
	topOf, usedBy := layerUsers(imgs, nodes)
	full, err := s.toImage(img, nodes)
	if err != nil {
		return nil, err
	}
	t := &Tree{ID: img.ID, Names: append([]string(nil), img.Names...), Size: full.Size}
	chain := chainOf(nodes, img.TopLayer)
	slices.Reverse(chain)
	self := imageLabel(img)
	for _, id := range chain {
		tl := TreeLayer{ID: id, Size: nodes[id].size, TopOf: topOf[id]}
		if l := byID[id]; l != nil {
			tl.DiffID = l.UncompressedDigest.String()
		}
		for _, other := range usedBy[id] {
			if other != self && !slices.Contains(tl.TopOf, other) {
				tl.SharedWith = append(tl.SharedWith, other)
			}
		}
		t.Layers = append(t.Layers, tl)
	}
	return t, nil
}

// layerUsers maps each layer to the images whose top layer it is and to
// all the images whose stacks contain it, each list sorted.
func layerUsers(imgs []storage.Image, nodes map[string]layerNode) (topOf, usedBy map[string][]string) {
	topOf, usedBy = map[string][]string{}, map[string][]string{}
	for i := range imgs {
		label := imageLabel(&imgs[i])
		if imgs[i].TopLayer != "" {
			topOf[imgs[i].TopLayer] = append(topOf[imgs[i].TopLayer], label)
		}
		for _, id := range chainOf(nodes, imgs[i].TopLayer) {
			usedBy[id] = append(usedBy[id], label)
		}
	}
	for _, m := range []map[string][]string{topOf, usedBy} {
		for _, v := range m {
			sort.Strings(v)
		}
	}
	return topOf, usedBy
}

// imageLabel names an image in a tree: its first name, or its short ID.
func imageLabel(img *storage.Image) string {
	if len(img.Names) > 0 {
		return img.Names[0]
	}
	return img.ID[:min(12, len(img.ID))]
}
