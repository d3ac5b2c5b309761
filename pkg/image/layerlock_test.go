package image

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gofrs/flock"
	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/opencontainers/go-digest"
	"go.podman.io/storage"
	"go.podman.io/storage/pkg/archive"

	"github.com/hutchctr/hutch/internal/testutil"
)

// fileLayer returns a layer holding /data/<name>: size bytes that do not
// compress, so that storing it takes a while.
func fileLayer(t *testing.T, name string, size int) []byte {
	t.Helper()
	body := make([]byte, size)
	r := rand.New(rand.NewPCG(uint64(size), uint64(len(name))))
	for i := range body {
		body[i] = byte(r.Uint32())
	}
	b, err := testutil.Tar(testutil.Entry{Name: "data/"}, testutil.Entry{Name: "data/" + name, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// layerRecord is what storage records about a layer that tells which
// writer stored it: a pull (from a compressed registry blob) and a load
// (from the archive's uncompressed tar) record different compressed
// digests and sizes.
type layerRecord struct {
	Parent                               string
	UncompressedDigest, CompressedDigest digest.Digest
	UncompressedSize, CompressedSize     int64
}

func layerRecords(t *testing.T, s *Store) map[string]layerRecord {
	t.Helper()
	ls, err := s.st.Layers()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]layerRecord{}
	for _, l := range ls {
		out[l.ID] = layerRecord{l.Parent, l.UncompressedDigest, l.CompressedDigest, l.UncompressedSize, l.CompressedSize}
	}
	return out
}

// Shape of TestLoadAndPullShareLayers: the layers the two images share
// above busybox, and how many times the two run together.
const (
	sharedLayers = 8
	raceRounds   = 10
)

// TestLoadAndPullShareLayers runs a load (here) and a pull (in another
// process, as `hutch load` and `hutch pull` would) of two images that
// share their lower layers, again and again on an empty store, the load
// starting a little later each round so that the two meet at different
// layers. Each layer must be stored once, and by one writer whole (a pull
// that applied its staged copy over a layer the load had just stored would
// leave the pull's compressed digest over the load's sizes), and both
// images must be complete.
func TestLoadAndPullShareLayers(t *testing.T) {
	var shared []testutil.ImageOption
	for i := range sharedLayers {
		shared = append(shared, testutil.WithLayer(fileLayer(t, fmt.Sprint("shared", i), 256<<10)))
	}
	pulled := busybox(t, append(shared, testutil.WithLayer(extraLayer(t, "pulled")))...)
	loaded := busybox(t, append(shared, testutil.WithLayer(extraLayer(t, "loaded")))...)
	tr := newTestRegistry(t)
	ref := tr.push(t, "lib/shared:1", pulled)
	tarball := filepath.Join(t.TempDir(), "loaded.tar")
	testutil.WriteDockerArchive(t, loaded, "localhost/loaded:1", tarball)

	// What a pull alone and a load alone record, layer by layer.
	alone := func(store func(*Store)) map[string]layerRecord {
		s := newStore(t)
		store(s)
		return layerRecords(t, s)
	}
	byPull := alone(func(s *Store) { mustPull(t, s, tr.client(t, nil), ref) })
	byLoad := alone(func(s *Store) { mustLoad(t, s, tarball) })
	pulledID, _ := idAndDigest(t, pulled)
	loadedID, _ := idAndDigest(t, loaded)

	for round := range raceRounds {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			s := newStore(t)
			worker := startPullWorker(t, s, tr.host, ref)
			// The worker needs some tens of milliseconds to start: the
			// delays sweep the load's start across its pull.
			time.Sleep(time.Duration(round) * 5 * time.Millisecond)
			_, loadErr := s.Load(context.Background(), tarball)
			worker.wait(t)
			if loadErr != nil {
				t.Fatalf("load: %v", loadErr)
			}
			checkLayersOnce(t, s, byPull, byLoad)
			for _, id := range []string{pulledID, loadedID} {
				checkComplete(t, s, id)
			}
		})
	}
}

// pullWorker is a TestPullWorkerProcess pulling into a store of the test.
type pullWorker struct {
	cmd *exec.Cmd
	out *strings.Builder
}

