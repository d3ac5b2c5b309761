package cmd

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type runEngine interface {
	Run(ctx context.Context, o engine.CreateOptions, r engine.RunOptions) (string, error)
}

var _ runEngine = (*engine.Engine)(nil)

type runOptions struct {
	IO     *IOStreams
	Logger *slog.Logger
	Engine func() (runEngine, error)

	Create   engine.CreateOptions
	Detach   bool
	SigProxy bool
}

func newRunCmd(f *Factory, runF func(context.Context, *runOptions) error) *cobra.Command {
	opts := &runOptions{IO: f.IO, Logger: f.Logger, Engine: engineFor[runEngine](f)}
	var cf createFlags
	c := &cobra.Command{
		Use:   "run [flags] IMAGE [COMMAND [ARG...]]",
		Short: "Run a command in a new container",
		Long: "Run creates a container from IMAGE and starts it. Attached (the default), hutch relays\n" +
			"stdio until the container exits and exits with its code; with -d it prints the ID.",
		Args:              minArgs(1),
		ValidArgsFunction: newCompleter(f).args(false, images),
		RunE: func(c *cobra.Command, args []string) error {
			co, err := cf.options(c, args)
			if err != nil {
				return err
			}
			if co, err = cf.withPullIO(opts.IO, co); err != nil {
				return err
			}
			opts.Create = co
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runRun(c.Context(), opts)
		},
	}
	addCreateFlags(c, &cf)
	c.Flags().BoolVarP(&opts.Detach, "detach", "d", false, "run in the background and print the container ID")
	c.Flags().BoolVar(&opts.SigProxy, "sig-proxy", true, "forward received signals to the container (without -t)")
	return c
}

func runRun(ctx context.Context, opts *runOptions) error {
	if opts.Create.Terminal && opts.Create.Stdin && !opts.IO.IsStdinTTY() {
		// Podman's warning, word for word: scripts grep for it.
		opts.Logger.Warn("The input device is not a TTY. The --tty and --interactive flags might not work properly")
	}
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	ro := engine.RunOptions{Detach: opts.Detach, SigProxy: opts.SigProxy}
	if !opts.Detach {
		ro.Streams = opts.IO.engineStreams(opts.Create.Stdin, opts.Create.Terminal)
	}
	id, err := e.Run(ctx, opts.Create, ro)
	if err != nil {
		return err
	}
	if opts.Detach {
		fmt.Fprintln(opts.IO.Out, id)
	}
	return nil
}
