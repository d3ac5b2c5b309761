package monitor

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.uber.org/goleak"

	"github.com/hutchctr/hutch/pkg/ns"
	"github.com/hutchctr/hutch/pkg/state"
)

// TestMain dispatches the roles the test binary plays when Launch and the
// runtimes re-execute /proc/self/exe, as main.go does for hutch.
func TestMain(m *testing.M) {
	switch os.Getenv("_HUTCH_ROLE") {
	case "monitor":
		if os.Getenv(fakeRuntimeEnv) == "1" {
			os.Exit(mainWith(fakeRuntime{}))
		}
		os.Exit(Main())
	case "init":
		os.Exit(ns.InitMain())
	case fakeInitRole:
		os.Exit(fakeInitMain())
	}
	goleak.VerifyTestMain(m)
}

// fixture is a container record in a temp store, ready for Launch.
type fixture struct {
	t     *testing.T
	dir   string
	store *state.Store
	id    string
	cfg   Config
}

// newFixture creates a Created container running proc with the fake
// runtime. PATH defaults to the host's.
func newFixture(t *testing.T, proc specs.Process) *fixture {
	t.Helper()
	dir := t.TempDir()
	store, err := state.Open(filepath.Join(dir, "data"), filepath.Join(dir, "run"))
	if err != nil {
		t.Fatal(err)
	}
	var raw [32]byte
	rand.Read(raw[:])
	id := hex.EncodeToString(raw[:])
	h, err := store.Create(state.Config{ID: id, Name: "c" + id[:8]})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Update(func(s *state.State) error { s.Status = state.Created; return nil }); err != nil {
		t.Fatal(err)
	}
	h.Unlock()
	if proc.Env == nil {
		proc.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	}
	spec := &specs.Spec{Version: specs.Version, Process: &proc, Root: &specs.Root{Path: "/"}}
	specPath := filepath.Join(dir, "spec.json")
	writeJSONFile(t, specPath, spec)
	return &fixture{t: t, dir: dir, store: store, id: id, cfg: Config{
		ID: id, DataDir: filepath.Join(dir, "data"), RunDir: filepath.Join(dir, "run"),
		SpecPath: specPath, LogLevel: "debug", env: []string{fakeRuntimeEnv + "=1"},
	}}
}

func sh(script string) specs.Process {
	return specs.Process{Args: []string{"/bin/sh", "-c", script}, Cwd: "/"}
}

func writeJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) state() state.State {
	f.t.Helper()
	c, err := f.store.Get(f.id)
	if err != nil {
		f.t.Fatal(err)
	}
	return c.State
}

func (f *fixture) alive() bool {
	ok, err := f.store.MonitorAlive(f.id)
	if err != nil {
		f.t.Fatal(err)
	}
	return ok
}

func (f *fixture) socket() string { return SocketPath(f.store.RunDir(f.id)) }

// launch starts the monitor and registers a cleanup that waits for it.
func (f *fixture) launch(attach *os.File) *Started {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := Launch(ctx, f.cfg, attach)
	if err != nil {
		f.t.Fatalf("Launch: %v\nmonitor.log:\n%s", err, f.monitorLog())
	}
	f.t.Cleanup(func() {
		if f.t.Failed() {
			f.t.Logf("monitor.log:\n%s", f.monitorLog())
		}
		done := make(chan struct{})
		go func() { st.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			f.t.Errorf("monitor %d did not exit", st.MonitorPid)
			syscallKill(st.MonitorPid)
			<-done
		}
	})
	return st
}

func (f *fixture) monitorLog() string {
	data, _ := os.ReadFile(filepath.Join(f.store.Dir(f.id), monitorLogName))
	return string(data)
}

// logs reads the container log back.
func (f *fixture) logs() (stdout, stderr string) {
	f.t.Helper()
	var o, e bytes.Buffer
	if err := ReadLog(context.Background(), f.store.LogPath(f.id), LogOptions{Tail: -1}, &o, &e, nil); err != nil {
		f.t.Fatal(err)
	}
	return o.String(), e.String()
}

// waitExited waits for the monitor to release its lock.
func (f *fixture) waitExited() {
	f.t.Helper()
	waitFor(f.t, 20*time.Second, func() bool { return !f.alive() })
}

func waitFor(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
