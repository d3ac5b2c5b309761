package image

import (
	"context"
	"fmt"
	"sort"
	"time"

	"go.podman.io/storage"
)

// Usage is the disk space images and layers take, as `system df` shows
// it. Sizes are uncompressed layer sizes plus image metadata.
type Usage struct {
	// Images are the images, newest first.
	Images []ImageUsage
	// Active counts the images in use.
	Active int
	// Size is what the store holds: every layer once (shared layers are
	// not counted twice; unreferenced layers are counted) plus metadata.
	Size int64
	// Reclaimable is what `image prune -a` would free: layers no image in
	// use needs, and the metadata of images not in use.
	Reclaimable int64
	// Layers counts all layers; UnreferencedLayers those no image or
	// storage container references (prune removes them), whose size is
	// UnreferencedSize.
	Layers             int
	UnreferencedLayers int
	UnreferencedSize   int64
}

// ImageUsage is one image's share of the store.
type ImageUsage struct {
	ID      string
	Names   []string
	Created time.Time
	// Size is the image's layers and metadata.
	Size int64
	// SharedSize is the part of Size in layers other images use too;
	// UniqueSize the rest, which removing the image would free.
	SharedSize, UniqueSize int64
	// InUse is true when a container uses the image.
	InUse bool
}

// DiskUsage reports the disk use of images and layers. inUse tells which
// images containers use (the engine's records); nil means none.
func (s *Store) DiskUsage(ctx context.Context, inUse func(imageID string) bool) (*Usage, error) {
	if inUse == nil {
		inUse = func(string) bool { return false }
	}
	layers, err := s.st.Layers()
	if err != nil {
		return nil, fmt.Errorf("disk usage: list layers: %w", classify(err))
	}
	imgs, err := s.st.Images()
	if err != nil {
		return nil, fmt.Errorf("disk usage: list images: %w", classify(err))
	}
	nodes := make(map[string]layerNode, len(layers))
	for _, l := range layers {
		nodes[l.ID] = layerNode{parent: l.Parent, size: max(l.UncompressedSize, 0)}
	}
	chains := make([][]string, len(imgs))
	users := map[string]int{}   // layer -> images whose chain holds it
	needed := map[string]bool{} // layers of images in use
	for i, img := range imgs {
		chains[i] = chainOf(nodes, img.TopLayer)
		for _, id := range chains[i] {
			users[id]++
			if inUse(img.ID) {
				needed[id] = true
			}
		}
	}
	u := &Usage{Layers: len(layers)}
	for _, l := range layers {
		n := nodes[l.ID]
		u.Size += n.size
		if !needed[l.ID] {
			u.Reclaimable += n.size
		}
	}
	u.UnreferencedLayers, u.UnreferencedSize, err = s.unreferenced(layers, nodes)
	if err != nil {
		return nil, err
	}
	for i := range imgs {
		iu := imageUsage(&imgs[i], chains[i], nodes, users)
		iu.InUse = inUse(iu.ID)
		meta := iu.Size - iu.SharedSize - iu.UniqueSize
		iu.UniqueSize += meta
		u.Size += meta
		if iu.InUse {
			u.Active++
		} else {
			u.Reclaimable += meta
		}
		u.Images = append(u.Images, iu)
	}
	sort.SliceStable(u.Images, func(i, j int) bool { return u.Images[i].Created.After(u.Images[j].Created) })
	return u, nil
}

// chainOf lists the layers from top down to the base.
func chainOf(nodes map[string]layerNode, top string) []string {
	var out []string
	for id := top; id != ""; id = nodes[id].parent {
		if _, ok := nodes[id]; !ok {
			break // a dangling parent link: storage's problem, not a loop
		}
		out = append(out, id)
	}
	return out
}

// imageUsage sizes one image. Metadata is in Size but not yet in
// UniqueSize: the caller adds it, with the store totals.
func imageUsage(img *storage.Image, chain []string, nodes map[string]layerNode, users map[string]int) ImageUsage {
	iu := ImageUsage{ID: img.ID, Names: append([]string(nil), img.Names...), Created: img.Created}
	for _, id := range chain {
		n := nodes[id].size
		iu.Size += n
		if users[id] > 1 {
			iu.SharedSize += n
		} else {
			iu.UniqueSize += n
		}
	}
	for _, n := range img.BigDataSizes {
		iu.Size += max(n, 0)
	}
	return iu
}

// unreferenced counts the layers the prune sweep would delete.
func (s *Store) unreferenced(layers []storage.Layer, nodes map[string]layerNode) (int, int64, error) {
	keep, err := s.referencedLayers(layers)
	if err != nil {
		return 0, 0, err
	}
	var n int
	var size int64
	for _, l := range layers {
		if !keep[l.ID] {
			n++
			size += nodes[l.ID].size
		}
	}
	return n, size, nil
}
