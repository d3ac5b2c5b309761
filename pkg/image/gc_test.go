package image

import (
	"bytes"
	"context"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/internal/testutil"
)

// gcFixture is a store holding:
//   - base: busybox, named "busybox" (docker.io/library/busybox:latest);
//   - app: busybox plus one layer, named localhost/app:1 (shares base's layer);
//   - old: a busybox variant that lost its name "localhost/app:1" to app,
//     hence dangling (the usual way images dangle);
//   - an orphan layer on top of base's layer and an orphan base layer, as
//     a killed pull leaves them.
type gcFixture struct {
	s                     *Store
	base, app, old        string // image IDs
	orphanTop, orphanBase string // layer IDs
}

func newGCFixture(t *testing.T) *gcFixture {
	t.Helper()
	ctx := context.Background()
	s := newStore(t)
	f := &gcFixture{s: s}
	mustLoad(t, s, busyboxArchive(t, "docker", "busybox"))
	mustLoad(t, s, busyboxArchive(t, "oci", "localhost/app:1", testutil.WithLabels(map[string]string{"v": "old"})))
	extra := testutil.MustTar(testutil.Entry{Name: "app/"}, testutil.Entry{Name: "app/data", Body: bytes.Repeat([]byte("x"), 5000)})
	mustLoad(t, s, busyboxArchive(t, "oci", "localhost/app:1", testutil.WithLayer(extra)))
	for _, p := range []struct {
		ref string
		id  *string
	}{{"busybox", &f.base}, {"localhost/app:1", &f.app}} {
		img, err := s.Get(ctx, p.ref)
		if err != nil {
			t.Fatal(err)
		}
		*p.id = img.ID
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range list {
		if img.Dangling {
			f.old = img.ID
		}
	}
	if f.old == "" {
		t.Fatalf("fixture: no dangling image among %d", len(list))
	}
	baseImg, err := s.Get(ctx, f.base)
	if err != nil {
		t.Fatal(err)
	}
	f.orphanTop = putOrphan(t, s, baseImg.TopLayer, testutil.MustTar(testutil.Entry{Name: "half-pulled", Body: []byte("a")}))
	f.orphanBase = putOrphan(t, s, "", testutil.MustTar(testutil.Entry{Name: "lonely", Body: []byte("b")}))
	return f
}

// putOrphan stores a layer that no image references.
func putOrphan(t *testing.T, s *Store, parent string, tarball []byte) string {
	t.Helper()
	l, _, err := s.st.PutLayer("", parent, nil, "", false, nil, bytes.NewReader(tarball))
	if err != nil {
		t.Fatal(err)
	}
	return l.ID
}

func (f *gcFixture) imageIDs(t *testing.T) []string {
	t.Helper()
	imgs, err := f.s.st.Images()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, img := range imgs {
		ids = append(ids, img.ID)
	}
	sort.Strings(ids)
	return ids
}

func (f *gcFixture) hasLayer(id string) bool {
	_, err := f.s.st.Layer(id)
	return err == nil
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	f := newGCFixture(t)

	// Dangling images and orphan layers go; named images stay.
	removed, reclaimed, err := f.s.Prune(ctx, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(removed, []string{f.old}); diff != "" {
		t.Errorf("removed (-got +want):\n%s", diff)
	}
	if reclaimed == 0 {
		t.Error("reclaimed 0 bytes")
	}
	if diff := cmp.Diff(f.imageIDs(t), sorted(f.base, f.app)); diff != "" {
		t.Errorf("images left (-got +want):\n%s", diff)
	}
	if f.hasLayer(f.orphanTop) || f.hasLayer(f.orphanBase) {
		t.Errorf("orphan layers survived: top %t, base %t", f.hasLayer(f.orphanTop), f.hasLayer(f.orphanBase))
	}
	for _, ref := range []string{"busybox", "localhost/app:1"} {
		if _, err := f.s.LayerDirs(ctx, ref); err != nil {
			t.Errorf("%s lost layers: %v", ref, err)
		}
	}

	// Nothing left to prune.
	removed, reclaimed, err = f.s.Prune(ctx, false, nil)
	if err != nil || len(removed) != 0 || reclaimed != 0 {
		t.Errorf("second prune: %v, %d bytes, %v", removed, reclaimed, err)
	}

	// -a removes named images too, except those a container uses.
	inUse := func(id string) bool { return id == f.base }
	removed, _, err = f.s.Prune(ctx, true, inUse)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(removed, []string{f.app}); diff != "" {
		t.Errorf("prune -a removed (-got +want):\n%s", diff)
	}
	if _, err := f.s.LayerDirs(ctx, "busybox"); err != nil {
		t.Errorf("image in use lost layers: %v", err)
	}

	// Once unused, everything goes, down to an empty store.
	if _, _, err := f.s.Prune(ctx, true, nil); err != nil {
		t.Fatal(err)
	}
	assertEmpty(t, f.s)
}

// TestPruneKeepsInUseDangling: a dangling image a container uses stays,
// and so do its layers.
func TestPruneKeepsInUseDangling(t *testing.T) {
	ctx := context.Background()
	f := newGCFixture(t)
	removed, _, err := f.s.Prune(ctx, false, func(id string) bool { return id == f.old })
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 0 {
		t.Errorf("removed %v, want nothing", removed)
	}
	if _, err := f.s.LayerDirs(ctx, f.old); err != nil {
		t.Errorf("dangling image in use lost layers: %v", err)
	}
}

// TestPruneWaitsForWriters: the sweep does not run while a load or pull
// holds the store shared (its layers have no image yet), and gives up
// when its context ends.
func TestPruneWaitsForWriters(t *testing.T) {
	f := newGCFixture(t)
	release, err := f.s.Hold(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := f.s.Prune(ctx, false, nil); err == nil {
		t.Error("prune ran while a writer held the store")
	}
	if !f.hasLayer(f.orphanTop) {
		t.Error("orphan layer swept while a writer held the store")
	}
	release()
	if _, _, err := f.s.Prune(context.Background(), false, nil); err != nil {
		t.Fatal(err)
	}
	if f.hasLayer(f.orphanTop) {
		t.Error("orphan layer survived")
	}
}
