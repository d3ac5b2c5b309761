package monitor

import (
	"context"
	"io"

	"github.com/hutchctr/hutch/pkg/monitor/logfile"
)

// LogOptions select what ReadLog prints (`hutch logs` flags).
type LogOptions = logfile.Options

// ReadLog prints the container log at path (state.Store.LogPath): stdout
// lines to stdout, stderr lines to stderr, honouring Tail, Since, Until and
// Timestamps. With Follow it keeps printing new lines while alive() is true
// (pass the monitor-lock check, state.Store.MonitorAlive), then prints
// what is left and returns.
func ReadLog(ctx context.Context, path string, o LogOptions, stdout, stderr io.Writer, alive func() bool) error {
	return logfile.Read(ctx, path, o, stdout, stderr, alive)
}
