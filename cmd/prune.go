package cmd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type imagePruneEngine interface {
	PruneImages(ctx context.Context, all bool) (*engine.ImagePruneReport, error)
}

var _ imagePruneEngine = (*engine.Engine)(nil)

type imagePruneOptions struct {
	IO     *IOStreams
	Engine func() (imagePruneEngine, error)

	All   bool
	Force bool
}

// newImagePruneCmd is `hutch image prune`.
func newImagePruneCmd(f *Factory, runF func(context.Context, *imagePruneOptions) error) *cobra.Command {
	opts := &imagePruneOptions{IO: f.IO, Engine: engineFor[imagePruneEngine](f)}
	c := &cobra.Command{
		Use:   "prune [flags]",
		Short: "Remove unused images",
		Long: "Prune removes dangling images (images without names) and every layer no image uses,\n" +
			"such as those left by an interrupted pull. With -a it also removes named images no\n" +
			"container uses. Images that containers use are never removed. It prints the IDs of\n" +
			"the images removed.",
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runImagePrune(c.Context(), opts)
		},
	}
	c.Flags().BoolVarP(&opts.All, "all", "a", false, "also remove named images no container uses")
	c.Flags().BoolVarP(&opts.Force, "force", "f", false, "do not ask for confirmation")
	return c
}

func runImagePrune(ctx context.Context, opts *imagePruneOptions) error {
	if !opts.Force {
		what := "all dangling images"
		if opts.All {
			what = "all images without at least one container associated with them"
		}
		ok, err := confirm(opts.IO, "WARNING! This command removes "+what+".\n")
		if err != nil || !ok {
			return err
		}
	}
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	rep, err := e.PruneImages(ctx, opts.All)
	if rep != nil {
		for _, id := range rep.ImagesDeleted {
			fmt.Fprintln(opts.IO.Out, id)
		}
	}
	return err
}

// confirm prints warning and Podman's question to stderr and reads the
// answer from stdin: only y or yes (any case) goes ahead. End of input is
// a no.
func confirm(ios *IOStreams, warning string) (bool, error) {
	fmt.Fprint(ios.ErrOut, warning+"Are you sure you want to continue? [y/N] ")
	line, err := bufio.NewReader(ios.In).ReadString('\n')
	if err != nil && err != io.EOF {
		return false, fmt.Errorf("read the answer: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
