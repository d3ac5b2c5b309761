package cmd

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/report"
	"github.com/hutchctr/hutch/pkg/version"
)

type versionOptions struct {
	IO *IOStreams
	// Details describe this binary; tests set them.
	Details version.Details
	// Location is where the build time is shown (time.Local).
	Location *time.Location

	Format string
}

// versionDoc is the JSON and template document, Podman's shape:
// `hutch version --format '{{.Client.Version}}'`.
type versionDoc struct {
	Client version.Details `json:"Client"`
}

func newVersionCmd(f *Factory, runF func(context.Context, *versionOptions) error) *cobra.Command {
	opts := &versionOptions{IO: f.IO, Details: version.Get(), Location: time.Local}
	c := &cobra.Command{
		Use:               "version [flags]",
		Short:             "Print hutch's version",
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runVersion(c.Context(), opts)
		},
	}
	formatFlag(c, &opts.Format, "output format: json, yaml, or a Go template ({{.Client.Version}})", "json", "yaml")
	return c
}

func runVersion(_ context.Context, opts *versionOptions) error {
	f := report.ParseFormat(opts.Format)
	if f.Kind != report.Default {
		return report.WriteDoc(opts.IO.Out, f, versionDoc{Client: opts.Details})
	}
	d := opts.Details
	built := "unknown"
	if d.Built != 0 {
		built = time.Unix(d.Built, 0).In(opts.Location).Format(time.ANSIC)
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Version:\t%s\nGo Version:\t%s\nGit Commit:\t%s\nBuilt:\t%s\nOS/Arch:\t%s\n",
		d.Version, d.GoVersion, d.GitCommit, built, d.OsArch)
	return tw.Flush()
}
