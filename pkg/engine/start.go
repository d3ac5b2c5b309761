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
	"github.com/hutchctr/hutch/pkg/overlay"
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

// start completes the spec and launches the monitor, which records the
// container as running. attach, if set, becomes the monitor's first attach
// client; tty, if set, is the caller's terminal, whose size the container's
// pty starts with.
func (e *Engine) start(ctx context.Context, id string, attach, tty *os.File) (*started, error) {
	if _, err := e.images(ctx); err != nil {
		return nil, err // rootless: join before the monitor is spawned
	}
	p, err := e.monitors.Spawn(attach)
	if err != nil {
		return nil, err
	}
	return e.startWith(ctx, id, p, tty)
}

// startWith is start with a monitor spawned already; it owns p.
func (e *Engine) startWith(ctx context.Context, id string, p pendingMonitor, tty *os.File) (*started, error) {
	imgs, err := e.images(ctx)
	if err != nil {
		p.Abort()
		return nil, err
	}
	if err := e.prepareNetwork(ctx, id); err != nil {
		p.Abort()
		return nil, err
	}
	prep, err := e.prepareStart(ctx, imgs, id)
	if err != nil {
		p.Abort()
		return nil, err
	}
	cfg := prep.cfg
	lc := launchConfig{ID: id, SpecPath: prep.specPath, NetworkPlan: prep.planPath, Stdin: cfg.Stdin}
	if tty != nil && cfg.Terminal {
		lc.Rows, lc.Cols, _ = monitor.TerminalSize(tty)
	}
	st, err := p.Launch(ctx, lc)
	if err == nil {
		return st, nil
	}
	var execErr *ns.ExecError
	switch {
	case errors.As(err, &execErr):
		// The monitor recorded the exit code.
		return nil, execExitError(cfg.Command[0], execErr)
	default:
		return nil, fmt.Errorf("start container %s: %w", cfg.Name, err)
	}
}

// prepareStart writes the spec under the container's lock and releases it
// before the monitor is launched (the monitor takes it to record the
// container as running).
func (e *Engine) prepareStart(ctx context.Context, imgs imageStore, id string) (*startPrep, error) {
	h, err := e.state.Lock(id)
	if err != nil {
		return nil, err
	}
	defer h.Unlock()
	if err := e.startable(h); err != nil {
		return nil, err
	}
	// A cgroup the last run left (its monitor died before removing it).
	if err := e.destroyCgroup(&h.Container); err != nil {
		return nil, fmt.Errorf("container %s: remove the cgroup its last run left: %w", h.Config.Name, err)
	}
	if h.State.Cgroup != nil {
		if err := h.Update(func(s *state.State) error { s.Cgroup = nil; return nil }); err != nil {
			return nil, err
		}
	}
	if err := e.state.LoadSpec(&h.Container); err != nil {
		return nil, err
	}
	lower, err := imgs.LayerDirs(ctx, h.Config.ImageID)
	if err != nil {
		return nil, fmt.Errorf("image of container %s: %w", h.Config.Name, err)
	}
	netns, err := e.joinedNetNS(h)
	if err != nil {
		return nil, err
	}
	specPath, err := e.writeSpec(h, lower, netns)
	if err != nil {
		return nil, err
	}
	planPath, err := e.writePlan(h)
	if err != nil {
		return nil, err
	}
	merged := filepath.Join(e.rootfsDir(id), "merged")
	if err := h.Update(func(s *state.State) error { s.Mountpoint = merged; return nil }); err != nil {
		return nil, err
	}
	return &startPrep{specPath: specPath, planPath: planPath, cfg: &h.Config}, nil
}

// startPrep is what prepareStart wrote for the monitor.
type startPrep struct {
	specPath, planPath string
	cfg                *state.Config
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

// writeSpec completes the container's spec for this start (the overlay
// rootfs over the image's layers, the user to resolve) and writes it to the
// run directory.
func (e *Engine) writeSpec(h *state.Handle, lower []string, netns string) (string, error) {
	sp, err := copySpec(h.Config.Spec)
	if err != nil {
		return "", err
	}
	if netns != "" {
		for i := range sp.Linux.Namespaces {
			if sp.Linux.Namespaces[i].Type == specs.NetworkNamespace {
				sp.Linux.Namespaces[i].Path = netns
			}
		}
	}
	dir := e.rootfsDir(h.ID())
	rootfs, err := overlay.RootfsMount(overlay.RootfsOptions{
		Lower: lower, Upper: filepath.Join(dir, "upper"), Work: filepath.Join(dir, "work"),
		UserNS: e.paths.Rootless, Volatile: h.Config.AutoRemove,
	})
	if err != nil {
		return "", err
	}
	sp.Root.Path = filepath.Join(dir, "merged")
	sp.Mounts = append([]specs.Mount{rootfs}, sp.Mounts...)
	if sp.Annotations == nil {
		sp.Annotations = map[string]string{}
	}
	sp.Annotations[ns.UserAnnotation] = h.Config.User
	run, err := e.state.MkRunDir(h.ID())
	if err != nil {
		return "", err
	}
	data, err := json.Marshal(sp)
	if err != nil {
		return "", err
	}
	path := filepath.Join(run, "spec.json")
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
