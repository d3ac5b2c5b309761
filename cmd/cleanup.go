package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type cleanupEngine interface {
	Cleanup(ctx context.Context, id string) error
}

var _ cleanupEngine = (*engine.Engine)(nil)

type cleanupOptions struct {
	IO     *IOStreams
	Engine func() (cleanupEngine, error)

	ID string
}

// newCleanupCmd is the hidden `hutch container cleanup ID` that a
// container's monitor runs after the container exited.
func newCleanupCmd(f *Factory, runF func(context.Context, *cleanupOptions) error) *cobra.Command {
	opts := &cleanupOptions{IO: f.IO, Engine: engineFor[cleanupEngine](f)}
	return &cobra.Command{
		Use:    "cleanup ID",
		Short:  "Release an exited container's resources (run by its monitor)",
		Hidden: true,
		Args:   exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runCleanup(c.Context(), opts)
		},
	}
}

func runCleanup(ctx context.Context, opts *cleanupOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	return e.Cleanup(ctx, opts.ID)
}
