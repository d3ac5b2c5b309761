package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type loadEngine interface {
	Load(ctx context.Context, path string) ([]string, error)
}

var _ loadEngine = (*engine.Engine)(nil)

type loadOptions struct {
	IO     *IOStreams
	Engine func() (loadEngine, error)

	// Input is the archive's path; "" reads stdin.
	Input string
	Quiet bool
}

func newLoadCmd(f *Factory, runF func(context.Context, *loadOptions) error) *cobra.Command {
	opts := &loadOptions{IO: f.IO, Engine: engineFor[loadEngine](f)}
	c := &cobra.Command{
		Use:               "load [flags]",
		Short:             "Load images from a docker-archive or oci-archive file",
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, args []string) error {
			if opts.Input == "" && opts.IO.IsStdinTTY() {
				return flagErrorf("cannot read an archive from a terminal: use --input or redirect stdin")
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runLoad(c.Context(), opts)
		},
	}
	c.Flags().StringVarP(&opts.Input, "input", "i", "", "read the archive from this file instead of stdin")
	c.Flags().BoolVarP(&opts.Quiet, "quiet", "q", false, "print only the loaded image names")
	return c
}

func runLoad(ctx context.Context, opts *loadOptions) error {
	// Open the engine first: rootless, it may re-execute hutch inside the
	// namespace holder, and stdin must still be unread then.
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	path := opts.Input
	if path == "" {
		p, cleanup, err := opts.IO.spoolStdin("hutch-load-*.tar")
		if err != nil {
			return err
		}
		defer cleanup()
		path = p
	}
	names, err := e.Load(ctx, path)
	if err != nil {
		return err
	}
	for _, n := range names {
		if opts.Quiet {
			fmt.Fprintln(opts.IO.Out, n)
		} else {
			fmt.Fprintf(opts.IO.Out, "Loaded image: %s\n", n)
		}
	}
	return nil
}
