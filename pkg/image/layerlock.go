package image

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// layerLockRetry is how often a load or import waiting for the layer lock
// tries again (a pull's commit holds it for milliseconds).
const layerLockRetry = 10 * time.Millisecond

// lockLayers takes the graph root's layer lock (commitLockName, the lock a
// pull holds while it checks for a layer and commits its staged copy)
// exclusively, and returns its release. Load and Import hold it around
// their own "is the layer stored? else PutLayer" step: without it, a pull
// could find the layer missing while a load writes it and then apply its
// staged copy over the load's layer (storage's ApplyStagedLayer replaces
// the files of a layer that exists), or the load could meet the pull's
// half-committed layer. Waiting stops with ctx.
func (s *Store) lockLayers(ctx context.Context) (release func(), err error) {
	l := flock.New(filepath.Join(s.opts.GraphRoot, commitLockName))
	// TryLockContext fails only with an error (ctx's, or the lock's).
	if _, err := l.TryLockContext(ctx, layerLockRetry); err != nil {
		return nil, fmt.Errorf("lock image store layers: %w", err)
	}
	return func() { _ = l.Unlock() }, nil
}
