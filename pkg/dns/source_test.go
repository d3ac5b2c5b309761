package dns

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/state"
)

func TestStateSource(t *testing.T) {
	w := newWorld(t, "10.99.9.0/24", "fd09::/64")
	web := w.addContainer(t, "web", []string{"10.99.9.2/24", "fd09::2/64"}, "www", "front")
	db := w.addContainer(t, "db", []string{"10.99.9.3/24"})
	w.setStatus(t, db, state.Exited)
	dead := w.addContainer(t, "dead", []string{"10.99.9.4/24"})
	dead.monitor.Unlock() // its monitor died: not attached any more
	src, err := newStateSource(w.net.Name, w.net.ID, w.data, w.run)
	if err != nil {
		t.Fatal(err)
	}
	got, err := src.Entries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(got, func(i, j int) bool { return got[i].Names[0] < got[j].Names[0] })
	want := []Entry{
		{ID: db.id, Names: []string{"db", db.id[:12]}, Addrs: addrs("10.99.9.3"), Running: false},
		{ID: web.id, Names: []string{"web", "www", "front", web.id[:12]}, Addrs: addrs("10.99.9.2", "fd09::2"), Running: true},
	}
	if diff := cmp.Diff(got, want, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("Entries (-got +want):\n%s", diff)
	}

	// Another network under the same name is not this source's.
	other, err := newStateSource(w.net.Name, "0123", w.data, w.run)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Entries(context.Background()); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("replaced network: got %v, want not found", err)
	}
	if err := os.RemoveAll(w.dir()); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Entries(context.Background()); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("removed network: got %v, want not found", err)
	}
}
