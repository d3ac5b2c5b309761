package engine

import (
	"context"
	"fmt"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Attach connects s to a running container until it exits or the caller
// detaches; it returns an *ExitError for a non-zero exit code.
func (e *Engine) Attach(ctx context.Context, ref string, s Streams, sigProxy bool) error {
	c, err := e.state.Get(ref)
	if err != nil {
		return err
	}
	c = e.reconcile(ctx, c)
	if !c.State.Status.Active() {
		return errdefs.Errorf(errdefs.ErrConflict, "container %s is not running", c.Config.Name)
	}
	conn, err := e.client.Dial(ctx, c.Config.ID)
	if err != nil {
		return fmt.Errorf("attach to %s: %w", c.Config.Name, err)
	}
	defer conn.Close()
	if sigProxy && s.Terminal == nil {
		stop := e.proxySignals(c.Config.ID, c.State.Pid)
		defer stop()
	}
	stdin := c.Config.Stdin && s.In != nil
	if !stdin {
		s.In = nil
	}
	code, err := e.client.Attach(ctx, conn, s, stdin)
	if err != nil {
		return e.exitAfterLostAttach(ctx, c.Config.ID, err)
	}
	if code != 0 {
		return &ExitError{Code: code}
	}
	return nil
}
