package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/report"
)

type systemPruneEngine interface {
	SystemPrune(ctx context.Context, all bool) (*engine.SystemPruneReport, error)
}

var _ systemPruneEngine = (*engine.Engine)(nil)

type systemPruneOptions struct {
	IO     *IOStreams
	Engine func() (systemPruneEngine, error)

	All   bool
	Force bool
}

// newSystemPruneCmd is `hutch system prune`.
func newSystemPruneCmd(f *Factory, runF func(context.Context, *systemPruneOptions) error) *cobra.Command {
	opts := &systemPruneOptions{IO: f.IO, Engine: engineFor[systemPruneEngine](f)}
	c := &cobra.Command{
		Use:   "prune [flags]",
		Short: "Remove exited containers and unused images",
		Long: "Prune removes the containers that exited, then the images image prune would remove\n" +
			"(dangling ones; with -a every image no remaining container uses) and unused layers.",
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runSystemPrune(c.Context(), opts)
		},
	}
	c.Flags().BoolVarP(&opts.All, "all", "a", false, "remove every image no container uses, not only dangling ones")
	c.Flags().BoolVarP(&opts.Force, "force", "f", false, "do not ask for confirmation")
	return c
}

func runSystemPrune(ctx context.Context, opts *systemPruneOptions) error {
	if !opts.Force {
		images := "all dangling images"
		if opts.All {
			images = "all images without at least one container associated with them"
		}
		ok, err := confirm(opts.IO, "WARNING! This command removes:\n\t- all exited containers\n\t- "+images+"\n\t- all layers no image uses\n\n")
		if err != nil || !ok {
			return err
		}
	}
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	rep, err := e.SystemPrune(ctx, opts.All)
	if rep != nil {
		printPruned(opts.IO, "Deleted Containers", rep.ContainersDeleted)
		printPruned(opts.IO, "Deleted Images", rep.ImagesDeleted)
		fmt.Fprintf(opts.IO.Out, "Total reclaimed space: %s\n", report.HumanSize(int64(rep.SpaceReclaimed)))
	}
	return err
}

// printPruned prints a section of Podman's prune report, or nothing when
// ids is empty.
func printPruned(ios *IOStreams, title string, ids []string) {
	if len(ids) == 0 {
		return
	}
	fmt.Fprintln(ios.Out, title)
	for _, id := range ids {
		fmt.Fprintln(ios.Out, id)
	}
}
