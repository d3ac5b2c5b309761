package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type waitEngine interface {
	Wait(ctx context.Context, ref string) (int, error)
}

var _ waitEngine = (*engine.Engine)(nil)

type waitOptions struct {
	IO     *IOStreams
	Engine func() (waitEngine, error)

	Refs []string
}

func newWaitCmd(f *Factory, runF func(context.Context, *waitOptions) error) *cobra.Command {
	opts := &waitOptions{IO: f.IO, Engine: engineFor[waitEngine](f)}
	return &cobra.Command{
		Use:               "wait CONTAINER [CONTAINER...]",
		Short:             "Wait for containers to exit and print their exit codes",
		Args:              minArgs(1),
		ValidArgsFunction: newCompleter(f).args(true, allContainers),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Refs = args
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runWait(c.Context(), opts)
		},
	}
}

func runWait(ctx context.Context, opts *waitOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	var errs []error
	for _, ref := range opts.Refs {
		code, err := e.Wait(ctx, ref)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(opts.IO.Out, code)
	}
	return joinErrors(errs)
}
