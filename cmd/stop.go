package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type stopEngine interface {
	Stop(ctx context.Context, ref string, timeout *uint) error
	List(ctx context.Context, o engine.ListOptions) ([]engine.ContainerSummary, error)
}

var _ stopEngine = (*engine.Engine)(nil)

type stopOptions struct {
	IO     *IOStreams
	Engine func() (stopEngine, error)

	Refs []string
	All  bool
	// Timeout is -t; nil uses each container's stop timeout.
	Timeout *uint
}

func newStopCmd(f *Factory, runF func(context.Context, *stopOptions) error) *cobra.Command {
	opts := &stopOptions{IO: f.IO, Engine: engineFor[stopEngine](f)}
	var timeout uint
	c := &cobra.Command{
		Use:               "stop [flags] CONTAINER [CONTAINER...]",
		Short:             "Stop one or more running containers",
		Long:              "Stop sends each container its stop signal, then SIGKILL when it has not exited after the timeout.",
		Args:              refsOrAll,
		ValidArgsFunction: newCompleter(f).args(true, runningContainers),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Refs = args
			opts.Timeout = uintIfChanged(c.Flags(), "time", timeout)
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runStop(c.Context(), opts)
		},
	}
	c.Flags().UintVarP(&timeout, "time", "t", 10, "seconds to wait before killing the container (default: the container's --stop-timeout)")
	c.Flags().BoolVarP(&opts.All, "all", "a", false, "stop all running containers")
	return c
}

func runStop(ctx context.Context, opts *stopOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	refs := opts.Refs
	if opts.All {
		if refs, err = containerIDs(ctx, e, false); err != nil {
			return err
		}
	}
	var errs []error
	for _, ref := range refs {
		if err := e.Stop(ctx, ref, opts.Timeout); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(opts.IO.Out, ref)
	}
	return joinErrors(errs)
}

type containerLister interface {
	List(ctx context.Context, o engine.ListOptions) ([]engine.ContainerSummary, error)
}

// containerIDs lists the IDs that --all acts on: running containers, or
// every container with all.
func containerIDs(ctx context.Context, e containerLister, all bool) ([]string, error) {
	cs, err := e.List(ctx, engine.ListOptions{All: all})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids, nil
}
