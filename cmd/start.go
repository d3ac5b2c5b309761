package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type startEngine interface {
	Start(ctx context.Context, ref string, o engine.StartOptions) error
}

var _ startEngine = (*engine.Engine)(nil)

type startOptions struct {
	IO     *IOStreams
	Engine func() (startEngine, error)

	Refs        []string
	Attach      bool
	Interactive bool
	SigProxy    bool
}

func newStartCmd(f *Factory, runF func(context.Context, *startOptions) error) *cobra.Command {
	opts := &startOptions{IO: f.IO, Engine: engineFor[startEngine](f)}
	c := &cobra.Command{
		Use:               "start [flags] CONTAINER [CONTAINER...]",
		Short:             "Start one or more containers",
		Args:              minArgs(1),
		ValidArgsFunction: newCompleter(f).args(true, allContainers),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Refs = args
			// -i attaches too, as in Docker: stdin alone would go nowhere.
			opts.Attach = opts.Attach || opts.Interactive
			if opts.Attach && len(args) > 1 {
				return flagErrorf("cannot start and attach several containers at once")
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runStart(c.Context(), opts)
		},
	}
	c.Flags().BoolVarP(&opts.Attach, "attach", "a", false, "attach to the container's output until it exits")
	c.Flags().BoolVarP(&opts.Interactive, "interactive", "i", false, "attach stdin (implies --attach)")
	c.Flags().BoolVar(&opts.SigProxy, "sig-proxy", true, "forward received signals to the container when attached (without a terminal)")
	return c
}

func runStart(ctx context.Context, opts *startOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	if opts.Attach {
		return e.Start(ctx, opts.Refs[0], engine.StartOptions{
			Attach:      true,
			Interactive: opts.Interactive,
			Streams:     opts.IO.engineStreams(opts.Interactive, true),
			SigProxy:    opts.SigProxy,
		})
	}
	var errs []error
	for _, ref := range opts.Refs {
		if err := e.Start(ctx, ref, engine.StartOptions{}); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(opts.IO.Out, ref)
	}
	return joinErrors(errs)
}
