package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type killEngine interface {
	Kill(ctx context.Context, ref string, sig string) error
}

var _ killEngine = (*engine.Engine)(nil)

type killOptions struct {
	IO     *IOStreams
	Engine func() (killEngine, error)

	Refs   []string
	Signal string
}

func newKillCmd(f *Factory, runF func(context.Context, *killOptions) error) *cobra.Command {
	opts := &killOptions{IO: f.IO, Engine: engineFor[killEngine](f)}
	c := &cobra.Command{
		Use:               "kill [flags] CONTAINER [CONTAINER...]",
		Short:             "Send a signal to one or more running containers",
		Args:              minArgs(1),
		ValidArgsFunction: newCompleter(f).args(true, runningContainers),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Refs = args
			if opts.Signal == "" {
				return flagErrorf("--signal must not be empty")
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runKill(c.Context(), opts)
		},
	}
	c.Flags().StringVarP(&opts.Signal, "signal", "s", "KILL", "signal to send: a name (KILL, SIGTERM) or a number")
	_ = c.RegisterFlagCompletionFunc("signal", fixedValues(signalNames()...))
	return c
}

func runKill(ctx context.Context, opts *killOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	var errs []error
	for _, ref := range opts.Refs {
		if err := e.Kill(ctx, ref, opts.Signal); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(opts.IO.Out, ref)
	}
	return joinErrors(errs)
}
