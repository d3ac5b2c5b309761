package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/report"
)

type treeEngine interface {
	ImageTree(ctx context.Context, ref string) (*engine.ImageTree, error)
}

var _ treeEngine = (*engine.Engine)(nil)

type treeOptions struct {
	IO     *IOStreams
	Engine func() (treeEngine, error)

	Ref    string
	Format string
}

// newTreeCmd is `hutch image tree`.
func newTreeCmd(f *Factory, runF func(context.Context, *treeOptions) error) *cobra.Command {
	opts := &treeOptions{IO: f.IO, Engine: engineFor[treeEngine](f)}
	c := &cobra.Command{
		Use:   "tree [flags] IMAGE",
		Short: "Show an image's layers and the images sharing them",
		Long: "Tree prints an image's layers, base first, with their sizes, the images whose top\n" +
			"layer each one is, and the other images that share it.",
		Args:              exactArgs(1),
		ValidArgsFunction: newCompleter(f).args(false, images),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Ref = args[0]
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runTree(c.Context(), opts)
		},
	}
	c.Flags().StringVar(&opts.Format, "format", "", "output format: json or yaml (default: a tree)")
	_ = c.RegisterFlagCompletionFunc("format", fixedValues("json", "yaml"))
	return c
}

func runTree(ctx context.Context, opts *treeOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	t, err := e.ImageTree(ctx, opts.Ref)
	if err != nil {
		return err
	}
	switch f := report.ParseFormat(opts.Format); f.Kind {
	case report.JSON:
		return report.WriteJSON(opts.IO.Out, t)
	case report.YAML:
		return report.WriteYAML(opts.IO.Out, t)
	case report.Template:
		return report.WriteDoc(opts.IO.Out, f, t)
	}
	writeTree(opts.IO, t)
	return nil
}

// writeTree prints Podman's `image tree` layout, plus what each layer is
// shared with.
func writeTree(ios *IOStreams, t *engine.ImageTree) {
	var b strings.Builder
	fmt.Fprintf(&b, "Image ID: %s\nTags:     %s\nSize:     %s\nImage Layers\n",
		report.ShortID(t.ID), bracketed(t.Tags), report.HumanSize(t.Size))
	for i, l := range t.Layers {
		branch := "├── "
		if i == len(t.Layers)-1 {
			branch = "└── "
		}
		fmt.Fprintf(&b, "%sID: %s Size: %s", branch, report.ShortID(l.ID), report.HumanSize(l.Size))
		if len(l.TopLayerOf) > 0 {
			fmt.Fprintf(&b, " Top Layer of: %s", bracketed(l.TopLayerOf))
		}
		if len(l.SharedWith) > 0 {
			fmt.Fprintf(&b, " Shared with: %s", bracketed(l.SharedWith))
		}
		b.WriteByte('\n')
	}
	fmt.Fprint(ios.Out, b.String())
}

func bracketed(s []string) string { return "[" + strings.Join(s, " ") + "]" }
