// Package errdefs defines the small set of error classes that hutch's packages
// wrap their errors in, so that callers (and the exit-code mapper in cmd/)
// classify failures with errors.Is instead of matching text.
//
// Wrap a class with context:
//
//	fmt.Errorf("container %q: %w", name, errdefs.ErrNotFound)
package errdefs

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound means the named object (container, image, volume, ...) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists means an object with that name or ID exists already.
	ErrAlreadyExists = errors.New("already exists")
	// ErrInvalidArgument means the user's input is malformed or out of range.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrConflict means the object is in the wrong state for the operation
	// (removing a running container, starting a running one).
	ErrConflict = errors.New("conflict")
	// ErrNotImplemented means hutch does not support the request (yet).
	ErrNotImplemented = errors.New("not implemented")
	// ErrPermission means the calling user may not do this, or the host is not
	// set up to let them (missing /etc/subuid range, missing newuidmap).
	ErrPermission = errors.New("permission denied")
)

// IsNotFound reports whether err is or wraps ErrNotFound.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsConflict reports whether err is or wraps ErrConflict.
func IsConflict(err error) bool { return errors.Is(err, ErrConflict) }

// classed is an error of a class whose message does not repeat the class's
// own text ("...: invalid argument").
type classed struct {
	err   error
	class error
}

func (c *classed) Error() string        { return c.err.Error() }
func (c *classed) Unwrap() error        { return c.err }
func (c *classed) Is(target error) bool { return target == c.class }

// Errorf formats an error (wrapping %w verbs as fmt.Errorf does) that
// belongs to class without appending the class's text to the message:
//
//	errdefs.Errorf(errdefs.ErrInvalidArgument, "working directory %q must be absolute", dir)
func Errorf(class error, format string, args ...any) error {
	return &classed{err: fmt.Errorf(format, args...), class: class}
}
