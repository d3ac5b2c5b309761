package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gofrs/flock"
	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/ns"
	"github.com/hutchctr/hutch/pkg/state"
)

// fakeImages is an in-memory imageStore with one image.
type fakeImages struct {
	images map[string]*imageMeta
}

func newFakeImages() *fakeImages {
	img := &imageMeta{ID: strings.Repeat("ab", 32), Names: []string{"localhost/busybox:latest"},
		Config: ImageConfig{Cmd: []string{"sh"}, Env: []string{"PATH=/bin"}}}
	return &fakeImages{images: map[string]*imageMeta{"busybox": img, img.ID: img}}
}

func (f *fakeImages) Get(_ context.Context, ref string) (*imageMeta, error) {
	if m, ok := f.images[ref]; ok {
		return m, nil
	}
	return nil, fmt.Errorf("image %q: %w", ref, errdefs.ErrNotFound)
}
func (f *fakeImages) List(context.Context) ([]*imageMeta, error) {
	return []*imageMeta{f.images["busybox"]}, nil
}
func (f *fakeImages) Load(context.Context, string) ([]string, error)         { return nil, nil }
func (f *fakeImages) Import(context.Context, string, string) (string, error) { return "", nil }
func (f *fakeImages) Save(context.Context, io.Writer, string, []string) error {
	return nil
}
func (f *fakeImages) Remove(context.Context, string) ([]string, error) { return nil, nil }
func (f *fakeImages) LayerDirs(_ context.Context, imageID string) ([]string, error) {
	return []string{"/fake/layers/" + imageID}, nil
}
func (f *fakeImages) Close() error { return nil }

// fakeMonitor runs the container's command on the host as an ordinary
// process and keeps the records the way the real monitor does.
type fakeMonitor struct {
	e       *Engine
	execErr syscall.Errno // when set, the "exec" fails with it
	wg      sync.WaitGroup
	// spawned and aborted count monitors spawned and ended unused.
	spawned, aborted int
}

func (m *fakeMonitor) Spawn(attach *os.File) (pendingMonitor, error) {
	m.spawned++
	return fakePending{m}, nil
}

type fakePending struct{ m *fakeMonitor }

func (p fakePending) Abort() { p.m.aborted++ }

func (p fakePending) Launch(ctx context.Context, cfg launchConfig) (*started, error) {
	return p.m.launch(ctx, cfg)
}

func (m *fakeMonitor) launch(ctx context.Context, cfg launchConfig) (*started, error) {
	lock := flock.New(m.e.state.MonitorLockPath(cfg.ID))
	if ok, err := lock.TryLock(); err != nil || !ok {
		return nil, fmt.Errorf("monitor: %w", errdefs.ErrConflict)
	}
	h, err := m.e.state.Lock(cfg.ID)
	if err != nil {
		lock.Unlock()
		return nil, err
	}
	if m.execErr != 0 {
		h.Update(func(s *state.State) error { s.Status, s.ExitCode = state.Exited, 127; return nil })
		h.Unlock()
		lock.Unlock()
		return nil, fmt.Errorf("monitor: %w", &ns.ExecError{Path: "x", Errno: m.execErr})
	}
	cmd := exec.Command("sh", "-c", "trap 'exit 3' TERM; sleep 30 & wait")
	if err := cmd.Start(); err != nil {
		h.Unlock()
		lock.Unlock()
		return nil, err
	}
	waitForTermHandler(cmd.Process.Pid)
	start, _ := procStartTime(cmd.Process.Pid)
	h.Update(func(s *state.State) error {
		s.Status, s.Pid, s.PidStart, s.MonitorPid, s.StartedAt = state.Running, cmd.Process.Pid, start, os.Getpid(), time.Now()
		return nil
	})
	h.Unlock()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer lock.Unlock()
		err := cmd.Wait()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				code = 128 + int(ws.Signal())
			}
		}
		h, err := m.e.state.Lock(cfg.ID)
		if err != nil {
			return
		}
		h.Update(func(s *state.State) error { s.Status, s.ExitCode = state.Exited, code; return nil })
		if h.Config.AutoRemove {
			h.Update(func(s *state.State) error { s.Status = state.Removing; return nil })
			h.Delete()
		}
		h.Unlock()
	}()
	return &started{MonitorPid: os.Getpid(), Pid: cmd.Process.Pid}, nil
}

