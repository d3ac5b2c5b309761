package image

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// layerState is where a layer of a pull (or push) is.
type layerState int32

const (
	stateWaiting layerState = iota
	stateDownloading
	stateExtracting
	stateExists
	stateDone
	stateUploading
)

func (s layerState) String() string {
	return [...]string{"waiting", "downloading", "extracting", "exists", "done", "uploading"}[s]
}

// progressRow is one layer's line.
type progressRow struct {
	digest string
	total  int64
	n      atomic.Int64
	state  atomic.Int32
	since  atomic.Int64 // unix nanoseconds of the first byte
}

func (r *progressRow) add(n int) {
	if n > 0 {
		r.since.CompareAndSwap(0, time.Now().UnixNano())
		r.n.Add(int64(n))
	}
}

func (r *progressRow) setState(s layerState) { r.state.Store(int32(s)) }

// progress draws one line per layer on a terminal, redrawn in place every
// tick, and a summary at the end. Disabled, it only counts (the summary
// and tests use the counts) and writes nothing.
type progress struct {
	w    io.Writer // nil when disabled
	rows []*progressRow

	stop  chan struct{}
	done  chan struct{}
	drawn int // lines drawn by the last redraw
}

const progressTick = 150 * time.Millisecond

// newProgress starts the display of layers on w when enabled.
func newProgress(w io.Writer, enabled bool, layers []v1.Descriptor) *progress {
	p := &progress{}
	for _, l := range layers {
		p.rows = append(p.rows, &progressRow{digest: l.Digest.Hex[:min(12, len(l.Digest.Hex))], total: l.Size})
	}
	if !enabled || w == nil {
		return p
	}
	p.w, p.stop, p.done = w, make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.done)
		t := time.NewTicker(progressTick)
		defer t.Stop()
		for {
			p.redraw()
			select {
			case <-t.C:
			case <-p.stop:
				return
			}
		}
	}()
	return p
}

func (p *progress) set(i int, s layerState) { p.rows[i].setState(s) }

// reader counts the bytes of layer i read through r.
func (p *progress) reader(i int, r io.Reader) *blobReader {
	return &blobReader{r: r, row: p.rows[i]}
}

// finish stops the redraws, draws the final state and writes summary.
func (p *progress) finish(summary string) {
	if p.w == nil {
		return
	}
	close(p.stop)
	<-p.done
	p.redraw()
	fmt.Fprintln(p.w, summary)
}

// redraw moves the cursor back over the last drawing and draws each line
// anew (erasing what remains of the old one).
func (p *progress) redraw() {
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn)
	}
	for _, r := range p.rows {
		b.WriteString("\r\x1b[2K")
		b.WriteString(r.line(time.Now()))
		b.WriteByte('\n')
	}
	p.drawn = len(p.rows)
	_, _ = io.WriteString(p.w, b.String()) // a display: nothing to do if it fails
}

// line renders a row: digest, state, bytes and rate while it moves.
func (r *progressRow) line(now time.Time) string {
	st := layerState(r.state.Load())
	n := r.n.Load()
	s := fmt.Sprintf("%s  %-11s", r.digest, st)
	switch st {
	case stateWaiting, stateExists:
		return s + "  " + humanSize(r.total)
	case stateDone:
		return s + "  " + humanSize(max(n, r.total))
	}
	s += fmt.Sprintf("  %9s / %-9s", humanSize(n), humanSize(r.total))
	if since := r.since.Load(); since > 0 && st != stateExtracting {
		if d := now.Sub(time.Unix(0, since)).Seconds(); d > 0 {
			s += "  " + humanSize(int64(float64(n)/d)) + "/s"
		}
	}
	return s
}

// transferred returns the bytes moved and the number of layers that were
// stored already.
func (p *progress) transferred() (bytes int64, existed int) {
	for _, r := range p.rows {
		bytes += r.n.Load()
		if layerState(r.state.Load()) == stateExists {
			existed++
		}
	}
	return bytes, existed
}

func pullSummary(name string, p *progress, d time.Duration, err error) string {
	if err != nil {
		return "Pull of " + name + " failed"
	}
	n, existed := p.transferred()
	rate := ""
	if s := d.Seconds(); s > 0 && n > 0 {
		rate = ", " + humanSize(int64(float64(n)/s)) + "/s"
	}
	return fmt.Sprintf("Pulled %s: %d layers (%d already stored), %s downloaded in %.1fs%s",
		name, len(p.rows), existed, humanSize(n), d.Seconds(), rate)
}

// humanSize formats bytes in decimal units, as docker and podman do.
func humanSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n), 0
	for f >= unit && i < 4 {
		f /= unit
		i++
	}
	return fmt.Sprintf("%.1f %cB", f, "kMGT"[i-1])
}
