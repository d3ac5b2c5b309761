package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/report"
)

type networkInspectEngine interface {
	InspectNetwork(ctx context.Context, ref string) (*engine.NetworkInspect, error)
}

var _ networkInspectEngine = (*engine.Engine)(nil)

type networkInspectOptions struct {
	IO     *IOStreams
	Engine func() (networkInspectEngine, error)

	Refs   []string
	Format string
}

func newNetworkInspectCmd(f *Factory, runF func(context.Context, *networkInspectOptions) error) *cobra.Command {
	opts := &networkInspectOptions{IO: f.IO, Engine: engineFor[networkInspectEngine](f)}
	c := &cobra.Command{
		Use:   "inspect [flags] NETWORK [NETWORK...]",
		Short: "Print the configuration of networks as JSON",
		Long: "Inspect prints the networks, named or by ID, as a JSON array (Podman's field names).\n\n" +
			"Template fields: .Name .ID .Driver .NetworkInterface .Created .Subnets .IPv6Enabled\n" +
			".Internal .DNSEnabled .Labels .Options .IPAMOptions",
		Args:              minArgs(1),
		ValidArgsFunction: newNetCompleter(f).networks(thenNetworks),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Refs = args
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runNetworkInspect(c.Context(), opts)
		},
	}
	c.Flags().StringVarP(&opts.Format, "format", "f", "", "output format: json (default), yaml, or a Go template")
	_ = c.RegisterFlagCompletionFunc("format", fixedValues("json", "yaml"))
	return c
}

// runNetworkInspect prints the networks found, then fails for those that
// were not (as Podman does).
func runNetworkInspect(ctx context.Context, opts *networkInspectOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	var docs []engine.NetworkInspect
	var errs []error
	for _, ref := range opts.Refs {
		d, err := e.InspectNetwork(ctx, ref)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		docs = append(docs, *d)
	}
	if err := report.WriteDocs(opts.IO.Out, report.ParseFormat(opts.Format), docs); err != nil {
		return err
	}
	return joinErrors(errs)
}
