package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type untagEngine interface {
	Untag(ctx context.Context, ref string, names []string) error
}

var _ untagEngine = (*engine.Engine)(nil)

type untagOptions struct {
	IO     *IOStreams
	Engine func() (untagEngine, error)

	Ref   string
	Names []string
}

// newUntagCmd is `hutch untag` (and `hutch image untag`).
func newUntagCmd(f *Factory, runF func(context.Context, *untagOptions) error) *cobra.Command {
	opts := &untagOptions{IO: f.IO, Engine: engineFor[untagEngine](f)}
	c := &cobra.Command{
		Use:   "untag IMAGE [NAME...]",
		Short: "Remove names from an image",
		Long: "Untag removes the given names from a local image, or all its names when none is\n" +
			"given. The image stays, dangling when it has no name left: image prune removes it.",
		Args:              minArgs(1),
		ValidArgsFunction: newCompleter(f).args(false, images),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Ref, opts.Names = args[0], args[1:]
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runUntag(c.Context(), opts)
		},
	}
	return c
}

func runUntag(ctx context.Context, opts *untagOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	return e.Untag(ctx, opts.Ref, opts.Names)
}
