package registry

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// CheckLogin verifies the client's credentials for registry (host[:port],
// optionally with an https:// prefix) before a login stores them: the
// /v2/ handshake, which for a registry that wants bearer tokens already
// asks its token server with the credentials, then an authenticated
// GET /v2/, which a registry with basic authentication answers 401 for
// wrong ones. The source endpoint is checked, not mirrors: credentials
// belong to a registry host.
func (c *Client) CheckLogin(ctx context.Context, registry string) error {
	host := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(registry, "https://"), "http://"), "/")
	// Endpoints work on repositories: any repository of the host gives
	// its location rewrite and insecure setting.
	repo, err := name.NewRepository(host + "/login")
	if err != nil {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "registry %q: %v", registry, err)
	}
	eps, err := c.Endpoints(repo)
	if err != nil {
		return err
	}
	ep := eps[len(eps)-1]
	a, err := c.auth(ctx, ep.Host())
	if err != nil {
		return err
	}
	o := op{image: familiarHost(ep.Host()), host: ep.Host(), anonymous: a == authn.Anonymous}
	rt := c.tr.forEndpoint(ep.Host(), ep.Insecure, c.opts.insecureEverywhere())
	t, err := transport.NewWithContext(ctx, ep.Repo.Registry, a, rt, nil)
	if err != nil {
		return c.loginError(err, o)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.Repo.Scheme()+"://"+ep.Host()+"/v2/", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: t}).Do(req)
	if err != nil {
		return c.loginError(err, o)
	}
	defer resp.Body.Close()
	return c.loginError(transport.CheckError(resp, http.StatusOK), o)
}

// loginError words a refusal of the credentials for a login; other
// failures (TLS, unreachable) read as for pulls.
func (c *Client) loginError(err error, o op) error {
	var te *transport.Error
	if errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden) {
		return newError(errdefs.ErrPermission, te, "registry %s refused the credentials (unauthorized)", o.image)
	}
	return c.classify(err, o)
}
