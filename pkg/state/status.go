package state

import (
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Status is a container's lifecycle state.
type Status string

// The container states, in Podman's words where Podman has one.
const (
	// Configured is the state during create: the record exists but storage
	// may not. A configured record whose lock is free was left by a crash.
	Configured Status = "configured"
	Created    Status = "created"
	Running    Status = "running"
	Paused     Status = "paused"
	// Stopping is set by stop/kill before signalling, so concurrent commands
	// know a stop is under way.
	Stopping Status = "stopping"
	Exited   Status = "exited"
	// Removing is set by rm before it deletes storage; a removing record whose
	// lock is free was left by a crash and rm may finish it.
	Removing Status = "removing"
)

// transitions lists, for each state, the states it may move to.
var transitions = map[Status][]Status{
	Configured: {Created, Removing},
	Created:    {Running, Exited, Removing},
	Running:    {Paused, Stopping, Exited},
	Paused:     {Running, Stopping, Exited},
	Stopping:   {Exited, Running},
	Exited:     {Running, Removing},
	Removing:   {Removing},
}

// CanTransition returns nil when a container in state s may move to next,
// and an error wrapping errdefs.ErrConflict otherwise.
func (s Status) CanTransition(next Status) error {
	for _, to := range transitions[s] {
		if to == next {
			return nil
		}
	}
	return errdefs.Errorf(errdefs.ErrConflict, "container is %s, cannot move to %s", s, next)
}

// Active reports whether a container in this state has (or should have) a
// live monitor.
func (s Status) Active() bool {
	return s == Running || s == Paused || s == Stopping
}
