package monitor

import (
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"

	"golang.org/x/sys/unix"
)

// Main is the "monitor" role's entry point (main.go): Launch re-executes
// hutch with _HUTCH_ROLE=monitor. It returns the process's exit code.
func Main() int { return mainWith(nsRuntime{}) }

func mainWith(rt runtime) int {
	tuneMemory()
	// The inherited descriptors are not close-on-exec; without this the
	// container's init and the cleanup command would hold the report pipe
	// open, and Launch would wait for them.
	unix.CloseOnExec(reportFD)
	unix.CloseOnExec(attachFD)
	rep := &reporter{f: os.NewFile(reportFD, "report")}
	doc, err := readLaunchDoc()
	log := newLogger(os.Stderr, doc.LogLevel).With("id", shortID(doc.ID))
	if err != nil {
		log.Error("bad launch", "err", err)
		rep.fail(err)
		return 1
	}
	var first net.Conn
	if doc.Attach {
		f := os.NewFile(attachFD, "attach")
		first, err = net.FileConn(f) // dups: f can go
		f.Close()
		if err != nil {
			log.Warn("first attach client", "err", err)
		}
	}
	m := &monitor{cfg: doc.Config, rt: rt, log: log, rep: rep}
	return m.run(first)
}

// tuneMemory keeps the monitor small: one runs per container, and its
// resident size is compared with conmon's. Its live heap is a few hundred
// KiB, so a low GC target costs little CPU; the soft limit makes the
// runtime return freed memory to the kernel sooner.
func tuneMemory() {
	debug.SetGCPercent(20)
	debug.SetMemoryLimit(8 << 20)
}

// newLogger writes the monitor's diagnostics as text lines marked with the
// role, at level (hutch's --log-level; default info).
func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	switch strings.ToLower(level) {
	case "trace", "debug":
		l = slog.LevelDebug
	case "warn", "warning":
		l = slog.LevelWarn
	case "error", "fatal", "panic":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(prefixWriter{w}, &slog.HandlerOptions{Level: l}))
}

// prefixWriter marks each record (one Write per record) as the monitor's.
type prefixWriter struct{ w io.Writer }

func (p prefixWriter) Write(b []byte) (int, error) {
	line := make([]byte, 0, len(b)+16)
	line = append(append(line, "[hutch:monitor] "...), b...)
	if _, err := p.w.Write(line); err != nil {
		return 0, err
	}
	return len(b), nil
}
