package engine

import (
	"context"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Tag gives image ref the additional names, qualified as Podman does
// ("foo" is localhost/foo:latest). A name another image had moves to this
// one, which may leave that one dangling.
func (e *Engine) Tag(ctx context.Context, ref string, names []string) error {
	if len(names) == 0 {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "tag: no name given")
	}
	imgs, err := e.images(ctx)
	if err != nil {
		return err
	}
	for _, n := range names {
		if _, err := imgs.Tag(ctx, ref, n); err != nil {
			return err
		}
	}
	return nil
}

// Untag removes names from image ref; with no names, all of them. The
// image stays, dangling when it has no name left (image prune removes it).
func (e *Engine) Untag(ctx context.Context, ref string, names []string) error {
	imgs, err := e.images(ctx)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		_, err := imgs.Untag(ctx, ref, "")
		return err
	}
	for _, n := range names {
		if _, err := imgs.Untag(ctx, ref, n); err != nil {
			return err
		}
	}
	return nil
}
