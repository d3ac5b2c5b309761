package engine

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/state"
)

// killWait bounds how long stop and rm -f wait for a SIGKILLed container's
// monitor to record the exit and clean up.
const killWait = 30 * time.Second

// Stop sends the stop signal, then SIGKILL after timeout seconds (nil: the
// container's own timeout). Stopping a container that does not run is not
// an error (Podman's behaviour).
func (e *Engine) Stop(ctx context.Context, ref string, timeout *uint) error {
	c, err := e.state.Get(ref)
	if err != nil {
		return err
	}
	c = e.reconcile(ctx, c)
	if !c.State.Status.Active() {
		return nil
	}
	h, err := e.state.Lock(c.Config.ID)
	if err != nil {
		return err
	}
	if !h.State.Status.Active() {
		h.Unlock()
		return nil
	}
	before := h.State
	if h.State.Status != state.Stopping {
		if err := h.Update(func(s *state.State) error { s.Status = state.Stopping; return nil }); err != nil {
			h.Unlock()
			return err
		}
	}
	st, cfg := h.State, h.Config
	h.Unlock()

	wait := time.Duration(cfg.StopTimeout) * time.Second
	if timeout != nil {
		wait = time.Duration(*timeout) * time.Second
	}
	if wait > 0 {
		sig, err := parseSignal(cfg.StopSignal)
		if err != nil {
			sig = syscall.SIGTERM
		}
		signalled := signalContainer(st, sig) == nil
		e.thawAfterSignal(ctx, cfg.ID, before)
		if signalled && e.waitMonitor(ctx, cfg.ID, wait) {
			return nil
		}
	}
	return e.killAndWait(ctx, cfg.Name, cfg.ID, st)
}

// killAndWait SIGKILLs the container and waits for its monitor to finish.
func (e *Engine) killAndWait(ctx context.Context, name, id string, st state.State) error {
	signalContainer(st, syscall.SIGKILL)
	e.thawAfterSignal(ctx, id, st)
	if !e.waitMonitor(ctx, id, killWait) {
		return fmt.Errorf("container %s did not exit within %s of SIGKILL", name, killWait)
	}
	return nil
}

// Kill sends sig (a name like "KILL", "SIGTERM" or a number) to the container.
func (e *Engine) Kill(ctx context.Context, ref string, sig string) error {
	s, err := parseSignal(firstNonEmpty(sig, "SIGKILL"))
	if err != nil {
		return err
	}
	c, err := e.state.Get(ref)
	if err != nil {
		return err
	}
	c = e.reconcile(ctx, c)
	if !c.State.Status.Active() {
		return errdefs.Errorf(errdefs.ErrConflict, "container %s is not running", c.Config.Name)
	}
	if err := signalContainer(c.State, s); err != nil {
		return err
	}
	if s == syscall.SIGKILL {
		e.thawAfterSignal(ctx, c.Config.ID, c.State)
	}
	return nil
}

// Restart stops (if running) and starts the container, detached.
func (e *Engine) Restart(ctx context.Context, ref string, timeout *uint) error {
	if _, err := e.images(ctx); err != nil {
		return err
	}
	id, err := e.state.Lookup(ref)
	if err != nil {
		return err
	}
	if err := e.Stop(ctx, id, timeout); err != nil {
		return err
	}
	if _, err := e.start(ctx, id, nil, nil); err != nil {
		return err
	}
	h, err := e.state.Lock(id)
	if err != nil {
		return nil
	}
	defer h.Unlock()
	return h.Update(func(s *state.State) error { s.RestartCount++; return nil })
}
