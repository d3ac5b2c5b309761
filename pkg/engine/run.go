package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Run creates and starts a container. Detached, it returns the ID once the
// container runs. Attached, it relays stdio until the container exits and
// returns an *ExitError for a non-zero exit code. A container whose start
// fails is removed: run leaves nothing behind on error.
//
// The monitor is spawned first, so that its start-up overlaps the
// container's creation.
func (e *Engine) Run(ctx context.Context, o CreateOptions, r RunOptions) (string, error) {
	// Rootless, this joins the namespace holder, which must come before
	// the monitor is spawned; a pull happens here too, before a monitor
	// waits on it.
	img, release, err := e.holdImage(ctx, o)
	if err != nil {
		return "", err
	}
	defer release()
	var ours net.Conn
	var theirs *os.File
	if !r.Detach {
		var err error
		if ours, theirs, err = e.client.Pair(); err != nil {
			return "", err
		}
		defer ours.Close()
	}
	p, err := e.monitors.Spawn(theirs)
	if theirs != nil {
		theirs.Close() // the monitor has its copy
	}
	if err != nil {
		return "", err
	}
	id, err := e.createFrom(ctx, o, img)
	if err != nil {
		p.Abort()
		return "", err
	}
	release() // the record names the image now
	if r.Detach {
		if _, err := e.startWith(ctx, id, p, nil); err != nil {
			e.removeAfterFailedRun(ctx, id)
			return "", err
		}
		return id, nil
	}
	return id, e.attachStarted(ctx, id, p, ours, r.Streams, r.SigProxy, o.Stdin, true)
}

// runAttached starts the container with a pre-connected attach client, so
// no output is lost, and relays until the container exits.
func (e *Engine) runAttached(ctx context.Context, id string, s Streams, sigProxy, stdin, removeOnFail bool) error {
	if _, err := e.images(ctx); err != nil {
		return err
	}
	ours, theirs, err := e.client.Pair()
	if err != nil {
		return err
	}
	defer ours.Close()
	p, err := e.monitors.Spawn(theirs)
	theirs.Close()
	if err != nil {
		return err
	}
	return e.attachStarted(ctx, id, p, ours, s, sigProxy, stdin, removeOnFail)
}

// attachStarted starts the container on monitor p, whose first attach
// client is ours, and relays until the container exits. With removeOnFail
// (run), a container that could not start is removed.
func (e *Engine) attachStarted(ctx context.Context, id string, p pendingMonitor, ours net.Conn, s Streams, sigProxy, stdin, removeOnFail bool) error {
	st, err := e.startWith(ctx, id, p, s.Terminal)
	if err != nil {
		if removeOnFail {
			e.removeAfterFailedRun(ctx, id)
		}
		return err
	}
	if sigProxy && s.Terminal == nil {
		stop := e.proxySignals(id, st.Pid)
		defer stop()
	}
	if !stdin {
		s.In = nil
	}
	code, err := e.client.Attach(ctx, ours, s, stdin)
	if err != nil {
		return e.exitAfterLostAttach(ctx, id, err)
	}
	if code != 0 {
		return &ExitError{Code: code}
	}
	return nil
}

// exitAfterLostAttach reports the exit code recorded in the state when the
// attach connection broke (the monitor died, or ctx was cancelled).
func (e *Engine) exitAfterLostAttach(ctx context.Context, id string, attachErr error) error {
	c, err := e.state.Get(id)
	if err != nil {
		return fmt.Errorf("attach: %w", attachErr)
	}
	c = e.reconcile(ctx, c)
	if c.State.Status.Active() {
		return fmt.Errorf("attach to %s: %w", c.Config.Name, attachErr)
	}
	if c.State.ExitCode < 0 {
		return fmt.Errorf("container %s: %s", c.Config.Name, c.State.Error)
	}
	if c.State.ExitCode != 0 {
		return &ExitError{Code: c.State.ExitCode}
	}
	return nil
}

// proxySignals forwards the signals a user sends to `hutch run` (without a
// terminal) to the container, as Podman's --sig-proxy does.
func (e *Engine) proxySignals(id string, pid int) (stop func()) {
	ch := make(chan os.Signal, 8)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-ch:
				c, err := e.state.Get(id)
				if err == nil && c.State.Pid == pid {
					signalContainer(c.State, sig.(syscall.Signal))
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}

func (e *Engine) removeAfterFailedRun(ctx context.Context, id string) {
	if err := e.Remove(ctx, id, RemoveOptions{Force: true}); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
		logf(ctx, "remove %s after a failed run: %v", id, err)
	}
}
