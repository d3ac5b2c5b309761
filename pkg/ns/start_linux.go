package ns

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/ns/nsenter"
	"github.com/hutchctr/hutch/pkg/overlay"
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
	// Place, when set, is called with init's pid as soon as init exists,
	// while it waits for its bootstrap and has done nothing yet: the
	// monitor moves it into the container's cgroup there. Init then
	// unshares its new cgroup namespace (rooted at that cgroup) before
	// anything else, and everything it does counts against the limits.
	// An error kills init and is Start's error.
	Place func(pid int) error
}

// Init is a started container init, stopped just before execve of the
// user's process.
type Init struct {
	// Pid is the host pid of the container's init.
	Pid int
	// Console is the pty master when Spec.Process.Terminal is set, else nil.
	Console *os.File

	mu     sync.Mutex // guards conn
	conn   *syncConn  // nil once Exec ran or init was reaped
	waiter *waiter
}

// Start clones the container init into new namespaces. It returns once init
// has set up its rootfs and is waiting to execve; call Exec to let it go.
// Start must be usable from any goroutine: it keeps the OS thread that forked
// init alive for init's whole life, so that PR_SET_PDEATHSIG (SIGKILL)
// fires only when the calling process dies.
func Start(cfg Config) (*Init, error) {
	spec := cfg.Spec
	if err := validateSpec(spec); err != nil {
		return nil, err
	}
	userNS, err := inUserNamespace()
	if err != nil {
		return nil, err
	}
	plan, err := overlay.NewPlan(spec, overlay.Options{UserNS: userNS})
	if err != nil {
		return nil, err
	}
	flags, joins, err := namespaceSetup(spec.Linux.Namespaces)
	if err != nil {
		return nil, err
	}
	defer closeNamespaces(joins)
	flags, newCgroupNS := withoutCgroupNS(flags)
	pipes, err := newChildPipes()
	if err != nil {
		return nil, err
	}
	cmd := roleCmd("init", pipes)
	setStdio(cmd, cfg.Stdin, cfg.Stdout, cfg.Stderr)
	// Namespaces joined by path are entered by the nsenter constructor
	// before Go starts in init; no fork: they are net, uts, ipc, cgroup.
	nsenter.Prepare(cmd, joins, false, "")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: flags,
		// Init dies with the monitor; see startLocked for the thread.
		Pdeathsig: syscall.SIGKILL,
		// Init leads its own session: it can take a pty as controlling
		// terminal, and the monitor's terminal signals do not reach it.
		Setsid: true,
	}
	w, err := startLocked(cmd)
	pipes.closeChildEnds()
	if err != nil {
		pipes.release()
		return nil, fmt.Errorf("start container init: %w", err)
	}
	i := &Init{Pid: cmd.Process.Pid, conn: pipes.sync, waiter: w}
	if cfg.Place != nil {
		if err := cfg.Place(i.Pid); err != nil {
			pipes.bootW.Close()
			i.abort()
			return nil, err
		}
	}
	if err := i.handshake(pipes, bootstrap{Spec: spec, Plan: plan, UnshareCgroup: newCgroupNS}); err != nil {
		i.abort()
		var ie *InitError
		if errors.As(err, &ie) {
			err = fmt.Errorf("container init: %w", err)
		}
		return nil, err
	}
	return i, nil
}

// withoutCgroupNS takes a new cgroup namespace out of the clone flags:
// cloned with it, init's namespace would be rooted at the monitor's
// cgroup. Init unshares it once it is in the container's cgroup (see
// Config.Place). A cgroup namespace joined by path is entered at clone
// time as before.
func withoutCgroupNS(flags uintptr) (uintptr, bool) {
	return flags &^ unix.CLONE_NEWCGROUP, flags&unix.CLONE_NEWCGROUP != 0
}

// handshake sends the bootstrap and waits for init to be ready.
func (i *Init) handshake(pipes *childPipes, b bootstrap) error {
	if err := pipes.writeBootstrap(b); err != nil {
		return i.deathError(err)
	}
	for {
		m, fds, err := i.conn.recv()
		if err != nil {
			return i.deathError(err)
		}
		switch m.Type {
		case msgReady:
			closeAll(fds)
			return nil
		case msgConsole:
			if i.Console, err = consoleFile(fds); err != nil {
				return err
			}
		case msgError:
			closeAll(fds)
			return m.initError()
		default:
			closeAll(fds)
			return fmt.Errorf("container init: unexpected %q message", m.Type)
		}
	}
}

