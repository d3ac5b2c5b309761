package image

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestHistorySteps(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		hist  []v1.History
		sizes []int64
		want  []HistoryEntry
	}{
		{"steps with and without layers",
			[]v1.History{
				{Created: v1.Time{Time: t0}, CreatedBy: "ADD rootfs"},
				{CreatedBy: "ENV A=1", EmptyLayer: true},
				{CreatedBy: "RUN make", Comment: "build"},
			},
			[]int64{100, 20},
			[]HistoryEntry{
				{Created: t0, CreatedBy: "ADD rootfs", Size: 100},
				{CreatedBy: "ENV A=1", EmptyLayer: true},
				{CreatedBy: "RUN make", Comment: "build", Size: 20},
			}},
		{"no history", nil, []int64{7, 8}, []HistoryEntry{{Size: 7}, {Size: 8}}},
		{"more steps than layers", []v1.History{{CreatedBy: "a"}, {CreatedBy: "b"}}, []int64{5},
			[]HistoryEntry{{CreatedBy: "a", Size: 5}, {CreatedBy: "b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := historySteps(tt.hist, tt.sizes)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("(-got +want):\n%s", diff)
			}
		})
	}
}

func TestHistory(t *testing.T) {
	ctx := context.Background()
	f := newGCFixture(t)
	got, err := f.s.History(ctx, "localhost/app:1")
	if err != nil {
		t.Fatal(err)
	}
	tree, err := f.s.Tree(ctx, "localhost/app:1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(tree.Layers) != 2 {
		t.Fatalf("got %d history entries, %d layers; want 2 of each: %+v", len(got), len(tree.Layers), got)
	}
	// Newest first: the app's own layer, then busybox's.
	want := []HistoryEntry{
		{ID: f.app, Tags: []string{"localhost/app:1"}, Size: tree.Layers[1].Size},
		{Size: tree.Layers[0].Size},
	}
	for i := range got {
		got[i].Created, got[i].CreatedBy = time.Time{}, ""
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
	if _, err := f.s.History(ctx, "nope"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("unknown image: %v, want ErrNotFound", err)
	}
}

func TestTree(t *testing.T) {
	ctx := context.Background()
	f := newGCFixture(t)
	app, err := f.s.Tree(ctx, "localhost/app:1")
	if err != nil {
		t.Fatal(err)
	}
	base, err := f.s.Tree(ctx, "busybox")
	if err != nil {
		t.Fatal(err)
	}
	bb := "docker.io/library/busybox:latest"
	type row struct {
		TopOf, SharedWith []string
	}
	var got []row
	for _, l := range append(app.Layers, base.Layers...) {
		got = append(got, row{l.TopOf, l.SharedWith})
		if l.Size <= 0 || l.DiffID == "" {
			t.Errorf("layer %s: size %d, diff ID %q", l.ID, l.Size, l.DiffID)
		}
	}
	// old (dangling, shown by short ID) has busybox's layer as its top too.
	bbTop := sorted(f.old[:12], bb)
	want := []row{
		// app: busybox's layer, then its own; app itself is not "shared".
		{TopOf: bbTop},
		{TopOf: []string{"localhost/app:1"}},
		// busybox: the layer it shares with app.
		{TopOf: bbTop, SharedWith: []string{"localhost/app:1"}},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
	if app.Layers[0].ID != base.Layers[0].ID || app.ID != f.app || app.Size <= base.Size {
		t.Errorf("trees: app %+v, base %+v", app, base)
	}
}

func TestDiskUsage(t *testing.T) {
	ctx := context.Background()
	f := newGCFixture(t)
	u, err := f.s.DiskUsage(ctx, func(id string) bool { return id == f.app })
	if err != nil {
		t.Fatal(err)
	}
	layers, err := f.s.st.Layers()
	if err != nil {
		t.Fatal(err)
	}
	size := map[string]int64{}
	var allLayers int64
	for _, l := range layers {
		size[l.ID] = l.UncompressedSize
		allLayers += l.UncompressedSize
	}
	imgs, err := f.s.st.Images()
	if err != nil {
		t.Fatal(err)
	}
	meta := map[string]int64{}
	top := map[string]string{}
	var allMeta int64
	for _, img := range imgs {
		for _, n := range img.BigDataSizes {
			meta[img.ID] += n
		}
		allMeta += meta[img.ID]
		top[img.ID] = img.TopLayer
	}
	// All three images stand on busybox's layer; app adds one of its own.
	bb := top[f.base]
	own := top[f.app]
	want := &Usage{
		Images: []ImageUsage{
			{ID: f.app, Names: []string{"localhost/app:1"}, Size: size[bb] + size[own] + meta[f.app],
				SharedSize: size[bb], UniqueSize: size[own] + meta[f.app], InUse: true},
			{ID: f.base, Names: []string{"docker.io/library/busybox:latest"}, Size: size[bb] + meta[f.base],
				SharedSize: size[bb], UniqueSize: meta[f.base]},
			{ID: f.old, Names: nil, Size: size[bb] + meta[f.old], SharedSize: size[bb], UniqueSize: meta[f.old]},
		},
		Active:             1,
		Size:               allLayers + allMeta,
		Reclaimable:        size[f.orphanTop] + size[f.orphanBase] + meta[f.base] + meta[f.old],
		Layers:             len(layers),
		UnreferencedLayers: 2,
		UnreferencedSize:   size[f.orphanTop] + size[f.orphanBase],
	}
	// The fixture's images share a creation time: order by ID.
	slices.SortFunc(u.Images, func(a, b ImageUsage) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(want.Images, func(a, b ImageUsage) int { return strings.Compare(a.ID, b.ID) })
	for i := range u.Images {
		u.Images[i].Created = time.Time{}
	}
	if diff := cmp.Diff(u, want, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
}
