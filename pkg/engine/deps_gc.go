package engine

import (
	"context"

	"github.com/hutchctr/hutch/pkg/image"
)

// imageLister lists images through `images --filter` conditions, parsed by
// pkg/image (a pure parser: the engine checks them before opening storage).
type imageLister interface {
	ListFiltered(ctx context.Context, f image.Filters) ([]*imageMeta, error)
}

// imageGC is the garbage collection and space accounting of the image
// store. inUse tells which images containers use: only the engine's
// records know.
type imageGC interface {
	// Prune removes dangling images (with all, every image) that inUse
	// refuses, then every layer no image references.
	Prune(ctx context.Context, all bool, inUse func(imageID string) bool) ([]string, uint64, error)
	// Hold keeps Prune away until release: held while a container record
	// is created from an image (and by pulls and loads, inside the store).
	Hold(ctx context.Context) (release func(), err error)
	// DiskUsage sizes the store.
	DiskUsage(ctx context.Context, inUse func(imageID string) bool) (*imageUsage, error)
}

// imageUsage is what the store reports to `system df`.
type imageUsage struct {
	Images               []DiskUsageImage
	Active               int
	Size, Reclaimable    int64
	Layers, Unreferenced int
	UnreferencedSize     int64
}

// imageDescriber reads the history and layer tree of an image.
type imageDescriber interface {
	History(ctx context.Context, ref string) ([]ImageHistoryEntry, error)
	Tree(ctx context.Context, ref string) (*ImageTree, error)
}

// imageTagger names and unnames images.
type imageTagger interface {
	// Tag adds name (qualified as Podman does: "foo" is
	// localhost/foo:latest) to image ref and returns the full name.
	Tag(ctx context.Context, ref, name string) (string, error)
	// Untag removes name (every name when empty) from image ref and
	// returns the names removed; an image left without names is
	// dangling, not deleted.
	Untag(ctx context.Context, ref, name string) ([]string, error)
}
