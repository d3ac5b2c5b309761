package ns

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/ns/nsenter"
)

// ExecConfig describes a process to start inside a running container.
type ExecConfig struct {
	// Pid is the host pid of the container's init. Required.
	Pid int
	// Process is the process to run: args, env, cwd, numeric user,
	// capabilities, no_new_privileges, rlimits, terminal. Required.
	Process *specs.Process
	// Stdin, Stdout, Stderr are used when Process.Terminal is false.
	Stdin, Stdout, Stderr *os.File
	// Detach lets the process outlive the caller (exec -d); otherwise it
	// is killed when the caller dies.
	Detach bool
	// Place, when set, is called with the process's host pid once it is
	// in the container's namespaces and before it does anything there:
	// the caller moves it into the container's cgroup. An error stops the
	// process and is StartExec's error.
	Place func(pid int) error
}

// ExecProcess is a process started by StartExec.
type ExecProcess struct {
	// Pid is the host pid of the process (or of its waiting parent).
	Pid int
	// Console is the pty master when Process.Terminal is set.
	Console *os.File

	waiter *waiter
}

// StartExec joins the container's namespaces and execs Process there. It
// returns once the execve succeeded, or an *ExecError (an *InitError for a
// failure before execve, such as a missing working directory).
//
// The process is a re-execution of this binary with _HUTCH_ROLE=exec whose
// nsenter constructor joins the namespaces and forks; Pid is the forking
// parent, which relays signals and the exit status. It leads its own
// session and dies (with the process) if the caller dies.
func StartExec(cfg ExecConfig) (*ExecProcess, error) {
	if err := validateProcess(cfg.Process); err != nil {
		return nil, err
	}
	nss, err := openContainerNamespaces(cfg.Pid)
	if err != nil {
		return nil, err
	}
	defer closeNamespaces(nss)
	pipes, err := newChildPipes()
	if err != nil {
		return nil, err
	}
	cmd := roleCmd("exec", pipes)
	if cfg.Place != nil {
		if err := setPassCred(pipes.sync, true); err != nil {
			pipes.release()
			return nil, err
		}
		cmd.Env = append(cmd.Env, placeEnv+"=1")
	}
	setStdio(cmd, cfg.Stdin, cfg.Stdout, cfg.Stderr)
	// The fork is mandatory: only children enter a joined pid namespace.
	nsenter.Prepare(cmd, nss, true, "")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if !cfg.Detach {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	w, err := startLocked(cmd)
	pipes.closeChildEnds()
	if err != nil {
		pipes.release()
		return nil, fmt.Errorf("start exec process: %w", err)
	}
	p := &ExecProcess{Pid: cmd.Process.Pid, waiter: w}
	defer pipes.sync.close()
	if cfg.Place != nil {
		if err := placeExec(pipes.sync, cfg.Place); err != nil {
			// Without a bootstrap the process reports an error and exits;
			// its forking parent reaps it and exits too.
			pipes.bootW.Close()
			_, _ = w.wait()
			return nil, err
		}
	}
	if err := p.handshake(pipes, cfg.Process); err != nil {
		var ie *InitError
		if errors.As(err, &ie) {
			err = fmt.Errorf("exec: %w", err)
		}
		// A child that reported its failure exits by itself, and the
		// forking parent reaps it. Killing that parent first would
		// leave the child a zombie of the container's init, which
		// never reaps it.
		var ee *ExecError
		if !errors.As(err, &ee) && !errors.As(err, &ie) {
			_ = unix.Kill(p.Pid, unix.SIGKILL)
		}
		_, _ = w.wait()
		if p.Console != nil {
			p.Console.Close()
		}
		return nil, err
	}
	return p, nil
}

// handshake sends the process description, takes the console if one comes,
// and waits for the execve.
func (p *ExecProcess) handshake(pipes *childPipes, proc *specs.Process) error {
	if err := pipes.writeBootstrap(bootstrap{Process: proc}); err != nil {
		return p.deathError(err)
	}
	if proc.Terminal {
		m, fds, err := pipes.sync.recv()
		if err != nil {
			return p.deathError(err)
		}
		switch m.Type {
		case msgConsole:
			if p.Console, err = consoleFile(fds); err != nil {
				return err
			}
		case msgError:
			closeAll(fds)
			return m.initError()
		default:
			closeAll(fds)
			return fmt.Errorf("exec: unexpected %q message", m.Type)
		}
	}
	return pipes.sync.awaitExec()
}

// deathError explains a broken channel by the process's exit status. The
// nsenter constructor reports its own failures on stderr and exits 125.
func (p *ExecProcess) deathError(err error) error {
	ws, werr := p.waiter.wait()
	if werr != nil {
		return fmt.Errorf("exec: %w", errors.Join(err, werr))
	}
	return fmt.Errorf("exec: process died before it ran (%s)", describeStatus(ws))
}

// Wait waits for the exec'd process and returns its exit code (128+N if it
// was killed by signal N).
func (p *ExecProcess) Wait() (int, error) {
	ws, err := p.waiter.wait()
	if err != nil {
		return 0, err
	}
	if ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return ws.ExitStatus(), nil
}

// ExecMain is the "exec" role's entry point: it runs after the nsenter
// constructor has joined the container's namespaces and forked.
func ExecMain() int {
	runtime.LockOSThread() // see InitMain
	if err := sayHello(); err != nil {
		return 125 // the parent sees EOF
	}
	c, boot, err := childBootstrap()
	if err == nil && boot.Process == nil {
		err = errors.New("bootstrap has no process")
	}
	if err != nil {
		c.sendError(step("bootstrap", err))
		return 125
	}
	err = runExec(c, boot.Process)
	var ee *ExecError
	if errors.As(err, &ee) {
		return exitCodeFor(ee.Errno)
	}
	c.sendError(err)
	return 125
}

// runExec prepares the joined process and execs it. It returns only on
// failure.
func runExec(c *syncConn, proc *specs.Process) error {
	// This process runs hutch's binary inside the container's pid
	// namespace until execve. Not dumpable, container processes cannot
	// open its /proc/PID/exe (the host binary) or ptrace it; execve of
	// the user's command makes the new image dumpable again.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return step("set non-dumpable", err)
	}
	// A session of its own, for the pty's controlling terminal; the
	// forking parent already leads one, so this cannot fail for a child.
	if _, err := unix.Setsid(); err != nil {
		return step("setsid", err)
	}
	if err := setRlimits(proc.Rlimits); err != nil {
		return err
	}
	if proc.Terminal {
		if err := setupConsole(c, proc, false); err != nil {
			return err
		}
	}
	if err := prepareProcess(proc); err != nil {
		return err
	}
	return execCommand(c, proc)
}
