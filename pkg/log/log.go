// Package log carries a *slog.Logger in a context, containerd log.G style.
// Libraries are silent unless the caller put a logger in the context.
package log

import (
	"context"
	"io"
	"log/slog"
)

type key struct{}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// With returns a context carrying l.
func With(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, key{}, l)
}

// G returns the context's logger, or one that discards everything.
func G(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(key{}).(*slog.Logger); ok {
		return l
	}
	return discard
}
