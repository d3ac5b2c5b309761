package engine

import (
	"context"
	"fmt"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/state"
)

// Pause freezes every process of a running container (the cgroup
// freezer) and records it as paused.
func (e *Engine) Pause(ctx context.Context, ref string) error {
	return e.freeze(ctx, ref, true)
}

// Unpause thaws a paused container and records it as running again.
func (e *Engine) Unpause(ctx context.Context, ref string) error {
	return e.freeze(ctx, ref, false)
}

// freeze is Pause (freeze true) and Unpause, under the container's lock so
// that the record and the freezer agree.
func (e *Engine) freeze(ctx context.Context, ref string, freeze bool) error {
	verb, from, to := "pause", state.Running, state.Paused
	if !freeze {
		verb, from, to = "unpause", state.Paused, state.Running
	}
	c, err := e.state.Get(ref)
	if err != nil {
		return err
	}
	c = e.reconcile(ctx, c)
	h, err := e.state.Lock(c.Config.ID)
	if err != nil {
		return err
	}
	defer h.Unlock()
	if h.State.Status != from {
		return errdefs.Errorf(errdefs.ErrConflict, "container %s is %s, not %s: cannot %s it",
			h.Config.Name, displayState(h.State.Status), from, verb)
	}
	cg, err := e.containerCgroup(&h.Container, verb)
	if err != nil {
		return err
	}
	op := cg.Thaw
	if freeze {
		op = cg.Freeze
	}
	if err := op(); err != nil {
		return fmt.Errorf("%s container %s: %w", verb, h.Config.Name, err)
	}
	return h.Update(func(s *state.State) error { s.Status = to; return nil })
}

// thawAfterSignal thaws a container that may be frozen after a signal was
// queued for it: a frozen process acts on no signal (on cgroup v1 not even
// SIGKILL) until it is thawed. As runc does for kill, and Podman for stop
// and rm -f.
// s is the container's state when it was signalled: only a paused one, or
// one whose stop may have begun while it was paused, is thawed.
func (e *Engine) thawAfterSignal(ctx context.Context, id string, s state.State) {
	if s.Status != state.Paused && s.Status != state.Stopping || !hasCgroup(s) {
		return
	}
	if err := e.cgroups().Open(*s.Cgroup).Thaw(); err != nil {
		logf(ctx, "thaw container %s after signalling it: %v", id, err)
	}
}
