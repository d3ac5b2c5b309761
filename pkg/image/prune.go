package image

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
	"go.podman.io/storage"
)

// gcLockName is the lock, in the graph root, that keeps Prune's sweep of
// unreferenced layers away from layers a load or pull in another process
// has stored but not yet tied to an image: writers hold it shared for their
// whole operation, Prune holds it exclusively for its sweep. A killed
// writer's lock goes with its process, and its layers are swept next time.
const gcLockName = "hutch-gc.lock"

// gcRetry is how often a waiting lock attempt is retried.
const gcRetry = 50 * time.Millisecond

// Hold takes the GC lock shared, keeping Prune from running until release
// is called. Operations that store layers before the image referencing
// them (Load, Import, Pull) hold it, so that their layers are not swept as
// unreferenced; so does the engine while it creates a container record
// from an image, so the image is not removed between its lookup and the
// record that marks it in use.
func (s *Store) Hold(ctx context.Context) (release func(), err error) {
	l := flock.New(filepath.Join(s.opts.GraphRoot, gcLockName))
	// TryRLockContext fails only with an error (ctx's, or the lock's).
	if _, err := l.TryRLockContext(ctx, gcRetry); err != nil {
		return nil, fmt.Errorf("lock image store: %w", err)
	}
	return func() { _ = l.Unlock() }, nil
}

// Prune removes images and then every layer no image references, and
// returns the IDs of the images removed and the bytes reclaimed (the
// uncompressed sizes of the layers deleted plus the images' metadata).
// Without all, the images removed are the dangling ones (no names); with
// all, every image. An image for which inUse returns true (a container was
// created from it: the engine's records know, storage does not) is never
// removed, nor are its layers. inUse is first called once Prune holds the
// GC lock, so records created under Hold before that are seen.
//
// The sweep also removes layers that no image references at all: left by
// a failed or killed pull or load, or by an image removed while a layer
// above it was still being written.
func (s *Store) Prune(ctx context.Context, all bool, inUse func(imageID string) bool) ([]string, uint64, error) {
	l := flock.New(filepath.Join(s.opts.GraphRoot, gcLockName))
	if _, err := l.TryLockContext(ctx, gcRetry); err != nil {
		return nil, 0, fmt.Errorf("prune: lock image store: %w", err)
	}
	defer l.Unlock()
	sizes, err := s.layerSizes()
	if err != nil {
		return nil, 0, err
	}
	imgs, err := s.st.Images()
	if err != nil {
		return nil, 0, fmt.Errorf("prune: list images: %w", classify(err))
	}
	var removed []string
	var reclaimed uint64
	for i := range imgs {
		img := &imgs[i]
		if (!all && len(img.Names) > 0) || (inUse != nil && inUse(img.ID)) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return removed, reclaimed, err
		}
		layers, err := s.st.DeleteImage(img.ID, true)
		if errors.Is(err, storage.ErrImageUsedByContainer) {
			continue // a storage container's image: not hutch's to judge
		}
		if err != nil {
			return removed, reclaimed, fmt.Errorf("prune: delete image %.12s: %w", img.ID, classify(err))
		}
		removed = append(removed, img.ID)
		for _, n := range img.BigDataSizes {
			reclaimed += uint64(max(n, 0))
		}
		for _, id := range layers {
			reclaimed += uint64(max(sizes[id].size, 0))
		}
	}
	n, err := s.sweepLayers(ctx)
	reclaimed += n
	if err != nil {
		return removed, reclaimed, err
	}
	// Driver directories without a layer record (a crash between the
	// driver's work and storage's bookkeeping) are storage's to find.
	if err := s.st.GarbageCollect(); err != nil {
		return removed, reclaimed, fmt.Errorf("prune: storage garbage collection: %w", err)
	}
	return removed, reclaimed, nil
}

// sweepLayers deletes every layer that is not in the chain of an image or
// of a storage container, children before parents, and returns the bytes
// reclaimed.
func (s *Store) sweepLayers(ctx context.Context) (uint64, error) {
	layers, err := s.st.Layers()
	if err != nil {
		return 0, fmt.Errorf("prune: list layers: %w", classify(err))
	}
	keep, err := s.referencedLayers(layers)
	if err != nil {
		return 0, err
	}
	children := map[string]int{}
	for _, l := range layers {
		children[l.Parent]++
	}
	var reclaimed uint64
	// Each pass deletes the unreferenced leaves; a parent becomes a leaf
	// when its last child goes. Stacks are short, so passes are few.
	for deleted := true; deleted; {
		deleted = false
		for i := range layers {
			l := &layers[i]
			if l.ID == "" || keep[l.ID] || children[l.ID] > 0 {
				continue
			}
			if err := ctx.Err(); err != nil {
				return reclaimed, err
			}
			if err := s.st.DeleteLayer(l.ID); err != nil && !errors.Is(err, storage.ErrLayerUnknown) && !errors.Is(err, storage.ErrNotALayer) {
				return reclaimed, fmt.Errorf("prune: delete layer %.12s: %w", l.ID, classify(err))
			}
			reclaimed += uint64(max(l.UncompressedSize, 0))
			children[l.Parent]--
			l.ID, deleted = "", true
		}
	}
	return reclaimed, nil
}

// referencedLayers returns the layers in the chain of an image (its top
// layer and any ID-mapped copies) or of a storage container.
func (s *Store) referencedLayers(layers []storage.Layer) (map[string]bool, error) {
	parent := make(map[string]string, len(layers))
	for _, l := range layers {
		parent[l.ID] = l.Parent
	}
	keep := map[string]bool{}
	mark := func(id string) {
		for ; id != "" && !keep[id]; id = parent[id] {
			keep[id] = true
		}
	}
	imgs, err := s.st.Images()
	if err != nil {
		return nil, fmt.Errorf("list images: %w", classify(err))
	}
	for _, img := range imgs {
		mark(img.TopLayer)
		for _, id := range img.MappedTopLayers {
			mark(id)
		}
	}
	ctrs, err := s.st.Containers()
	if err != nil {
		return nil, fmt.Errorf("list storage containers: %w", classify(err))
	}
	for _, c := range ctrs {
		mark(c.LayerID)
	}
	return keep, nil
}
