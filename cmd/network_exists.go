package cmd

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

type networkExistsOptions struct {
	IO     *IOStreams
	Engine func() (networkInspectEngine, error)

	Ref string
}

func newNetworkExistsCmd(f *Factory, runF func(context.Context, *networkExistsOptions) error) *cobra.Command {
	opts := &networkExistsOptions{IO: f.IO, Engine: engineFor[networkInspectEngine](f)}
	return &cobra.Command{
		Use:               "exists NETWORK",
		Short:             "Tell whether a network exists",
		Long:              "Exists prints nothing. Exit status: 0 the network exists, 1 it does not, 125 another failure.",
		Args:              exactArgs(1),
		ValidArgsFunction: newNetCompleter(f).networks(thenNothing),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Ref = args[0]
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runNetworkExists(c.Context(), opts)
		},
	}
}

func runNetworkExists(ctx context.Context, opts *networkExistsOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	_, err = e.InspectNetwork(ctx, opts.Ref)
	if errors.Is(err, errdefs.ErrNotFound) {
		return &engine.ExitError{Code: 1}
	}
	return err
}
