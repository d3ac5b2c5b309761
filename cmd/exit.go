package cmd

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

// Exit codes of hutch's own failures (Podman's libpod/define/exec_codes.go).
const (
	// exitHutch: hutch itself failed (bad flags, unknown container, ...).
	exitHutch = 125
)

// FlagError is a command-line usage error: bad flags, wrong number of
// arguments, a flag value that does not parse. The mapper prints the
// command's usage after it.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

func flagErrorf(format string, a ...any) error {
	return &FlagError{Err: fmt.Errorf(format, a...)}
}

// errorList is several independent failures of one command (`rm a b c`
// where two are missing). Each prints on its own line and the last one
// decides the exit code, as in Podman.
type errorList []error

func (l errorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

func (l errorList) Unwrap() []error { return l }

// joinErrors returns nil, the only error, or an errorList.
func joinErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errorList(errs)
}

// reportError is the one place where a command's error becomes output and
// an exit code: it prints err to w as "Error: <message>" lines (plus the
// usage of c for a FlagError) and returns the code.
func reportError(w io.Writer, c *cobra.Command, err error) int {
	if err == nil {
		return 0
	}
	printError(w, err)
	var fe *FlagError
	if errors.As(err, &fe) && c != nil {
		fmt.Fprintf(w, "\n%s", c.UsageString())
	}
	return exitCode(err)
}

// exitCode maps an error to the process exit code: the code an
// *engine.ExitError carries (the container's, or 126/127 when its command
// could not run), else 125.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	// The list's shape, not a class: a type switch is right here.
	if l, ok := err.(errorList); ok && len(l) > 0 {
		return exitCode(l[len(l)-1])
	}
	var ee *engine.ExitError
	if errors.As(err, &ee) {
		if ee.Code < 1 || ee.Code > 255 {
			return exitHutch
		}
		return ee.Code
	}
	return exitHutch
}

// printError prints each error once. A bare ExitError is the container's
// own outcome: there is nothing to say unless it carries a reason.
func printError(w io.Writer, err error) {
	switch e := err.(type) {
	case errorList:
		for _, x := range e {
			printError(w, x)
		}
		return
	case *engine.ExitError:
		if e.Err != nil {
			printError(w, e.Err)
		}
		return
	}
	var ee *engine.ExitError
	if errors.As(err, &ee) && ee.Err == nil {
		return
	}
	fmt.Fprintf(w, "Error: %s\n", err)
}
