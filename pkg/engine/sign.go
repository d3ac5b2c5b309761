package engine

import (
	"context"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// SignImage signs the manifest that the registry reference ref points to
// with the private key o.Key, and pushes the signature next to it (cosign's
// sha256-<hex>.sig tag), for hutch.yaml's sigstore-signed policies to
// verify. It returns the signed digest.
func (e *Engine) SignImage(ctx context.Context, ref string, o SignOptions) (string, error) {
	if o.Key == "" {
		return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "sign %s: no key given (--sign-by-sigstore-key)", ref)
	}
	imgs, err := e.images(ctx)
	if err != nil {
		return "", err
	}
	return imgs.Sign(ctx, ref, o)
}
