// Package log carries a *slog.Logger in a context, containerd log.G style.
// Libraries are silent unless the caller put a logger in the context.
package log

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
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

// ParseLevel maps Podman's --log-level names to slog levels: trace is
// below debug, fatal and panic above error.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "trace":
		return slog.LevelDebug - 4, nil
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	case "fatal", "panic":
		return slog.LevelError + 4, nil
	}
	return 0, fmt.Errorf("log-level %q is invalid, valid levels: trace, debug, info, warn, error, fatal, panic", s)
}

// ForRole returns the logger of a re-executed role (the monitor, the DNS
// responder): text records at level (--log-level passed down; anything
// unknown or empty means info), each line marked "[hutch:ROLE] ".
func ForRole(w io.Writer, role, level string) *slog.Logger {
	l, err := ParseLevel(level)
	if err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(rolePrefix{w: w, prefix: "[hutch:" + role + "] "}, &slog.HandlerOptions{Level: l}))
}

// rolePrefix marks each record (slog writes one per Write) with its role.
type rolePrefix struct {
	w      io.Writer
	prefix string
}

func (p rolePrefix) Write(b []byte) (int, error) {
	line := make([]byte, 0, len(p.prefix)+len(b))
	line = append(append(line, p.prefix...), b...)
	if _, err := p.w.Write(line); err != nil {
		return 0, err
	}
	return len(b), nil
}
