package cmd

import (
	"context"
	"log/slog"
	"os"

	"github.com/hutchctr/hutch/pkg/log"
)

// Main runs the CLI and returns the process exit code.
func Main() int {
	return run(context.Background(), SystemIO(), os.Args[1:])
}

// run executes one command line; it is Main without the process.
func run(ctx context.Context, ios *IOStreams, args []string) int {
	g := &globalOptions{}
	level := new(slog.LevelVar)
	level.Set(slog.LevelWarn)
	logger := newLogger(ios.ErrOut, level)
	// Libraries take their logger from the context (pkg/log).
	ctx = log.With(ctx, logger)
	f, closeEngine := newFactory(ctx, ios, g, logger)
	root := newRootCmd(f, g, level)
	root.SetArgs(args)
	c, err := root.ExecuteContextC(ctx)
	if cerr := closeEngine(); err == nil {
		err = cerr
	}
	return reportError(ios.ErrOut, c, err)
}
