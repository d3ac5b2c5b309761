//go:build e2e

package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestRegistryRunPull: run and create pull a missing image
// (--pull=missing, the default), --pull=never refuses one, --pull=always
// asks the registry every time (downloading no layer it has), and
// --pull=newer fetches a tag that moved and nothing when it did not.
func TestRegistryRunPull(t *testing.T) {
	t.Parallel()
	r := startRegistry(t, regOptions{})
	p := startProxy(t, r)
	one, two := layeredImage(t, "one", 1), layeredImage(t, "two", 1)
	r.push(t, "run/app:latest", one)
	e := newRegEnv(t)
	e.writeConfig(t, hutchConfig{Registries: insecure(p.Host)})
	ref := p.Ref("run/app")
	manifests := func() int {
		return p.count(http.MethodGet, "/manifests/") + p.count(http.MethodHead, "/manifests/")
	}
	// Layer downloads only: a client may well fetch a config again.
	layers := map[string]bool{}
	for _, l := range append(layerDigests(t, one), layerDigests(t, two)...) {
		layers[l] = true
	}
	blobs := func() int {
		n := 0
		for l := range layers {
			n += p.blobGets(l)
		}
		return n
	}
	cat := func(args ...string) string {
		t.Helper()
		return e.ok(t, append(append([]string{"run", "--rm"}, args...), ref, "cat", "/layers/0")...)
	}

	wantUserError(t, e.run(t, "run", "--rm", "--pull=never", ref, "true"), 125, "run/app")
	if n := manifests(); n != 0 {
		t.Errorf("--pull=never asked the registry %d times", n)
	}
	if got := cat("--pull=missing"); got != "one layer 0" {
		t.Errorf("run --pull=missing: %q", got)
	}
	m, b := manifests(), blobs()
	if m == 0 || b == 0 {
		t.Fatalf("run --pull=missing of a missing image fetched %d manifests, %d blobs:\n%s", m, b, p.describe())
	}
	if got := cat(); got != "one layer 0" || manifests() != m {
		t.Errorf("run of a present image (default --pull=missing): %q, %d registry requests", got, manifests()-m)
	}
	if got := cat("--pull=always"); got != "one layer 0" {
		t.Errorf("run --pull=always: %q", got)
	}
	if manifests() == m || blobs() != b {
		t.Errorf("--pull=always: %d manifest and %d blob requests, want some and none:\n%s", manifests()-m, blobs()-b, p.describe())
	}

	r.push(t, "run/app:latest", two)
	if got := cat("--pull=never"); got != "one layer 0" {
		t.Errorf("run --pull=never after the tag moved: %q, want the local image", got)
	}
	if got := cat("--pull=newer"); got != "two layer 0" {
		t.Errorf("run --pull=newer after the tag moved: %q, want the new image", got)
	}
	b = blobs()
	if got := cat("--pull=newer"); got != "two layer 0" || blobs() != b {
		t.Errorf("run --pull=newer of an up-to-date image: %q after %d blob downloads", got, blobs()-b)
	}
	e.ok(t, "create", "--pull=always", "--name", "created", ref, "true")
	// A bad value may come with a usage hint, as flag errors do.
	bad := e.run(t, "run", "--rm", "--pull=sometimes", ref, "true")
	wantCode(t, bad, 125)
	if !strings.Contains(bad.Stderr, "sometimes") {
		t.Errorf("--pull=sometimes: the error %q does not name the bad value", bad.Stderr)
	}
	e.ok(t, "rm", "created")
	e.snapshotStorage(t)
}
