//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// corruptStoredBlob flips a byte in the middle of a blob in the registry's
// own storage, which serves it as it is.
func (r *regServer) corruptStoredBlob(t testing.TB, digest string) {
	t.Helper()
	hex := strings.TrimPrefix(digest, "sha256:")
	path := filepath.Join(r.Dir, "data", "docker", "registry", "v2", "blobs", "sha256", hex[:2], hex, "data")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("blob %s in the registry's storage: %v", digest, err)
	}
	b[len(b)/2] ^= 0xff
	writeFile(t, path, b, 0o644)
}

// wantBaselineStorage fails unless storage is as it was at e's baseline.
func (e *regEnv) wantBaselineStorage(t testing.TB, when string) {
	t.Helper()
	st, err := readStorage(e.root)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(st, e.baseline); diff != "" {
		t.Errorf("%s, storage differs from before the pull (-got +want):\n%s", when, diff)
	}
}

// TestRegistryCorruptBlob: a blob that does not match its digest (flipped
// on the wire, or on the registry's disk), a body cut short, a 500 instead
// of a layer or a corrupt config make the pull fail with one line; no
// image appears, the next `image prune` leaves storage as it was, and a
// pull once the registry is healthy succeeds.
func TestRegistryCorruptBlob(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		kind   faultKind
		config bool // break the config blob instead of the top layer
		onDisk bool // corrupt the blob in the registry's storage
		// says is what the error must mention.
		says string
	}{
		{name: "flipped byte", kind: faultCorrupt, says: "digest"},
		{name: "truncated body", kind: faultTruncate},
		{name: "500 mid-pull", kind: faultStatus500},
		{name: "corrupt config", kind: faultCorrupt, config: true, says: "digest"},
		{name: "corrupt on the registry's disk", onDisk: true, says: "digest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := startRegistry(t, regOptions{})
			img := layeredImage(t, "corrupt-"+tc.name, 2)
			r.push(t, "corrupt/img:v1", img)
			target := layerDigests(t, img)[2]
			if tc.config {
				target = "sha256:" + configID(t, img)
			}
			p := startProxy(t, r)
			if tc.onDisk {
				r.corruptStoredBlob(t, target)
			} else {
				p.addRule(proxyRule{Digest: target, Kind: tc.kind})
			}
			e := newLoadedRegEnv(t)
			ref := p.Ref("corrupt/img:v1")

			res := e.run(t, "pull", "--tls-verify=false", ref)
			wantUserError(t, res, 125, tc.says)
			if diff := cmp.Diff(e.imageNames(t), []string{fullImageName}); diff != "" {
				t.Errorf("images after the failed pull (-got +want):\n%s", diff)
			}
			e.ok(t, "image", "prune", "-f")
			e.wantBaselineStorage(t, "after the failed pull and image prune")
			if tc.onDisk {
				return
			}
			p.clearRules()
			wantPulled(t, e.run(t, "pull", "--tls-verify=false", ref), configID(t, img))
			e.snapshotStorage(t)
		})
	}
}

// TestRegistryPullResume: when the top layer fails (500) after the layer
// below it was verified and stored, the retried pull downloads only what
// is missing.
func TestRegistryPullResume(t *testing.T) {
	t.Parallel()
	r := startRegistry(t, regOptions{})
	img := layeredImage(t, "resume", 2)
	r.push(t, "resume/img:v1", img)
	layers := layerDigests(t, img)
	p := startProxy(t, r)
	e := newLoadedRegEnv(t)
	stored := len(e.baseline.Layers)
	var once sync.Once
	p.addRule(proxyRule{Digest: layers[2], Kind: faultStatus500, Before: func() {
		// Hold the failure back until the middle layer is in storage (the
		// busybox base is there already), or 20 s.
		once.Do(func() {
			deadline := time.Now().Add(20 * time.Second)
			for time.Now().Before(deadline) {
				if st, err := readStorage(e.root); err == nil && len(st.Layers) > stored {
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}})
	ref := p.Ref("resume/img:v1")
	wantUserError(t, e.run(t, "pull", "--tls-verify=false", ref), 125)
	if diff := cmp.Diff(e.imageNames(t), []string{fullImageName}); diff != "" {
		t.Errorf("images after the failed pull (-got +want):\n%s", diff)
	}
	p.clearRules()
	wantPulled(t, e.run(t, "pull", "--tls-verify=false", ref), configID(t, img))
	if n := p.blobGets(layers[1]); n != 1 {
		t.Errorf("the middle layer was downloaded %d times, want once (the retry should reuse it):\n%s", n, p.describe())
	}
	if n := p.blobGets(layers[0]); n != 0 {
		t.Errorf("the busybox layer, already stored, was downloaded %d times", n)
	}
	e.snapshotStorage(t)
}

// TestRegistryKilledPull: a pull killed (SIGKILL) in the middle of a layer
// leaves no image, the next prune leaves no layer, and a new pull works.
func TestRegistryKilledPull(t *testing.T) {
	t.Parallel()
	r := startRegistry(t, regOptions{})
	img := bigLayerImage(t, 7, 4<<20)
	r.push(t, "killed/img:v1", img)
	p := startProxy(t, r)
	p.addRule(proxyRule{Digest: layerDigests(t, img)[1], Kind: faultStall, Times: 1})
	e := newLoadedRegEnv(t)
	ref := p.Ref("killed/img:v1")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := e.command(ctx, "pull", "--tls-verify=false", ref)
	// Its own process group, so that a helper process hutch may have
	// forked dies with it.
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stdout, stderr strings.Builder
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	gone := make(chan struct{})
	go func() {
		c.Wait()
		close(gone)
	}()
	defer func() {
		if t.Failed() {
			t.Logf("the killed pull's stdout: %q, stderr: %q", stdout.String(), stderr.String())
		}
	}()
	p.waitStalled(t, time.Minute, gone)
	if err := syscall.Kill(-c.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-gone

	if diff := cmp.Diff(e.imageNames(t), []string{fullImageName}); diff != "" {
		t.Errorf("images after the killed pull (-got +want):\n%s", diff)
	}
	e.ok(t, "image", "prune", "-f")
	e.wantBaselineStorage(t, "after the killed pull and image prune")
	wantPulled(t, e.run(t, "pull", "--tls-verify=false", ref), configID(t, img))
	if got := e.ok(t, "run", "--rm", ref, "wc", "-c", "/big.bin"); !strings.HasPrefix(strings.TrimSpace(got), "4194304") {
		t.Errorf("the big file after the new pull: %q", got)
	}
	e.snapshotStorage(t)
}
