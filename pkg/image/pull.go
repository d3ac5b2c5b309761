package image

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/registry"
	"github.com/opencontainers/go-digest"
	"go.podman.io/storage"
)

// PullOptions configure Pull.
type PullOptions struct {
	// Registry resolves names and fetches manifests and blobs. Required.
	Registry *registry.Client
	// Platform picks the image of a multi-platform index; nil means the
	// host's.
	Platform *v1.Platform
	// Verifier, when set, must accept the image (its manifest digest and
	// signatures) before anything of it is stored.
	Verifier registry.Verifier
	// Progress receives the progress display when Terminal is set.
	Progress io.Writer
	// Terminal says Progress is a terminal: one line per layer is redrawn
	// (bytes, rate, state) and a summary follows. Without it nothing is
	// written: the caller prints the image ID.
	Terminal bool
	// Quiet writes nothing, even to a terminal.
	Quiet bool
	// Parallel is how many layers download at once; 0 means the
	// registry client's parallel-downloads.
	Parallel int
}

// pullPlan is a verified manifest and configuration: what to store.
type pullPlan struct {
	remote *registry.Remote
	config []byte
	cfg    *v1.ConfigFile
	id     string
	layers []pullLayer // bottom first
}

// pullLayer is a layer blob and what it must match.
type pullLayer struct {
	desc  v1.Descriptor
	check layerCheck
}

// Pull fetches ref from a registry (short names are resolved as
// registry.Client.Candidates says) and stores it under its full name.
//
// The image returned carries the digest of the manifest this pull saw,
// also when the image was stored before under another manifest.
//
// Every byte is verified before it counts: the manifest against a digest
// reference, the configuration against the manifest, each layer blob
// against its digest and size and its uncompressed stream against the
// configuration's diff ID, while it streams into storage. Layers already
// stored are not downloaded. Missing layers download in parallel and
// extract as they arrive (storage's staged layers), then are committed
// bottom-up. A failure leaves no image; layers verified and committed
// before it stay (unreferenced until the image exists, so an image prune
// removes them) and a retried pull reuses them.
func (s *Store) Pull(ctx context.Context, ref string, o PullOptions) (*Image, error) {
	if o.Registry == nil {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "pull %s: no registry client", ref)
	}
	rem, err := o.Registry.Fetch(ctx, ref, o.Platform)
	if err != nil {
		return nil, err
	}
	if o.Verifier != nil {
		if err := o.Verifier.Verify(ctx, rem.Ref, rem.TopDigest(), rem.Signatures()); err != nil {
			return nil, err
		}
	}
	plan, err := s.planPull(ctx, rem)
	if err != nil {
		return nil, err
	}
	// Prune must not sweep the layers committed before the image exists.
	release, err := s.Hold(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	par := o.Parallel
	if par <= 0 {
		par = o.Registry.ParallelDownloads()
	}
	prog := newProgress(o.Progress, o.Terminal && !o.Quiet, plan.descriptors())
	started := time.Now()
	top, err := s.pullLayers(ctx, plan, prog, par)
	prog.finish(pullSummary(rem.Name, prog, time.Since(started), err))
	if err != nil {
		return nil, err
	}
	return s.storePulledLocked(ctx, plan, par, top)
}

// storePulledLocked records the image under the layer lock, after
// checking that its top layer is still stored: a load or import that
// fails deletes the layers it created, under the same lock, and one of
// them may be a layer this pull found stored and reused. Once the image
// exists, storage refuses to delete its layers. A top layer gone in
// between is pulled again, once, without progress display.
func (s *Store) storePulledLocked(ctx context.Context, plan *pullPlan, par int, top string) (*Image, error) {
	for attempt := 1; ; attempt++ {
		release, err := s.lockLayers(ctx)
		if err != nil {
			return nil, err
		}
		if top == "" || s.st.Exists(top) {
			img, err := s.storePulled(plan, top)
			release()
			return img, err
		}
		release()
		if attempt == 2 {
			return nil, errdefs.Errorf(errdefs.ErrConflict, "image %s: layer %.12s was removed from storage during the pull, twice", plan.remote.Name, top)
		}
		if top, err = s.pullLayers(ctx, plan, newProgress(nil, false, plan.descriptors()), par); err != nil {
			return nil, err
		}
	}
}

// planPull reads the configuration (from storage when the image is
// already there, else from the registry) and checks it against the
// manifest.
func (s *Store) planPull(ctx context.Context, rem *registry.Remote) (*pullPlan, error) {
	m := rem.Image
	if m.Config.Digest.Algorithm != "sha256" {
		return nil, errdefs.Errorf(errdefs.ErrNotImplemented, "image %s: configuration digest %s: only sha256 is supported", rem.Name, m.Config.Digest)
	}
	id := m.Config.Digest.Hex
	raw, err := s.st.ImageBigData(id, configKey(id))
	if err != nil || digest.FromBytes(raw).Encoded() != id {
		if raw, err = rem.Config(ctx); err != nil {
			return nil, err
		}
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "image %s: configuration is not valid: %v", rem.Name, err)
	}
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "image %s: configuration lists %d layers, the manifest %d",
			rem.Name, len(cfg.RootFS.DiffIDs), len(m.Layers))
	}
	plan := &pullPlan{remote: rem, config: raw, cfg: cfg, id: id}
	for i, l := range m.Layers {
		diffID := digest.Digest(cfg.RootFS.DiffIDs[i].String())
		if err := checkLayerDescriptor(l, diffID); err != nil {
			return nil, fmt.Errorf("image %s: layer %d: %w", rem.Name, i+1, err)
		}
		plan.layers = append(plan.layers, pullLayer{desc: l, check: layerCheck{
			blobDigest: digest.Digest(l.Digest.String()), blobSize: l.Size, diffID: diffID,
		}})
	}
	return plan, nil
}

