package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type importEngine interface {
	Import(ctx context.Context, path, ref string) (string, error)
}

var _ importEngine = (*engine.Engine)(nil)

type importOptions struct {
	IO     *IOStreams
	Engine func() (importEngine, error)

	// Tarball is the rootfs tarball's path; "-" reads stdin.
	Tarball string
	Ref     string
}

func newImportCmd(f *Factory, runF func(context.Context, *importOptions) error) *cobra.Command {
	opts := &importOptions{IO: f.IO, Engine: engineFor[importEngine](f)}
	return &cobra.Command{
		Use:   "import TARBALL [REFERENCE]",
		Short: "Create an image from a root filesystem tarball",
		Long:  "Import creates a single-layer image from TARBALL (\"-\" for stdin), names it REFERENCE if given, and prints its ID.",
		Args:  rangeArgs(1, 2),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return nil, cobra.ShellCompDirectiveDefault
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			opts.Tarball = args[0]
			if len(args) > 1 {
				opts.Ref = args[1]
			}
			if opts.Tarball == "-" && opts.IO.IsStdinTTY() {
				return flagErrorf("cannot read a tarball from a terminal: redirect stdin or name a file")
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runImport(c.Context(), opts)
		},
	}
}

func runImport(ctx context.Context, opts *importOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	path := opts.Tarball
	if path == "-" {
		p, cleanup, err := opts.IO.spoolStdin("hutch-import-*.tar")
		if err != nil {
			return err
		}
		defer cleanup()
		path = p
	}
	id, err := e.Import(ctx, path, opts.Ref)
	if err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.Out, id)
	return nil
}