func newTestEngine(t *testing.T) (*Engine, *fakeImages, *fakeMonitor) {
	t.Helper()
	dir := t.TempDir()
	st, err := state.Open(filepath.Join(dir, "data"), filepath.Join(dir, "run"))
	if err != nil {
		t.Fatal(err)
	}
	imgs := newFakeImages()
	e := &Engine{state: st}
	e.paths.Data, e.paths.Run = filepath.Join(dir, "data"), filepath.Join(dir, "run")
	e.openImages = func(context.Context) (imageStore, error) { return imgs, nil }
	mon := &fakeMonitor{e: e}
	e.monitors = mon
	e.cg = &fakeCgroups{} // cgroups_test.go: no host cgroups in unit tests
	t.Cleanup(func() {
		list, _ := st.List()
		for _, c := range list {
			if c.State.Pid > 0 {
				syscall.Kill(c.State.Pid, syscall.SIGKILL)
			}
		}
		mon.wg.Wait()
	})
	return e, imgs, mon
}

func TestCreateBadInputLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		o    CreateOptions
		want error
	}{
		{"unknown image", CreateOptions{Image: "nope"}, errdefs.ErrNotFound},
		{"invalid name", CreateOptions{Image: "busybox", Name: "a b"}, errdefs.ErrInvalidArgument},
		{"malformed env", CreateOptions{Image: "busybox", Env: []string{"=x"}}, errdefs.ErrInvalidArgument},
		{"missing env file", CreateOptions{Image: "busybox", EnvFiles: []string{filepath.Join(dir, "none")}}, errdefs.ErrInvalidArgument},
		{"relative workdir", CreateOptions{Image: "busybox", Workdir: "rel"}, errdefs.ErrInvalidArgument},
		{"bad volume", CreateOptions{Image: "busybox", Volumes: []string{"/nonexistent-dir:/x"}}, errdefs.ErrNotFound},
		{"duplicate mount", CreateOptions{Image: "busybox", Volumes: []string{dir + ":/x"}, Tmpfs: []string{"/x"}}, errdefs.ErrInvalidArgument},
		{"bad stop signal", CreateOptions{Image: "busybox", StopSignal: "SIGNOPE"}, errdefs.ErrInvalidArgument},
		{"unknown network", CreateOptions{Image: "busybox", Network: "nonet"}, errdefs.ErrNotFound},
		{"malformed publish", CreateOptions{Image: "busybox", Publish: []string{"80:80:80:80"}}, errdefs.ErrInvalidArgument},
		{"ip outside subnet", CreateOptions{Image: "busybox", IP: "192.168.77.5"}, errdefs.ErrInvalidArgument},
		{"publish without bridge", CreateOptions{Image: "busybox", Network: "none", Publish: []string{"80"}}, errdefs.ErrInvalidArgument},
		{"memory below 6MB", CreateOptions{Image: "busybox", Resources: ResourceOptions{Memory: 1 << 20}}, errdefs.ErrInvalidArgument},
		{"swap without memory", CreateOptions{Image: "busybox", Resources: ResourceOptions{MemorySwap: 64 << 20}}, errdefs.ErrInvalidArgument},
		{"more cpus than the host", CreateOptions{Image: "busybox", Resources: ResourceOptions{CPUs: 4096}}, errdefs.ErrInvalidArgument},
		{"bad cpuset", CreateOptions{Image: "busybox", Resources: ResourceOptions{CpusetCpus: "0-x"}}, errdefs.ErrInvalidArgument},
		{"throttle of a character device", CreateOptions{Image: "busybox", Resources: ResourceOptions{DeviceReadBps: []ThrottleDevice{{"/dev/null", 1}}}}, errdefs.ErrInvalidArgument},
		{"oom score out of range", CreateOptions{Image: "busybox", Resources: ResourceOptions{OOMScoreAdj: ptrTo(2000)}}, errdefs.ErrInvalidArgument},
		{"blkio weight out of range", CreateOptions{Image: "busybox", Resources: ResourceOptions{BlkioWeight: 5}}, errdefs.ErrInvalidArgument},
		{"bad cgroupns", CreateOptions{Image: "busybox", CgroupNS: "shared"}, errdefs.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _, _ := newTestEngine(t)
			_, err := e.Create(context.Background(), tt.o)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			list, _ := e.state.List()
			if n := leftovers(t, e); len(list) != 0 || n != 0 {
				t.Errorf("left behind: %d records, %d container directories", len(list), n)
			}
		})
	}
}

