package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/hutchctr/hutch/pkg/errdefs"
	hlog "github.com/hutchctr/hutch/pkg/log"
)

// Pull policies of run and create (--pull), as in Podman.
const (
	// PullMissing pulls when the image is not in local storage.
	PullMissing = "missing"
	// PullAlways pulls every time.
	PullAlways = "always"
	// PullNever uses local storage only.
	PullNever = "never"
	// PullNewer pulls when the registry's digest differs from the local
	// image's; pull errors are ignored when a local image exists.
	PullNewer = "newer"
)

// Pull stores image ref from its registry (short names resolved through
// hutch.yaml's aliases and search registries) and returns its ID.
func (e *Engine) Pull(ctx context.Context, ref string, o PullOptions) (string, error) {
	imgs, err := e.images(ctx)
	if err != nil {
		return "", err
	}
	m, err := imgs.Pull(ctx, ref, o)
	if err != nil {
		return "", err
	}
	return m.ID, nil
}

// imageForCreate finds the image of a new container under the pull policy
// o.Pull, pulling it when the policy says so.
func (e *Engine) imageForCreate(ctx context.Context, imgs imageStore, o CreateOptions) (*imageMeta, error) {
	switch o.Pull {
	case "", PullMissing:
		img, err := imgs.Get(ctx, o.Image)
		if !errors.Is(err, errdefs.ErrNotFound) {
			return img, err
		}
		pulled, perr := pullFor(ctx, imgs, o)
		if errors.Is(perr, errdefs.ErrNotImplemented) {
			return nil, err // a build without pulls: the image is just missing
		}
		return pulled, perr
	case PullNever:
		return imgs.Get(ctx, o.Image)
	case PullAlways:
		return pullFor(ctx, imgs, o)
	case PullNewer:
		return e.pullIfNewer(ctx, imgs, o)
	}
	return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "pull policy %q: use always, missing, never or newer", o.Pull)
}

// pullIfNewer pulls when the registry's image differs from the local one
// (digests, not times: clocks lie). With a local image, failing to reach
// the registry only warns, as in Podman.
func (e *Engine) pullIfNewer(ctx context.Context, imgs imageStore, o CreateOptions) (*imageMeta, error) {
	local, err := imgs.Get(ctx, o.Image)
	if errors.Is(err, errdefs.ErrNotFound) {
		return pullFor(ctx, imgs, o)
	}
	if err != nil {
		return nil, err
	}
	remote, err := imgs.RemoteDigests(ctx, o.Image, o.PullOptions)
	if err != nil {
		hlog.G(ctx).Warn(fmt.Sprintf("--pull=newer: checking %s in its registry: %v; using the local image", o.Image, err))
		return local, nil
	}
	if local.Digest != "" && slices.Contains(remote, local.Digest) {
		return local, nil
	}
	pulled, err := imgs.Pull(ctx, o.Image, o.PullOptions)
	if err != nil {
		hlog.G(ctx).Warn(fmt.Sprintf("--pull=newer: pulling %s: %v; using the local image", o.Image, err))
		return local, nil
	}
	return pulled, nil
}

// pullFor pulls a new container's image. The error names the image as the
// user wrote it: a registry's own message may only name the registry
// ("registry docker.io is unreachable").
func pullFor(ctx context.Context, imgs imageStore, o CreateOptions) (*imageMeta, error) {
	img, err := imgs.Pull(ctx, o.Image, o.PullOptions)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", o.Image, err)
	}
	return img, nil
}
