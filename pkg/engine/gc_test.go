package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/image"
	"github.com/hutchctr/hutch/pkg/state"
)

// fakeImages' side of deps_gc.go: enough for engine_test.go's tests, which
// do not use them. gcImages below records what the GC verbs do.

func (f *fakeImages) ListFiltered(ctx context.Context, _ image.Filters) ([]*imageMeta, error) {
	return f.List(ctx)
}
func (f *fakeImages) Prune(context.Context, bool, func(string) bool) ([]string, uint64, error) {
	return nil, 0, nil
}
func (f *fakeImages) Hold(context.Context) (func(), error) { return func() {}, nil }
func (f *fakeImages) DiskUsage(context.Context, func(string) bool) (*imageUsage, error) {
	return &imageUsage{}, nil
}
func (f *fakeImages) History(context.Context, string) ([]ImageHistoryEntry, error) { return nil, nil }
func (f *fakeImages) Tree(context.Context, string) (*ImageTree, error)             { return nil, nil }
func (f *fakeImages) Tag(_ context.Context, _, name string) (string, error)        { return name, nil }
func (f *fakeImages) Untag(context.Context, string, string) ([]string, error)      { return nil, nil }
func (f *fakeImages) Pull(_ context.Context, ref string, _ PullOptions) (*imageMeta, error) {
	return nil, errdefs.Errorf(errdefs.ErrNotImplemented, "pull %s", ref)
}
func (f *fakeImages) RemoteDigests(context.Context, string, PullOptions) ([]string, error) {
	return nil, errdefs.ErrNotImplemented
}
func (f *fakeImages) Push(context.Context, string, string, PushOptions) (string, error) {
	return "", errdefs.ErrNotImplemented
}
func (f *fakeImages) Sign(context.Context, string, SignOptions) (string, error) {
	return "", errdefs.ErrNotImplemented
}

// gcImages is a fakeImages with a second image, "other", that records the
// GC calls it gets.
type gcImages struct {
	*fakeImages
	held    int // Hold calls not yet released
	calls   []string
	filters image.Filters
}

func newGCEngine(t *testing.T) (*Engine, *gcImages) {
	t.Helper()
	e, imgs, _ := newTestEngine(t)
	other := &imageMeta{ID: strings.Repeat("cd", 32), Names: []string{"localhost/other:1"}, Config: ImageConfig{Cmd: []string{"sh"}}}
	imgs.images["other"], imgs.images[other.ID] = other, other
	g := &gcImages{fakeImages: imgs}
	e.openImages = func(context.Context) (imageStore, error) { return g, nil }
	return e, g
}

func (g *gcImages) ids() []string {
	var out []string
	for k, m := range g.images {
		if k == m.ID {
			out = append(out, m.ID)
		}
	}
	sort.Strings(out)
	return out
}

func (g *gcImages) Hold(context.Context) (func(), error) {
	g.held++
	return func() { g.held-- }, nil
}

// Prune removes (from the fake) the images inUse refuses, and records
// which were in use.
func (g *gcImages) Prune(_ context.Context, all bool, inUse func(string) bool) ([]string, uint64, error) {
	var removed []string
	for _, id := range g.ids() {
		if inUse(id) {
			g.calls = append(g.calls, "keep "+id[:4])
			continue
		}
		m := g.images[id]
		for k, v := range g.images {
			if v == m {
				delete(g.images, k)
			}
		}
		removed = append(removed, id)
	}
	return removed, uint64(100 * len(removed)), nil
}

func (g *gcImages) ListFiltered(_ context.Context, f image.Filters) ([]*imageMeta, error) {
	g.filters = f
	return nil, nil
}

func (g *gcImages) DiskUsage(_ context.Context, inUse func(string) bool) (*imageUsage, error) {
	u := &imageUsage{Size: 1000, Reclaimable: 400}
	for _, id := range g.ids() {
		u.Images = append(u.Images, DiskUsageImage{ID: id, Size: 500})
		if inUse(id) {
			u.Active++
		}
	}
	return u, nil
}

