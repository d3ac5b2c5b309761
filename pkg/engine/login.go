package engine

import (
	"context"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Login checks the credentials against registry and stores them in
// hutch's auth file (or o.AuthFile), mode 0600. It needs no storage.
func (e *Engine) Login(ctx context.Context, registry string, o LoginOptions) error {
	if registry == "" {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "login: no registry given")
	}
	return e.logins.Login(ctx, registry, o)
}

// Logout removes registry's credentials (with o.All, every registry's)
// from hutch's auth file (or o.AuthFile).
func (e *Engine) Logout(ctx context.Context, registry string, o LogoutOptions) error {
	if registry == "" && !o.All {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "logout: no registry given (or use --all)")
	}
	return e.logins.Logout(ctx, registry, o)
}
