package image

import (
	"context"
	"testing"
	"time"

	"github.com/hutchctr/hutch/internal/testutil"
)

// TestPullRepullsVanishedTopLayer: a top layer removed after the pull
// stored or reused it, before the image was recorded (a failed load's
// rollback of a layer the pull found stored), is pulled again, and the
// image is complete.
func TestPullRepullsVanishedTopLayer(t *testing.T) {
	s := newStore(t)
	tr := newTestRegistry(t)
	ref := tr.push(t, "lib/vanish:1", busybox(t, testutil.WithLayer(extraLayer(t, "vanish"))))
	ctx := context.Background()
	rem, err := tr.client(t, nil).Fetch(ctx, ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := s.planPull(ctx, rem)
	if err != nil {
		t.Fatal(err)
	}
	top, err := s.pullLayers(ctx, plan, newProgress(nil, false, plan.descriptors()), 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.st.DeleteLayer(top); err != nil {
		t.Fatalf("delete the top layer as a rollback would: %v", err)
	}
	img, err := s.storePulledLocked(ctx, plan, 2, top)
	if err != nil {
		t.Fatalf("store the pulled image: %v", err)
	}
	dirs, err := s.LayerDirs(ctx, img.ID)
	if err != nil || len(dirs) != len(plan.layers) {
		t.Fatalf("layer dirs %v, %v; want %d", dirs, err, len(plan.layers))
	}
}

// TestRollbackTakesLayerLock: a load's rollback deletes its layers only
// under the layer lock, where a pull checks its top layer and records its
// image.
func TestRollbackTakesLayerLock(t *testing.T) {
	s := newStore(t)
	release, err := s.lockLayers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tx := &txn{st: s.st, lock: s.lockLayers}
	done := make(chan struct{})
	go func() { tx.rollback(); close(done) }()
	select {
	case <-done:
		release()
		t.Fatal("rollback ran while the layer lock was held")
	case <-time.After(200 * time.Millisecond):
	}
	release()
	<-done
}
