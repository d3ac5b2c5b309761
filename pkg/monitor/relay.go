package monitor

import (
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hutchctr/hutch/pkg/monitor/logfile"
)

// relay copies the container's output to the log and to attach clients.
type relay struct {
	log  *slog.Logger
	file *logfile.Writer
	hub  *hub

	wg       sync.WaitGroup
	mu       sync.Mutex
	sources  []*os.File
	lastRead atomic.Int64 // unix nanoseconds of the last data read
	logErr   atomic.Bool  // a log write failed (reported once)
}

func newRelay(log *slog.Logger, file *logfile.Writer, hub *hub) *relay {
	return &relay{log: log, file: file, hub: hub}
}

// start relays f, which the relay owns from now on, until EOF (a pipe
// whose writers all closed, or EIO from a pty master whose slave is gone).
func (r *relay) start(f *os.File, stream logfile.Stream, kind byte) {
	r.mu.Lock()
	r.sources = append(r.sources, f)
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		buf := make([]byte, maxChunk)
		for {
			n, err := f.Read(buf)
			if n > 0 {
				r.lastRead.Store(time.Now().UnixNano())
				if werr := r.file.Write(stream, buf[:n]); werr != nil && !r.logErr.Swap(true) {
					r.log.Error("container log", "err", werr)
				}
				r.hub.broadcast(kind, buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
}

// drain waits for every source to reach EOF after the container exited.
// Processes that escaped the container's pid namespace can keep a pipe open
// forever, so it gives up once no data came for idle, or after limit.
func (r *relay) drain(idle, limit time.Duration) {
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	r.lastRead.Store(time.Now().UnixNano())
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(idle / 4)
	defer tick.Stop()
	for {
		select {
		case <-done:
			r.closeSources()
			return
		case now := <-tick.C:
			quiet := now.Sub(time.Unix(0, r.lastRead.Load())) > idle
			if quiet || now.After(deadline) {
				r.log.Warn("container output still open after exit, not waiting for it")
				r.closeSources() // interrupts reads of pollable files
				select {
				case <-done:
				case <-time.After(time.Second):
					// A blocking file (a pty master not in the poller)
					// keeps its reader; the monitor exits soon anyway.
				}
				return
			}
		}
	}
}

func (r *relay) closeSources() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.sources {
		f.Close()
	}
	r.sources = nil
}
