package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type networkConnectEngine interface {
	ConnectNetwork(ctx context.Context, network, container string, o engine.NetworkConnectOptions) error
}

var _ networkConnectEngine = (*engine.Engine)(nil)

type networkConnectOptions struct {
	IO     *IOStreams
	Engine func() (networkConnectEngine, error)

	Network, Container string
	Connect            engine.NetworkConnectOptions
}

func newNetworkConnectCmd(f *Factory, runF func(context.Context, *networkConnectOptions) error) *cobra.Command {
	opts := &networkConnectOptions{IO: f.IO, Engine: engineFor[networkConnectEngine](f)}
	c := &cobra.Command{
		Use:   "connect [flags] NETWORK CONTAINER",
		Short: "Connect a container to a network",
		Long: "Connect attaches a container to one more network. A running container gets an\n" +
			"interface on it at once (and its /etc/hosts and /etc/resolv.conf are updated); a\n" +
			"stopped one gets it when it starts.",
		Args:              exactArgs(2),
		ValidArgsFunction: newNetCompleter(f).networks(thenContainers),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Network, opts.Container = args[0], args[1]
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runNetworkConnect(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.StringSliceVar(&opts.Connect.Aliases, "alias", nil, "DNS name of the container on this network (repeatable)")
	fl.StringVar(&opts.Connect.IP, "ip", "", "the container's address on this network")
	fl.StringVar(&opts.Connect.MAC, "mac-address", "", "the container's MAC address on this network")
	return c
}

func runNetworkConnect(ctx context.Context, opts *networkConnectOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	return e.ConnectNetwork(ctx, opts.Network, opts.Container, opts.Connect)
}
