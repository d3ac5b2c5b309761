package image

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/config"
	"github.com/hutchctr/hutch/pkg/registry"
)

// slowBlobs delays every blob response, so that concurrent pulls overlap.
func slowBlobs(d time.Duration) func(http.ResponseWriter, *http.Request, http.Handler) bool {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if strings.Contains(r.URL.Path, "/blobs/sha256:") && r.Method == http.MethodGet {
			time.Sleep(d)
		}
		return false
	}
}

func TestConcurrentPullsInOneProcess(t *testing.T) {
	s1 := newStore(t)
	s2, err := Open(s1.opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s2.Close() })
	tr := newTestRegistry(t)
	img, _ := threeLayers(t)
	ref := tr.push(t, "lib/conc:1", img)
	// The second image shares the first two layers.
	shared := busybox(t, testutil.WithLayer(extraLayer(t, "a")), testutil.WithLayer(extraLayer(t, "c")))
	ref2 := tr.push(t, "lib/conc:2", shared)
	tr.setFault(slowBlobs(100 * time.Millisecond))
	c := tr.client(t, nil)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i, job := range []struct {
		s   *Store
		ref string
	}{{s1, ref}, {s2, ref}, {s1, ref2}, {s2, ref2}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = job.s.Pull(context.Background(), job.ref, PullOptions{Registry: c})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("pull %d: %v", i, err)
		}
	}
	if n := layerCount(t, s1); n != 4 {
		t.Errorf("%d layers stored, want 4 (each shared layer once)", n)
	}
	if n := imageCount(t, s1); n != 2 {
		t.Errorf("%d images, want 2", n)
	}
}

// Environment of TestPullWorkerProcess.
const (
	workerEnv   = "_HUTCH_PULL_WORKER" // "graph run registry-host ref"
	workerGraph = "_HUTCH_PULL_WORKER_GRAPH"
)

func TestConcurrentPullsInTwoProcesses(t *testing.T) {
	s := newStore(t)
	tr := newTestRegistry(t)
	img, _ := threeLayers(t)
	ref := tr.push(t, "lib/procs:1", img)
	tr.setFault(slowBlobs(150 * time.Millisecond))
	dir := t.TempDir()
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for i := 0; i < 2; i++ {
		cmd := exec.Command("/proc/self/exe", "-test.run=^TestPullWorkerProcess$", "-test.count=1")
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		// The worker has its own run root (storage keeps per-process state
		// there) and mount namespace.
		cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
		cmd.Env = withRole("mountns",
			workerEnv+"="+fmt.Sprintf("%s %s %s", filepath.Join(dir, fmt.Sprint("run", i)), tr.host, ref),
			workerGraph+"="+s.GraphRoot())
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("worker %d: %v\n%s", i, err, outs[i])
		}
	}
	if n := layerCount(t, s); n != 3 {
		t.Errorf("%d layers stored, want 3", n)
	}
	if n := imageCount(t, s); n != 1 {
		t.Errorf("%d images, want 1", n)
	}
	// Both downloaded (the delays make them overlap), so one of them
	// found its staged layers committed by the other and dropped them.
	if n := tr.blobGets(); n < 6 {
		t.Errorf("%d blob downloads: the pulls did not overlap", n)
	}
}

// TestPullWorkerProcess is the worker of TestConcurrentPullsInTwoProcesses;
// it does nothing unless started by it.
func TestPullWorkerProcess(t *testing.T) {
	spec := os.Getenv(workerEnv)
	if spec == "" {
		return
	}
	f := strings.Fields(spec)
	s, err := Open(Options{GraphRoot: os.Getenv(workerGraph), RunRoot: f[0]})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := registry.New(registry.Options{Config: &config.File{
		ParallelDownloads: 4, Registries: []config.Registry{{Prefix: f[1], Insecure: true}},
	}})
	defer c.Close()
	if _, err := s.Pull(context.Background(), f[2], PullOptions{Registry: c}); err != nil {
		t.Fatal(err)
	}
}

func TestKilledPullLeavesNoImage(t *testing.T) {
	s := newStore(t)
	tr := newTestRegistry(t)
	img, _ := threeLayers(t)
	ref := tr.push(t, "lib/killed:1", img)
	tr.setFault(slowBlobs(300 * time.Millisecond))
	cmd := exec.Command("/proc/self/exe", "-test.run=^TestPullWorkerProcess$", "-test.count=1")
	cmd.Env = withRole("mountns",
		workerEnv+"="+fmt.Sprintf("%s %s %s", filepath.Join(t.TempDir(), "run"), tr.host, ref),
		workerGraph+"="+s.GraphRoot())
	// Its own mount namespace: storage's overlay probes mount scratch
	// overlays, and a kill must not leave them in the test's namespace.
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it while it downloads (the first blobs are being served).
	deadline := time.Now().Add(10 * time.Second)
	for tr.blobGets() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(350 * time.Millisecond)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if n := imageCount(t, s); n != 0 {
		t.Fatalf("%d images after a killed pull", n)
	}
	// The next pull completes the image.
	tr.setFault(nil)
	mustPull(t, s, tr.client(t, nil), ref)
	if n := layerCount(t, s); n != 3 {
		t.Errorf("%d layers, want 3", n)
	}
}
