//go:build e2e

package e2e

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRegistryConcurrentPulls: three pulls at once, two of the same image
// and one of an image sharing all but its top layer, all succeed, and
// every layer is stored once.
func TestRegistryConcurrentPulls(t *testing.T) {
	t.Parallel()
	r := startRegistry(t, regOptions{})
	a, b := layeredImage(t, "shared", 2), layeredImage(t, "shared", 3)
	r.push(t, "conc/a:v1", a)
	r.push(t, "conc/b:v1", b)
	e := newRegEnv(t)
	refs := []string{r.Ref("conc/a:v1"), r.Ref("conc/a:v1"), r.Ref("conc/b:v1")}
	ids := []string{configID(t, a), configID(t, a), configID(t, b)}
	results := make([]result, len(refs))
	var wg sync.WaitGroup
	for i, ref := range refs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.runWith(t, runOpts{Timeout: 2 * time.Minute}, "pull", "--tls-verify=false", ref)
		}()
	}
	wg.Wait()
	for i, res := range results {
		wantPulled(t, res, ids[i])
	}
	if diff := cmp.Diff(e.imageNames(t), sortedFields(refs[0]+" "+refs[2])); diff != "" {
		t.Errorf("images (-got +want):\n%s", diff)
	}
	// busybox, the two layers a and b share, b's own top layer.
	if got := storageLayers(t, e); got != 4 {
		t.Errorf("storage holds %d layers, want 4 (each stored once)", got)
	}
	for _, ref := range refs[1:] {
		if got := e.ok(t, "run", "--rm", ref, "cat", "/layers/1"); got != "shared layer 1" {
			t.Errorf("%s: /layers/1 is %q", ref, got)
		}
	}
	e.snapshotStorage(t)
}
