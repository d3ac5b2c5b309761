package engine

import (
	"context"
	"fmt"
	"os"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// wireReal connects the engine to the real implementations.
// TODO(integration): wire pkg/image, pkg/monitor, pkg/ns and pkg/slirp once
// they land; until then every verb that needs them reports NotImplemented.
func wireReal(e *Engine) {
	e.openImages = func(ctx context.Context) (imageStore, error) {
		return nil, fmt.Errorf("image store: %w", errdefs.ErrNotImplemented)
	}
	e.monitors = nil
	e.client = nil
	e.execer = nil
	_ = os.Getpid
}
