package state

import (
	"errors"
	"testing"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestCanTransition(t *testing.T) {
	tests := []struct {
		from, to Status
		ok       bool
	}{
		{Configured, Created, true},
		{Configured, Running, false},
		{Created, Running, true},
		{Running, Exited, true},
		{Running, Removing, false},
		{Running, Running, false},
		{Exited, Running, true},
		{Exited, Removing, true},
		{Paused, Running, true},
		{Removing, Running, false},
		{Removing, Removing, true},
	}
	for _, tt := range tests {
		err := tt.from.CanTransition(tt.to)
		if got := err == nil; got != tt.ok {
			t.Errorf("%s -> %s: got ok=%v, want %v (err %v)", tt.from, tt.to, got, tt.ok, err)
		}
		if err != nil && !errors.Is(err, errdefs.ErrConflict) {
			t.Errorf("%s -> %s: got %v, want a wrapped ErrConflict", tt.from, tt.to, err)
		}
	}
}
