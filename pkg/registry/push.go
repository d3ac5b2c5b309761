package registry

import (
	"context"
	"net/http"
	"net/url"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Target is a repository being pushed to, at its source endpoint (mirrors
// are for pulls).
type Target struct {
	// Ref is the destination as parsed (tag or digest).
	Ref name.Reference
	// Name is Ref as hutch stores names.
	Name string
	// Endpoint is where the requests go.
	Endpoint Endpoint

	c       *Client
	session *session
}

// PushTarget opens ref (see ParsePushReference) for pushing. mountFrom
// names repositories of the same registry whose blobs the push may mount
// instead of uploading; access to pull them is asked for with the push
// access.
func (c *Client) PushTarget(ctx context.Context, ref string, mountFrom ...string) (*Target, error) {
	r, err := ParsePushReference(ref)
	if err != nil {
		return nil, err
	}
	eps, err := c.Endpoints(r.Context())
	if err != nil {
		return nil, err
	}
	ep := eps[len(eps)-1]
	var from []name.Repository
	for _, m := range mountFrom {
		repo, err := name.NewRepository(m)
		if err == nil && repo.RegistryStr() == r.Context().RegistryStr() && repo.String() != r.Context().String() {
			from = append(from, repo)
		}
	}
	t := &Target{Ref: r, Name: FamiliarName(r), Endpoint: ep, c: c}
	if t.session, err = c.session(ctx, ep, true, t.Name, from...); err != nil {
		return nil, err
	}
	return t, nil
}

// BlobExists reports whether the repository has blob d.
func (t *Target) BlobExists(ctx context.Context, d v1.Hash) (bool, error) {
	resp, err := t.session.do(ctx, t.c, http.MethodHead, t.session.url("blobs", d.String()), t.session.op(t.Name, d.String()), nil,
		http.StatusOK, http.StatusNotFound)
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK, nil
}

// MountBlob asks the registry to link blob d from repository from (of the
// same registry) into the target; false means it did not, and the blob
// must be uploaded.
func (t *Target) MountBlob(ctx context.Context, d v1.Hash, from string) (bool, error) {
	repo, err := name.NewRepository(from)
	if err != nil || repo.RegistryStr() != t.Ref.Context().RegistryStr() {
		return false, nil
	}
	q := url.Values{"mount": {d.String()}, "from": {repo.RepositoryStr()}}
	u := t.session.url("blobs", "uploads/") + "?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return false, err
	}
	resp, err := t.session.client.Do(req)
	if err != nil {
		return false, t.c.classify(err, t.session.op(t.Name, d.String()))
	}
	resp.Body.Close()
	// 201: mounted. 202: the registry started an upload instead, which is
	// left to expire; anything else: no mount.
	return resp.StatusCode == http.StatusCreated, nil
}

// Write uploads img's missing blobs (jobs at a time) and then its
// manifest under Ref. Layers whose Digest returns stream.ErrNotComputed
// are streamed and hashed on the way (go-containerregistry's lazy layers).
func (t *Target) Write(ctx context.Context, img v1.Image, jobs int) error {
	ref := t.endpointRef()
	err := remote.Write(ref, img, remote.WithTransport(t.session.client.Transport), remote.WithContext(ctx), remote.WithJobs(max(jobs, 1)))
	if err != nil {
		return t.c.classify(err, t.session.op(t.Name, ""))
	}
	return nil
}

// endpointRef is Ref at the endpoint (after a location rewrite).
func (t *Target) endpointRef() name.Reference {
	if d, ok := t.Ref.(name.Digest); ok {
		return t.Endpoint.Repo.Digest(d.DigestStr())
	}
	return t.Endpoint.Repo.Tag(t.Ref.Identifier())
}
