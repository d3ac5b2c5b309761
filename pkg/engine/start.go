package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/monitor"
	"github.com/hutchctr/hutch/pkg/ns"
	"github.com/hutchctr/hutch/pkg/spec"
	"github.com/hutchctr/hutch/pkg/state"
)

// Start starts a created or exited container; with Attach it behaves like
// an attached Run.
func (e *Engine) Start(ctx context.Context, ref string, o StartOptions) error {
	if _, err := e.images(ctx); err != nil {
		return err
	}
	id, err := e.state.Lookup(ref)
	if err != nil {
		return err
	}
	if o.Attach {
		c, err := e.state.Get(id)
		if err != nil {
			return err
		}
		return e.runAttached(ctx, id, o.Streams, o.SigProxy, o.Interactive && c.Config.Stdin, false)
	}
	_, err = e.start(ctx, id, nil, nil)
	return err
}

// start mounts the rootfs, completes the spec and launches the monitor,
// which records the container as running. attach, if set, becomes the
// monitor's first attach client; tty, if set, is the caller's terminal,
// whose size the container's pty starts with.
func (e *Engine) start(ctx context.Context, id string, attach, tty *os.File) (*started, error) {
	imgs, err := e.images(ctx)
	if err != nil {
		return nil, err
	}
	specPath, cfg, err := e.prepareStart(ctx, imgs, id)
	if err != nil {
		return nil, err
	}
	lc := launchConfig{ID: id, SpecPath: specPath, Stdin: cfg.Stdin, CleanupArgs: e.cleanupArgs(id)}
	if tty != nil && cfg.Terminal {
		lc.Rows, lc.Cols, _ = monitor.TerminalSize(tty)
	}
	st, err := e.monitors.Launch(ctx, lc, attach)
	if err == nil {
		return st, nil
	}
	var execErr *ns.ExecError
	switch {
	case errors.As(err, &execErr):
		// The monitor recorded the exit code and ran the cleanup.
		return nil, execExitError(cfg.Spec.Process.Args[0], execErr)
	case errors.Is(err, errdefs.ErrConflict):
		// Another start won the race and owns the mount too: drop ours.
		imgs.Unmount(ctx, id, false)
		return nil, errdefs.Errorf(errdefs.ErrConflict, "container %s is already running", cfg.Name)
	default:
		e.unmountAfterFailedStart(ctx, imgs, id)
		return nil, fmt.Errorf("start container %s: %w", cfg.Name, err)
	}
}

// prepareStart does the start's work under the container's lock and
// releases it before the monitor is launched (the monitor takes it to
// record the container as running).
func (e *Engine) prepareStart(ctx context.Context, imgs imageStore, id string) (string, *state.Config, error) {
	h, err := e.state.Lock(id)
	if err != nil {
		return "", nil, err
	}
	defer h.Unlock()
	if err := e.startable(h); err != nil {
		return "", nil, err
	}
	mp, err := imgs.Mount(ctx, id)
	if err != nil {
		return "", nil, fmt.Errorf("mount the rootfs of %s: %w", h.Config.Name, err)
	}
	specPath, err := e.writeSpec(h, mp)
	if err == nil {
		err = h.Update(func(s *state.State) error { s.Mountpoint = mp; return nil })
	}
	if err != nil {
		imgs.Unmount(ctx, id, false)
		return "", nil, err
	}
	return specPath, &h.Config, nil
}

// startable refuses to start a container that runs or is being created or
// removed. A record left "running" by a dead monitor is reconciled first.
func (e *Engine) startable(h *state.Handle) error {
	st := h.State.Status
	if st.Active() {
		if alive, _ := e.state.MonitorAlive(h.ID()); alive {
			return errdefs.Errorf(errdefs.ErrConflict, "container %s is already running", h.Config.Name)
		}
		killStale(h.State.Pid, h.State.PidStart)
		return h.Update(func(s *state.State) error {
			s.Status, s.ExitCode = state.Exited, -1
			s.Error = "the container's monitor died; its exit code is unknown"
			return nil
		})
	}
	switch st {
	case state.Created, state.Exited:
		return nil
	case state.Configured:
		return errdefs.Errorf(errdefs.ErrConflict, "container %s was not completely created; remove it with rm -f", h.Config.Name)
	default:
		return errdefs.Errorf(errdefs.ErrConflict, "container %s is %s", h.Config.Name, st)
	}
}

// writeSpec completes the container's spec for this start (rootfs path,
// user resolved in the image, HOME) and writes it to the run directory.
func (e *Engine) writeSpec(h *state.Handle, rootfs string) (string, error) {
	sp, err := copySpec(h.Config.Spec)
	if err != nil {
		return "", err
	}
	user, home, err := spec.ResolveUser(rootfs, h.Config.User)
	if err != nil {
		return "", err
	}
	sp.Root.Path = rootfs
	sp.Process.User = user
	if spec.LookupEnv(sp.Process.Env, "HOME") == "" {
		sp.Process.Env = append(sp.Process.Env, "HOME="+home)
	}
	dir, err := e.state.MkRunDir(h.ID())
	if err != nil {
		return "", err
	}
	data, err := json.Marshal(sp)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "spec.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", fmt.Errorf("write runtime spec: %w", err)
	}
	return path, nil
}

func copySpec(s *specs.Spec) (*specs.Spec, error) {
	if s == nil {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "container record has no runtime spec")
	}
	data, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	var out specs.Spec
	return &out, json.Unmarshal(data, &out)
}

func (e *Engine) unmountAfterFailedStart(ctx context.Context, imgs imageStore, id string) {
	h, err := e.state.Lock(id)
	if err != nil {
		return
	}
	defer h.Unlock()
	if h.State.Status.Active() {
		return // the monitor got far enough to own the mount
	}
	if err := imgs.Unmount(ctx, id, true); err != nil {
		logf(ctx, "unmount %s: %v", id, err)
		return
	}
	h.Update(func(s *state.State) error { s.Mountpoint = ""; return nil })
}

// cleanupArgs is the command the monitor runs after the container exited.
func (e *Engine) cleanupArgs(id string) []string {
	args := []string{"/proc/self/exe", "--root", e.paths.Data, "--runroot", e.paths.Run}
	if e.opts.LogLevel != "" {
		args = append(args, "--log-level", e.opts.LogLevel)
	}
	return append(args, "container", "cleanup", id)
}

// execExitError turns a failed execve into Podman's exit codes: 127 when
// the command does not exist, 126 when it cannot be executed.
func execExitError(cmd string, err *ns.ExecError) error {
	if err.Errno == syscall.ENOENT {
		where := " in $PATH"
		if strings.Contains(cmd, "/") {
			where = ""
		}
		return &ExitError{Code: 127, Err: fmt.Errorf("executable file %q not found%s", cmd, where)}
	}
	return &ExitError{Code: 126, Err: fmt.Errorf("%q cannot be executed: %v", cmd, err.Errno)}
}
