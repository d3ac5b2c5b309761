package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type updateEngine interface {
	Update(ctx context.Context, ref string, ro engine.ResourceOptions) (string, error)
}

var _ updateEngine = (*engine.Engine)(nil)

type updateOptions struct {
	IO     *IOStreams
	Engine func() (updateEngine, error)

	Refs      []string
	Resources engine.ResourceOptions
}

func newUpdateCmd(f *Factory, runF func(context.Context, *updateOptions) error) *cobra.Command {
	opts := &updateOptions{IO: f.IO, Engine: engineFor[updateEngine](f)}
	c := &cobra.Command{
		Use:   "update [flags] CONTAINER [CONTAINER...]",
		Short: "Change the resource limits of containers",
		Long: "Update changes the cgroup limits of containers: at once for a running one, and for its next start " +
			"in every case. Limits not given keep their values; a new --memory without --memory-swap gets twice " +
			"its size as memory plus swap, as at create.",
		Args:              minArgs(1),
		ValidArgsFunction: newCompleter(f).args(true, allContainers),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Refs = args
			if !anyChanged(c.Flags(), limitFlagNames()) {
				return flagErrorf("%q needs a limit to change, such as --memory, --cpus or --pids-limit", c.CommandPath())
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runUpdate(c.Context(), opts)
		},
	}
	addLimitFlags(c.Flags(), &opts.Resources, false)
	return c
}

// runUpdate updates each container and prints its ID, as Podman does.
func runUpdate(ctx context.Context, opts *updateOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	var errs []error
	for _, ref := range opts.Refs {
		id, err := e.Update(ctx, ref, opts.Resources)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(opts.IO.Out, id)
	}
	return joinErrors(errs)
}
