package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/log"
)

// Remote is an image found in a registry: its manifest is fetched and
// verified, its blobs are not fetched yet.
type Remote struct {
	// Ref is the source reference the name resolved to (with the tag or
	// digest asked for).
	Ref name.Reference
	// Name is Ref as hutch stores names ("docker.io/library/alpine:latest").
	Name string
	// Endpoint served the manifest: a mirror or the source.
	Endpoint Endpoint
	// Index is the image index Ref points to; nil for a single image.
	Index *Manifest
	// Manifest is the image manifest (for an index, its entry for the
	// platform).
	Manifest *Manifest
	// Image is Manifest parsed.
	Image *v1.Manifest

	c       *Client
	eps     []Endpoint // all endpoints, in order
	served  int        // index of Endpoint in eps
	session *session
}

// TopDigest returns the digest Ref points to: the index's for a
// multi-platform image, else the manifest's. Signatures are made for it.
func (r *Remote) TopDigest() v1.Hash {
	if r.Index != nil {
		return r.Index.Digest
	}
	return r.Manifest.Digest
}

// Fetch resolves ref (see Candidates) and fetches its manifest: each
// candidate in turn, each at its mirrors and then at its source, until one
// has it. For an index, the manifest for platform (nil: the host's) is
// fetched. The first candidate found wins.
func (c *Client) Fetch(ctx context.Context, ref string, platform *v1.Platform) (*Remote, error) {
	cands, err := c.Candidates(ref)
	if err != nil {
		return nil, err
	}
	want := HostPlatform()
	if platform != nil {
		want = *platform
	}
	errs := make([]error, 0, len(cands))
	for _, cand := range cands {
		r, err := c.fetchRef(ctx, cand, want)
		if err == nil {
			return r, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		errs = append(errs, err)
	}
	return nil, searchError(ref, cands, errs)
}

// searchError summarises the failures of a short-name search: the error of
// a single candidate, "not found" when every registry lacked the image (or
// refused it, as Docker Hub does for repositories that do not exist), else
// the first other failure.
func searchError(ref string, cands []name.Reference, errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	var regs []string
	for i, err := range errs {
		if !errors.Is(err, errdefs.ErrNotFound) && !errors.Is(err, errdefs.ErrPermission) {
			return err
		}
		regs = append(regs, familiarHost(cands[i].Context().RegistryStr()))
	}
	return errdefs.Errorf(errdefs.ErrNotFound, "image %q: not found in any of the unqualified-search registries (%s)", ref, strings.Join(regs, ", "))
}

// fetchRef fetches ref's manifest from the first endpoint that has it.
// Failures at mirrors are logged; the source's failure is returned.
func (c *Client) fetchRef(ctx context.Context, ref name.Reference, platform v1.Platform) (*Remote, error) {
	eps, err := c.Endpoints(ref.Context())
	if err != nil {
		return nil, err
	}
	image := FamiliarName(ref)
	var last error
	for i, ep := range eps {
		r := &Remote{Ref: ref, Name: image, Endpoint: ep, c: c, eps: eps, served: i}
		if last = r.fetch(ctx, platform); last == nil {
			return r, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if ep.Mirror {
			log.G(ctx).Debug("mirror failed, trying the next endpoint", "image", image, "mirror", ep.String(), "error", last)
		}
	}
	return nil, last
}

// fetch gets the manifest (and the platform's entry of an index) at
// r.Endpoint.
func (r *Remote) fetch(ctx context.Context, platform v1.Platform) error {
	s, err := r.c.session(ctx, r.Endpoint, false, r.Name)
	if err != nil {
		return err
	}
	r.session = s
	top, err := s.manifest(ctx, r.c, r.Ref.Identifier(), r.Name)
	if err != nil {
		return err
	}
	if top.MediaType.IsIndex() {
		r.Index = top
		if top, err = r.platformManifest(ctx, platform); err != nil {
			return err
		}
	}
	if top.MediaType.IsSchema1() {
		return errdefs.Errorf(errdefs.ErrNotImplemented, "image %s has a schema 1 manifest, which hutch does not support", r.Name)
	}
	if !top.MediaType.IsImage() {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "image %s: manifest type %q is not an image manifest", r.Name, top.MediaType)
	}
	r.Manifest = top
	var m v1.Manifest
	if err := decodeJSON(top.Raw, &m, "the manifest of "+r.Name); err != nil {
		return err
	}
	if ct := m.Config.MediaType; ct != types.OCIConfigJSON && ct != types.DockerConfigJSON {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "%s is not a container image (its configuration's type is %q)", r.Name, ct)
	}
	r.Image = &m
	return nil
}

// platformManifest picks platform's entry of r.Index and fetches it.
func (r *Remote) platformManifest(ctx context.Context, platform v1.Platform) (*Manifest, error) {
	var idx v1.IndexManifest
	if err := decodeJSON(r.Index.Raw, &idx, "the index of "+r.Name); err != nil {
		return nil, err
	}
	desc, err := pickPlatform(&idx, platform)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", r.Name, err)
	}
	m, err := r.session.manifest(ctx, r.c, desc.Digest.String(), r.Name)
	if err != nil {
		return nil, err
	}
	if int64(len(m.Raw)) != desc.Size {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "image %s: manifest %s is %d bytes, its index says %d", r.Name, desc.Digest, len(m.Raw), desc.Size)
	}
	if m.MediaType.IsIndex() {
		return nil, errdefs.Errorf(errdefs.ErrNotImplemented, "image %s: nested indexes are not supported", r.Name)
	}
	return m, nil
}

// Config fetches the image configuration and verifies it against the
// manifest.
func (r *Remote) Config(ctx context.Context) ([]byte, error) {
	var raw []byte
	err := r.eachEndpoint(ctx, func(s *session) error {
		var err error
		raw, err = s.smallBlob(ctx, r.c, r.Image.Config, r.Name)
		return err
	})
	return raw, err
}

// Blob opens a layer blob, at the endpoint that served the manifest, then
// at the endpoints after it (the source is last). The stream is not
// verified: the caller checks its digest and size while it reads.
func (r *Remote) Blob(ctx context.Context, desc v1.Descriptor) (io.ReadCloser, error) {
	var rc io.ReadCloser
	err := r.eachEndpoint(ctx, func(s *session) error {
		var err error
		rc, err = s.blob(ctx, r.c, desc.Digest, r.Name)
		return err
	})
	return rc, err
}

// eachEndpoint runs f with the session of the serving endpoint, then with
// those after it until f succeeds; it returns the last failure.
func (r *Remote) eachEndpoint(ctx context.Context, f func(*session) error) error {
	var last error
	for i := r.served; i < len(r.eps); i++ {
		s := r.session
		if i != r.served {
			var err error
			if s, err = r.c.session(ctx, r.eps[i], false, r.Name); err != nil {
				last = err
				continue
			}
		}
		if last = f(s); last == nil || ctx.Err() != nil {
			return last
		}
		log.G(ctx).Debug("blob fetch failed", "image", r.Name, "endpoint", r.eps[i].String(), "error", last)
	}
	return last
}

// Signatures returns the fetcher of the cosign signature image of
// TopDigest, looked for where the manifest was found and after.
func (r *Remote) Signatures() SignatureFetcher {
	return r.c.signatureFetcher(r.Ref, r.TopDigest(), r.eps[r.served:])
}
