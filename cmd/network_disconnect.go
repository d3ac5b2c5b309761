package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type networkDisconnectEngine interface {
	DisconnectNetwork(ctx context.Context, network, container string, force bool) error
}

var _ networkDisconnectEngine = (*engine.Engine)(nil)

type networkDisconnectOptions struct {
	IO     *IOStreams
	Engine func() (networkDisconnectEngine, error)

	Network, Container string
	Force              bool
}

func newNetworkDisconnectCmd(f *Factory, runF func(context.Context, *networkDisconnectOptions) error) *cobra.Command {
	opts := &networkDisconnectOptions{IO: f.IO, Engine: engineFor[networkDisconnectEngine](f)}
	c := &cobra.Command{
		Use:   "disconnect [flags] NETWORK CONTAINER",
		Short: "Disconnect a container from a network",
		Long: "Disconnect detaches a container from a network: a running container loses its\n" +
			"interface there at once. The network its published ports go through cannot be taken\n" +
			"from a running container.",
		Args:              exactArgs(2),
		ValidArgsFunction: newNetCompleter(f).networks(thenContainers),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Network, opts.Container = args[0], args[1]
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runNetworkDisconnect(c.Context(), opts)
		},
	}
	c.Flags().BoolVarP(&opts.Force, "force", "f", false, "update the container's configuration even if its interface cannot be removed cleanly")
	return c
}

func runNetworkDisconnect(ctx context.Context, opts *networkDisconnectOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	return e.DisconnectNetwork(ctx, opts.Network, opts.Container, opts.Force)
}
