package cmd

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type pullEngine interface {
	Pull(ctx context.Context, ref string, o engine.PullOptions) (string, error)
}

var _ pullEngine = (*engine.Engine)(nil)

type pullOptions struct {
	IO     *IOStreams
	Engine func() (pullEngine, error)

	Ref   string
	Quiet bool
	Pull  engine.PullOptions
}

// newPullCmd is `hutch pull` (and `hutch image pull`).
func newPullCmd(f *Factory, runF func(context.Context, *pullOptions) error) *cobra.Command {
	opts := &pullOptions{IO: f.IO, Engine: engineFor[pullEngine](f)}
	var rf registryFlags
	c := &cobra.Command{
		Use:   "pull [flags] IMAGE",
		Short: "Pull an image from a registry",
		Long: "Pull stores an image from a registry and prints its ID. Short names (\"alpine\")\n" +
			"resolve through hutch.yaml's aliases and unqualified-search-registries, like\n" +
			"Docker's (docker.io/library/alpine:latest by default). Every blob is verified;\n" +
			"hutch.yaml's signature policy decides whether the image may be stored. On a\n" +
			"terminal, stderr shows one progress line per layer.",
		Args:              exactArgs(1),
		ValidArgsFunction: newCompleter(f).args(false, images),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Ref = args[0]
			opts.Pull.TLSVerify = tlsVerifyFlag(c, &rf)
			creds, err := credsFlag(opts.IO, &rf)
			if err != nil {
				return err
			}
			opts.Pull.Creds, opts.Pull.AuthFile = creds, rf.authFile
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runPull(c.Context(), opts)
		},
	}
	c.Flags().StringVar(&opts.Pull.Platform, "platform", "", "pull the image for this platform: OS/ARCH[/VARIANT] (default: the host's)")
	c.Flags().BoolVarP(&opts.Quiet, "quiet", "q", false, "print only the image ID, no progress")
	addRegistryFlags(c, &rf, true)
	return c
}

func runPull(ctx context.Context, opts *pullOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	o := opts.Pull
	o.Progress, o.Terminal = pullProgress(opts.IO, opts.Quiet)
	id, err := e.Pull(ctx, opts.Ref, o)
	if err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.Out, id)
	return nil
}

// pullProgress is where progress goes: stderr when it is a terminal and
// the user did not ask for quiet, else nowhere (scripts get only the ID).
func pullProgress(ios *IOStreams, quiet bool) (w io.Writer, terminal bool) {
	if quiet || !ios.IsStderrTTY() {
		return nil, false
	}
	return ios.ErrOut, true
}
