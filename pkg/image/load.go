package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/opencontainers/go-digest"
	"go.podman.io/storage"
)

// Load stores the images of a docker-archive or oci-archive file (detected
// from its content: manifest.json, or index.json) and returns their names,
// or "sha256:<ID>" for an unnamed image. Every layer is verified while it
// streams into storage; on any error nothing the call added remains.
func (s *Store) Load(ctx context.Context, path string) ([]string, error) {
	// A prune must not delete the layers a load has stored before the
	// image that references them exists.
	release, err := s.Hold(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	a, err := openArchive(path)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	var specs []*loadSpec
	switch {
	case a.has("manifest.json"):
		specs, err = parseDockerArchive(a)
	case a.has("index.json"):
		specs, err = parseOCIArchive(a)
	default:
		err = fmt.Errorf("archive %s is neither a docker-archive (no manifest.json) nor an oci-archive (no index.json): %w",
			path, errdefs.ErrInvalidArgument)
	}
	if err != nil {
		return nil, err
	}
	t := &txn{st: s.st, lock: s.lockLayers}
	out, err := s.loadSpecs(ctx, t, a, specs)
	if err != nil {
		t.rollback()
		return nil, err
	}
	return out, nil
}

func (s *Store) loadSpecs(ctx context.Context, t *txn, a *archiveFile, specs []*loadSpec) ([]string, error) {
	tops := make([]*storage.Layer, len(specs))
	for i, spec := range specs {
		top, err := s.putLayers(ctx, t, a, spec)
		if err != nil {
			return nil, err
		}
		tops[i] = top
	}
	var out []string
	for i, spec := range specs {
		if spec.manifest == nil {
			m, err := s.dockerManifest(spec, tops[i])
			if err != nil {
				return nil, err
			}
			spec.manifest = m
		}
		if err := s.createImage(t, spec, tops[i]); err != nil {
			return nil, err
		}
		if len(spec.names) == 0 {
			out = append(out, "sha256:"+spec.ID())
		}
		out = append(out, spec.names...)
	}
	return out, nil
}

// putLayers stores an image's layers bottom-up and returns the top one.
func (s *Store) putLayers(ctx context.Context, t *txn, a *archiveFile, spec *loadSpec) (*storage.Layer, error) {
	var top *storage.Layer
	parent := ""
	for i, l := range spec.layers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		blob, err := a.open(l.member)
		if err != nil {
			return nil, err
		}
		id := chainID(parent, l.check.diffID)
		layer, err := t.putLayer(ctx, id, parent, blob, l.check)
		if err != nil {
			return nil, fmt.Errorf("archive %s: layer %d (%s): %w", a.path, i+1, l.member, err)
		}
		top, parent = layer, layer.ID
	}
	return top, nil
}

// dockerManifest makes the Docker schema 2 manifest a docker-archive lacks,
// describing the layers as storage holds them (uncompressed), so the image
// has a manifest digest like one loaded by Podman.
func (s *Store) dockerManifest(spec *loadSpec, top *storage.Layer) ([]byte, error) {
	m := ociManifest{
		SchemaVersion: 2,
		MediaType:     "application/vnd.docker.distribution.manifest.v2+json",
		Config: ociDescriptor{
			MediaType: "application/vnd.docker.container.image.v1+json",
			Digest:    digest.FromBytes(spec.config), Size: int64(len(spec.config)),
		},
	}
	chain, err := s.layerChain(top)
	if err != nil {
		return nil, err
	}
	for _, l := range chain {
		m.Layers = append(m.Layers, ociDescriptor{
			MediaType: "application/vnd.docker.image.rootfs.diff.tar", Digest: l.UncompressedDigest, Size: l.UncompressedSize,
		})
	}
	return json.Marshal(m)
}

// layerChain returns the layers from the base up to top.
func (s *Store) layerChain(top *storage.Layer) ([]*storage.Layer, error) {
	var chain []*storage.Layer
	for l := top; l != nil; {
		chain = append([]*storage.Layer{l}, chain...)
		if l.Parent == "" {
			break
		}
		p, err := s.st.Layer(l.Parent)
		if err != nil {
			return nil, fmt.Errorf("layer %s: parent: %w", l.ID, classify(err))
		}
		l = p
	}
	return chain, nil
}

// createImage records the image (configuration and manifest as big data,
// under Podman's keys) and gives it its names, taking them from any other
// image that had them. An image with the same ID is kept and gains the
// names.
func (s *Store) createImage(t *txn, spec *loadSpec, top *storage.Layer) error {
	id := spec.ID()
	cd, md := digest.FromBytes(spec.config), digest.FromBytes(spec.manifest)
	created := spec.cfg.Created.Time
	if created.IsZero() {
		created = time.Now().UTC()
	}
	topID := ""
	if top != nil {
		topID = top.ID
	}
	_, err := s.st.CreateImage(id, nil, topID, "", &storage.ImageOptions{
		CreationDate: created,
		Digest:       md,
		BigData: []storage.ImageBigDataOption{
			{Key: cd.String(), Data: spec.config, Digest: cd},
			{Key: manifestKeyFor(md), Data: spec.manifest, Digest: md},
			{Key: manifestKey, Data: spec.manifest, Digest: md},
		},
	})
	switch {
	case err == nil:
		t.images = append(t.images, id)
	case !errors.Is(err, storage.ErrDuplicateID):
		return fmt.Errorf("create image %s: %w", id, classify(err))
	}
	if len(spec.names) > 0 {
		if err := s.st.AddNames(id, spec.names); err != nil {
			return fmt.Errorf("name image %s: %w", id, classify(err))
		}
	}
	return nil
}
