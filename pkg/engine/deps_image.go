package engine

import (
	"context"
	"path/filepath"

	"github.com/hutchctr/hutch/pkg/image"
	"github.com/hutchctr/hutch/pkg/slirp"
	"github.com/hutchctr/hutch/pkg/version"
)

// openRealImages joins the user's namespace holder (rootless; this
// re-executes the process the first time) and opens containers/storage.
func (e *Engine) openRealImages(ctx context.Context) (imageStore, error) {
	if e.paths.Rootless {
		if err := slirp.EnsureJoined(ctx, slirp.Options{RunDir: e.paths.Run, Version: version.Version,
			// Per container, the holder's firewall decides (pkg/bridge).
			AllowHostLoopback: true}); err != nil {
			return nil, err
		}
	}
	s, err := image.Open(image.Options{
		GraphRoot: filepath.Join(e.paths.Data, "storage"),
		RunRoot:   filepath.Join(e.paths.Run, "storage"),
		Rootless:  e.paths.Rootless,
	})
	if err != nil {
		return nil, err
	}
	return imageAdapter{Store: s, reg: &registryEnv{paths: e.paths, config: e.hutchConfig}}, nil
}

// imageAdapter presents *image.Store as the engine's imageStore; reg
// holds what its pulls and pushes need (deps_image_registry.go).
type imageAdapter struct {
	*image.Store
	reg *registryEnv
}

func (a imageAdapter) Get(ctx context.Context, ref string) (*imageMeta, error) {
	img, err := a.Store.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	return toMeta(img), nil
}

func (a imageAdapter) List(ctx context.Context) ([]*imageMeta, error) {
	list, err := a.Store.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*imageMeta, 0, len(list))
	for _, img := range list {
		out = append(out, toMeta(img))
	}
	return out, nil
}

func toMeta(img *image.Image) *imageMeta {
	m := &imageMeta{ID: img.ID, Names: img.Names, Digest: img.Digest, Created: img.Created, Size: img.Size}
	if cf := img.Config; cf != nil {
		c := cf.Config
		m.Config = ImageConfig{
			User: c.User, Env: c.Env, Entrypoint: c.Entrypoint, Cmd: c.Cmd, WorkingDir: c.WorkingDir,
			Labels: c.Labels, StopSignal: c.StopSignal, ExposedPorts: c.ExposedPorts,
		}
		m.Architecture, m.OS = cf.Architecture, cf.OS
		for _, d := range cf.RootFS.DiffIDs {
			m.DiffIDs = append(m.DiffIDs, d.String())
		}
	}
	return m
}
