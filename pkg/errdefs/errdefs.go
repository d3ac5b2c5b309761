// Package errdefs defines the small set of error classes that hutch's packages
// wrap their errors in, so that callers (and the exit-code mapper in cmd/)
// classify failures with errors.Is instead of matching text.
//
// Wrap a class with context:
//
//	fmt.Errorf("container %q: %w", name, errdefs.ErrNotFound)
package errdefs

import "errors"

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
