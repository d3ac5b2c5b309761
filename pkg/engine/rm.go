package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/state"
)

// Remove removes a container: its record and the directory holding it, its
// writable layer included. A running container needs Force, which kills it
// first. A record left half-created or half-removed by a crash is removed
// too.
func (e *Engine) Remove(ctx context.Context, ref string, o RemoveOptions) error {
	// Rootless, the container's files belong to subordinate ids: only
	// the namespace holder's root may delete them.
	if _, err := e.images(ctx); err != nil {
		return err
	}
	c, err := e.state.Get(ref)
	if err != nil {
		return err
	}
	id := c.Config.ID
	c = e.reconcile(ctx, c)
	if c.State.Status.Active() {
		if !o.Force {
			return errdefs.Errorf(errdefs.ErrConflict, "container %s is running: stop it first, or use rm -f", c.Config.Name)
		}
		if err := e.killAndWait(ctx, c.Config.Name, id, c.State); err != nil {
			return err
		}
	}
	h, err := e.state.Lock(id)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil // --rm got there first
	}
	if err != nil {
		return err
	}
	defer h.Unlock()
	if h.State.Status.Active() {
		return errdefs.Errorf(errdefs.ErrConflict, "container %s was started again while being removed", h.Config.Name)
	}
	// A cgroup the monitor could not remove (it died, or was killed
	// between recording the exit and cleaning up) goes with the record.
	if err := e.destroyCgroup(&h.Container); err != nil {
		return fmt.Errorf("remove container %s: its cgroup: %w", h.Config.Name, err)
	}
	if err := h.Update(func(s *state.State) error { s.Status = state.Removing; s.Cgroup = nil; return nil }); err != nil {
		return err
	}
	return h.Delete()
}
