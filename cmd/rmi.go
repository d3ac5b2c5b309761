package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

type rmiEngine interface {
	RemoveImage(ctx context.Context, ref string, force bool) ([]string, error)
	Images(ctx context.Context, o engine.ImagesOptions) ([]engine.ImageSummary, error)
}

var _ rmiEngine = (*engine.Engine)(nil)

type rmiOptions struct {
	IO     *IOStreams
	Engine func() (rmiEngine, error)

	Refs  []string
	All   bool
	Force bool
}

func newRmiCmd(f *Factory, runF func(context.Context, *rmiOptions) error) *cobra.Command {
	opts := &rmiOptions{IO: f.IO, Engine: engineFor[rmiEngine](f)}
	c := &cobra.Command{
		Use:   "rmi [flags] IMAGE [IMAGE...]",
		Short: "Remove one or more images",
		Long: "Rmi removes images. Exit status, as in Podman: 0 all removed, 1 an image did not exist,\n" +
			"2 an image is used by a container (use -f to remove those too), 125 another failure.",
		Args: func(c *cobra.Command, args []string) error {
			switch {
			case opts.All && len(args) > 0:
				return flagErrorf("--all and image names or IDs are mutually exclusive")
			case !opts.All && len(args) == 0:
				return flagErrorf("%q requires at least one image name or ID, or --all", c.CommandPath())
			}
			return nil
		},
		ValidArgsFunction: newCompleter(f).args(true, images),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Refs = args
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runRmi(c.Context(), opts)
		},
	}
	c.Flags().BoolVarP(&opts.Force, "force", "f", false, "remove containers using the images too, and ignore missing images")
	c.Flags().BoolVarP(&opts.All, "all", "a", false, "remove all images")
	return c
}

func runRmi(ctx context.Context, opts *rmiOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	refs := opts.Refs
	if opts.All {
		imgs, err := e.Images(ctx, engine.ImagesOptions{All: true})
		if err != nil {
			return err
		}
		for _, img := range imgs {
			refs = append(refs, img.ID)
		}
	}
	var errs []error
	for _, ref := range refs {
		lines, err := e.RemoveImage(ctx, ref, opts.Force)
		for _, l := range lines {
			fmt.Fprintln(opts.IO.Out, l)
		}
		switch {
		case err == nil:
		case opts.Force && errors.Is(err, errdefs.ErrNotFound):
		default:
			errs = append(errs, err)
		}
	}
	return removalError(errs)
}
