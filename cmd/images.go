package cmd

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/report"
)

type imagesEngine interface {
	Images(ctx context.Context, o engine.ImagesOptions) ([]engine.ImageSummary, error)
}

var _ imagesEngine = (*engine.Engine)(nil)

type imagesOptions struct {
	IO     *IOStreams
	Engine func() (imagesEngine, error)
	Now    func() time.Time

	All     bool
	Quiet   bool
	NoTrunc bool
	Digests bool
	Filters []string
	Format  string
}

func newImagesCmd(f *Factory, runF func(context.Context, *imagesOptions) error) *cobra.Command {
	opts := &imagesOptions{IO: f.IO, Engine: engineFor[imagesEngine](f), Now: time.Now}
	c := &cobra.Command{
		Use:   "images [flags]",
		Short: "List images",
		Long: "Images lists images in local storage, newest first, one row per name.\n\n" +
			"Filters (--filter KEY=VALUE, repeatable; different keys must all match, several\n" +
			"reference or id values match when any does):\n" +
			"  reference=PATTERN  dangling=true|false  label=KEY[=VALUE]  id=PREFIX\n" +
			"  before=IMAGE  since=IMAGE\n\n" +
			"Template fields: .Repository .Tag .ID .Digest .Created .CreatedAt .Size .Containers .Labels .Dangling",
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runImages(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.BoolVarP(&opts.All, "all", "a", false, "show intermediate images too")
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "print only image IDs")
	fl.BoolVar(&opts.NoTrunc, "no-trunc", false, "print full image IDs")
	fl.BoolVar(&opts.Digests, "digests", false, "show the manifest digest of each image")
	fl.StringArrayVarP(&opts.Filters, "filter", "f", nil, "filter output: KEY=VALUE (repeatable)")
	formatFlag(c, &opts.Format, "output format: table, json, yaml, or a Go template", "table", "json", "yaml")
	return c
}

func runImages(ctx context.Context, opts *imagesOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	imgs, err := e.Images(ctx, engine.ImagesOptions{All: opts.All, Filters: opts.Filters})
	if err != nil {
		return err
	}
	slices.SortStableFunc(imgs, func(a, b engine.ImageSummary) int {
		return cmp.Or(cmp.Compare(b.Created, a.Created), cmp.Compare(a.ID, b.ID))
	})
	if opts.Quiet {
		for _, img := range imgs {
			fmt.Fprintln(opts.IO.Out, imageID(img.ID, opts.NoTrunc))
		}
		return nil
	}
	f := report.ParseFormat(opts.Format)
	// JSON and YAML describe images, not the table's per-name rows.
	if imgs == nil {
		imgs = []engine.ImageSummary{}
	}
	switch f.Kind {
	case report.JSON:
		return report.WriteJSON(opts.IO.Out, imgs)
	case report.YAML:
		return report.WriteYAML(opts.IO.Out, imgs)
	}
	now := opts.Now()
	var rows []imageRow
	for _, img := range imgs {
		rows = append(rows, newImageRows(img, now, opts.NoTrunc)...)
	}
	return report.WriteList(opts.IO.Out, f, imagesTable(opts.Digests), rows, func(r imageRow) imageRow { return r })
}

func imagesTable(digests bool) report.Table {
	t := report.Table{
		Default: "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Created}}\t{{.Size}}",
		Headers: map[string]string{"ID": "IMAGE ID"},
	}
	if digests {
		t.Default = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.Created}}\t{{.Size}}"
	}
	return t
}

// imageRow is what `images --format` templates see: one per image name.
type imageRow struct {
	Repository string // "<none>" for an unnamed image
	Tag        string // "<none>" for an unnamed or digest-only name
	ID         string // 12 characters, or "sha256:" and all 64 with --no-trunc
	Digest     string
	Created    string // "5 days ago"
	CreatedAt  string // the creation time
	Size       string // "4.89 MB"
	Containers int
	Labels     map[string]string
	Dangling   bool
}

func newImageRows(img engine.ImageSummary, now time.Time, noTrunc bool) []imageRow {
	var created time.Time
	if img.Created != 0 {
		created = time.Unix(img.Created, 0).In(now.Location())
	}
	base := imageRow{
		ID:         imageID(img.ID, noTrunc),
		Created:    report.Ago(created, now),
		Size:       report.HumanSize(img.Size),
		Containers: img.Containers,
		Labels:     img.Labels,
		Dangling:   img.Dangling,
	}
	if !created.IsZero() {
		base.CreatedAt = created.String()
	}
	if len(img.RepoDigests) > 0 {
		_, base.Digest, _ = strings.Cut(img.RepoDigests[0], "@")
	}
	names := img.RepoTags
	if len(names) == 0 {
		names = img.Names
	}
	if len(names) == 0 {
		base.Repository, base.Tag = "<none>", "<none>"
		return []imageRow{base}
	}
	rows := make([]imageRow, len(names))
	for i, n := range names {
		rows[i] = base
		rows[i].Repository, rows[i].Tag = splitRepoTag(n)
	}
	return rows
}

// splitRepoTag splits "registry:5000/name:tag" at the tag's colon (not the
// port's); a digest reference has no tag.
func splitRepoTag(name string) (repo, tag string) {
	if r, _, ok := strings.Cut(name, "@"); ok {
		return r, "<none>"
	}
	slash := strings.LastIndex(name, "/")
	if i := strings.LastIndex(name, ":"); i > slash {
		return name[:i], name[i+1:]
	}
	return name, "<none>"
}

// imageID is the IMAGE ID column: short, or the full "sha256:..." form.
func imageID(id string, noTrunc bool) string {
	if !noTrunc {
		return report.ShortID(id)
	}
	if !strings.Contains(id, ":") {
		return "sha256:" + id
	}
	return id
}