func TestCreateNameInUse(t *testing.T) {
	e, _, _ := newTestEngine(t)
	ctx := context.Background()
	if _, err := e.Create(ctx, CreateOptions{Image: "busybox", Name: "web"}); err != nil {
		t.Fatal(err)
	}
	_, err := e.Create(ctx, CreateOptions{Image: "busybox", Name: "web"})
	if !errors.Is(err, errdefs.ErrAlreadyExists) {
		t.Fatalf("got %v, want ErrAlreadyExists", err)
	}
}

func TestCreateReclaimsNameOfCrashedCreate(t *testing.T) {
	e, _, _ := newTestEngine(t)
	// A create that crashed after reserving its name: record Configured,
	// lock free.
	h, err := e.state.Create(state.Config{ID: newID(), Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	h.Unlock()
	if _, err := e.Create(context.Background(), CreateOptions{Image: "busybox", Name: "web"}); err != nil {
		t.Fatalf("create over a crashed create's name: %v", err)
	}
}

func TestCommandRules(t *testing.T) {
	empty := ""
	ep := "/entry"
	img := ImageConfig{Entrypoint: []string{"/ep"}, Cmd: []string{"default"}}
	tests := []struct {
		o    CreateOptions
		want []string
	}{
		{CreateOptions{}, []string{"/ep", "default"}},
		{CreateOptions{Command: []string{"x"}}, []string{"/ep", "x"}},
		{CreateOptions{Entrypoint: &ep}, []string{"/entry"}},
		{CreateOptions{Entrypoint: &ep, Command: []string{"a"}}, []string{"/entry", "a"}},
		{CreateOptions{Entrypoint: &empty, Command: []string{"a"}}, []string{"a"}},
	}
	for _, tt := range tests {
		ep, cmd, err := command(tt.o, img)
		if err != nil {
			t.Fatal(err)
		}
		got := append(ep, cmd...)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("command(%+v) (-want +got):\n%s", tt.o, diff)
		}
	}
	if _, _, err := command(CreateOptions{Entrypoint: &empty}, img); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("empty command: got %v", err)
	}
}

func TestRunStopRemove(t *testing.T) {
	e, _, _ := newTestEngine(t)
	ctx := context.Background()
	id, err := e.Run(ctx, CreateOptions{Image: "busybox", Name: "web"}, RunOptions{Detach: true})
	if err != nil {
		t.Fatal(err)
	}
	list, err := e.List(ctx, ListOptions{})
	if err != nil || len(list) != 1 || list[0].State != "running" {
		t.Fatalf("ps after run: %+v, %v", list, err)
	}
	if err := e.Remove(ctx, "web", RemoveOptions{}); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("rm of a running container: got %v, want ErrConflict", err)
	}
	if _, err := e.start(ctx, id, nil, nil); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("second start: got %v, want ErrConflict", err)
	}
	zero := uint(5)
	if err := e.Stop(ctx, "web", &zero); err != nil {
		t.Fatal(err)
	}
	c, _ := e.state.Get(id)
	if c.State.Status != state.Exited || c.State.ExitCode != 3 {
		t.Errorf("after stop: %+v, want exited with 3 (the TERM trap)", c.State)
	}
	if err := e.Remove(ctx, "web", RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(e.state.Dir(id)); !os.IsNotExist(err) {
		t.Error("storage container left after rm")
	}
}

