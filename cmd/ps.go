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
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/report"
)

type psEngine interface {
	List(ctx context.Context, o engine.ListOptions) ([]engine.ContainerSummary, error)
}

var _ psEngine = (*engine.Engine)(nil)

type psOptions struct {
	IO     *IOStreams
	Engine func() (psEngine, error)
	// Now is the clock for "5 seconds ago".
	Now func() time.Time

	All     bool
	Quiet   bool
	NoTrunc bool
	Last    int
	Filters []string
	Format  string
}

func newPsCmd(f *Factory, runF func(context.Context, *psOptions) error) *cobra.Command {
	opts := &psOptions{IO: f.IO, Engine: engineFor[psEngine](f), Now: time.Now}
	c := &cobra.Command{
		Use:   "ps [flags]",
		Short: "List containers",
		Long: "Ps lists running containers (all with -a), newest first.\n\n" +
			"Filters (--filter KEY=VALUE, repeatable; values of one key are ORed, keys ANDed):\n" +
			"  id=ID-PREFIX  name=NAME  label=KEY[=VALUE]  status=created|running|paused|stopping|exited|unknown\n\n" +
			"Template fields: .ID .Image .ImageID .Command .CreatedAt .CreatedHuman .RunningFor .Status .State\n" +
			"  .Names .Labels .Ports .Mounts .Networks .Pid .ExitCode .AutoRemove",
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runPs(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.BoolVarP(&opts.All, "all", "a", false, "show all containers, not only running ones")
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "print only container IDs")
	fl.BoolVar(&opts.NoTrunc, "no-trunc", false, "do not truncate IDs and commands")
	fl.IntVarP(&opts.Last, "last", "n", -1, "show the n most recently created containers, in any state")
	fl.StringArrayVarP(&opts.Filters, "filter", "f", nil, "filter output: KEY=VALUE (repeatable)")
	formatFlag(c, &opts.Format, "output format: table, json, yaml, or a Go template", "table", "json", "yaml")
	_ = c.RegisterFlagCompletionFunc("filter", fixedValues("id=", "name=", "label=", "status=created",
		"status=running", "status=paused", "status=stopping", "status=exited", "status=unknown"))
	return c
}

func runPs(ctx context.Context, opts *psOptions) error {
	filters, err := parsePsFilters(opts.Filters)
	if err != nil {
		return err
	}
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	cs, err := e.List(ctx, engine.ListOptions{All: opts.All || opts.Last >= 0, Filters: filters})
	if err != nil {
		return err
	}
	// Newest first, as Podman and Docker list them.
	slices.SortStableFunc(cs, func(a, b engine.ContainerSummary) int {
		return cmp.Or(cmp.Compare(b.Created, a.Created), cmp.Compare(a.ID, b.ID))
	})
	if opts.Last >= 0 && opts.Last < len(cs) {
		cs = cs[:opts.Last]
	}
	if opts.Quiet {
		for _, c := range cs {
			fmt.Fprintln(opts.IO.Out, idString(c.ID, opts.NoTrunc))
		}
		return nil
	}
	now := opts.Now()
	view := func(c engine.ContainerSummary) psRow { return newPsRow(c, now, opts.NoTrunc) }
	return report.WriteList(opts.IO.Out, report.ParseFormat(opts.Format), psTable(), cs, view)
}

func psTable() report.Table {
	return report.Table{
		Default: "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}",
		Headers: map[string]string{"ID": "CONTAINER ID", "CreatedHuman": "CREATED"},
	}
}

// parsePsFilters turns KEY=VALUE flags into the engine's filter map,
// rejecting keys and states it does not know (Podman's messages).
func parsePsFilters(in []string) (map[string][]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	m := map[string][]string{}
	for _, f := range in {
		k, v, ok := strings.Cut(f, "=")
		if !ok || v == "" {
			return nil, fmt.Errorf("filter %q: want KEY=VALUE: %w", f, errdefs.ErrInvalidArgument)
		}
		switch k {
		case "id", "name", "label":
		case "status":
			if !slices.Contains([]string{"created", "running", "paused", "stopping", "exited", "unknown"}, v) {
				return nil, fmt.Errorf("unknown container state: %s: %w", v, errdefs.ErrInvalidArgument)
			}
		default:
			return nil, fmt.Errorf("%s is an invalid filter: %w", k, errdefs.ErrInvalidArgument)
		}
		m[k] = append(m[k], v)
	}
	return m, nil
}

// idString is the ID as tables show it: 12 characters unless --no-trunc.
func idString(id string, noTrunc bool) string {
	if noTrunc {
		return id
	}
	return report.ShortID(id)
}
