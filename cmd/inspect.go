package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/report"
)

type inspectEngine interface {
	Inspect(ctx context.Context, ref string) (*engine.ContainerInspect, error)
	InspectImage(ctx context.Context, ref string) (*engine.ImageInspect, error)
}

var _ inspectEngine = (*engine.Engine)(nil)

// What inspect looks for (--type).
const (
	inspectAll       = "all"
	inspectContainer = "container"
	inspectImage     = "image"
)

type inspectOptions struct {
	IO     *IOStreams
	Engine func() (inspectEngine, error)

	Refs   []string
	Type   string
	Format string
}

// newInspectCmd is `hutch inspect`: containers first, then images.
func newInspectCmd(f *Factory, runF func(context.Context, *inspectOptions) error) *cobra.Command {
	c, opts := inspectCmd(f, runF, "inspect [flags] NAME [NAME...]", inspectAll, containersAndImages)
	c.Short = "Print the configuration and state of containers or images as JSON"
	c.Flags().StringVar(&opts.Type, "type", inspectAll, "what to inspect: container, image or all")
	_ = c.RegisterFlagCompletionFunc("type", fixedValues(inspectContainer, inspectImage, inspectAll))
	return c
}

// newContainerInspectCmd is `hutch container inspect`.
func newContainerInspectCmd(f *Factory, runF func(context.Context, *inspectOptions) error) *cobra.Command {
	c, _ := inspectCmd(f, runF, "inspect [flags] CONTAINER [CONTAINER...]", inspectContainer, allContainers)
	c.Short = "Print the configuration and state of containers as JSON"
	return c
}

// newImageInspectCmd is `hutch image inspect`.
func newImageInspectCmd(f *Factory, runF func(context.Context, *inspectOptions) error) *cobra.Command {
	c, _ := inspectCmd(f, runF, "inspect [flags] IMAGE [IMAGE...]", inspectImage, images)
	c.Short = "Print the configuration of images as JSON"
	return c
}

func inspectCmd(f *Factory, runF func(context.Context, *inspectOptions) error, use, typ string, complete int) (*cobra.Command, *inspectOptions) {
	opts := &inspectOptions{IO: f.IO, Engine: engineFor[inspectEngine](f), Type: typ}
	c := &cobra.Command{
		Use:               use,
		Args:              minArgs(1),
		ValidArgsFunction: newCompleter(f).args(true, complete),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Refs = args
			switch opts.Type {
			case inspectAll, inspectContainer, inspectImage:
			default:
				return flagErrorf("invalid --type %q: use container, image or all", opts.Type)
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runInspect(c.Context(), opts)
		},
	}
	c.Flags().StringVarP(&opts.Format, "format", "f", "", "output format: json (default), yaml, or a Go template")
	_ = c.RegisterFlagCompletionFunc("format", fixedValues("json", "yaml"))
	return c, opts
}

// runInspect prints the documents it found, then fails for the names it
// did not find (Podman prints "[]" and the error when nothing matched).
func runInspect(ctx context.Context, opts *inspectOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	var (
		docs []any
		errs []error
	)
	for _, ref := range opts.Refs {
		doc, err := inspectOne(ctx, e, ref, opts.Type)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		docs = append(docs, doc)
	}
	if err := report.WriteDocs(opts.IO.Out, report.ParseFormat(opts.Format), docs); err != nil {
		return err
	}
	return joinErrors(errs)
}

func inspectOne(ctx context.Context, e inspectEngine, ref, typ string) (any, error) {
	if typ != inspectImage {
		c, err := e.Inspect(ctx, ref)
		if err == nil {
			return c, nil
		}
		if typ == inspectContainer || !errors.Is(err, errdefs.ErrNotFound) {
			return nil, err
		}
	}
	img, err := e.InspectImage(ctx, ref)
	if err == nil {
		return img, nil
	}
	if typ == inspectAll && errors.Is(err, errdefs.ErrNotFound) {
		return nil, fmt.Errorf("no such object: %q: %w", ref, errdefs.ErrNotFound)
	}
	return nil, err
}
