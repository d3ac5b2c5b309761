package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type restartEngine interface {
	Restart(ctx context.Context, ref string, timeout *uint) error
}

var _ restartEngine = (*engine.Engine)(nil)

type restartOptions struct {
	IO     *IOStreams
	Engine func() (restartEngine, error)

	Refs    []string
	Timeout *uint
}

func newRestartCmd(f *Factory, runF func(context.Context, *restartOptions) error) *cobra.Command {
	opts := &restartOptions{IO: f.IO, Engine: engineFor[restartEngine](f)}
	var timeout uint
	c := &cobra.Command{
		Use:               "restart [flags] CONTAINER [CONTAINER...]",
		Short:             "Restart one or more containers",
		Args:              minArgs(1),
		ValidArgsFunction: newCompleter(f).args(true, allContainers),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Refs = args
			opts.Timeout = uintIfChanged(c.Flags(), "time", timeout)
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runRestart(c.Context(), opts)
		},
	}
	c.Flags().UintVarP(&timeout, "time", "t", 10, "seconds to wait for the stop before killing the container (default: its --stop-timeout)")
	return c
}

func runRestart(ctx context.Context, opts *restartOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	var errs []error
	for _, ref := range opts.Refs {
		if err := e.Restart(ctx, ref, opts.Timeout); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(opts.IO.Out, ref)
	}
	return joinErrors(errs)
}
