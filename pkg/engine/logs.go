package engine

import (
	"context"
	"io"
)

// Logs writes the container's log to stdout and stderr. With Follow it
// keeps reading until the container's monitor exits.
func (e *Engine) Logs(ctx context.Context, ref string, o LogsOptions, stdout, stderr io.Writer) error {
	c, err := e.state.Get(ref)
	if err != nil {
		return err
	}
	id := c.Config.ID
	alive := func() bool {
		ok, err := e.state.MonitorAlive(id)
		return err == nil && ok
	}
	return e.client.ReadLog(ctx, e.state.LogPath(id), o, stdout, stderr, alive)
}
