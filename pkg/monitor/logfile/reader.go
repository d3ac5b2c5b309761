package logfile

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"time"
)

// Options select what Read prints.
type Options struct {
	// Follow keeps reading new records while the container runs.
	Follow bool
	// Tail is how many of the last lines to print first; -1 prints all.
	Tail int
	// Since and Until, when not zero, bound the time of the lines printed
	// (the time a line's first record was written).
	Since, Until time.Time
	// Timestamps prefixes each line with its time.
	Timestamps bool
}

// pollInterval is how often Follow looks for new records. Together with
// the writer's flushDelay it keeps `logs -f` within about 100 ms.
const pollInterval = 75 * time.Millisecond

// Read prints the log at path: stdout lines to stdout, stderr lines to
// stderr, joining partial records. A missing file is an empty log. With
// Follow it keeps printing new records while alive() reports true, then
// prints what is left and returns; cancelling ctx stops it with ctx.Err().
func Read(ctx context.Context, path string, o Options, stdout, stderr io.Writer, alive func() bool) error {
	if alive == nil {
		alive = func() bool { return false }
	}
	p := &printer{o: o, out: map[Stream]io.Writer{Stdout: stdout, Stderr: stderr}}
	if o.Tail >= 0 {
		p.ring = make([]line, 0, min(o.Tail, 1024))
	}
	f, err := openLog(ctx, path, o.Follow, alive)
	if err != nil || f == nil {
		return err
	}
	defer f.Close()
	r := &recordReader{br: bufio.NewReaderSize(f, 32<<10)}
	if err := r.each(p.collect); err != nil {
		return err
	}
	if err := p.endCatchUp(); err != nil {
		return err
	}
	if !o.Follow {
		return nil
	}
	for {
		running := alive() && (o.Until.IsZero() || time.Now().Before(o.Until))
		if err := r.each(p.stream); err != nil {
			return err
		}
		if !running {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// openLog opens the log; when following a container that has not written
// one yet, it waits for the file. It returns (nil, nil) for no log.
func openLog(ctx context.Context, path string, follow bool, alive func() bool) (*os.File, error) {
	for {
		f, err := os.Open(path)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		if !follow || !alive() {
			return nil, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// record is one parsed line of the file.
type record struct {
	ts      string // as written, for --timestamps
	t       time.Time
	stream  Stream
	partial bool
	text    []byte // valid until the next read
}

// parseRecord splits "TS STREAM TAG TEXT". It reports false for a malformed
// line (a truncated write after a crash), which readers skip.
func parseRecord(b []byte) (record, bool) {
	var r record
	ts, rest, ok := bytes.Cut(b, []byte{' '})
	if !ok {
		return r, false
	}
	stream, rest, ok := bytes.Cut(rest, []byte{' '})
	if !ok {
		return r, false
	}
	tag, text, _ := bytes.Cut(rest, []byte{' '})
	t, err := time.Parse(time.RFC3339Nano, string(ts))
	if err != nil {
		return r, false
	}
	switch {
	case string(stream) == string(Stdout):
		r.stream = Stdout
	case string(stream) == string(Stderr):
		r.stream = Stderr
	default:
		return r, false
	}
	switch string(tag) {
	case "F":
	case "P":
		r.partial = true
	default:
		return r, false
	}
	r.ts, r.t, r.text = string(ts), t, text
	return r, true
}

// recordReader reads complete lines from the file, keeping a trailing
// incomplete line (the writer is mid-write) for the next call.
type recordReader struct {
	br   *bufio.Reader
	held []byte
}

// each calls fn for every complete record up to the current end of file.
func (r *recordReader) each(fn func(record) error) error {
	for {
		b, err := r.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			r.held = append(r.held, b...)
			continue
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				r.held = append(r.held, b...)
				return nil
			}
			return err
		}
		if len(r.held) > 0 {
			r.held = append(r.held, b...)
			b = r.held
		}
		rec, ok := parseRecord(b[:len(b)-1])
		r.held = r.held[:0]
		if !ok {
			continue
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}
