package monitor

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"

	hlog "github.com/hutchctr/hutch/pkg/log"

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
	doc, ok, err := readLaunchDoc()
	if err == nil && !ok {
		return 0 // aborted before it was needed
	}
	if err == nil {
		err = logToFile(doc.Config)
	}
	log := hlog.ForRole(os.Stderr, "monitor", doc.LogLevel).With("id", shortID(doc.ID))
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

// logToFile makes monitor.log in the container's directory the monitor's
// stderr: its diagnostics, and those of a runtime panic.
func logToFile(cfg Config) error {
	path := filepath.Join(cfg.DataDir, "containers", cfg.ID, monitorLogName)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("monitor log: %w", err)
	}
	defer f.Close()
	return unix.Dup3(int(f.Fd()), 2, 0)
}

// tuneMemory keeps the monitor small: one runs per container, and its
// resident size is compared with conmon's. Its live heap is a few hundred
// KiB, so a low GC target costs little CPU; the soft limit makes the
// runtime return freed memory to the kernel sooner.
func tuneMemory() {
	debug.SetGCPercent(20)
	debug.SetMemoryLimit(8 << 20)
}
