package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gofrs/flock"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/cgroupsv2"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/ns"
	"github.com/hutchctr/hutch/pkg/state"
)

// How long the monitor waits, after the container exited, for the rest of
// its output (drainIdle without data ends it early) and for the cleanup
// command.
const (
	drainIdle      = 2 * time.Second
	drainLimit     = 30 * time.Second
	cleanupTimeout = 2 * time.Minute
)

// monitor is one container's monitor process.
type monitor struct {
	cfg   Config
	rt    runtime
	log   *slog.Logger
	rep   *reporter
	store *state.Store
	// net is the container's network while it runs (nil: none).
	net *wiring
	// cgroup is the container's cgroup while it runs (nil: none).
	cgroup *cgroupsv2.Cgroup
	// stopOOMWatch ends the watch of the cgroup's OOM kills (nil: none).
	stopOOMWatch func()
}

// run is the monitor's whole life; it returns the process's exit code.
func (m *monitor) run(first net.Conn) int {
	lock, err := m.lockMonitor()
	if err != nil {
		m.log.Error("monitor lock", "err", err)
		m.rep.fail(err)
		if first != nil {
			first.Close()
		}
		return 1
	}
	// Released last: from then on the container counts as not running.
	defer lock.Unlock()
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		m.log.Warn("become child subreaper", "err", err)
	}
	s, err := m.setup(first)
	if err != nil {
		m.log.Error("set up container stdio", "err", err)
		m.noteStartError(err)
		m.cleanup()
		m.rep.fail(err)
		return 1
	}
	defer s.shutdown()
	proc, code, err := m.start(s)
	if err != nil {
		m.log.Error("start container", "err", err)
		if proc != nil { // init ran but did not exec: wait for it to go
			proc.Wait()
			s.relay.drain(drainIdle, drainLimit)
		}
		m.releaseCgroup()
		s.closeLog(m.log)
		// A container in the wrong state belongs to whoever put it there
		// (an rm under way): its rootfs is not the monitor's to clean up.
		var busy *wrongStateError
		if !errors.As(err, &busy) {
			m.cleanup()
		}
		m.rep.fail(err)
		s.hub.finish(code)
		return 1
	}
	m.rep.started(proc.Pid())
	m.log.Info("container started", "pid", proc.Pid())
	code, later := m.supervise(s, proc)
	s.hub.finish(code)
	if later != nil {
		later()
	}
	return 0
}

// lockWait bounds how long a new monitor waits for the last run's to exit.
const lockWait = 3 * time.Second

// lockMonitor takes the monitor lock, which it holds until it exits.
func (m *monitor) lockMonitor() (*flock.Flock, error) {
	store, err := state.Open(m.cfg.DataDir, m.cfg.RunDir)
	if err != nil {
		return nil, err
	}
	m.store = store
	lock := flock.New(store.MonitorLockPath(m.cfg.ID))
	// The engine starts a monitor only for a container recorded as not
	// running, but the last run's monitor may still be finishing (it
	// deletes the container's network links after recording the exit):
	// give it a moment.
	ctx, cancel := context.WithTimeout(context.Background(), lockWait)
	defer cancel()
	ok, err := lock.TryLockContext(ctx, 5*time.Millisecond)
	if err != nil && ctx.Err() == nil {
		return nil, fmt.Errorf("container %s: monitor lock: %w", shortID(m.cfg.ID), err)
	}
	if !ok {
		return nil, fmt.Errorf("container %s is already running (another monitor holds its lock): %w", shortID(m.cfg.ID), errdefs.ErrConflict)
	}
	return lock, nil
}

// start starts the container under its lock: init, the Running record,
// then exec. On an exec failure it records the exit code (127 or 126) and
// returns the started init with the error; code is what attach clients get.
func (m *monitor) start(s *session) (initProcess, int, error) {
	h, err := m.store.Lock(m.cfg.ID)
	if err != nil {
		return nil, 125, err
	}
	defer h.Unlock()
	if st := h.State.Status; st != state.Created && st != state.Exited {
		return nil, 125, &wrongStateError{fmt.Errorf("container %s is %s, cannot start it: %w", shortID(m.cfg.ID), st, errdefs.ErrConflict)}
	}
	cfg := s.nsConfig()
	cfg.Place = m.placer(s.spec)
	proc, err := m.rt.Start(cfg)
	s.closeChildEnds()
	if err != nil {
		m.updateError(h, err)
		return nil, 125, fmt.Errorf("container %s: %w", shortID(m.cfg.ID), err)
	}
	s.connect(proc.Console())
	if m.net, err = m.wireNetwork(proc.Pid()); err != nil {
		unix.Kill(proc.Pid(), unix.SIGKILL) // it has not exec'd: nothing of the user's is lost
		m.updateError(h, err)
		return proc, 125, err
	}
	if err := recordNetwork(h, m.net); err != nil {
		unix.Kill(proc.Pid(), unix.SIGKILL)
		m.unwire(m.net)
		return proc, 125, err
	}
	if err := recordRunning(h, proc.Pid(), m.cgroupRef()); err != nil {
		unix.Kill(proc.Pid(), unix.SIGKILL) // it has not exec'd: nothing of the user's is lost
		return proc, 125, err
	}
	m.watchOOM()
	err = proc.Exec()
	if err == nil {
		return proc, 0, nil
	}
	var ee *ns.ExecError
	code, msg := 125, err.Error()
	if errors.As(err, &ee) {
		code, msg = execFailure(ee)
	}
	m.unwire(m.net)
	m.net = nil
	proc.Wait() // init exits after a failed execve: reaped, it leaves the cgroup empty
	if uerr := recordExited(h, code, 0, msg, m.releaseCgroup()); uerr != nil {
		m.log.Error("record exit", "err", uerr)
	}
	return proc, code, &launchError{msg: msg, cause: err}
}

