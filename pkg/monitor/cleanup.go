package monitor

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"time"
)

// cleanup runs the engine's cleanup command (unmount the rootfs, apply
// --rm) and logs what it printed. It runs after the exit was recorded and
// before attach clients learn the exit code, so that `run --rm` returns
// with the container gone.
func (m *monitor) cleanup() {
	args := m.cfg.CleanupArgs
	if len(args) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = withoutRoleEnv(os.Environ())
	var out limitedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// A descendant holding the output pipe must not stall the monitor.
	cmd.WaitDelay = time.Second
	start := time.Now()
	err := cmd.Run()
	text := strings.TrimSpace(out.String())
	switch {
	case err != nil:
		m.log.Error("cleanup", "args", args, "err", err, "output", text)
	case text != "":
		m.log.Info("cleanup", "output", text, "took", time.Since(start))
	default:
		m.log.Debug("cleanup done", "took", time.Since(start))
	}
}

// limitedBuffer keeps the first 64 KiB written to it.
type limitedBuffer struct{ b bytes.Buffer }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := 64<<10 - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return l.b.String() }