func TestRemoveForceKills(t *testing.T) {
	e, _, _ := newTestEngine(t)
	ctx := context.Background()
	id, err := e.Run(ctx, CreateOptions{Image: "busybox"}, RunOptions{Detach: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Remove(ctx, id, RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.state.Get(id); !errors.Is(err, errdefs.ErrNotFound) || leftovers(t, e) != 0 {
		t.Errorf("after rm -f: %v, %d container directories left", err, leftovers(t, e))
	}
}

func TestRunExecFailureRemovesContainer(t *testing.T) {
	for _, tt := range []struct {
		errno syscall.Errno
		code  int
	}{{syscall.ENOENT, 127}, {syscall.EACCES, 126}} {
		e, _, mon := newTestEngine(t)
		mon.execErr = tt.errno
		_, err := e.Run(context.Background(), CreateOptions{Image: "busybox"}, RunOptions{Detach: true})
		var exit *ExitError
		if !errors.As(err, &exit) || exit.Code != tt.code {
			t.Fatalf("errno %v: got %v, want exit %d", tt.errno, err, tt.code)
		}
		if list, _ := e.state.List(); len(list) != 0 || leftovers(t, e) != 0 {
			t.Errorf("errno %v: left %d records and %d directories", tt.errno, len(list), leftovers(t, e))
		}
	}
}

func TestReconcileDeadMonitor(t *testing.T) {
	e, _, _ := newTestEngine(t)
	// A record left "running" by a monitor that was SIGKILLed: the lock
	// is free and the pid no longer belongs to the container.
	h, err := e.state.Create(state.Config{ID: newID(), Name: "ghost"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []state.Status{state.Created, state.Running} {
		s := s
		h.Update(func(st *state.State) error { st.Status, st.Pid, st.PidStart = s, 1, 1; return nil })
	}
	h.Unlock()
	list, err := e.List(context.Background(), ListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].State != "exited" || list[0].ExitCode != -1 {
		t.Errorf("got %+v, want one exited container with code -1", list)
	}
}

func TestListFilters(t *testing.T) {
	e, _, _ := newTestEngine(t)
	ctx := context.Background()
	for _, n := range []string{"web1", "web2", "db"} {
		labels := map[string]string{"tier": "front"}
		if n == "db" {
			labels = map[string]string{"tier": "back"}
		}
		if _, err := e.Create(ctx, CreateOptions{Image: "busybox", Name: n, Labels: labels}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		filters map[string][]string
		want    []string
	}{
		{map[string][]string{"name": {"web"}}, []string{"web1", "web2"}},
		{map[string][]string{"label": {"tier=back"}}, []string{"db"}},
		{map[string][]string{"label": {"tier"}, "name": {"1$"}}, []string{"web1"}},
		{map[string][]string{"status": {"running"}}, nil},
		{map[string][]string{"status": {"created"}, "name": {"db", "web2"}}, []string{"db", "web2"}},
	}
	for _, tt := range tests {
		list, err := e.List(ctx, ListOptions{All: true, Filters: tt.filters})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range list {
			got = append(got, c.Names[0])
		}
		if diff := cmp.Diff(tt.want, sortedStrings(got)); diff != "" {
			t.Errorf("filters %v (-want +got):\n%s", tt.filters, diff)
		}
	}
	if _, err := e.List(ctx, ListOptions{Filters: map[string][]string{"bogus": {"x"}}}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("unknown filter: got %v", err)
	}
}

func sortedStrings(s []string) []string {
	if s == nil {
		return nil
	}
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in   string
		want syscall.Signal
		ok   bool
	}{
		{"KILL", syscall.SIGKILL, true}, {"SIGTERM", syscall.SIGTERM, true}, {"sigusr1", syscall.SIGUSR1, true},
		{"9", syscall.SIGKILL, true}, {"0", 0, false}, {"65", 0, false}, {"NOPE", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		got, err := parseSignal(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseSignal(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// leftovers counts the entries of the containers directory.
func leftovers(t *testing.T, e *Engine) int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(e.paths.Data, "containers"))
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// waitForTermHandler waits until pid catches SIGTERM (its trap is set),
// so that a test's stop cannot race the shell's start-up.
func waitForTermHandler(pid int) {
	for i := 0; i < 500; i++ {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			return
		}
		for _, line := range strings.Split(string(data), "\n") {
			if hex, ok := strings.CutPrefix(line, "SigCgt:"); ok {
				var mask uint64
				fmt.Sscanf(strings.TrimSpace(hex), "%x", &mask)
				if mask&(1<<(uint(syscall.SIGTERM)-1)) != 0 {
					return
				}
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestRunAbortsTheSpawnedMonitor: run spawns the monitor before it creates
// the container; a create that fails must end that monitor.
func TestRunAbortsTheSpawnedMonitor(t *testing.T) {
	e, _, mon := newTestEngine(t)
	// (An unknown image fails earlier: run finds or pulls it first.)
	_, err := e.Run(context.Background(), CreateOptions{Image: "busybox", Name: "a b"}, RunOptions{Detach: true})
	if !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("got %v, want ErrInvalidArgument", err)
	}
	if mon.spawned != 1 || mon.aborted != 1 {
		t.Errorf("%d monitors spawned, %d aborted; want 1 and 1", mon.spawned, mon.aborted)
	}
}
