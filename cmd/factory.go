package cmd

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/hutchctr/hutch/pkg/log"

	"github.com/hutchctr/hutch/pkg/engine"
)

// Factory holds what commands share. Fields are set once, by Main or by a
// test.
type Factory struct {
	IO *IOStreams
	// Logger writes diagnostics to stderr at the --log-level.
	Logger *slog.Logger
	// Engine opens the engine on first use and returns the same one
	// afterwards. Commands that do not need it never call it, so they run
	// without storage or the user namespace.
	Engine func() (*engine.Engine, error)
}

// globalOptions are the root command's persistent flags (Podman's names).
type globalOptions struct {
	Root     string
	RunRoot  string
	LogLevel string
}

// newFactory returns the process's factory and a function that closes the
// engine if one was opened. The engine is opened with the global flags'
// values at the time of the first call, i.e. after flag parsing.
func newFactory(ctx context.Context, ios *IOStreams, g *globalOptions, logger *slog.Logger) (*Factory, func() error) {
	var (
		eng    *engine.Engine
		engErr error
		opened bool
	)
	f := &Factory{
		IO:     ios,
		Logger: logger,
		Engine: func() (*engine.Engine, error) {
			if !opened {
				opened = true
				eng, engErr = engine.New(ctx, engine.Options{Root: g.Root, RunRoot: g.RunRoot, LogLevel: g.LogLevel})
			}
			return eng, engErr
		},
	}
	closeEngine := func() error {
		if eng == nil {
			return nil
		}
		return eng.Close()
	}
	return f, closeEngine
}

// newLogger writes "level=WARN msg=..." lines to w. Times are left out: a
// command lives for seconds and the lines are read by humans. The level is
// a variable because --log-level is known only after flag parsing.
func newLogger(w io.Writer, level *slog.LevelVar) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// parseLogLevel is log.ParseLevel with its error as a flag error (usage
// is shown).
func parseLogLevel(s string) (slog.Level, error) {
	l, err := log.ParseLevel(s)
	if err != nil {
		return 0, flagErrorf("%v", err)
	}
	return l, nil
}

// engineFor adapts the factory's engine to a verb's consumer-side
// interface. Each verb file asserts at compile time that *engine.Engine
// implements its interface, so the conversion cannot fail at run time.
func engineFor[T any](f *Factory) func() (T, error) {
	return func() (T, error) {
		var zero T
		e, err := f.Engine()
		if err != nil {
			return zero, err
		}
		t, ok := any(e).(T)
		if !ok {
			return zero, fmt.Errorf("engine lacks the methods of %T", &zero)
		}
		return t, nil
	}
}
