package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type attachEngine interface {
	Attach(ctx context.Context, ref string, s engine.Streams, sigProxy bool) error
}

var _ attachEngine = (*engine.Engine)(nil)

type attachOptions struct {
	IO     *IOStreams
	Engine func() (attachEngine, error)

	Ref      string
	NoStdin  bool
	SigProxy bool
}

func newAttachCmd(f *Factory, runF func(context.Context, *attachOptions) error) *cobra.Command {
	opts := &attachOptions{IO: f.IO, Engine: engineFor[attachEngine](f)}
	c := &cobra.Command{
		Use:               "attach [flags] CONTAINER",
		Short:             "Attach to a running container's stdio",
		Args:              exactArgs(1),
		ValidArgsFunction: newCompleter(f).args(false, runningContainers),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Ref = args[0]
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runAttach(c.Context(), opts)
		},
	}
	c.Flags().BoolVar(&opts.NoStdin, "no-stdin", false, "do not attach stdin")
	c.Flags().BoolVar(&opts.SigProxy, "sig-proxy", true, "forward received signals to the container (without a terminal)")
	return c
}

func runAttach(ctx context.Context, opts *attachOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	// Whether the session uses a pty is the container's setting; offer the
	// terminal and let the engine decide.
	s := opts.IO.engineStreams(!opts.NoStdin, !opts.NoStdin)
	return e.Attach(ctx, opts.Ref, s, opts.SigProxy)
}
