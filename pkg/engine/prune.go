package engine

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/state"
)

// PruneImages removes dangling images (with all, every image no container
// uses) and then every layer no image references, left by failed pulls
// and loads included. Images containers use, by the engine's records, are
// never removed.
func (e *Engine) PruneImages(ctx context.Context, all bool) (*ImagePruneReport, error) {
	imgs, err := e.images(ctx)
	if err != nil {
		return nil, err
	}
	ids, n, err := imgs.Prune(ctx, all, e.imagesInUse())
	return &ImagePruneReport{ImagesDeleted: nonNil(ids), SpaceReclaimed: n}, err
}

// imagesInUse returns a predicate over image IDs: true for an image a
// container record names. The records are read on the first call, which
// the store makes once it holds its GC lock: a container created under
// Hold before then is seen, and none can be created after.
func (e *Engine) imagesInUse() func(string) bool {
	var users map[string][]*state.Container
	var err error
	return func(id string) bool {
		if users == nil && err == nil {
			users, err = e.imageUsers()
		}
		// Unreadable records: keep every image rather than guess.
		return err != nil || len(users[id]) > 0
	}
}

// SystemPrune removes the containers that exited, then prunes images as
// PruneImages does (after the containers are gone, so their images count
// as unused).
func (e *Engine) SystemPrune(ctx context.Context, all bool) (*SystemPruneReport, error) {
	if _, err := e.images(ctx); err != nil {
		return nil, err // rootless: join before touching container files
	}
	records, err := e.state.List()
	if err != nil {
		return nil, err
	}
	rep := &SystemPruneReport{ContainersDeleted: []string{}}
	for _, c := range records {
		c = e.reconcile(ctx, c)
		if c.State.Status != state.Exited {
			continue
		}
		size := dirSize(filepath.Join(e.rootfsDir(c.Config.ID), "upper"))
		err := e.Remove(ctx, c.Config.ID, RemoveOptions{})
		switch {
		case errors.Is(err, errdefs.ErrNotFound):
			continue // removed meanwhile (--rm, another prune)
		case errors.Is(err, errdefs.ErrConflict):
			continue // restarted meanwhile: no longer exited
		case err != nil:
			return rep, err
		}
		rep.ContainersDeleted = append(rep.ContainersDeleted, c.Config.ID)
		rep.SpaceReclaimed += uint64(size)
	}
	ir, err := e.PruneImages(ctx, all)
	if ir != nil {
		rep.ImagesDeleted, rep.SpaceReclaimed = ir.ImagesDeleted, rep.SpaceReclaimed+ir.SpaceReclaimed
	}
	return rep, err
}

// dirSize adds up the sizes of the regular files under dir (hard links
// once per name, as du --count-links would). Unreadable parts count as 0:
// the size is informative.
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
