package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type networkPruneEngine interface {
	PruneNetworks(ctx context.Context) ([]string, error)
}

var _ networkPruneEngine = (*engine.Engine)(nil)

type networkPruneOptions struct {
	IO     *IOStreams
	Engine func() (networkPruneEngine, error)

	Force bool
}

func newNetworkPruneCmd(f *Factory, runF func(context.Context, *networkPruneOptions) error) *cobra.Command {
	opts := &networkPruneOptions{IO: f.IO, Engine: engineFor[networkPruneEngine](f)}
	c := &cobra.Command{
		Use:   "prune [flags]",
		Short: "Remove unused networks",
		Long: "Prune removes every network no container uses (running or not), except the default\n" +
			"one, and prints the names of those removed.",
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runNetworkPrune(c.Context(), opts)
		},
	}
	c.Flags().BoolVarP(&opts.Force, "force", "f", false, "do not ask for confirmation")
	return c
}

func runNetworkPrune(ctx context.Context, opts *networkPruneOptions) error {
	if !opts.Force {
		ok, err := confirm(opts.IO, "WARNING! This will remove all networks not used by at least one container.\n")
		if err != nil || !ok {
			return err
		}
	}
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	removed, err := e.PruneNetworks(ctx)
	for _, name := range removed {
		fmt.Fprintln(opts.IO.Out, name)
	}
	return err
}
