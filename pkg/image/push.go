package image

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/registry"
	"go.podman.io/storage"
)

// PushOptions configure Push.
type PushOptions struct {
	// Registry opens the destination. Required.
	Registry *registry.Client
	// Progress, Terminal and Quiet are as in PullOptions.
	Progress io.Writer
	Terminal bool
	Quiet    bool
	// Parallel is how many layers upload at once; 0 means the registry
	// client's parallel-downloads.
	Parallel int
	// Sign, when set, is called with the pushed manifest's digest; write
	// stores a signature image next to it (pkg/signature makes one).
	Sign func(ctx context.Context, ref name.Reference, manifestDigest v1.Hash, write registry.SignatureWriter) error
}

// Push uploads local image src to the registry reference dest (src's name
// when dest is empty) and returns the pushed manifest's digest, which a
// pull of dest sees too.
//
// Layers the registry has already are not uploaded: for an image that was
// pulled, its original (compressed) blobs are looked for in the
// destination and, on the same registry, mounted from the repositories
// the image is named after. Other layers are compressed (gzip) from
// storage while they upload, checked against their diff IDs on the way.
// When every blob is an original one, the original manifest is pushed
// byte for byte. The configuration is always pushed as stored, so the
// image ID stays the same.
func (s *Store) Push(ctx context.Context, src, dest string, o PushOptions) (string, error) {
	if o.Registry == nil {
		return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "push %s: no registry client", src)
	}
	img, matched, err := s.lookup(src)
	if err != nil {
		return "", err
	}
	if dest == "" {
		if matched == "" {
			return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "push %s: the image is named by ID: give a destination", src)
		}
		dest = matched
	}
	src2, err := s.pushSource(img)
	if err != nil {
		return "", err
	}
	target, err := o.Registry.PushTarget(ctx, dest, src2.repos...)
	if err != nil {
		return "", err
	}
	prog := newProgress(o.Progress, o.Terminal && !o.Quiet, src2.rowDescriptors())
	started := time.Now()
	pi, err := s.pushLayers(ctx, target, src2, prog)
	if err == nil {
		par := o.Parallel
		if par <= 0 {
			par = o.Registry.ParallelDownloads()
		}
		err = target.Write(ctx, pi, par)
	}
	var d v1.Hash
	if err == nil {
		d, err = pi.Digest()
	}
	prog.finish(pushSummary(target.Name, d, prog, time.Since(started), err))
	if err != nil {
		return "", err
	}
	if o.Sign != nil {
		if err := o.Sign(ctx, target.Ref, d, target.SignatureWriter(d)); err != nil {
			return "", fmt.Errorf("push %s: pushed as %s, but signing failed: %w", target.Name, d, err)
		}
	}
	return d.String(), nil
}

// pushSource is what Push needs of a local image.
type pushSource struct {
	img    *storage.Image
	config []byte
	chain  []*storage.Layer // bottom first
	// stored is the manifest kept with the image, when it describes the
	// chain (one layer each); descs are its layer descriptors.
	stored    []byte
	descs     []v1.Descriptor
	repos     []string // repositories the image is named after
	mediaType types.MediaType
}

func (s *Store) pushSource(img *storage.Image) (*pushSource, error) {
	p := &pushSource{img: img, mediaType: types.OCIManifestSchema1}
	var err error
	if p.config, err = s.st.ImageBigData(img.ID, configKey(img.ID)); err != nil {
		return nil, fmt.Errorf("image %.12s: read configuration: %w", img.ID, classify(err))
	}
	if img.TopLayer != "" {
		top, err := s.st.Layer(img.TopLayer)
		if err != nil {
			return nil, fmt.Errorf("image %.12s: %w", img.ID, classify(err))
		}
		if p.chain, err = s.layerChain(top); err != nil {
			return nil, err
		}
	}
	if raw, err := s.st.ImageBigData(img.ID, manifestKey); err == nil {
		var m v1.Manifest
		if json.Unmarshal(raw, &m) == nil && len(m.Layers) == len(p.chain) && m.MediaType.IsImage() {
			p.stored, p.descs = raw, m.Layers
			p.mediaType = m.MediaType
		}
	}
	for _, n := range img.Names {
		if r, err := parseReference(n); err == nil && r.Domain != localDomain {
			p.repos = append(p.repos, r.Repository())
		}
	}
	return p, nil
}

// rowDescriptors names the progress rows: original blobs where known,
// else diff IDs.
func (p *pushSource) rowDescriptors() []v1.Descriptor {
	out := make([]v1.Descriptor, len(p.chain))
	for i, l := range p.chain {
		if p.descs != nil {
			out[i] = p.descs[i]
			continue
		}
		h, _ := v1.NewHash(l.UncompressedDigest.String())
		out[i] = v1.Descriptor{Digest: h, Size: l.UncompressedSize}
	}
	return out
}

// pushLayers decides, layer by layer, whether the registry has the blob
// (or can mount it) or it must be streamed from storage.
func (s *Store) pushLayers(ctx context.Context, t *registry.Target, p *pushSource, prog *progress) (*pushImage, error) {
	pi := &pushImage{config: p.config, mediaType: p.mediaType, stored: p.stored}
	layerMT := types.OCILayer
	if p.mediaType == types.DockerManifestSchema2 {
		layerMT = types.DockerLayer
	}
	for i, l := range p.chain {
		diffID, err := v1.NewHash(l.UncompressedDigest.String())
		if err != nil {
			return nil, fmt.Errorf("layer %.12s: no valid diff ID: %w", l.ID, err)
		}
		if p.descs != nil {
			ok, err := s.registryHas(ctx, t, p.descs[i].Digest, p.repos)
			if err != nil {
				return nil, err
			}
			if ok {
				prog.set(i, stateExists)
				pi.layers = append(pi.layers, remoteLayer{desc: p.descs[i], diffID: diffID})
				continue
			}
		}
		pi.layers = append(pi.layers, &storedLayer{st: s.st, layer: l, mediaType: layerMT, row: prog.rows[i]})
	}
	return pi, nil
}

// registryHas reports whether the target has blob d, mounting it from one
// of repos (same registry) when it does not.
func (s *Store) registryHas(ctx context.Context, t *registry.Target, d v1.Hash, repos []string) (bool, error) {
	ok, err := t.BlobExists(ctx, d)
	if err != nil || ok {
		return ok, err
	}
	for _, r := range repos {
		if ok, err := t.MountBlob(ctx, d, r); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

func pushSummary(name string, d v1.Hash, p *progress, dur time.Duration, err error) string {
	if err != nil {
		return "Push to " + name + " failed"
	}
	n, existed := p.transferred()
	return fmt.Sprintf("Pushed %s@%s: %d layers (%d already there), %s uploaded in %.1fs",
		name, d, len(p.rows), existed, humanSize(n), dur.Seconds())
}
