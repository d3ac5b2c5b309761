package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type networkRmEngine interface {
	RemoveNetwork(ctx context.Context, ref string, o engine.NetworkRemoveOptions) error
}

var _ networkRmEngine = (*engine.Engine)(nil)

type networkRmOptions struct {
	IO     *IOStreams
	Engine func() (networkRmEngine, error)

	Refs    []string
	Force   bool
	Timeout *uint
}

func newNetworkRmCmd(f *Factory, runF func(context.Context, *networkRmOptions) error) *cobra.Command {
	opts := &networkRmOptions{IO: f.IO, Engine: engineFor[networkRmEngine](f)}
	var timeout uint
	c := &cobra.Command{
		Use:     "rm [flags] NETWORK [NETWORK...]",
		Aliases: []string{"remove"},
		Short:   "Remove networks",
		Long: "Rm removes networks, their bridges and firewall rules, and prints each one removed.\n" +
			"A network that containers use, running or not, is refused unless -f, which removes\n" +
			"those containers first. The default network (hutch) cannot be removed.",
		Args:              minArgs(1),
		ValidArgsFunction: newNetCompleter(f).networks(thenNetworks),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Refs = args
			opts.Timeout = uintIfChanged(c.Flags(), "time", timeout)
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runNetworkRm(c.Context(), opts)
		},
	}
	c.Flags().BoolVarP(&opts.Force, "force", "f", false, "remove the containers that use the network first")
	c.Flags().UintVarP(&timeout, "time", "t", 10, "seconds to wait for those containers to stop before killing them")
	return c
}

func runNetworkRm(ctx context.Context, opts *networkRmOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	var errs []error
	for _, ref := range opts.Refs {
		if err := e.RemoveNetwork(ctx, ref, engine.NetworkRemoveOptions{Force: opts.Force, Timeout: opts.Timeout}); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(opts.IO.Out, ref)
	}
	return joinErrors(errs)
}
