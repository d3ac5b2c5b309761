package ns

import (
	"fmt"
	"syscall"
)

// ExecError reports that the container's process could not be executed.
// Errno is ENOENT (not found: exit 127), EACCES/EISDIR/ENOEXEC (cannot
// execute: 126) or another errno.
type ExecError struct {
	Path  string
	Errno syscall.Errno
}

func (e *ExecError) Error() string {
	return fmt.Sprintf("cannot execute %q: %v", e.Path, e.Errno)
}

func (e *ExecError) Unwrap() error { return e.Errno }

// InitError reports that the container's init (or an exec'd process)
// failed before the user's command ran: a mount, the working directory,
// credentials.
type InitError struct {
	// Op is the step that failed, e.g. "mount /etc/hosts" or "chdir /app".
	Op string
	// Errno is the system error, or 0 when there was none.
	Errno syscall.Errno
	// Text is the error's text.
	Text string
}

func (e *InitError) Error() string { return e.Op + ": " + e.Text }

// Unwrap returns Errno, so that errors.Is(err, unix.EPERM) works.
func (e *InitError) Unwrap() error {
	if e.Errno == 0 {
		return nil
	}
	return e.Errno
}

// stepError is a child-side failure with the step it happened in.
type stepError struct {
	op  string
	err error
}

func (e *stepError) Error() string { return e.op + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// step wraps err (if any) with the step it happened in.
func step(op string, err error) error {
	if err == nil {
		return nil
	}
	return &stepError{op: op, err: err}
}

// stepf is step with a formatted op.
func stepf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &stepError{op: fmt.Sprintf(format, args...), err: err}
}
