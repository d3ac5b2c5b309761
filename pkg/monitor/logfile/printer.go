package logfile

import (
	"io"
	"sort"
	"time"
)

// line is a logical line: records of one stream joined up to an F record.
type line struct {
	ts       string
	t        time.Time
	stream   Stream
	text     []byte
	complete bool
}

// printer turns records into output. During catch-up (the existing file)
// it joins partial records into lines and keeps the last Tail lines; when
// following, it prints records as they come, so a line still being written
// shows up before its end.
type printer struct {
	o    Options
	out  map[Stream]io.Writer
	ring []line // last Tail lines (Tail >= 0), oldest first
	head int    // next slot to overwrite once ring is full
	// open holds, per stream, the line being assembled during catch-up.
	open map[Stream]*line
	// mid and skip are, per stream, the state of the line being streamed:
	// started (prefix already printed) and filtered out.
	mid, skip map[Stream]bool
}

func (p *printer) keep(t time.Time) bool {
	if !p.o.Since.IsZero() && t.Before(p.o.Since) {
		return false
	}
	return p.o.Until.IsZero() || !t.After(p.o.Until)
}

// collect is the catch-up handler.
func (p *printer) collect(r record) error {
	if p.open == nil {
		p.open = map[Stream]*line{}
	}
	l := p.open[r.stream]
	if l == nil {
		l = &line{ts: r.ts, t: r.t, stream: r.stream}
		p.open[r.stream] = l
	}
	l.text = append(l.text, r.text...)
	if r.partial {
		return nil
	}
	l.complete = true
	delete(p.open, r.stream)
	return p.add(*l)
}

// add emits a finished line, or keeps it in the ring when tailing.
func (p *printer) add(l line) error {
	if !p.keep(l.t) {
		return nil
	}
	if p.ring == nil {
		return p.print(l)
	}
	if p.o.Tail == 0 {
		return nil
	}
	if len(p.ring) < p.o.Tail {
		p.ring = append(p.ring, l)
		return nil
	}
	p.ring[p.head] = l
	p.head = (p.head + 1) % len(p.ring)
	return nil
}

// endCatchUp prints the tail. Lines still open at the end of the file
// count as the newest lines; when following they continue as streamed.
func (p *printer) endCatchUp() error {
	open := make([]*line, 0, len(p.open))
	for _, l := range p.open {
		open = append(open, l)
	}
	sort.Slice(open, func(i, j int) bool { return open[i].t.Before(open[j].t) })
	if p.o.Follow {
		p.mid, p.skip = map[Stream]bool{}, map[Stream]bool{}
	}
	for _, l := range open {
		if err := p.add(*l); err != nil {
			return err
		}
		if p.o.Follow {
			p.mid[l.stream] = true
			p.skip[l.stream] = !p.keep(l.t)
		}
	}
	p.open = nil
	for i := range p.ring {
		if err := p.print(p.ring[(p.head+i)%len(p.ring)]); err != nil {
			return err
		}
	}
	p.ring, p.head = nil, 0
	return nil
}

func (p *printer) print(l line) error {
	w := p.out[l.stream]
	if w == nil {
		return nil
	}
	buf := make([]byte, 0, len(l.ts)+len(l.text)+2)
	if p.o.Timestamps {
		buf = append(append(buf, l.ts...), ' ')
	}
	buf = append(buf, l.text...)
	if l.complete {
		buf = append(buf, '\n')
	}
	_, err := w.Write(buf)
	return err
}

// stream is the follow handler: it prints each record at once, with the
// timestamp only where a line starts.
func (p *printer) stream(r record) error {
	s := r.stream
	starts := !p.mid[s]
	if starts {
		p.skip[s] = !p.keep(r.t)
	}
	p.mid[s] = r.partial
	w := p.out[s]
	if p.skip[s] || w == nil {
		return nil
	}
	buf := make([]byte, 0, len(r.ts)+len(r.text)+2)
	if p.o.Timestamps && starts {
		buf = append(append(buf, r.ts...), ' ')
	}
	buf = append(buf, r.text...)
	if !r.partial {
		buf = append(buf, '\n')
	}
	_, err := w.Write(buf)
	return err
}
