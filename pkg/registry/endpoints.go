package registry

import (
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/hutchctr/hutch/pkg/config"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Endpoint is one place a repository can be fetched from: a mirror or the
// source (after hutch.yaml's location rewrite).
type Endpoint struct {
	// Repo is the repository at the endpoint, as requests address it.
	Repo name.Repository
	// Mirror is true for a mirror, false for the source.
	Mirror bool
	// Insecure allows plain HTTP and unverified TLS with this endpoint:
	// hutch.yaml's setting, unless --tls-verify overrides it.
	Insecure bool
}

// Host returns the endpoint's host[:port], the key for credentials and
// certs-dir.
func (e Endpoint) Host() string { return e.Repo.RegistryStr() }

// String returns the endpoint's repository ("127.0.0.1:5001/mirror/library/x").
func (e Endpoint) String() string { return FamiliarRepository(e.Repo) }

// Endpoints returns where repo is fetched from, in order: the mirrors of
// the registry entry with the longest matching prefix, then the source.
func (c *Client) Endpoints(repo name.Repository) ([]Endpoint, error) {
	full := FamiliarRepository(repo)
	reg, prefix := c.registryFor(full)
	if reg == nil {
		ep, err := c.endpoint(full, false, false)
		if err != nil {
			return nil, err
		}
		return []Endpoint{ep}, nil
	}
	rest := strings.TrimPrefix(full, prefix)
	var eps []Endpoint
	for _, m := range reg.Mirrors {
		ep, err := c.endpoint(m.Location+rest, true, m.Insecure)
		if err != nil {
			return nil, err
		}
		eps = append(eps, ep)
	}
	loc := reg.Location
	if loc == "" {
		loc = reg.Prefix
	}
	src, err := c.endpoint(loc+rest, false, reg.Insecure)
	if err != nil {
		return nil, err
	}
	return append(eps, src), nil
}

// registryFor returns the entry whose prefix matches repo (at a path
// component boundary) the longest, or nil, and the prefix as matched
// (index.docker.io spelled docker.io).
func (c *Client) registryFor(repo string) (*config.Registry, string) {
	var best *config.Registry
	prefix := ""
	for i := range c.cfg.Registries {
		r := &c.cfg.Registries[i]
		p := r.Prefix
		if h, rest, _ := strings.Cut(p, "/"); h == name.DefaultRegistry {
			p = strings.TrimSuffix(dockerHub+"/"+rest, "/")
		}
		if (repo == p || strings.HasPrefix(repo, p+"/")) && len(p) > len(prefix) {
			best, prefix = r, p
		}
	}
	return best, prefix
}

// endpoint builds an Endpoint for the repository s.
func (c *Client) endpoint(s string, mirror, insecure bool) (Endpoint, error) {
	insecure = c.opts.insecure(insecure)
	var opts []name.Option
	if insecure {
		// go-containerregistry then tries https and falls back to http.
		opts = append(opts, name.Insecure)
	}
	repo, err := name.NewRepository(s, opts...)
	if err != nil {
		return Endpoint{}, errdefs.Errorf(errdefs.ErrInvalidArgument, "registry endpoint %q (from hutch.yaml): %v", s, err)
	}
	return Endpoint{Repo: repo, Mirror: mirror, Insecure: insecure}, nil
}
