package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type networkCreateEngine interface {
	CreateNetwork(ctx context.Context, o engine.NetworkCreateOptions) (string, error)
}

var _ networkCreateEngine = (*engine.Engine)(nil)

type networkCreateOptions struct {
	IO     *IOStreams
	Engine func() (networkCreateEngine, error)

	Create engine.NetworkCreateOptions
}

func newNetworkCreateCmd(f *Factory, runF func(context.Context, *networkCreateOptions) error) *cobra.Command {
	opts := &networkCreateOptions{IO: f.IO, Engine: engineFor[networkCreateEngine](f)}
	var labels []string
	c := &cobra.Command{
		Use:   "create [flags] NAME",
		Short: "Create a network",
		Long: "Create makes a network and prints its name. A bridge network without --subnet gets a free\n" +
			"10.89.x.0/24; its bridge and firewall rules appear when the first container joins it.\n" +
			"Bridge networks resolve their containers' names (DNS) unless --disable-dns.\n" +
			"macvlan and ipvlan networks need root and a parent interface (-o parent=IF), and take\n" +
			"--subnet or --ipam-driver dhcp. --gateway and --ip-range belong to the --subnet at the\n" +
			"same position. Options (-o KEY=VALUE, repeatable or comma-separated): parent=IF,\n" +
			"mode=MODE (macvlan: bridge, private, vepa, passthru; ipvlan: l2, l3, l3s), mtu=N.",
		Args:              exactArgs(1),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, args []string) error {
			opts.Create.Name = args[0]
			l, err := parseLabels(labels)
			if err != nil {
				return err
			}
			opts.Create.Labels = l
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runNetworkCreate(c.Context(), opts)
		},
	}
	o := &opts.Create
	fl := c.Flags()
	fl.StringVarP(&o.Driver, "driver", "d", "bridge", "driver: bridge, macvlan or ipvlan")
	fl.StringArrayVar(&o.Subnets, "subnet", nil, "subnet in CIDR notation (repeatable)")
	fl.StringArrayVar(&o.Gateways, "gateway", nil, "gateway of the subnet at the same position (default: its first address)")
	fl.StringArrayVar(&o.IPRanges, "ip-range", nil, "part of the subnet at the same position to give containers, in CIDR notation")
	fl.BoolVar(&o.Internal, "internal", false, "no route out of the network (no NAT, no forwarding)")
	fl.BoolVar(&o.DisableDNS, "disable-dns", false, "do not resolve container names on this network")
	fl.BoolVar(&o.IPv6, "ipv6", false, "enable IPv6 (give an IPv6 --subnet)")
	fl.StringVar(&o.Interface, "interface-name", "", "name of the bridge (default: hutchN)")
	fl.StringArrayVarP(&o.Options, "opt", "o", nil, "driver option KEY=VALUE: parent, mode, mtu (repeatable)")
	fl.StringVar(&o.IPAMDriver, "ipam-driver", "", "address management: host-local (the default) or dhcp (macvlan and ipvlan)")
	fl.StringArrayVar(&labels, "label", nil, "set a label: KEY=VALUE (repeatable)")
	fl.BoolVar(&o.Ignore, "ignore", false, "succeed if a network of that name exists")
	for name, fn := range map[string]cobra.CompletionFunc{
		"driver":      fixedValues("bridge", "macvlan", "ipvlan"),
		"ipam-driver": fixedValues("host-local", "dhcp"),
		"opt":         fixedValues("parent=", "mode=", "mtu="),
	} {
		_ = c.RegisterFlagCompletionFunc(name, fn)
	}
	return c
}

func runNetworkCreate(ctx context.Context, opts *networkCreateOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	name, err := e.CreateNetwork(ctx, opts.Create)
	if err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.Out, name)
	return nil
}
