package monitor

import (
	"os"
	"syscall"

	"github.com/hutchctr/hutch/pkg/ns"
)

// runtime starts container inits. Production uses pkg/ns; tests use a fake
// that runs an ordinary process.
type runtime interface {
	// Start starts init, stopped before it execs the user's process.
	Start(cfg ns.Config) (initProcess, error)
}

// initProcess is a started container init (ns.Init).
type initProcess interface {
	Pid() int
	// Console is the pty master, nil without a terminal.
	Console() *os.File
	// Exec lets init exec the user's process: nil, or an *ns.ExecError.
	Exec() error
	Wait() (syscall.WaitStatus, error)
}

// nsRuntime is the real runtime.
type nsRuntime struct{}

func (nsRuntime) Start(cfg ns.Config) (initProcess, error) {
	i, err := ns.Start(cfg)
	if err != nil {
		return nil, err
	}
	return nsInit{i}, nil
}

type nsInit struct{ i *ns.Init }

func (n nsInit) Pid() int                          { return n.i.Pid }
func (n nsInit) Console() *os.File                 { return n.i.Console }
func (n nsInit) Exec() error                       { return n.i.Exec() }
func (n nsInit) Wait() (syscall.WaitStatus, error) { return n.i.Wait() }
