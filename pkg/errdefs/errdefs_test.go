package errdefs

import (
	"errors"
	"fmt"
	"testing"
)

func TestWrappedClasses(t *testing.T) {
	tests := []struct {
		err      error
		notFound bool
		conflict bool
	}{
		{fmt.Errorf("container %q: %w", "web", ErrNotFound), true, false},
		{fmt.Errorf("container %q is running: %w", "web", ErrConflict), false, true},
		{fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", ErrNotFound)), true, false},
		{ErrInvalidArgument, false, false},
	}
	for _, tt := range tests {
		if got := IsNotFound(tt.err); got != tt.notFound {
			t.Errorf("IsNotFound(%v) = %v, want %v", tt.err, got, tt.notFound)
		}
		if got := IsConflict(tt.err); got != tt.conflict {
			t.Errorf("IsConflict(%v) = %v, want %v", tt.err, got, tt.conflict)
		}
	}
}

func TestErrorfKeepsClassOutOfMessage(t *testing.T) {
	inner := fmt.Errorf("inner: %w", ErrNotFound)
	err := Errorf(ErrInvalidArgument, "user %q: %w", "x", inner)
	if got, want := err.Error(), `user "x": inner: not found`; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
	if !errors.Is(err, ErrInvalidArgument) || !errors.Is(err, ErrNotFound) {
		t.Errorf("errors.Is lost a class: %v", err)
	}
	if errors.Is(err, ErrConflict) {
		t.Error("errors.Is matched an unrelated class")
	}
}
