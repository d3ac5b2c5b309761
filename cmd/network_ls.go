package cmd

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/report"
)

type networkLsEngine interface {
	Networks(ctx context.Context, o engine.NetworkListOptions) ([]engine.NetworkInspect, error)
}

var _ networkLsEngine = (*engine.Engine)(nil)

type networkLsOptions struct {
	IO     *IOStreams
	Engine func() (networkLsEngine, error)

	Quiet   bool
	NoTrunc bool
	Filters []string
	Format  string
}

func newNetworkLsCmd(f *Factory, runF func(context.Context, *networkLsOptions) error) *cobra.Command {
	opts := &networkLsOptions{IO: f.IO, Engine: engineFor[networkLsEngine](f)}
	c := &cobra.Command{
		Use:     "ls [flags]",
		Aliases: []string{"list"},
		Short:   "List networks",
		Long: "Ls lists the networks, the default one (hutch) included, sorted by name.\n\n" +
			"Filters (--filter KEY=VALUE, repeatable; values of one key are ORed, keys ANDed):\n" +
			"  name=REGEXP  id=PREFIX  driver=DRIVER  label=KEY[=VALUE]\n\n" +
			"Template fields: .Name .ID .Driver .NetworkInterface .Created .Subnets .IPv6Enabled\n" +
			".Internal .DNSEnabled .Labels .Options",
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runNetworkLs(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "print only network names")
	fl.BoolVar(&opts.NoTrunc, "no-trunc", false, "print full network IDs")
	fl.StringArrayVarP(&opts.Filters, "filter", "f", nil, "filter output: KEY=VALUE (repeatable)")
	formatFlag(c, &opts.Format, "output format: table, json, yaml, or a Go template", "table", "json", "yaml")
	_ = c.RegisterFlagCompletionFunc("filter", fixedValues("name=", "id=", "driver=", "label="))
	return c
}

func runNetworkLs(ctx context.Context, opts *networkLsOptions) error {
	filters, err := splitFilters(opts.Filters)
	if err != nil {
		return err
	}
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	nets, err := e.Networks(ctx, engine.NetworkListOptions{Filters: filters})
	if err != nil {
		return err
	}
	if opts.Quiet {
		for _, n := range nets {
			fmt.Fprintln(opts.IO.Out, n.Name)
		}
		return nil
	}
	f := report.ParseFormat(opts.Format)
	switch f.Kind {
	case report.JSON:
		return report.WriteJSON(opts.IO.Out, nonNil(nets))
	case report.YAML:
		return report.WriteYAML(opts.IO.Out, nonNil(nets))
	}
	table := report.Table{Default: "table {{.ID}}\t{{.Name}}\t{{.Driver}}", Headers: map[string]string{"ID": "NETWORK ID"}}
	return report.WriteList(opts.IO.Out, f, table, nets, func(n engine.NetworkInspect) networkRow {
		return newNetworkRow(n, opts.NoTrunc)
	})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// splitFilters turns KEY=VALUE flags into the engine's filter map; the
// engine checks the keys.
func splitFilters(in []string) (map[string][]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	m := map[string][]string{}
	for _, f := range in {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" || v == "" {
			return nil, flagErrorf("filter %q: want KEY=VALUE", f)
		}
		m[k] = append(m[k], v)
	}
	return m, nil
}

// networkRow is what `network ls --format` templates see.
type networkRow struct {
	Name             string
	ID               string // 12 characters unless --no-trunc
	Driver           string
	NetworkInterface string
	Created          string
	Subnets          string // comma-separated
	IPv6Enabled      bool
	Internal         bool
	DNSEnabled       bool
	Labels           string // KEY=VALUE, comma-separated, sorted
	Options          string
}

func newNetworkRow(n engine.NetworkInspect, noTrunc bool) networkRow {
	r := networkRow{
		Name: n.Name, ID: idString(n.ID, noTrunc), Driver: n.Driver, NetworkInterface: n.NetworkInterface,
		Created: n.Created.String(), IPv6Enabled: n.IPv6Enabled, Internal: n.Internal, DNSEnabled: n.DNSEnabled,
		Labels: joinMap(n.Labels), Options: joinMap(n.Options),
	}
	var subnets []string
	for _, s := range n.Subnets {
		subnets = append(subnets, s.Subnet)
	}
	r.Subnets = strings.Join(subnets, ",")
	return r
}

// joinMap renders a map as sorted KEY=VALUE pairs separated by commas.
func joinMap(m map[string]string) string {
	kv := make([]string, 0, len(m))
	for k, v := range m {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}
