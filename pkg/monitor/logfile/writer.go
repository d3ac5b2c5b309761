package logfile

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"sync"
	"time"
)

// Stream names the output stream a record came from.
type Stream string

// The streams of a container. With a terminal everything is Stdout.
const (
	Stdout Stream = "stdout"
	Stderr Stream = "stderr"
)

// timeLayout is RFC 3339 with a fixed nine-digit fraction: every record's
// timestamp has the same width, which keeps the file sortable and readable.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// flushDelay bounds how long written output may sit in the buffer, so that
// `logs -f` sees it promptly while bursts still cost one write(2).
const flushDelay = 20 * time.Millisecond

// Writer appends records to a log file. It is safe for concurrent use by
// the stdout and stderr relays.
type Writer struct {
	mu      sync.Mutex
	f       *os.File
	bw      *bufio.Writer
	timer   *time.Timer // pending delayed flush; nil when none
	err     error       // first write error, reported by Close
	closed  bool
	now     func() time.Time
	scratch []byte // reused timestamp buffer
}

// Open opens (creating, mode 0600) the log at path for appending.
func Open(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open container log: %w", err)
	}
	return &Writer{f: f, bw: bufio.NewWriterSize(f, 16<<10), now: time.Now}, nil
}

// Write records the chunk p of stream s: one F record per complete line,
// and a P record for trailing text without a newline. All records of one
// chunk share its arrival time. The data reaches the file within flushDelay.
func (w *Writer) Write(s Stream, p []byte) error {
	if len(p) == 0 {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return os.ErrClosed
	}
	w.scratch = w.now().UTC().AppendFormat(w.scratch[:0], timeLayout)
	for len(p) > 0 {
		line, rest, full := bytes.Cut(p, []byte{'\n'})
		tag := " F "
		if !full {
			tag = " P "
		}
		w.bw.Write(w.scratch)
		w.bw.WriteByte(' ')
		w.bw.WriteString(string(s))
		w.bw.WriteString(tag)
		w.bw.Write(line)
		w.bw.WriteByte('\n')
		p = rest
	}
	if w.bw.Buffered() > 0 && w.timer == nil {
		w.timer = time.AfterFunc(flushDelay, w.delayedFlush)
	}
	return w.noteErr(nil)
}

func (w *Writer) delayedFlush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timer = nil
	if !w.closed {
		w.noteErr(w.bw.Flush())
	}
}

// noteErr keeps the first error of the buffered writer (bufio latches it
// too) so that Write and Close can report it.
func (w *Writer) noteErr(err error) error {
	if w.err == nil && err != nil {
		w.err = err
	}
	if w.err == nil {
		// bufio reports an earlier failed flush only on the next call.
		if _, err := w.bw.Write(nil); err != nil {
			w.err = err
		}
	}
	if w.err != nil {
		return fmt.Errorf("write container log: %w", w.err)
	}
	return nil
}

// Flush writes buffered records to the file now.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return os.ErrClosed
	}
	return w.noteErr(w.bw.Flush())
}

// Close flushes and closes the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	err := w.noteErr(w.bw.Flush())
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close container log: %w", cerr)
	}
	return err
}
