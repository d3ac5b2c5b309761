package cmd

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/report"
)

type portEngine interface {
	Ports(ctx context.Context, ref string) (*engine.ContainerPorts, error)
	AllPorts(ctx context.Context) ([]engine.ContainerPorts, error)
}

var _ portEngine = (*engine.Engine)(nil)

type portOptions struct {
	IO     *IOStreams
	Engine func() (portEngine, error)

	Container string
	// Private is the PRIVATE[/PROTO] argument ("" for all), Port and
	// Proto its parts.
	Private string
	Port    uint16
	Proto   string
	All     bool
}

func newPortCmd(f *Factory, runF func(context.Context, *portOptions) error) *cobra.Command {
	opts := &portOptions{IO: f.IO, Engine: engineFor[portEngine](f)}
	c := &cobra.Command{
		Use:   "port [flags] CONTAINER [PRIVATE[/PROTO]]",
		Short: "List a container's published ports",
		Long: "Port lists the ports a running container publishes, as \"80/tcp -> 0.0.0.0:8080\" lines, or,\n" +
			"given a container port (PROTO defaults to tcp), the host addresses it is published on.\n" +
			"With -a it lists the ports of every running container, each line after its ID.",
		Args:              portArgs,
		ValidArgsFunction: newCompleter(f).args(false, runningContainers),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				opts.Container = args[0]
			}
			if len(args) > 1 {
				port, proto, err := parsePrivatePort(args[1])
				if err != nil {
					return err
				}
				opts.Private, opts.Port, opts.Proto = args[1], port, proto
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runPort(c.Context(), opts)
		},
	}
	c.Flags().BoolVarP(&opts.All, "all", "a", false, "list the ports of all running containers")
	return c
}

func portArgs(c *cobra.Command, args []string) error {
	all, _ := c.Flags().GetBool("all")
	switch {
	case all && len(args) > 0:
		return flagErrorf("--all and a container are mutually exclusive")
	case !all && (len(args) < 1 || len(args) > 2):
		return flagErrorf("%q requires a container and, optionally, a port, or --all", c.CommandPath())
	}
	return nil
}

// parsePrivatePort parses PORT[/PROTO].
func parsePrivatePort(s string) (uint16, string, error) {
	num, proto, hasProto := strings.Cut(s, "/")
	if !hasProto {
		proto = "tcp"
	}
	n, err := strconv.ParseUint(num, 10, 16)
	if err != nil || n == 0 || (proto != "tcp" && proto != "udp") {
		return 0, "", flagErrorf("port %q: want PORT[/tcp|/udp], as 80 or 53/udp", s)
	}
	return uint16(n), proto, nil
}

func runPort(ctx context.Context, opts *portOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	if opts.All {
		all, err := e.AllPorts(ctx)
		if err != nil {
			return err
		}
		for _, cp := range all {
			for _, p := range cp.Ports {
				fmt.Fprintf(opts.IO.Out, "%s\t%s -> %s\n", report.ShortID(cp.ID), p.Private(), p.HostAddr())
			}
		}
		return nil
	}
	cp, err := e.Ports(ctx, opts.Container)
	if err != nil {
		return err
	}
	found := false
	for _, p := range cp.Ports {
		switch {
		case opts.Port == 0:
			fmt.Fprintf(opts.IO.Out, "%s -> %s\n", p.Private(), p.HostAddr())
		case p.ContainerPort == opts.Port && p.Protocol == opts.Proto:
			fmt.Fprintln(opts.IO.Out, p.HostAddr())
			found = true
		}
	}
	if opts.Port != 0 && !found {
		return errdefs.Errorf(errdefs.ErrNotFound, "container %s does not publish port %d/%s", cp.Name, opts.Port, opts.Proto)
	}
	return nil
}