// exited creates a container from image and marks it exited, with a file
// of n bytes in its writable layer.
func exited(t *testing.T, e *Engine, name, image string, n int) string {
	t.Helper()
	ctx := context.Background()
	id, err := e.Create(ctx, CreateOptions{Image: image, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.rootfsDir(id), "upper", "data"), make([]byte, n), 0o600); err != nil {
		t.Fatal(err)
	}
	h, err := e.state.Lock(id)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Unlock()
	if err := h.Update(func(s *state.State) error { s.Status = state.Exited; return nil }); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestPruneImagesKeepsImagesInUse(t *testing.T) {
	ctx := context.Background()
	e, g := newGCEngine(t)
	if _, err := e.Create(ctx, CreateOptions{Image: "busybox", Name: "c1"}); err != nil {
		t.Fatal(err)
	}
	if g.held != 0 {
		t.Errorf("create left %d holds on the image store", g.held)
	}
	rep, err := e.PruneImages(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	want := &ImagePruneReport{ImagesDeleted: []string{strings.Repeat("cd", 32)}, SpaceReclaimed: 100}
	if diff := cmp.Diff(rep, want); diff != "" {
		t.Errorf("report (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(g.calls, []string{"keep abab"}); diff != "" {
		t.Errorf("calls (-got +want):\n%s", diff)
	}
}

func TestSystemPrune(t *testing.T) {
	ctx := context.Background()
	e, g := newGCEngine(t)
	gone := exited(t, e, "gone", "other", 1234)
	if _, err := e.Create(ctx, CreateOptions{Image: "busybox", Name: "kept"}); err != nil {
		t.Fatal(err)
	}
	rep, err := e.SystemPrune(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	// The exited container goes first, so its image is no longer in use;
	// the created container keeps busybox.
	want := &SystemPruneReport{
		ContainersDeleted: []string{gone},
		ImagesDeleted:     []string{strings.Repeat("cd", 32)},
		SpaceReclaimed:    1234 + 100,
	}
	if diff := cmp.Diff(rep, want); diff != "" {
		t.Errorf("report (-got +want):\n%s", diff)
	}
	if _, err := e.state.Get("gone"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("exited container still there: %v", err)
	}
	if _, err := e.state.Get("kept"); err != nil {
		t.Errorf("created container removed: %v", err)
	}
	if diff := cmp.Diff(g.calls, []string{"keep abab"}); diff != "" {
		t.Errorf("calls (-got +want):\n%s", diff)
	}
}

func TestImagesFilters(t *testing.T) {
	ctx := context.Background()
	e, g := newGCEngine(t)
	if _, err := e.Images(ctx, ImagesOptions{Filters: []string{"dangling=true", "before=busybox"}}); err != nil {
		t.Fatal(err)
	}
	yes := true
	want := image.Filters{Dangling: &yes, Before: []string{"busybox"}}
	if diff := cmp.Diff(g.filters, want); diff != "" {
		t.Errorf("filters (-got +want):\n%s", diff)
	}
	// A bad filter is refused before storage is opened.
	e.openImages = func(context.Context) (imageStore, error) { return nil, errors.New("storage opened") }
	_, err := e.Images(ctx, ImagesOptions{Filters: []string{"color=red"}})
	if !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("bad filter: %v, want ErrInvalidArgument", err)
	}
}

func TestDiskUsage(t *testing.T) {
	ctx := context.Background()
	e, _ := newGCEngine(t)
	exited(t, e, "done", "other", 300)
	if _, err := e.Create(ctx, CreateOptions{Image: "other", Name: "fresh"}); err != nil {
		t.Fatal(err)
	}
	du, err := e.DiskUsage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []DiskUsageSummary{
		{Type: "Images", Total: 2, Active: 1, Size: 1000, Reclaimable: 400},
		// Neither container runs: both are reclaimable.
		{Type: "Containers", Total: 2, Size: 300, Reclaimable: 300},
		{Type: "Local Volumes"},
	}
	if diff := cmp.Diff(du.Summary, want); diff != "" {
		t.Errorf("summary (-got +want):\n%s", diff)
	}
	var got []string
	for _, c := range du.Containers {
		got = append(got, c.Name+" "+strings.Fields(c.Status)[0])
	}
	sort.Strings(got)
	if diff := cmp.Diff(got, []string{"done Exited", "fresh Created"}); diff != "" {
		t.Errorf("containers (-got +want):\n%s", diff)
	}
	for _, img := range du.Images {
		if want := map[bool]int{true: 2, false: 0}[img.ID == strings.Repeat("cd", 32)]; img.Containers != want {
			t.Errorf("image %.4s: %d containers, want %d", img.ID, img.Containers, want)
		}
	}
}
