package ns

// API CONTRACT STUB — written by the integrator so that other packages compile
// while pkg/ns is being implemented. The implementer replaces the bodies (and
// may move these declarations into other files) but keeps the signatures.

import (
	"fmt"
	"os"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Config describes a container init to start.
type Config struct {
	// Spec is the complete runtime-spec document. Required. Spec.Root.Path is
	// the absolute host path of the already mounted rootfs; Spec.Process.User
	// holds numeric ids; Spec.Linux.Namespaces lists the namespaces to create
	// (a namespace with a Path is joined instead). No user namespace entry is
	// expected: rootless hutch runs inside the namespace holder's.
	Spec *specs.Spec
	// Stdin, Stdout, Stderr are the container's stdio when
	// Spec.Process.Terminal is false; nil means /dev/null.
	Stdin, Stdout, Stderr *os.File
}

// Init is a started container init, stopped just before execve of the
// user's process.
type Init struct {
	// Pid is the host pid of the container's init.
	Pid int
	// Console is the pty master when Spec.Process.Terminal is set, else nil.
	Console *os.File
}

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

// Start clones the container init into new namespaces. It returns once init
// has set up its rootfs and is waiting to execve; call Exec to let it go.
// Start must be usable from any goroutine: it keeps the OS thread that forked
// init alive for init's whole life, so that PR_SET_PDEATHSIG (SIGKILL)
// fires only when the calling process dies.
func Start(cfg Config) (*Init, error) { panic("ns.Start: not implemented yet") }

// Exec lets init execve the user's process. It returns nil once the execve
// succeeded, or an *ExecError.
func (i *Init) Exec() error { panic("ns.Init.Exec: not implemented yet") }

// Wait waits for init to exit and returns its status.
func (i *Init) Wait() (syscall.WaitStatus, error) { panic("ns.Init.Wait: not implemented yet") }

// InitMain is the "init" role's entry point (see main.go).
func InitMain() int { panic("ns.InitMain: not implemented yet") }

// ExecConfig describes a process to start inside a running container.
type ExecConfig struct {
	// Pid is the host pid of the container's init. Required.
	Pid int
	// Process is the process to run: args, env, cwd, numeric user,
	// capabilities, no_new_privileges, rlimits, terminal. Required.
	Process *specs.Process
	// Stdin, Stdout, Stderr are used when Process.Terminal is false.
	Stdin, Stdout, Stderr *os.File
}

// ExecProcess is a process started by StartExec.
type ExecProcess struct {
	// Pid is the host pid of the process (or of its waiting parent).
	Pid int
	// Console is the pty master when Process.Terminal is set.
	Console *os.File
}

// StartExec joins the container's namespaces and execs Process there. It
// returns once the execve succeeded, or an *ExecError.
func StartExec(cfg ExecConfig) (*ExecProcess, error) { panic("ns.StartExec: not implemented yet") }

// Wait waits for the exec'd process and returns its exit code (128+N if it
// was killed by signal N).
func (p *ExecProcess) Wait() (int, error) { panic("ns.ExecProcess.Wait: not implemented yet") }

// ExecMain is the "exec" role's entry point: it runs after the nsenter
// constructor has joined the container's namespaces and forked.
func ExecMain() int { panic("ns.ExecMain: not implemented yet") }
