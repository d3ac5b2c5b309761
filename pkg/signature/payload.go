package signature

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// The names cosign gives to the parts of a signature image.
const (
	// PayloadMediaType is the media type of a signature layer: a
	// simple-signing JSON payload.
	PayloadMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// SignatureAnnotation is the layer annotation that holds the base64
	// signature of the layer's payload.
	SignatureAnnotation = "dev.cosignproject.cosign/signature"
	// PayloadType is the payload's critical.type.
	PayloadType = "cosign container image signature"
)

// maxPayloadSize bounds the payload blobs Verify reads: cosign's are a few
// hundred bytes, and a registry must not make hutch buffer a huge blob.
const maxPayloadSize = 256 << 10

// payload is the part of a simple-signing document that hutch checks.
// (Decoding into maps of raw messages rather than structs keeps key
// matching exact and lets unknown critical keys be refused.)
type payload struct {
	Reference string // critical.identity.docker-reference
	Digest    string // critical.image.docker-manifest-digest
	Type      string // critical.type
}

// Payload returns the simple-signing payload that signs manifestDigest as an
// image of ref's repository, byte for byte as cosign writes it.
func Payload(ref name.Reference, manifestDigest v1.Hash) ([]byte, error) {
	if err := checkDigest(manifestDigest); err != nil {
		return nil, err
	}
	doc := struct {
		Critical struct {
			Identity struct {
				DockerReference string `json:"docker-reference"`
			} `json:"identity"`
			Image struct {
				DockerManifestDigest string `json:"docker-manifest-digest"`
			} `json:"image"`
			Type string `json:"type"`
		} `json:"critical"`
		Optional map[string]any `json:"optional"`
	}{}
	doc.Critical.Identity.DockerReference = ref.Context().Name()
	doc.Critical.Image.DockerManifestDigest = manifestDigest.String()
	doc.Critical.Type = PayloadType
	return json.Marshal(doc)
}

// parsePayload reads a simple-signing document strictly: the critical
// section must hold exactly the keys hutch understands (a signer that adds
// a critical claim means it to be enforced), with their exact spelling
// (decoding into structs would match keys case-insensitively).
func parsePayload(b []byte) (payload, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return payload{}, fmt.Errorf("payload is not a JSON object: %w", err)
	}
	for k := range top {
		if k != "critical" && k != "optional" {
			return payload{}, fmt.Errorf("payload has unknown key %q", k)
		}
	}
	var crit map[string]json.RawMessage
	if err := fields(top, "critical", &crit, "identity", "image", "type"); err != nil {
		return payload{}, err
	}
	var p payload
	var identity, image map[string]json.RawMessage
	if err := fields(crit, "identity", &identity, "docker-reference"); err != nil {
		return payload{}, err
	}
	if err := fields(crit, "image", &image, "docker-manifest-digest"); err != nil {
		return payload{}, err
	}
	for _, f := range []struct {
		obj map[string]json.RawMessage
		key string
		dst *string
	}{
		{crit, "type", &p.Type},
		{identity, "docker-reference", &p.Reference},
		{image, "docker-manifest-digest", &p.Digest},
	} {
		if err := json.Unmarshal(f.obj[f.key], f.dst); err != nil {
			return payload{}, fmt.Errorf("payload key %q is not a string", f.key)
		}
	}
	return p, nil
}

// fields decodes obj[key] into dst, an object that must have exactly the
// keys want.
func fields(obj map[string]json.RawMessage, key string, dst *map[string]json.RawMessage, want ...string) error {
	raw, ok := obj[key]
	if !ok {
		return fmt.Errorf("payload lacks %q", key)
	}
	if err := json.Unmarshal(raw, dst); err != nil || *dst == nil {
		return fmt.Errorf("payload key %q is not an object", key)
	}
	for k := range *dst {
		if !contains(want, k) {
			return fmt.Errorf("payload key %q has unknown key %q", key, k)
		}
	}
	for _, k := range want {
		if _, ok := (*dst)[k]; !ok {
			return fmt.Errorf("payload key %q lacks %q", key, k)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// checkClaims checks what an authentic payload says against the image:
// the claim type, the manifest digest and the repository.
func (p payload) checkClaims(ref name.Reference, manifestDigest v1.Hash) error {
	if p.Type != PayloadType {
		return fmt.Errorf("payload type is %q, not %q", p.Type, PayloadType)
	}
	if p.Digest != manifestDigest.String() {
		return fmt.Errorf("signature is for manifest %s, not %s", p.Digest, manifestDigest)
	}
	return matchIdentity(p.Reference, ref, manifestDigest)
}

// matchIdentity checks a payload's docker-reference against the image's
// reference. Names are compared after go-containerregistry's normalization
// ("docker.io/alpine" and "index.docker.io/library/alpine" are one
// repository). A repository alone matches any tag or digest of it; a
// tagged identity must match the tag the image was named by (an image named
// by digest is bound by the digest claim instead); a digested identity
// must be the image's digest.
func matchIdentity(identity string, ref name.Reference, manifestDigest v1.Hash) error {
	mismatch := func() error {
		return fmt.Errorf("signature is for %q, not for %q", identity, familiarName(ref.Context().Name()))
	}
	if strings.Contains(identity, "@") {
		d, err := name.NewDigest(identity)
		if err != nil {
			return fmt.Errorf("signature identity %q: %v", identity, err)
		}
		if d.Context().Name() != ref.Context().Name() || d.DigestStr() != manifestDigest.String() {
			return mismatch()
		}
		return nil
	}
	if repo, err := name.NewRepository(identity); err == nil {
		if repo.Name() != ref.Context().Name() {
			return mismatch()
		}
		return nil
	}
	tag, err := name.NewTag(identity)
	if err != nil {
		return fmt.Errorf("signature identity %q: %v", identity, err)
	}
	if tag.Context().Name() != ref.Context().Name() {
		return mismatch()
	}
	if want, ok := ref.(name.Tag); ok && want.TagStr() != tag.TagStr() {
		return fmt.Errorf("signature is for tag %q, not %q", identity, familiar(ref))
	}
	return nil
}

// checkDigest accepts only the sha256 digests registries use: cosign's
// tag scheme and the payload assume them.
func checkDigest(h v1.Hash) error {
	if h.Algorithm != "sha256" || len(h.Hex) != 64 || strings.Trim(h.Hex, "0123456789abcdef") != "" {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "manifest digest %q is not a sha256 digest", h.String())
	}
	return nil
}