// deathError explains a broken sync channel by init's exit status.
func (i *Init) deathError(err error) error {
	if !errors.Is(err, io.EOF) && !errors.Is(err, unix.EPIPE) {
		return fmt.Errorf("container init: %w", err)
	}
	ws, werr := i.waiter.wait()
	if werr != nil {
		return fmt.Errorf("container init died: %w", werr)
	}
	return fmt.Errorf("container init died before it was ready (%s)", describeStatus(ws))
}

// abort kills init and releases everything (Start's error path).
func (i *Init) abort() {
	_ = unix.Kill(i.Pid, unix.SIGKILL)
	_, _ = i.Wait()
	if i.Console != nil {
		i.Console.Close()
		i.Console = nil
	}
}

// Exec lets init execve the user's process. It returns nil once the execve
// succeeded, or an *ExecError. Everything else init does (mounts, cwd,
// credentials) is done by the time Start returns.
func (i *Init) Exec() error {
	c := i.takeSync()
	if c == nil {
		return fmt.Errorf("container init: exec already requested or init gone: %w", errdefs.ErrConflict)
	}
	defer c.close()
	if err := c.send(syncMsg{Type: msgGo}); err != nil {
		return i.deathError(err)
	}
	return c.awaitExec()
}

// Wait waits for init to exit and returns its status.
func (i *Init) Wait() (syscall.WaitStatus, error) {
	ws, err := i.waiter.wait()
	// Init never exec'd (the caller gave up on it): release the socket.
	if c := i.takeSync(); c != nil {
		c.close()
	}
	return ws, err
}

// takeSync hands the sync socket to exactly one user.
func (i *Init) takeSync() *syncConn {
	i.mu.Lock()
	defer i.mu.Unlock()
	c := i.conn
	i.conn = nil
	return c
}

// roleCmd is a re-execution of this binary in role, with the sync socket
// and bootstrap pipe as fds 3 and 4.
func roleCmd(role string, pipes *childPipes) *exec.Cmd {
	return &exec.Cmd{
		Path: "/proc/self/exe",
		Args: []string{"hutch-" + role},
		// A minimal environment: the user's process gets Process.Env,
		// nothing of the monitor's leaks into it.
		Env:        []string{"_HUTCH_ROLE=" + role},
		ExtraFiles: pipes.childFiles(),
	}
}

// inUserNamespace reports whether this process is in a non-initial user
// namespace (rootless), where the mount plan differs.
func inUserNamespace() (bool, error) {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false, fmt.Errorf("read uid map: %w", err)
	}
	f := strings.Fields(string(b))
	initial := len(f) == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295"
	return !initial, nil
}

// setStdio sets the child's stdio; a nil file stays nil (/dev/null): a
// nil *os.File stored in the io.Reader field would not.
func setStdio(cmd *exec.Cmd, stdin, stdout, stderr *os.File) {
	if stdin != nil {
		cmd.Stdin = stdin
	}
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if stderr != nil {
		cmd.Stderr = stderr
	}
}

// waiter owns the goroutine that started a child on a locked OS thread and
// reaps it.
type waiter struct {
	done   chan struct{}
	status syscall.WaitStatus
	err    error
}

// startLocked starts cmd from a goroutine locked to its OS thread, which it
// keeps until the child exits. PR_SET_PDEATHSIG fires when the thread that
// forked the child exits, not the process; a thread the Go runtime retires
// would kill the container. The goroutine ends when the child is reaped.
func startLocked(cmd *exec.Cmd) (*waiter, error) {
	w := &waiter{done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
			w.status = ws
			err = nil
		}
		w.err = err
		close(w.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return w, nil
}

func (w *waiter) wait() (syscall.WaitStatus, error) {
	<-w.done
	return w.status, w.err
}

// describeStatus renders a wait status for messages.
func describeStatus(ws syscall.WaitStatus) string {
	if ws.Signaled() {
		return fmt.Sprintf("killed by %v", ws.Signal())
	}
	return fmt.Sprintf("exit status %d", ws.ExitStatus())
}
