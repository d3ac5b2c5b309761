package registry

import (
	"context"
	"errors"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// SignatureTag returns the cosign tag of the signatures of manifest d:
// "sha256-<hex>.sig".
func SignatureTag(d v1.Hash) string { return d.Algorithm + "-" + d.Hex + ".sig" }

// SignatureFetcher returns the fetcher of the signature image of manifest
// d in ref's repository, looked for at its endpoints in order (mirrors,
// then the source).
func (c *Client) SignatureFetcher(ref name.Reference, d v1.Hash) (SignatureFetcher, error) {
	eps, err := c.Endpoints(ref.Context())
	if err != nil {
		return nil, err
	}
	return c.signatureFetcher(ref, d, eps), nil
}

// signatureFetcher looks for the signature tag at eps in order. "Not
// found" at every endpoint means no signature (nil, nil); another failure
// is returned as it is, so that a policy can refuse rather than assume
// the image unsigned.
func (c *Client) signatureFetcher(ref name.Reference, d v1.Hash, eps []Endpoint) SignatureFetcher {
	tag := SignatureTag(d)
	image := FamiliarRepository(ref.Context()) + ":" + tag
	return func(ctx context.Context) (v1.Image, error) {
		var firstErr error
		for _, ep := range eps {
			img, err := c.fetchImage(ctx, ep, ep.Repo.Tag(tag), image)
			switch {
			case err == nil:
				return img, nil
			case ctx.Err() != nil:
				return nil, ctx.Err()
			case errors.Is(err, errdefs.ErrNotFound):
			case firstErr == nil:
				firstErr = err
			}
		}
		return nil, firstErr
	}
}

// fetchImage returns a lazily fetched image (go-containerregistry verifies
// its blobs as they are read) through ep's session.
func (c *Client) fetchImage(ctx context.Context, ep Endpoint, ref name.Reference, image string) (v1.Image, error) {
	s, err := c.session(ctx, ep, false, image)
	if err != nil {
		return nil, err
	}
	// The session's transport is already authenticated for the
	// repository: go-containerregistry uses it as it is.
	desc, err := remote.Get(ref, remote.WithTransport(s.client.Transport), remote.WithContext(ctx))
	if err != nil {
		return nil, c.classify(err, s.op(image, ""))
	}
	img, err := desc.Image()
	if err != nil {
		return nil, c.classify(err, s.op(image, ""))
	}
	return img, nil
}

// SignatureWriter returns the writer of signature images for manifest d
// of the push target.
func (t *Target) SignatureWriter(d v1.Hash) SignatureWriter {
	tag := SignatureTag(d)
	return func(ctx context.Context, sig v1.Image) error {
		ref := t.Endpoint.Repo.Tag(tag)
		if err := remote.Write(ref, sig, remote.WithTransport(t.session.client.Transport), remote.WithContext(ctx)); err != nil {
			return t.c.classify(err, t.session.op(FamiliarRepository(t.Ref.Context())+":"+tag, ""))
		}
		return nil
	}
}
