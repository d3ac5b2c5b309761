package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/report"
)

type topEngine interface {
	Top(ctx context.Context, ref string, psArgs []string) (*engine.TopResult, error)
}

var _ topEngine = (*engine.Engine)(nil)

type topOptions struct {
	IO     *IOStreams
	Engine func() (topEngine, error)

	Ref    string
	PsArgs []string
}

func newTopCmd(f *Factory, runF func(context.Context, *topOptions) error) *cobra.Command {
	opts := &topOptions{IO: f.IO, Engine: engineFor[topEngine](f)}
	c := &cobra.Command{
		Use:   "top [flags] CONTAINER [ps OPTIONS]",
		Short: "Display the running processes of a container",
		Long: "Top runs the host's ps with the given options (default -ef) and shows the rows of the " +
			"container's processes, as Docker does. The options must make ps print a PID column.",
		Args:              minArgs(1),
		ValidArgsFunction: newCompleter(f).args(false, runningContainers),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Ref, opts.PsArgs = args[0], args[1:]
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runTop(c.Context(), opts)
		},
	}
	// ps's options follow the container: they are not hutch's.
	c.Flags().SetInterspersed(false)
	return c
}

func runTop(ctx context.Context, opts *topOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	res, err := e.Top(ctx, opts.Ref, opts.PsArgs)
	if err != nil {
		return err
	}
	tw := report.NewTabWriter(opts.IO.Out)
	fmt.Fprintln(tw, strings.Join(res.Titles, "\t"))
	for _, p := range res.Processes {
		fmt.Fprintln(tw, strings.Join(p, "\t"))
	}
	return tw.Flush()
}
