package signature

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxSignatures bounds the layers of a signature image that Verify looks
// at, so that a hostile registry cannot make a pull fetch blobs forever.
const maxSignatures = 128

// errNoSignature means the image has no signature image at all.
var errNoSignature = errors.New("no signature")

// VerifyImage checks that sigs, a signature image, holds at least one valid
// signature by key of manifestDigest as an image of ref (see the package
// documentation for what "valid" means). The error says why each
// signature was refused; it carries no errdefs class (Policy.Verify adds
// one).
func VerifyImage(ctx context.Context, sigs v1.Image, key crypto.PublicKey, ref name.Reference, manifestDigest v1.Hash) error {
	if sigs == nil {
		return errNoSignature
	}
	m, err := sigs.Manifest()
	if err != nil {
		return fmt.Errorf("read signature image manifest: %v", err)
	}
	if len(m.Layers) == 0 {
		return errNoSignature
	}
	if len(m.Layers) > maxSignatures {
		return fmt.Errorf("signature image has %d layers, more than the %d hutch checks", len(m.Layers), maxSignatures)
	}
	var why []string
	for i, desc := range m.Layers {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := verifyLayer(sigs, desc, key, ref, manifestDigest)
		if err == nil {
			return nil
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		why = append(why, fmt.Sprintf("signature %d: %v", i+1, err))
	}
	return fmt.Errorf("no valid signature (%s)", strings.Join(why, "; "))
}

// verifyLayer checks one signature: the signature over the payload first,
// so that only authentic payloads are parsed, then the payload's claims.
func verifyLayer(sigs v1.Image, desc v1.Descriptor, key crypto.PublicKey, ref name.Reference, manifestDigest v1.Hash) error {
	if string(desc.MediaType) != PayloadMediaType {
		return fmt.Errorf("layer media type %q is not %q", desc.MediaType, PayloadMediaType)
	}
	b64, ok := desc.Annotations[SignatureAnnotation]
	if !ok {
		return fmt.Errorf("layer has no %s annotation", SignatureAnnotation)
	}
	sig, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return fmt.Errorf("signature is not base64")
	}
	payload, err := readPayload(sigs, desc)
	if err != nil {
		return err
	}
	if !verifyPayload(key, payload, sig) {
		return fmt.Errorf("signature does not verify with the key")
	}
	p, err := parsePayload(payload)
	if err != nil {
		return err
	}
	return p.checkClaims(ref, manifestDigest)
}

// readPayload fetches a payload blob, bounded in size, and checks it
// against its descriptor's digest (the signature covers the payload, but a
// payload that is not the blob the manifest names is a broken image).
func readPayload(sigs v1.Image, desc v1.Descriptor) ([]byte, error) {
	if desc.Digest.Algorithm != "sha256" {
		return nil, fmt.Errorf("payload digest %s is not sha256", desc.Digest)
	}
	if desc.Size < 0 || desc.Size > maxPayloadSize {
		return nil, fmt.Errorf("payload size %d is outside 0..%d", desc.Size, maxPayloadSize)
	}
	l, err := sigs.LayerByDigest(desc.Digest)
	if err != nil {
		return nil, fmt.Errorf("payload %s: %w", desc.Digest, err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, fmt.Errorf("payload %s: %w", desc.Digest, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, desc.Size+1))
	if err != nil {
		return nil, fmt.Errorf("payload %s: %w", desc.Digest, err)
	}
	got, _, err := v1.SHA256(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) != desc.Size || got != desc.Digest {
		return nil, fmt.Errorf("payload blob does not match its digest %s", desc.Digest)
	}
	return b, nil
}
