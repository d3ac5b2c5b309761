package cmd

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/report"
)

type systemDfEngine interface {
	DiskUsage(ctx context.Context) (*engine.DiskUsage, error)
}

var _ systemDfEngine = (*engine.Engine)(nil)

type systemDfOptions struct {
	IO     *IOStreams
	Engine func() (systemDfEngine, error)
	Now    func() time.Time

	Verbose bool
	Format  string
}

// newSystemDfCmd is `hutch system df`.
func newSystemDfCmd(f *Factory, runF func(context.Context, *systemDfOptions) error) *cobra.Command {
	opts := &systemDfOptions{IO: f.IO, Engine: engineFor[systemDfEngine](f), Now: time.Now}
	c := &cobra.Command{
		Use:   "df [flags]",
		Short: "Show the disk space images and containers use",
		Long: "Df shows the space images (shared layers counted once), containers (what they wrote)\n" +
			"and volumes take, and how much prune could reclaim. -v lists each image and container.\n\n" +
			"Template fields: .Type .Total .Active .Size .Reclaimable",
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, args []string) error {
			if opts.Verbose && opts.Format != "" && report.ParseFormat(opts.Format).Kind == report.Template {
				return flagErrorf("--verbose and a --format template cannot be used together")
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runSystemDf(c.Context(), opts)
		},
	}
	c.Flags().BoolVarP(&opts.Verbose, "verbose", "v", false, "list each image and container")
	formatFlag(c, &opts.Format, "output format: table, json, yaml, or a Go template", "table", "json", "yaml")
	return c
}

func runSystemDf(ctx context.Context, opts *systemDfOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	du, err := e.DiskUsage(ctx)
	if err != nil {
		return err
	}
	f := report.ParseFormat(opts.Format)
	if opts.Verbose {
		switch f.Kind {
		case report.JSON:
			return report.WriteJSON(opts.IO.Out, du)
		case report.YAML:
			return report.WriteYAML(opts.IO.Out, du)
		}
		return writeDfVerbose(opts.IO, du, opts.Now())
	}
	table := report.Table{Default: "table {{.Type}}\t{{.Total}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"}
	return report.WriteList(opts.IO.Out, f, table, du.Summary, newDfRow)
}

// dfRow is what `system df --format` templates see.
type dfRow struct {
	Type          string
	Total, Active int
	Size          string // "4.89 MB"
	Reclaimable   string // "1.2 MB (25%)"
}

func newDfRow(s engine.DiskUsageSummary) dfRow {
	pct := 0
	if s.Size > 0 {
		pct = int(100 * s.Reclaimable / s.Size)
	}
	return dfRow{
		Type: s.Type, Total: s.Total, Active: s.Active, Size: report.HumanSize(s.Size),
		Reclaimable: fmt.Sprintf("%s (%d%%)", report.HumanSize(s.Reclaimable), pct),
	}
}

// dfImageRow and dfContainerRow are the rows of `system df -v`.
type dfImageRow struct {
	Repository, Tag, ID, Created, Size, SharedSize, UniqueSize string
	Containers                                                 int
}

type dfContainerRow struct {
	ContainerID, Image, Command, LocalVolumes, Size, Created, Status, Names string
}

// writeDfVerbose prints Podman's three `system df -v` sections.
func writeDfVerbose(ios *IOStreams, du *engine.DiskUsage, now time.Time) error {
	var imgs []dfImageRow
	for _, img := range du.Images {
		row := dfImageRow{
			ID: report.ShortID(img.ID), Created: report.Ago(img.Created, now), Size: report.HumanSize(img.Size),
			SharedSize: report.HumanSize(img.SharedSize), UniqueSize: report.HumanSize(img.UniqueSize), Containers: img.Containers,
		}
		names := img.Names
		if len(names) == 0 {
			names = []string{"<none>:<none>"}
		}
		for _, n := range names {
			row.Repository, row.Tag = splitRepoTag(n)
			imgs = append(imgs, row)
		}
	}
	fmt.Fprint(ios.Out, "Images space usage:\n\n")
	t := report.Table{Default: "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Created}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}",
		Headers: map[string]string{"ID": "IMAGE ID"}}
	if err := report.WriteList(ios.Out, report.Format{}, t, imgs, func(r dfImageRow) dfImageRow { return r }); err != nil {
		return err
	}
	var ctrs []dfContainerRow
	for _, c := range du.Containers {
		ctrs = append(ctrs, dfContainerRow{
			ContainerID: report.ShortID(c.ID), Image: c.Image, Command: strings.Join(c.Command, " "), LocalVolumes: "0",
			Size: report.HumanSize(c.Size), Created: report.Ago(c.Created, now), Status: c.Status, Names: c.Name,
		})
	}
	fmt.Fprint(ios.Out, "\nContainers space usage:\n\n")
	t = report.Table{Default: "table {{.ContainerID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.Created}}\t{{.Status}}\t{{.Names}}",
		Headers: map[string]string{"ContainerID": "CONTAINER ID"}}
	if err := report.WriteList(ios.Out, report.Format{}, t, ctrs, func(r dfContainerRow) dfContainerRow { return r }); err != nil {
		return err
	}
	fmt.Fprint(ios.Out, "\nLocal Volumes space usage:\n\nVOLUME NAME  LINKS       SIZE\n")
	return nil
}
