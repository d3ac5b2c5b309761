package monitor

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/ns"
)

// The launch report. The monitor tells Launch over a pipe (its fd 3)
// whether the container's process was exec'd:
//
//	Launch                                     monitor
//	  | -- exec /proc/self/exe (fd 3, fd 4) --> |
//	  |                                         |  monitor lock, container lock,
//	  |                                         |  start init, record running, exec
//	  | <-- report {pid} | {error...} -------- |  one JSON document
//	  | <-- EOF ------------------------------- |  it lives on, or exits after an error
//
// Errors keep their type across the pipe: an exec failure travels as errno
// and path and comes back as an *ns.ExecError, an errdefs class by name.

// report is the one message of the launch pipe.
type report struct {
	// Pid is the container's init, on success.
	Pid int `json:"pid,omitempty"`
	// Error is the message for the user, on failure.
	Error string `json:"error,omitempty"`
	// Class names the errdefs class the error wraps, if any.
	Class string `json:"class,omitempty"`
	// ExecPath and Errno describe an *ns.ExecError.
	ExecPath string `json:"execPath,omitempty"`
	Errno    int    `json:"errno,omitempty"`
}

// errClasses are the errdefs classes that survive the pipe.
func errClasses() []error {
	return []error{
		errdefs.ErrNotFound, errdefs.ErrAlreadyExists, errdefs.ErrInvalidArgument,
		errdefs.ErrConflict, errdefs.ErrNotImplemented, errdefs.ErrPermission,
	}
}

func errorReport(err error) report {
	r := report{Error: err.Error()}
	var ee *ns.ExecError
	if errors.As(err, &ee) {
		r.ExecPath, r.Errno = ee.Path, int(ee.Errno)
		return r
	}
	for _, c := range errClasses() {
		if errors.Is(err, c) {
			r.Class = c.Error()
			break
		}
	}
	return r
}

// launchError is an error rebuilt from a report: the monitor's message,
// wrapping the typed cause.
type launchError struct {
	msg   string
	cause error
}

func (e *launchError) Error() string { return e.msg }
func (e *launchError) Unwrap() error { return e.cause }

// err rebuilds the monitor's error; nil on success.
func (r report) err() error {
	if r.Error == "" {
		return nil
	}
	if r.Errno != 0 {
		return &launchError{r.Error, &ns.ExecError{Path: r.ExecPath, Errno: syscall.Errno(r.Errno)}}
	}
	for _, c := range errClasses() {
		if r.Class == c.Error() {
			return &launchError{r.Error, c}
		}
	}
	return errors.New(r.Error)
}

// reporter sends the launch report once; later calls do nothing.
type reporter struct{ f *os.File }

func (r *reporter) send(rep report) {
	if r.f == nil {
		return
	}
	// Launch may be gone (its caller was killed): nothing to do then.
	json.NewEncoder(r.f).Encode(rep)
	r.f.Close()
	r.f = nil
}

func (r *reporter) started(pid int) { r.send(report{Pid: pid}) }
func (r *reporter) fail(err error)  { r.send(errorReport(err)) }

// execFailure is how an exec failure is recorded and told to the user.
func execFailure(e *ns.ExecError) (code int, sentence string) {
	switch e.Errno {
	case syscall.ENOENT, syscall.ENOTDIR:
		return 127, fmt.Sprintf("%q: no such file or directory in the container (check the command, the image's PATH and the script's #! interpreter)", e.Path)
	case syscall.EACCES, syscall.EPERM:
		return 126, fmt.Sprintf("%q: permission denied (is it an executable file?)", e.Path)
	case syscall.EISDIR:
		return 126, fmt.Sprintf("%q is a directory, not an executable", e.Path)
	case syscall.ENOEXEC:
		return 126, fmt.Sprintf("%q: exec format error (a binary for another architecture, or a script without #!)", e.Path)
	}
	return 126, fmt.Sprintf("cannot execute %q: %v", e.Path, e.Errno)
}
