package engine

import (
	"context"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/hutchctr/hutch/pkg/auth"
)

// realLogins keeps credentials with pkg/auth (hutch's auth file next to
// hutch.yaml, or --authfile) after pkg/registry checked them with the
// registry. Neither needs storage or the user namespace.
type realLogins struct{ e *Engine }

func (l realLogins) store(authFile string) *auth.Store {
	if authFile != "" {
		return auth.FromFile(authFile)
	}
	return auth.Default(l.e.paths)
}

func (l realLogins) Login(ctx context.Context, registry string, o LoginOptions) error {
	env := &registryEnv{paths: l.e.paths, config: l.e.hutchConfig}
	verify := func(ctx context.Context, a authn.Authenticator) error {
		c, err := env.clientWith(o.TLSVerify, auth.Fixed{Auth: a})
		if err != nil {
			return err
		}
		defer c.Close()
		return c.CheckLogin(ctx, registry)
	}
	return l.store(o.AuthFile).Login(ctx, registry, o.Username, o.Password, verify)
}

func (l realLogins) Logout(ctx context.Context, registry string, o LogoutOptions) error {
	s := l.store(o.AuthFile)
	if o.All {
		return s.LogoutAll()
	}
	return s.Logout(ctx, registry)
}