// checkLayerDescriptor refuses layers hutch cannot verify or unpack.
func checkLayerDescriptor(l v1.Descriptor, diffID digest.Digest) error {
	switch {
	case l.Digest.Algorithm != "sha256" || len(l.Digest.Hex) != 64:
		return errdefs.Errorf(errdefs.ErrNotImplemented, "digest %s: only sha256 is supported", l.Digest)
	case diffID.Validate() != nil || diffID.Algorithm() != digest.SHA256:
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "bad diff ID %q in the configuration", diffID)
	case l.Size < 0:
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "blob %s has a negative size", l.Digest)
	case strings.Contains(string(l.MediaType), "encrypted"):
		return errdefs.Errorf(errdefs.ErrNotImplemented, "blob %s is encrypted (%s)", l.Digest, l.MediaType)
	case l.MediaType != "" && !l.MediaType.IsLayer():
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "blob %s has media type %q, not a layer", l.Digest, l.MediaType)
	}
	return nil
}

func (p *pullPlan) descriptors() []v1.Descriptor {
	out := make([]v1.Descriptor, len(p.layers))
	for i, l := range p.layers {
		out[i] = l.desc
	}
	return out
}

// storePulled records the image on top of its layers, or, when it is
// stored already, adds the manifests it lacks; then it gives the image its
// name (taking it from any image that had it).
func (s *Store) storePulled(plan *pullPlan, top string) (*Image, error) {
	rem := plan.remote
	md := digest.Digest(rem.Manifest.Digest.String())
	manifests := []storage.ImageBigDataOption{
		{Key: manifestKeyFor(md), Data: rem.Manifest.Raw, Digest: md},
		{Key: manifestKey, Data: rem.Manifest.Raw, Digest: md},
	}
	if rem.Index != nil {
		// The index too, so that the image answers to the digest the
		// user pulled (name@sha256:<index>), as in Podman.
		id := digest.Digest(rem.Index.Digest.String())
		manifests = append(manifests, storage.ImageBigDataOption{Key: manifestKeyFor(id), Data: rem.Index.Raw, Digest: id})
	}
	cd := digest.FromBytes(plan.config)
	created := plan.cfg.Created.Time
	if created.IsZero() {
		created = time.Now().UTC()
	}
	t := &txn{st: s.st}
	_, err := s.st.CreateImage(plan.id, nil, top, "", &storage.ImageOptions{
		CreationDate: created,
		Digest:       md,
		BigData:      append([]storage.ImageBigDataOption{{Key: cd.String(), Data: plan.config, Digest: cd}}, manifests...),
	})
	switch {
	case err == nil:
		t.images = append(t.images, plan.id)
	case errors.Is(err, storage.ErrDuplicateID):
		err = s.addManifests(plan.id, manifests)
	default:
		err = fmt.Errorf("create image %s: %w", plan.id, classify(err))
	}
	if err == nil {
		if err = s.st.AddNames(plan.id, []string{rem.Name}); err != nil {
			err = fmt.Errorf("name image %s: %w", plan.id, classify(err))
		}
	}
	if err != nil {
		t.rollback()
		return nil, err
	}
	img, err := s.st.Image(plan.id)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", plan.id, classify(err))
	}
	sizes, err := s.layerSizes()
	if err != nil {
		return nil, err
	}
	out, err := s.toImage(img, sizes)
	if err != nil {
		return nil, err
	}
	// An image stored before keeps its first digest in storage's record;
	// the caller is told the one this pull saw.
	out.Digest = md.String()
	return out, nil
}

// addManifests stores the manifests an existing image lacks, and makes
// the pulled manifest its current one (the "manifest" key), as Podman does.
func (s *Store) addManifests(id string, manifests []storage.ImageBigDataOption) error {
	img, err := s.st.Image(id)
	if err != nil {
		return fmt.Errorf("image %s: %w", id, classify(err))
	}
	for _, m := range manifests {
		if m.Key != manifestKey && slices.Contains(img.BigDataNames, m.Key) {
			continue
		}
		d := m.Digest
		if err := s.st.SetImageBigData(id, m.Key, m.Data, func([]byte) (digest.Digest, error) { return d, nil }); err != nil {
			return fmt.Errorf("image %s: store manifest %s: %w", id, d, classify(err))
		}
	}
	return nil
}
