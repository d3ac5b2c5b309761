package cmd

import (
	"context"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

// newNetworkCmd is `hutch network`: the network verbs.
func newNetworkCmd(f *Factory) *cobra.Command {
	c := newGroupCmd("network", "Manage networks")
	c.AddCommand(
		newNetworkCreateCmd(f, nil), newNetworkLsCmd(f, nil), newNetworkInspectCmd(f, nil),
		newNetworkExistsCmd(f, nil), newNetworkRmCmd(f, nil), newNetworkPruneCmd(f, nil),
		newNetworkConnectCmd(f, nil), newNetworkDisconnectCmd(f, nil),
	)
	return c
}

// netNamer is what network completion asks the engine.
type netNamer interface {
	NetworkNames(ctx context.Context) ([]string, error)
	ContainerNames(ctx context.Context, all bool) ([]string, error)
}

var _ netNamer = (*engine.Engine)(nil)

// netCompleter offers network names (and, for --network, the modes) to
// cobra's dynamic completion. Failures complete nothing; so does a nil
// names.
type netCompleter struct {
	names func() (netNamer, error)
}

func newNetCompleter(f *Factory) netCompleter { return netCompleter{names: engineFor[netNamer](f)} }

// Network modes --network accepts besides network names.
var networkModes = []string{"none", "host", "bridge", "container:"}

// What network verbs complete after their first argument, a network.
const (
	thenNothing    = iota
	thenNetworks   // rm, inspect: more networks
	thenContainers // connect, disconnect: NETWORK CONTAINER
)

// networks completes a network name as the first argument, then what
// then says.
func (c netCompleter) networks(then int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		switch {
		case len(args) > 0 && then == thenNothing:
			return nil, cobra.ShellCompDirectiveNoFileComp
		case len(args) == 1 && then == thenContainers:
			return c.containers(cmd.Context(), "", toComplete, nil), cobra.ShellCompDirectiveNoFileComp
		case len(args) > 1 && then == thenContainers:
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, n := range c.list(cmd.Context()) {
			if strings.HasPrefix(n, toComplete) && !slices.Contains(args, n) {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// mode completes --network: the modes and network names, "container:"
// followed by container names, and further names after a comma.
func (c netCompleter) mode(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if rest, ok := strings.CutPrefix(toComplete, "container:"); ok {
		return c.containers(cmd.Context(), "container:", rest, nil), cobra.ShellCompDirectiveNoFileComp
	}
	head, last := "", toComplete
	if i := strings.LastIndex(toComplete, ","); i >= 0 {
		head, last = toComplete[:i+1], toComplete[i+1:]
	}
	var candidates []string
	if head == "" {
		candidates = append(candidates, networkModes...)
	}
	for _, n := range c.list(cmd.Context()) {
		if !slices.Contains(candidates, n) {
			candidates = append(candidates, n)
		}
	}
	var out []cobra.Completion
	for _, n := range candidates {
		if strings.HasPrefix(n, last) {
			out = append(out, head+n)
		}
	}
	dir := cobra.ShellCompDirectiveNoFileComp
	if len(out) == 1 && strings.HasSuffix(out[0], ":") {
		dir |= cobra.ShellCompDirectiveNoSpace // a container name follows
	}
	return out, dir
}

func (c netCompleter) list(ctx context.Context) []string {
	if c.names == nil {
		return nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	e, err := c.names()
	if err != nil {
		return nil
	}
	names, _ := e.NetworkNames(ctx)
	return names
}

func (c netCompleter) containers(ctx context.Context, prefix, toComplete string, skip []string) []cobra.Completion {
	if c.names == nil {
		return nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	e, err := c.names()
	if err != nil {
		return nil
	}
	names, _ := e.ContainerNames(ctx, true)
	var out []cobra.Completion
	for _, n := range names {
		if strings.HasPrefix(n, toComplete) && !slices.Contains(skip, n) {
			out = append(out, prefix+n)
		}
	}
	return out
}
