package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/state"
)

// Remove removes a container: its storage (unmounting it if needed) and its
// record. A running container needs Force, which kills it first. A record
// left half-created or half-removed by a crash is removed too.
func (e *Engine) Remove(ctx context.Context, ref string, o RemoveOptions) error {
	imgs, err := e.images(ctx)
	if err != nil {
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
	if err := h.Update(func(s *state.State) error { s.Status = state.Removing; return nil }); err != nil {
		return err
	}
	if err := imgs.DeleteContainer(ctx, id); err != nil {
		return fmt.Errorf("remove storage of container %s: %w", h.Config.Name, err)
	}
	return h.Delete()
}

// Cleanup is run by a container's monitor after the container exited (the
// hidden `hutch container cleanup ID` command): it unmounts the rootfs and
// removes the container if it was created with --rm.
func (e *Engine) Cleanup(ctx context.Context, id string) error {
	imgs, err := e.images(ctx)
	if err != nil {
		return err
	}
	h, err := e.state.Lock(id)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	defer h.Unlock()
	if h.State.Status == state.Running || h.State.Status == state.Paused {
		return nil // started again already
	}
	if err := imgs.Unmount(ctx, id, true); err != nil {
		return fmt.Errorf("unmount container %s: %w", h.Config.Name, err)
	}
	if err := h.Update(func(s *state.State) error { s.Mountpoint = ""; return nil }); err != nil {
		return err
	}
	if !h.Config.AutoRemove {
		return nil
	}
	if err := h.Update(func(s *state.State) error { s.Status = state.Removing; return nil }); err != nil {
		return err
	}
	if err := imgs.DeleteContainer(ctx, id); err != nil {
		return err
	}
	return h.Delete()
}
