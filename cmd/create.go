package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type createEngine interface {
	Create(ctx context.Context, o engine.CreateOptions) (string, error)
}

var _ createEngine = (*engine.Engine)(nil)

type createOptions struct {
	IO     *IOStreams
	Engine func() (createEngine, error)

	Create engine.CreateOptions
}

func newCreateCmd(f *Factory, runF func(context.Context, *createOptions) error) *cobra.Command {
	opts := &createOptions{IO: f.IO, Engine: engineFor[createEngine](f)}
	var cf createFlags
	c := &cobra.Command{
		Use:               "create [flags] IMAGE [COMMAND [ARG...]]",
		Short:             "Create a container without starting it",
		Args:              minArgs(1),
		ValidArgsFunction: newCompleter(f).args(false, images),
		RunE: func(c *cobra.Command, args []string) error {
			co, err := cf.options(c, args)
			if err != nil {
				return err
			}
			if co, err = cf.withPullIO(opts.IO, co); err != nil {
				return err
			}
			opts.Create = co
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runCreate(c.Context(), opts)
		},
	}
	addCreateFlags(c, &cf)
	return c
}

func runCreate(ctx context.Context, opts *createOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	id, err := e.Create(ctx, opts.Create)
	if err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.Out, id)
	return nil
}
