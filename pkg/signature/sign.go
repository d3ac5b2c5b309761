package signature

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// SignatureTag returns the tag, in ref's repository, under which cosign
// keeps the signatures of the image whose manifest digest is manifestDigest:
// "sha256-HEX.sig".
func SignatureTag(ref name.Reference, manifestDigest v1.Hash) (name.Tag, error) {
	if err := checkDigest(manifestDigest); err != nil {
		return name.Tag{}, err
	}
	return ref.Context().Tag(manifestDigest.Algorithm + "-" + manifestDigest.Hex + ".sig"), nil
}

// Signer signs image manifest digests with one private key.
type Signer struct {
	key  crypto.Signer
	file string
}

// LoadSigner reads a PEM private key (see the package documentation for
// the formats); an encrypted one gets its password from KeyPassword(nil): $COSIGN_PASSWORD.
func LoadSigner(keyFile string) (*Signer, error) {
	return LoadSignerWith(keyFile, KeyPassword(nil))
}

// LoadSignerWith is LoadSigner with the password of an encrypted key from
// pass, which is not called for an unencrypted key.
func LoadSignerWith(keyFile string, pass Passphrase) (*Signer, error) {
	key, err := loadPrivateKey(keyFile, pass)
	if err != nil {
		return nil, err
	}
	return &Signer{key: key, file: keyFile}, nil
}

// Public returns the signer's public key.
func (s *Signer) Public() crypto.PublicKey { return s.key.Public() }

// Sign returns a signature image holding a new signature of manifestDigest
// as an image of ref's repository, for the caller to push under
// SignatureTag(ref, manifestDigest). existing, when not nil, is the
// signature image already at that tag: the new signature is appended to
// its layers (cosign's behaviour with several signers), and existing is
// returned unchanged when it already holds a valid signature by this key.
func (s *Signer) Sign(ctx context.Context, ref name.Reference, manifestDigest v1.Hash, existing v1.Image) (v1.Image, error) {
	payload, err := Payload(ref, manifestDigest)
	if err != nil {
		return nil, err
	}
	base := existing
	if base == nil {
		base = emptySignatures()
	} else {
		signed, err := s.alreadySigned(ctx, existing, payload)
		if err != nil {
			return nil, err
		}
		if signed {
			return existing, nil
		}
	}
	sig, err := signPayload(s.key, payload)
	if err != nil {
		return nil, fmt.Errorf("sign with %s: %w", s.file, err)
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:       static.NewLayer(payload, PayloadMediaType),
		Annotations: map[string]string{SignatureAnnotation: base64.StdEncoding.EncodeToString(sig)},
	})
	if err != nil {
		return nil, fmt.Errorf("signature image: %w", err)
	}
	return img, nil
}

// Writer stores a signature image under the signature tag. Like Fetcher, it
// is an alias, so pkg/registry's writer type is assignable to it.
type Writer = func(ctx context.Context, sig v1.Image) error

// SignTo signs manifestDigest (see Sign), appending to the signature image
// fetch returns (nil fetch, or nil, nil from it: there is none yet), and
// hands the result to write. A fetch error fails the signing rather than
// let write replace signatures it could not read.
func (s *Signer) SignTo(ctx context.Context, ref name.Reference, manifestDigest v1.Hash, fetch Fetcher, write Writer) error {
	var existing v1.Image
	if fetch != nil {
		var err error
		if existing, err = fetch(ctx); err != nil && !errdefs.IsNotFound(err) {
			return fmt.Errorf("read existing signatures: %w", err)
		}
	}
	img, err := s.Sign(ctx, ref, manifestDigest, existing)
	if err != nil {
		return err
	}
	return write(ctx, img)
}

// Sign loads keyFile and signs manifestDigest with it (see Signer.Sign).
func Sign(ctx context.Context, keyFile string, ref name.Reference, manifestDigest v1.Hash, existing v1.Image) (v1.Image, error) {
	s, err := LoadSigner(keyFile)
	if err != nil {
		return nil, err
	}
	return s.Sign(ctx, ref, manifestDigest, existing)
}

// emptySignatures is the base of a new signature image, shaped like
// cosign's: an OCI manifest with an OCI config (the config only lists the
// payloads as diff IDs).
func emptySignatures() v1.Image {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	return mutate.ConfigMediaType(img, types.OCIConfigJSON)
}

// alreadySigned reports whether existing holds this exact payload with a
// signature that verifies with the signer's key: signing twice then adds
// nothing (ECDSA signatures differ each time, so comparing bytes would not
// catch it).
func (s *Signer) alreadySigned(ctx context.Context, existing v1.Image, payload []byte) (bool, error) {
	m, err := existing.Manifest()
	if err != nil {
		return false, errdefs.Errorf(errdefs.ErrInvalidArgument, "existing signature image: %v", err)
	}
	want, _, err := v1.SHA256(bytes.NewReader(payload))
	if err != nil {
		return false, err
	}
	for _, l := range m.Layers {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if l.Digest != want || string(l.MediaType) != PayloadMediaType {
			continue
		}
		sig, err := base64.StdEncoding.DecodeString(l.Annotations[SignatureAnnotation])
		if err == nil && verifyPayload(s.key.Public(), payload, sig) {
			return true, nil
		}
	}
	return false, nil
}
