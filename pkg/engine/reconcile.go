package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hutchctr/hutch/internal/kfile"
	hlog "github.com/hutchctr/hutch/pkg/log"
	"github.com/hutchctr/hutch/pkg/state"
	"github.com/hutchctr/hutch/pkg/userns"
)

func logf(ctx context.Context, format string, args ...any) {
	hlog.G(ctx).Debug(fmt.Sprintf(format, args...))
}

// reconcile makes a record truthful: a container recorded as running whose
// monitor is gone (killed) is recorded as exited with an unknown code, and
// its init, if somehow still alive, is killed. It returns the record as
// it is afterwards. It needs no storage and joins nothing.
func (e *Engine) reconcile(ctx context.Context, c *state.Container) *state.Container {
	if !c.State.Status.Active() {
		return c
	}
	alive, err := e.state.MonitorAlive(c.Config.ID)
	if err != nil || alive {
		return c
	}
	h, err := e.state.TryLock(c.Config.ID)
	if err != nil || h == nil {
		return c // someone else is changing it right now
	}
	defer h.Unlock()
	if !h.State.Status.Active() {
		return &h.Container
	}
	if alive, _ := e.state.MonitorAlive(c.Config.ID); alive {
		return &h.Container // a monitor started meanwhile
	}
	killStale(h.State.Pid, h.State.PidStart)
	// The monitor removes the cgroup at exit; after its death, we do.
	cgErr := e.destroyCgroup(&h.Container)
	if cgErr != nil {
		logf(ctx, "reconcile %s: remove its cgroup: %v", c.Config.ID, cgErr)
	}
	err = h.Update(func(s *state.State) error {
		s.Status = state.Exited
		s.ExitCode = -1
		s.FinishedAt = time.Now().UTC()
		s.Error = "the container's monitor died; its exit code is unknown"
		if cgErr == nil {
			s.Cgroup = nil
		}
		return nil
	})
	if err != nil {
		logf(ctx, "reconcile %s: %v", c.Config.ID, err)
	}
	e.reclaimNetworks(ctx, &h.Container)
	return &h.Container
}

// reclaimStale removes the record of a create or rm that crashed (state
// Configured or Removing with nobody holding the lock). It reports whether
// the record is gone.
func (e *Engine) reclaimStale(ctx context.Context, id string) bool {
	if _, err := e.images(ctx); err != nil { // rootless: join to delete
		return false
	}
	h, err := e.state.TryLock(id)
	if err != nil || h == nil {
		return false
	}
	if h.State.Status != state.Configured && h.State.Status != state.Removing {
		h.Unlock()
		return false
	}
	h.Update(func(s *state.State) error { s.Status = state.Removing; return nil })
	return h.Delete() == nil
}

// killStale SIGKILLs pid if it is still the process that started at
// startTime (clock ticks since boot), so a reused pid is never hit.
func killStale(pid int, startTime uint64) {
	if pid <= 0 || startTime == 0 {
		return
	}
	if st, err := procStartTime(pid); err == nil && st == startTime {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// procStartTime reads field 22 (starttime) of /proc/PID/stat.
func procStartTime(pid int) (uint64, error) {
	data, err := kfile.Read("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may contain spaces and parentheses: split
	// after its last ')'.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// signalContainer sends sig to the container's init after checking that the
// pid still belongs to it.
func signalContainer(s state.State, sig syscall.Signal) error {
	st, err := procStartTime(s.Pid)
	if err != nil || st != s.PidStart {
		return fmt.Errorf("container process %d is gone", s.Pid)
	}
	if err := syscall.Kill(s.Pid, sig); err != nil {
		return fmt.Errorf("signal container process %d: %w", s.Pid, err)
	}
	return nil
}

// waitMonitor waits until the container's monitor has exited, or timeout
// (0: no limit) passed. It reports whether the monitor is gone.
func (e *Engine) waitMonitor(ctx context.Context, id string, timeout time.Duration) bool {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	delay := 2 * time.Millisecond
	for {
		alive, err := e.state.MonitorAlive(id)
		if err != nil || !alive {
			return true
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(delay):
		}
		if delay < 50*time.Millisecond {
			delay *= 2
		}
	}
}

// reclaimNetworks frees the addresses, rules and ports a container whose
// monitor died left, when this process can: as root, or rootless inside the
// namespace holder. Otherwise the next command that joins it does (opening
// the network manager reconciles every dead container).
func (e *Engine) reclaimNetworks(ctx context.Context, c *state.Container) {
	if c.Config.NetworkMode != netBridge || e.paths.Rootless && !userns.InUserNamespace() {
		return
	}
	if _, _, err := e.networks(ctx); err != nil {
		logf(ctx, "reclaim the network of %s: %v", c.Config.ID, err)
	}
}
