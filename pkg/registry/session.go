package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// maxManifestSize caps manifests and configurations read into memory.
const maxManifestSize = 16 << 20

// session is an authenticated connection to one repository at one
// endpoint, shared by the requests of a pull or push.
type session struct {
	ep        Endpoint
	client    *http.Client
	anonymous bool
	push      bool
}

type sessionKey struct {
	repo     string
	insecure bool
	scopes   string
}

// session returns the (cached) session for ep. Pushes ask for push and
// pull access, and pull access to the repositories in mountFrom.
func (c *Client) session(ctx context.Context, ep Endpoint, push bool, image string, mountFrom ...name.Repository) (*session, error) {
	scopes := []string{ep.Repo.Scope(transport.PullScope)}
	if push {
		scopes[0] = ep.Repo.Scope(transport.PushScope)
		for _, r := range mountFrom {
			scopes = append(scopes, r.Scope(transport.PullScope))
		}
	}
	key := sessionKey{repo: ep.Repo.String(), insecure: ep.Insecure, scopes: strings.Join(scopes, " ")}
	c.mu.Lock()
	s, ok := c.sessions[key]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	auth, err := c.auth(ctx, ep.Host())
	if err != nil {
		return nil, err
	}
	o := op{image: image, host: ep.Host(), push: push, anonymous: auth == authn.Anonymous}
	rt := c.tr.forEndpoint(ep.Host(), ep.Insecure, c.opts.insecureEverywhere())
	// The handshake: ping /v2/, then a token for the scopes if the
	// registry asks for bearer authentication.
	t, err := transport.NewWithContext(ctx, ep.Repo.Registry, auth, rt, scopes)
	if err != nil {
		return nil, c.classify(err, o)
	}
	s = &session{ep: ep, client: &http.Client{Transport: t}, anonymous: o.anonymous, push: push}
	c.mu.Lock()
	c.sessions[key] = s
	c.mu.Unlock()
	return s, nil
}

func (s *session) op(image, blob string) op {
	return op{image: image, host: s.ep.Host(), blob: blob, push: s.push, anonymous: s.anonymous}
}

// url addresses the API; the scheme is what the handshake found to work.
func (s *session) url(kind, ref string) string {
	return fmt.Sprintf("%s://%s/v2/%s/%s/%s", s.ep.Repo.Scheme(), s.ep.Repo.RegistryStr(), s.ep.Repo.RepositoryStr(), kind, ref)
}

// do sends a request and checks its status.
func (s *session) do(ctx context.Context, c *Client, method, url string, o op, hdr http.Header, ok ...int) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, c.classify(err, o)
	}
	if err := transport.CheckError(resp, ok...); err != nil {
		resp.Body.Close()
		return nil, c.classify(err, o)
	}
	return resp, nil
}

// Manifest is a manifest or index as the registry sent it.
type Manifest struct {
	Raw       []byte
	MediaType types.MediaType
	Digest    v1.Hash
}

// acceptedManifests are the manifest types a pull understands, and
// schema 1, asked for only to refuse it by name.
func acceptedManifests() string {
	return strings.Join([]string{
		string(types.OCIManifestSchema1), string(types.DockerManifestSchema2),
		string(types.OCIImageIndex), string(types.DockerManifestList),
		string(types.DockerManifestSchema1Signed), string(types.DockerManifestSchema1),
	}, ", ")
}

// manifest fetches the manifest ref (a tag or "sha256:...") names and
// checks it against a digest reference.
func (s *session) manifest(ctx context.Context, c *Client, ref, image string) (*Manifest, error) {
	resp, err := s.do(ctx, c, http.MethodGet, s.url("manifests", ref), s.op(image, ""),
		http.Header{"Accept": {acceptedManifests()}}, http.StatusOK)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxManifestSize+1))
	if err != nil {
		return nil, c.classify(err, s.op(image, ""))
	}
	if len(raw) > maxManifestSize {
		return nil, fmt.Errorf("registry %s: manifest of %s is larger than %d bytes", s.ep.Host(), image, maxManifestSize)
	}
	sum := sha256.Sum256(raw)
	m := &Manifest{Raw: raw, Digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}}
	if strings.HasPrefix(ref, "sha256:") && m.Digest.String() != ref {
		return nil, fmt.Errorf("registry %s sent a manifest for %s with digest %s, not the one asked for", s.ep.Host(), image, m.Digest)
	}
	m.MediaType = manifestType(resp.Header.Get("Content-Type"), raw)
	return m, nil
}

// manifestType takes the media type from Content-Type, or, for registries
// that send a generic one, from the document.
func manifestType(contentType string, raw []byte) types.MediaType {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch t := types.MediaType(mt); t {
	case types.OCIManifestSchema1, types.DockerManifestSchema2, types.OCIImageIndex, types.DockerManifestList,
		types.DockerManifestSchema1, types.DockerManifestSchema1Signed:
		return t
	}
	var probe struct {
		SchemaVersion int             `json:"schemaVersion"`
		MediaType     types.MediaType `json:"mediaType"`
		Manifests     json.RawMessage `json:"manifests"`
	}
	_ = json.Unmarshal(raw, &probe) // an undecodable manifest fails its parse later
	switch {
	case probe.MediaType != "":
		return probe.MediaType
	case probe.SchemaVersion == 1:
		return types.DockerManifestSchema1
	case probe.Manifests != nil:
		return types.OCIImageIndex
	}
	return types.OCIManifestSchema1
}

// blob opens blob d. The body is not verified: the caller does that while
// it stores the bytes.
func (s *session) blob(ctx context.Context, c *Client, d v1.Hash, image string) (io.ReadCloser, error) {
	resp, err := s.do(ctx, c, http.MethodGet, s.url("blobs", d.String()), s.op(image, d.String()), nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// smallBlob reads and verifies a blob of at most maxManifestSize bytes
// (a configuration).
func (s *session) smallBlob(ctx context.Context, c *Client, desc v1.Descriptor, image string) ([]byte, error) {
	if desc.Size > maxManifestSize || desc.Size < 0 {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "image %s: blob %s: size %d is out of range", image, desc.Digest, desc.Size)
	}
	rc, err := s.blob(ctx, c, desc.Digest, image)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, desc.Size+1))
	if err != nil {
		return nil, c.classify(err, s.op(image, desc.Digest.String()))
	}
	if err := verifyBlob(raw, desc); err != nil {
		return nil, fmt.Errorf("registry %s: image %s: %w", s.ep.Host(), image, err)
	}
	return raw, nil
}

// verifyBlob checks raw against its descriptor.
func verifyBlob(raw []byte, desc v1.Descriptor) error {
	if desc.Digest.Algorithm != "sha256" {
		return errdefs.Errorf(errdefs.ErrNotImplemented, "blob %s: only sha256 digests are supported", desc.Digest)
	}
	sum := sha256.Sum256(raw)
	if got := hex.EncodeToString(sum[:]); got != desc.Digest.Hex || int64(len(raw)) != desc.Size {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "blob %s does not match its descriptor (got %d bytes with digest sha256:%s, want %d bytes)",
			desc.Digest, len(raw), got, desc.Size)
	}
	return nil
}

// decodeJSON parses a manifest document.
func decodeJSON(raw []byte, v any, what string) error {
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(v); err != nil {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "%s is not valid JSON: %v", what, err)
	}
	return nil
}
