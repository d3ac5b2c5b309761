//go:build e2e

package e2e

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRegistryStallTimeout: a registry that stops sending in the middle of
// a layer makes the pull fail after hutch.yaml's registry-timeout (1s
// here), not hang: one line naming the registry, the blob, the timeout
// and the stall, exit 125, no image and no layer left behind; the next
// pull, through the proxy healthy again, succeeds.
func TestRegistryStallTimeout(t *testing.T) {
	t.Parallel()
	r := startRegistry(t, regOptions{})
	img := bigLayerImage(t, 11, 4<<20)
	r.push(t, "stall/img:v1", img)
	layer := layerDigests(t, img)[1]
	p := startProxy(t, r)
	p.addRule(proxyRule{Digest: layer, Kind: faultStall, Times: 1})
	e := newLoadedRegEnv(t)
	e.writeConfig(t, hutchConfig{Registries: insecure(p.Host), RegistryTimeout: "1s"})
	ref := p.Ref("stall/img:v1")

	started := time.Now()
	res := e.run(t, "pull", ref)
	took := time.Since(started)
	t.Logf("after %v: %s", took.Round(time.Millisecond), res.Stderr)
	wantUserError(t, res, 125, "registry "+p.Host, layer, "no data for 1s", "stalled")
	if took > 15*time.Second {
		t.Errorf("the stalled pull failed after %v, want a few seconds", took)
	}
	if p.faulted() != 1 {
		t.Errorf("the proxy stalled %d downloads, want 1:\n%s", p.faulted(), p.describe())
	}
	if diff := cmp.Diff(e.imageNames(t), []string{fullImageName}); diff != "" {
		t.Errorf("images after the stalled pull (-got +want):\n%s", diff)
	}
	e.wantBaselineStorage(t, "after the stalled pull")

	wantPulled(t, e.run(t, "pull", ref), configID(t, img))
	e.snapshotStorage(t)
}
