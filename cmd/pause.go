package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type pauseEngine interface {
	Pause(ctx context.Context, ref string) error
	Unpause(ctx context.Context, ref string) error
	List(ctx context.Context, o engine.ListOptions) ([]engine.ContainerSummary, error)
}

var _ pauseEngine = (*engine.Engine)(nil)

type pauseOptions struct {
	IO     *IOStreams
	Engine func() (pauseEngine, error)

	Refs []string
	All  bool
	// Unpause is set by unpause, which shares this code.
	Unpause bool
}

func newPauseCmd(f *Factory, runF func(context.Context, *pauseOptions) error) *cobra.Command {
	return pauseCmd(f, runF, false)
}

// pauseCmd builds pause, or unpause with unpause set.
func pauseCmd(f *Factory, runF func(context.Context, *pauseOptions) error, unpause bool) *cobra.Command {
	opts := &pauseOptions{IO: f.IO, Engine: engineFor[pauseEngine](f), Unpause: unpause}
	c := &cobra.Command{
		Use:   "pause [flags] CONTAINER [CONTAINER...]",
		Short: "Pause all the processes of one or more containers",
		Long: "Pause freezes every process of running containers with the cgroup freezer; unpause resumes them. " +
			"Rootless containers on a cgroup v1 host have no cgroup of their own and cannot be paused.",
		Args:              refsOrAll,
		ValidArgsFunction: newCompleter(f).args(true, runningContainers),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Refs = args
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runPause(c.Context(), opts)
		},
	}
	what := "pause all running containers"
	if unpause {
		c.Use = "unpause [flags] CONTAINER [CONTAINER...]"
		c.Short = "Resume all the processes of one or more paused containers"
		what = "unpause all paused containers"
	}
	c.Flags().BoolVarP(&opts.All, "all", "a", false, what)
	return c
}

// runPause pauses (or unpauses) each container and prints its name as
// given, or each ID with --all.
func runPause(ctx context.Context, opts *pauseOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	op, state := e.Pause, "running"
	if opts.Unpause {
		op, state = e.Unpause, "paused"
	}
	refs := opts.Refs
	if opts.All {
		cs, err := e.List(ctx, engine.ListOptions{All: true, Filters: map[string][]string{"status": {state}}})
		if err != nil {
			return err
		}
		refs = refs[:0]
		for _, c := range cs {
			if c.State == state {
				refs = append(refs, c.ID)
			}
		}
	}
	var errs []error
	for _, ref := range refs {
		if err := op(ctx, ref); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(opts.IO.Out, ref)
	}
	return joinErrors(errs)
}
