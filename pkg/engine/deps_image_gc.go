package engine

import (
	"context"

	"github.com/hutchctr/hutch/pkg/image"
)

// imageAdapter's side of deps_gc.go.

func (a imageAdapter) ListFiltered(ctx context.Context, f image.Filters) ([]*imageMeta, error) {
	list, err := a.Store.List(ctx)
	if err != nil {
		return nil, err
	}
	if list, err = f.Apply(list); err != nil {
		return nil, err
	}
	out := make([]*imageMeta, 0, len(list))
	for _, img := range list {
		out = append(out, toMeta(img))
	}
	return out, nil
}

func (a imageAdapter) DiskUsage(ctx context.Context, inUse func(string) bool) (*imageUsage, error) {
	u, err := a.Store.DiskUsage(ctx, inUse)
	if err != nil {
		return nil, err
	}
	out := &imageUsage{
		Active: u.Active, Size: u.Size, Reclaimable: u.Reclaimable,
		Layers: u.Layers, Unreferenced: u.UnreferencedLayers, UnreferencedSize: u.UnreferencedSize,
	}
	for _, iu := range u.Images {
		out.Images = append(out.Images, DiskUsageImage{
			ID: iu.ID, Names: nonNil(iu.Names), Created: iu.Created,
			Size: iu.Size, SharedSize: iu.SharedSize, UniqueSize: iu.UniqueSize,
		})
	}
	return out, nil
}

func (a imageAdapter) History(ctx context.Context, ref string) ([]ImageHistoryEntry, error) {
	h, err := a.Store.History(ctx, ref)
	if err != nil {
		return nil, err
	}
	out := make([]ImageHistoryEntry, 0, len(h))
	for _, e := range h {
		id := e.ID
		if id == "" {
			id = "<missing>"
		}
		out = append(out, ImageHistoryEntry{
			ID: id, Created: e.Created, CreatedBy: e.CreatedBy, Tags: nonNil(e.Tags), Size: e.Size, Comment: e.Comment,
		})
	}
	return out, nil
}

func (a imageAdapter) Tree(ctx context.Context, ref string) (*ImageTree, error) {
	t, err := a.Store.Tree(ctx, ref)
	if err != nil {
		return nil, err
	}
	out := &ImageTree{ID: t.ID, Tags: nonNil(t.Names), Size: t.Size, Layers: []ImageTreeLayer{}}
	for _, l := range t.Layers {
		out.Layers = append(out.Layers, ImageTreeLayer{
			ID: l.ID, DiffID: l.DiffID, Size: l.Size, TopLayerOf: nonNil(l.TopOf), SharedWith: nonNil(l.SharedWith),
		})
	}
	return out, nil
}
