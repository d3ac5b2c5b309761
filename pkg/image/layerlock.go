package image

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// layerLockRetry is how often a wait for the layer lock tries again (a
// commit holds it for milliseconds).
const layerLockRetry = 10 * time.Millisecond

// lockLayers takes the graph root's layer lock (commitLockName)
// exclusively and returns its release. It is held while a pull, load or
// import checks whether a layer is stored and commits its staged copy
// (storage's ApplyStagedLayer replaces the files of a layer that exists),
// while a pull checks its top layer and records its image, and while a
// failed load or import rolls back. Waiting stops with ctx.
func (s *Store) lockLayers(ctx context.Context) (release func(), err error) {
	l := flock.New(filepath.Join(s.opts.GraphRoot, commitLockName))
	// TryLockContext fails only with an error (ctx's, or the lock's).
	if _, err := l.TryLockContext(ctx, layerLockRetry); err != nil {
		return nil, fmt.Errorf("lock image store layers: %w", err)
	}
	return func() { _ = l.Unlock() }, nil
}
