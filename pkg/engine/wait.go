package engine

import (
	"context"
	"time"

	"github.com/hutchctr/hutch/pkg/state"
)

// Wait waits for the container to exit and returns its exit code. A
// container that has not started yet is waited for until it has run.
func (e *Engine) Wait(ctx context.Context, ref string) (int, error) {
	id, err := e.state.Lookup(ref)
	if err != nil {
		return 0, err
	}
	for {
		c, err := e.state.Get(id)
		if err != nil {
			return 0, err
		}
		c = e.reconcile(ctx, c)
		switch {
		case c.State.Status == state.Exited:
			return c.State.ExitCode, nil
		case c.State.Status.Active():
			e.waitMonitor(ctx, id, 0)
		default:
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
	}
}

// Rename renames a container.
func (e *Engine) Rename(ctx context.Context, ref, name string) error {
	h, err := e.state.Lock(ref)
	if err != nil {
		return err
	}
	defer h.Unlock()
	return h.Rename(name)
}