// wrongStateError is a start refused because the container is not
// created or exited: someone else (an rm, another start) owns it.
type wrongStateError struct{ error }

func (e *wrongStateError) Unwrap() error { return e.error }

// noteStartError records why the container could not start, keeping its
// status.
func (m *monitor) noteStartError(cause error) {
	h, err := m.store.Lock(m.cfg.ID)
	if err != nil {
		return
	}
	defer h.Unlock()
	m.updateError(h, cause)
}

func (m *monitor) updateError(h *state.Handle, cause error) {
	if err := h.Update(func(s *state.State) error { s.Error = cause.Error(); return nil }); err != nil {
		m.log.Error("record start error", "err", err)
	}
}

// supervise waits for the container to exit, records it, and cleans up.
// It returns the exit code, and the network clean-up that may wait until
// attach clients have it.
func (m *monitor) supervise(s *session, proc initProcess) (int, func()) {
	ws, err := proc.Wait()
	code, sig := exitStatus(ws)
	if err != nil {
		m.log.Error("wait for container", "err", err)
		code = -1
	}
	s.relay.drain(drainIdle, drainLimit)
	s.closeLog(m.log)
	m.log.Info("container exited", "code", code, "signal", sig)
	// Before the exit is recorded: once `run` returns, the container's
	// addresses, ports and names are free for the next one.
	later := m.release(m.net)
	m.net = nil
	if err := m.recordExit(code, sig, m.releaseCgroup()); err != nil {
		m.log.Error("record exit", "err", err)
	}
	reapOrphans()
	m.cleanup()
	return code, later
}

// recordExit records the end of the container and, for --rm, removes it:
// the whole container is its record's directory (the rootfs's upper layer
// included), so this needs neither storage nor another process.
func (m *monitor) recordExit(code, sig int, end cgroupEnd) error {
	h, err := m.store.Lock(m.cfg.ID)
	if err != nil {
		return err // removed meanwhile (rm -f): nothing to record
	}
	defer h.Unlock()
	if err := recordExited(h, code, sig, "", end); err != nil || !h.Config.AutoRemove {
		return err
	}
	if err := h.Update(func(s *state.State) error { s.Status = state.Removing; return nil }); err != nil {
		return err
	}
	return h.Delete()
}

func recordRunning(h *state.Handle, pid int, cg *cgroupsv2.Ref) error {
	start, err := pidStart(pid)
	if err != nil {
		return err
	}
	return h.Update(func(s *state.State) error {
		s.Status = state.Running
		s.Pid, s.PidStart, s.MonitorPid = pid, start, os.Getpid()
		s.StartedAt = time.Now().UTC()
		s.ExitCode, s.ExitSignal, s.OOMKilled, s.Error = 0, 0, false, ""
		s.Cgroup = cg
		return nil
	})
}

// recordExited records the end of the container, and what its cgroup
// said. Stopping and Paused may move to Exited too; an Exited record
// (reconciled by another command meanwhile) is rewritten with the real
// code.
func recordExited(h *state.Handle, code, sig int, msg string, end cgroupEnd) error {
	return h.Update(func(s *state.State) error {
		s.Status = state.Exited
		s.ExitCode, s.ExitSignal, s.Error = code, sig, msg
		s.OOMKilled, s.Cgroup = end.oomKilled, end.left
		s.FinishedAt = time.Now().UTC()
		s.Pid, s.PidStart, s.MonitorPid = 0, 0, 0
		s.Networks, s.Ports = nil, nil
		return nil
	})
}

// exitStatus maps a wait status to the container's exit code: its own, or
// 128+N when signal N killed it.
func exitStatus(ws syscall.WaitStatus) (code, sig int) {
	if ws.Signaled() {
		return 128 + int(ws.Signal()), int(ws.Signal())
	}
	return ws.ExitStatus(), 0
}

// reapOrphans collects exited children other than init: processes that
// were re-parented to the monitor as subreaper. It runs after init was
// waited for and before the cleanup command starts, when no other wait is
// pending, so it cannot steal a status someone waits for.
func reapOrphans() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

// pidStart reads the start time of pid (field 22 of /proc/PID/stat, in
// clock ticks), which with the pid identifies the process across pid reuse.
func pidStart(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("container init %d: %w", pid, err)
	}
	return parseStartTime(string(data))
}

// parseStartTime extracts field 22 of a /proc/PID/stat line. The command
// (field 2) may contain spaces and parentheses, so fields are counted from
// the last ')'.
func parseStartTime(stat string) (uint64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc stat line")
	}
	fields := strings.Fields(stat[i+1:]) // fields[0] is field 3
	if len(fields) < 20 {
		return 0, fmt.Errorf("malformed /proc stat line")
	}
	return strconv.ParseUint(fields[22-3], 10, 64)
}

func loadSpec(path string) (*specs.Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("runtime spec: %w", err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("runtime spec %s: %w", path, err)
	}
	if spec.Process == nil {
		return nil, fmt.Errorf("runtime spec %s: no process: %w", path, errdefs.ErrInvalidArgument)
	}
	return &spec, nil
}
