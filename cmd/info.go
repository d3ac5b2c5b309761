package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/report"
)

type infoEngine interface {
	Info(ctx context.Context) (*engine.Info, error)
}

var _ infoEngine = (*engine.Engine)(nil)

type infoOptions struct {
	IO     *IOStreams
	Engine func() (infoEngine, error)

	Format string
}

func newInfoCmd(f *Factory, runF func(context.Context, *infoOptions) error) *cobra.Command {
	opts := &infoOptions{IO: f.IO, Engine: engineFor[infoEngine](f)}
	c := &cobra.Command{
		Use:               "info [flags]",
		Short:             "Describe the host, hutch's mode and its storage",
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runInfo(c.Context(), opts)
		},
	}
	formatFlag(c, &opts.Format, "output format: yaml (default), json, or a Go template ({{.Host.Arch}})", "json", "yaml")
	return c
}

func runInfo(ctx context.Context, opts *infoOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	info, err := e.Info(ctx)
	if err != nil {
		return err
	}
	f := report.ParseFormat(opts.Format)
	if f.Kind == report.Default {
		// Podman prints YAML by default.
		f.Kind = report.YAML
	}
	return report.WriteDoc(opts.IO.Out, f, info)
}
