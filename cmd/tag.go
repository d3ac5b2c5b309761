package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type tagEngine interface {
	Tag(ctx context.Context, ref string, names []string) error
}

var _ tagEngine = (*engine.Engine)(nil)

type tagOptions struct {
	IO     *IOStreams
	Engine func() (tagEngine, error)

	Ref   string
	Names []string
}

// newTagCmd is `hutch tag` (and `hutch image tag`).
func newTagCmd(f *Factory, runF func(context.Context, *tagOptions) error) *cobra.Command {
	opts := &tagOptions{IO: f.IO, Engine: engineFor[tagEngine](f)}
	c := &cobra.Command{
		Use:   "tag IMAGE TARGET_NAME [TARGET_NAME...]",
		Short: "Add names to an image",
		Long: "Tag adds names to a local image. A name without a registry gets localhost/, as in\n" +
			"Podman (\"foo\" is localhost/foo:latest). A name another image had moves to this one.",
		Args:              minArgs(2),
		ValidArgsFunction: newCompleter(f).args(false, images),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Ref, opts.Names = args[0], args[1:]
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runTag(c.Context(), opts)
		},
	}
	return c
}

func runTag(ctx context.Context, opts *tagOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	return e.Tag(ctx, opts.Ref, opts.Names)
}
