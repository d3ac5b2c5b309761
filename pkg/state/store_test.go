package state

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gofrs/flock"
	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

func newID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func openStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "data"), filepath.Join(t.TempDir(), "run"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func create(t *testing.T, s *Store, name string) string {
	t.Helper()
	id := newID(t)
	h, err := s.Create(Config{ID: id, Name: name})
	if err != nil {
		t.Fatalf("Create(%q): %v", name, err)
	}
	if err := h.Update(func(st *State) error { st.Status = Created; return nil }); err != nil {
		t.Fatal(err)
	}
	h.Unlock()
	return id
}

func TestCreateGetLookup(t *testing.T) {
	s := openStore(t)
	id := create(t, s, "web")
	tests := []struct {
		ref     string
		want    string
		wantErr error
	}{
		{"web", id, nil},
		{id, id, nil},
		{id[:5], id, nil},
		{"nope", "", errdefs.ErrNotFound},
		{"", "", errdefs.ErrInvalidArgument},
	}
	for _, tt := range tests {
		got, err := s.Lookup(tt.ref)
		if !errors.Is(err, tt.wantErr) || got != tt.want {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tt.ref, got, err, tt.want, tt.wantErr)
		}
	}
	c, err := s.Get("web")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(State{Status: Created}, c.State); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
}

func TestNameRules(t *testing.T) {
	s := openStore(t)
	create(t, s, "web")
	for _, tt := range []struct {
		name string
		err  error
	}{
		{"web", errdefs.ErrAlreadyExists},
		{"a b", errdefs.ErrInvalidArgument},
		{"-x", errdefs.ErrInvalidArgument},
		{"ok_1.2-3", nil},
	} {
		h, err := s.Create(Config{ID: newID(t), Name: tt.name})
		if !errors.Is(err, tt.err) {
			t.Errorf("Create(%q): got %v, want %v", tt.name, err, tt.err)
		}
		if h != nil {
			h.Unlock()
		}
	}
	// A failed create leaves no directory behind.
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(list); got != 2 {
		t.Errorf("got %d records, want 2", got)
	}
}

func TestConcurrentSameName(t *testing.T) {
	s := openStore(t)
	const n = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, err := s.Create(Config{ID: newID(t), Name: "same"})
			if err != nil {
				if !errors.Is(err, errdefs.ErrAlreadyExists) {
					t.Errorf("Create: got %v, want ErrAlreadyExists", err)
				}
				return
			}
			h.Unlock()
			mu.Lock()
			wins++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("got %d winners, want 1", wins)
	}
}

func TestStaleNameIsReclaimed(t *testing.T) {
	s := openStore(t)
	// A name file whose container directory is gone (a crash inside Delete).
	if err := os.WriteFile(filepath.Join(s.namesDir(), "ghost"), []byte(newID(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	create(t, s, "ghost")
}

func TestDeleteAndTrash(t *testing.T) {
	s := openStore(t)
	id := create(t, s, "gone")
	h, err := s.Lock("gone")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Update(func(st *State) error { st.Status = Removing; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := h.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(id); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("Get after Delete: got %v, want ErrNotFound", err)
	}
	if _, err := os.Stat(filepath.Join(s.namesDir(), "gone")); !os.IsNotExist(err) {
		t.Errorf("name file still exists: %v", err)
	}
	// Trash left by a crash is collected by List.
	trash := filepath.Join(s.containersDir(), trashPrefix+newID(t))
	if err := os.MkdirAll(trash, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := s.List(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(trash); !os.IsNotExist(err) {
		t.Errorf("trash not collected: %v", err)
	}
}

func TestUpdateRefusesBadTransition(t *testing.T) {
	s := openStore(t)
	create(t, s, "c")
	h, err := s.Lock("c")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Unlock()
	err = h.Update(func(st *State) error { st.Status = Paused; return nil })
	if !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("created -> paused: got %v, want ErrConflict", err)
	}
	if got, err := s.Get("c"); err != nil || got.State.Status != Created {
		t.Errorf("state after refused update: %+v, %v", got, err)
	}
}

func TestRename(t *testing.T) {
	s := openStore(t)
	id := create(t, s, "old")
	create(t, s, "taken")
	h, err := s.Lock("old")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Rename("taken"); !errors.Is(err, errdefs.ErrAlreadyExists) {
		t.Errorf("rename to a taken name: got %v", err)
	}
	if err := h.Rename("new"); err != nil {
		t.Fatal(err)
	}
	h.Unlock()
	if got, _ := s.Lookup("new"); got != id {
		t.Errorf("Lookup(new) = %q, want %q", got, id)
	}
	if _, err := s.Lookup("old"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("old name still resolves: %v", err)
	}
}

func TestMonitorAlive(t *testing.T) {
	s := openStore(t)
	id := create(t, s, "m")
	alive, err := s.MonitorAlive(id)
	if err != nil || alive {
		t.Fatalf("MonitorAlive before lock = %v, %v; want false", alive, err)
	}
	l := flock.New(s.MonitorLockPath(id))
	if err := l.Lock(); err != nil {
		t.Fatal(err)
	}
	if alive, _ := s.MonitorAlive(id); !alive {
		t.Error("MonitorAlive with lock held = false")
	}
	l.Unlock()
	if alive, _ := s.MonitorAlive(id); alive {
		t.Error("MonitorAlive after unlock = true")
	}
}

func TestIncompleteRecordReadsAsConfigured(t *testing.T) {
	s := openStore(t)
	id := newID(t)
	if err := os.Mkdir(s.Dir(id), 0o700); err != nil {
		t.Fatal(err)
	}
	c, err := s.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if c.State.Status != Configured || c.Config.ID != id {
		t.Errorf("got %+v, want a Configured record with the ID", c)
	}
}

// TestTornFilesReadTruthfully: after a power loss a volatile state.json (or
// an --rm container's config.json) may be empty; listing must go on.
func TestTornFilesReadTruthfully(t *testing.T) {
	s := openStore(t)
	id := create(t, s, "torn")
	if err := os.WriteFile(filepath.Join(s.Dir(id), stateFile), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := s.Get(id)
	if err != nil || c.State.Status != Exited || c.State.ExitCode != -1 {
		t.Errorf("torn state.json: got %+v, %v; want an unknown exit", c, err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir(id), configFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	list, err := s.List()
	if err != nil || len(list) != 1 || list[0].State.Status != Configured || list[0].Config.ID != id {
		t.Errorf("torn config.json: got %+v, %v; want one Configured record", list, err)
	}
}