func startPullWorker(t *testing.T, s *Store, host, ref string) pullWorker {
	t.Helper()
	cmd := exec.Command("/proc/self/exe", "-test.run=^TestPullWorkerProcess$", "-test.count=1")
	w := pullWorker{cmd: cmd, out: &strings.Builder{}}
	cmd.Stdout, cmd.Stderr = w.out, w.out
	// Its own run root (storage keeps per-process state there) and mount
	// namespace, as in TestConcurrentPullsInTwoProcesses.
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL}
	cmd.Env = withRole("mountns",
		workerEnv+"="+fmt.Sprintf("%s %s %s", filepath.Join(t.TempDir(), "run"), host, ref),
		workerGraph+"="+s.GraphRoot())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w pullWorker) wait(t *testing.T) {
	t.Helper()
	if err := w.cmd.Wait(); err != nil {
		t.Errorf("pull worker: %v\n%s", err, w.out)
	}
}

// TestLoadAndImportWaitForLayerLock: while the layer lock is held, as a
// pull holds it between finding a layer missing and committing its staged
// copy, Load and Import store no layer; they finish once it is released.
// (The race itself is too narrow to meet reliably in
// TestLoadAndPullShareLayers; this is the rule that closes it.)
func TestLoadAndImportWaitForLayerLock(t *testing.T) {
	rootfs := filepath.Join(t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(rootfs, fileLayer(t, "imported", 64<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		store func(*Store) error
	}{
		{"load", func(s *Store) error {
			_, err := s.Load(context.Background(), busyboxArchive(t, "docker", "localhost/bb:1"))
			return err
		}},
		{"import", func(s *Store) error { _, err := s.Import(context.Background(), rootfs, "imported"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			lock := flock.New(filepath.Join(s.GraphRoot(), commitLockName))
			if err := lock.Lock(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- tt.store(s) }()
			select {
			case err := <-done:
				t.Fatalf("finished while the layer lock was held: %v", err)
			case <-time.After(500 * time.Millisecond):
			}
			if n := layerCount(t, s); n != 0 {
				t.Errorf("%d layers stored while the layer lock was held, want 0", n)
			}
			if err := lock.Unlock(); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if n := layerCount(t, s); n != 1 {
				t.Errorf("%d layers after the lock was released, want 1", n)
			}
		})
	}
}

// checkLayersOnce checks that the store holds each layer of the two
// images once, each recorded as the pull alone or the load alone
// recorded it.
func checkLayersOnce(t *testing.T, s *Store, byPull, byLoad map[string]layerRecord) {
	t.Helper()
	got := layerRecords(t, s)
	if n, want := len(got), sharedLayers+3; n != want {
		t.Errorf("%d layers stored, want %d (the busybox and shared ones once)", n, want)
	}
	for id, rec := range got {
		p, inPull := byPull[id]
		l, inLoad := byLoad[id]
		if !inPull && !inLoad {
			t.Errorf("layer %.12s is neither the pull's nor the load's", id)
			continue
		}
		if (!inPull || rec != p) && (!inLoad || rec != l) {
			t.Errorf("layer %.12s was stored by both (-got +alone by pull):\n%s(-got +alone by load):\n%s",
				id, cmp.Diff(rec, p), cmp.Diff(rec, l))
		}
	}
}

// checkComplete checks that image id exists and that its layer chain is
// the one its configuration names, each layer's content included (the
// diff storage rebuilds from the files hashes to the layer's diff ID).
func checkComplete(t *testing.T, s *Store, id string) {
	t.Helper()
	img, err := s.st.Image(id)
	if err != nil {
		t.Fatalf("image %.12s: %v", id, err)
	}
	raw, err := s.st.ImageBigData(id, configKey(id))
	if err != nil {
		t.Fatalf("image %.12s: configuration: %v", id, err)
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for l := img.TopLayer; l != ""; {
		layer, err := s.st.Layer(l)
		if err != nil {
			t.Fatalf("image %.12s: layer %.12s: %v", id, l, err)
		}
		got = append([]string{diffDigest(t, s, l)}, got...)
		l = layer.Parent
	}
	var want []string
	for _, d := range cfg.RootFS.DiffIDs {
		want = append(want, d.String())
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("image %.12s: digests of the stored layers' content (-got +want):\n%s", id, diff)
	}
}

// diffDigest hashes the uncompressed diff storage rebuilds for layer id.
func diffDigest(t *testing.T, s *Store, id string) string {
	t.Helper()
	uncompressed := archive.Uncompressed
	rc, err := s.st.Diff("", id, &storage.DiffOptions{Compression: &uncompressed})
	if err != nil {
		t.Fatalf("layer %.12s: diff: %v", id, err)
	}
	defer rc.Close()
	d, err := digest.FromReader(rc)
	if err != nil {
		t.Fatalf("layer %.12s: read diff: %v", id, err)
	}
	return d.String()
}
