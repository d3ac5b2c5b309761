package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type renameEngine interface {
	Rename(ctx context.Context, ref, name string) error
}

var _ renameEngine = (*engine.Engine)(nil)

type renameOptions struct {
	IO     *IOStreams
	Engine func() (renameEngine, error)

	Ref     string
	NewName string
}

func newRenameCmd(f *Factory, runF func(context.Context, *renameOptions) error) *cobra.Command {
	opts := &renameOptions{IO: f.IO, Engine: engineFor[renameEngine](f)}
	return &cobra.Command{
		Use:               "rename CONTAINER NAME",
		Short:             "Rename a container",
		Args:              exactArgs(2),
		ValidArgsFunction: newCompleter(f).args(false, allContainers),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Ref, opts.NewName = args[0], args[1]
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runRename(c.Context(), opts)
		},
	}
}

func runRename(ctx context.Context, opts *renameOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	return e.Rename(ctx, opts.Ref, opts.NewName)
}
