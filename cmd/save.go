package cmd

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type saveEngine interface {
	Save(ctx context.Context, path, format string, refs []string) error
}

var _ saveEngine = (*engine.Engine)(nil)

type saveOptions struct {
	IO     *IOStreams
	Engine func() (saveEngine, error)

	Refs []string
	// Output is the archive's path; "" writes stdout.
	Output string
	Format string
	Quiet  bool
}

func newSaveCmd(f *Factory, runF func(context.Context, *saveOptions) error) *cobra.Command {
	opts := &saveOptions{IO: f.IO, Engine: engineFor[saveEngine](f)}
	c := &cobra.Command{
		Use:               "save [flags] IMAGE [IMAGE...]",
		Short:             "Save images to an archive",
		Args:              minArgs(1),
		ValidArgsFunction: newCompleter(f).args(true, images),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Refs = args
			switch opts.Format {
			case "docker-archive", "oci-archive":
			default:
				return flagErrorf("unsupported --format %q: use docker-archive or oci-archive", opts.Format)
			}
			if opts.Output == "" && opts.IO.IsStdoutTTY() {
				return flagErrorf("refusing to write an archive to a terminal: use --output or redirect stdout")
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runSave(c.Context(), opts)
		},
	}
	c.Flags().StringVarP(&opts.Output, "output", "o", "", "write to this file (default: stdout, if it is not a terminal)")
	c.Flags().StringVar(&opts.Format, "format", "docker-archive", "archive format: docker-archive or oci-archive")
	c.Flags().BoolVarP(&opts.Quiet, "quiet", "q", false, "print no progress (accepted for Podman compatibility)")
	_ = c.RegisterFlagCompletionFunc("format", fixedValues("docker-archive", "oci-archive"))
	return c
}

func runSave(ctx context.Context, opts *saveOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	if opts.Output != "" {
		return e.Save(ctx, opts.Output, opts.Format, opts.Refs)
	}
	// The engine writes files; stream a temporary one to stdout.
	path, cleanup, err := tempOutput("archive.tar")
	if err != nil {
		return err
	}
	defer cleanup()
	if err := e.Save(ctx, path, opts.Format, opts.Refs); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(opts.IO.Out, f); err != nil {
		return fmt.Errorf("write archive to stdout: %w", err)
	}
	return nil
}
