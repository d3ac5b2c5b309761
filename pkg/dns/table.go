package dns

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// nameTable is the resolver's view of a Source: a snapshot of the running
// containers' names, re-read when it is older than maxAge and on every miss,
// so that a new container resolves at once and a stopped one stops
// resolving within maxAge.
type nameTable struct {
	src    Source
	maxAge time.Duration
	now    func() time.Time

	mu   sync.Mutex
	snap *snapshot
}

// snapshot indexes the running containers of one read of the Source.
type snapshot struct {
	at     time.Time
	byName map[string][]netip.Addr // lower-case name -> addresses, in entry order
	byAddr map[netip.Addr]string   // address -> the container's first name
}

// lookup returns the addresses of the running containers named name (lower
// case), and whether any is.
func (t *nameTable) lookup(ctx context.Context, name string) ([]netip.Addr, bool, error) {
	var addrs []netip.Addr
	err := t.find(ctx, func(s *snapshot) bool {
		addrs = s.byName[name]
		return len(addrs) > 0
	})
	return addrs, len(addrs) > 0, err
}

// nameOf returns the name of the running container holding addr.
func (t *nameTable) nameOf(ctx context.Context, addr netip.Addr) (string, bool, error) {
	var name string
	err := t.find(ctx, func(s *snapshot) bool {
		name = s.byAddr[addr]
		return name != ""
	})
	return name, name != "", err
}

// find runs hit on a snapshot young enough; if it misses on a snapshot that
// was not just read, it runs it again on a fresh one.
func (t *nameTable) find(ctx context.Context, hit func(*snapshot) bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	fresh := false
	if t.snap == nil || t.now().Sub(t.snap.at) >= t.maxAge {
		if err := t.refresh(ctx); err != nil {
			return err
		}
		fresh = true
	}
	if hit(t.snap) || fresh {
		return nil
	}
	if err := t.refresh(ctx); err != nil {
		return err
	}
	hit(t.snap)
	return nil
}

// refresh reads the Source into a new snapshot. Called with mu held: one
// read at a time, and concurrent queries share its result.
func (t *nameTable) refresh(ctx context.Context) error {
	entries, err := t.src.Entries(ctx)
	if err != nil {
		return err
	}
	t.snap = index(entries, t.now())
	return nil
}

// index builds the snapshot of the running entries.
func index(entries []Entry, at time.Time) *snapshot {
	s := &snapshot{at: at, byName: map[string][]netip.Addr{}, byAddr: map[netip.Addr]string{}}
	for _, e := range entries {
		if !e.Running || len(e.Names) == 0 {
			continue
		}
		for _, n := range e.Names {
			n = strings.TrimSuffix(strings.ToLower(n), ".")
			for _, a := range e.Addrs {
				s.byName[n] = appendNew(s.byName[n], a.Unmap())
			}
		}
		for _, a := range e.Addrs {
			if _, taken := s.byAddr[a.Unmap()]; !taken {
				s.byAddr[a.Unmap()] = strings.ToLower(e.Names[0])
			}
		}
	}
	return s
}

func appendNew(list []netip.Addr, a netip.Addr) []netip.Addr {
	for _, x := range list {
		if x == a {
			return list
		}
	}
	return append(list, a)
}
