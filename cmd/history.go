package cmd

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/report"
)

type historyEngine interface {
	ImageHistory(ctx context.Context, ref string) ([]engine.ImageHistoryEntry, error)
}

var _ historyEngine = (*engine.Engine)(nil)

type historyOptions struct {
	IO     *IOStreams
	Engine func() (historyEngine, error)
	Now    func() time.Time

	Ref     string
	Human   bool
	NoTrunc bool
	Quiet   bool
	Format  string
}

// newHistoryCmd is `hutch image history` (and `hutch history`).
func newHistoryCmd(f *Factory, runF func(context.Context, *historyOptions) error) *cobra.Command {
	opts := &historyOptions{IO: f.IO, Engine: engineFor[historyEngine](f), Now: time.Now}
	c := &cobra.Command{
		Use:   "history [flags] IMAGE",
		Short: "Show the history of an image",
		Long: "History lists the steps that made an image, newest first, with the size of the layer\n" +
			"each step added. Older steps have no image ID of their own (<missing>).\n\n" +
			"Template fields: .ID .Created .CreatedAt .CreatedBy .Size .Comment .Tags",
		Args:              exactArgs(1),
		ValidArgsFunction: newCompleter(f).args(false, images),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Ref = args[0]
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runHistory(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.BoolVarP(&opts.Human, "human", "H", true, "print sizes and dates in human-readable form")
	fl.BoolVar(&opts.NoTrunc, "no-trunc", false, "do not truncate the output")
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "print only the IDs")
	formatFlag(c, &opts.Format, "output format: table, json, yaml, or a Go template", "table", "json", "yaml")
	return c
}

func runHistory(ctx context.Context, opts *historyOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	steps, err := e.ImageHistory(ctx, opts.Ref)
	if err != nil {
		return err
	}
	now := opts.Now()
	view := func(h engine.ImageHistoryEntry) historyRow { return newHistoryRow(h, now, opts.Human, opts.NoTrunc) }
	if opts.Quiet {
		for _, h := range steps {
			fmt.Fprintln(opts.IO.Out, view(h).ID)
		}
		return nil
	}
	table := report.Table{
		Default: "table {{.ID}}\t{{.Created}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
	}
	return report.WriteList(opts.IO.Out, report.ParseFormat(opts.Format), table, steps, view)
}

// historyRow is what `history --format` templates see.
type historyRow struct {
	ID        string // 12 characters unless --no-trunc; "<missing>"
	Created   string // "3 weeks ago", or the time without --human
	CreatedAt string // the time
	CreatedBy string // 45 characters unless --no-trunc
	Size      string // "1.99 MB", or bytes without --human
	Comment   string
	Tags      []string
}

// createdByWidth is Podman's truncation of the CREATED BY column.
const createdByWidth = 45

func newHistoryRow(h engine.ImageHistoryEntry, now time.Time, human, noTrunc bool) historyRow {
	r := historyRow{ID: h.ID, CreatedBy: h.CreatedBy, Comment: h.Comment, Tags: h.Tags, Size: strconv.FormatInt(h.Size, 10)}
	if !h.Created.IsZero() {
		r.CreatedAt = h.Created.Format(time.RFC3339)
		r.Created = r.CreatedAt
	}
	if human {
		r.Created, r.Size = report.Ago(h.Created, now), report.HumanSize(h.Size)
	}
	if !noTrunc {
		if r.ID != "<missing>" {
			r.ID = report.ShortID(r.ID)
		}
		if len(r.CreatedBy) > createdByWidth {
			r.CreatedBy = r.CreatedBy[:createdByWidth-3] + "..."
		}
	}
	return r
}
