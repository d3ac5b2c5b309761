package cmd

import (
	"bytes"
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/report"
)

type statsEngine interface {
	Stats(ctx context.Context, o engine.StatsOptions) ([]engine.ContainerStats, error)
}

var _ statsEngine = (*engine.Engine)(nil)

// clearScreen clears the terminal and homes the cursor between frames.
const clearScreen = "\033[2J\033[H"

type statsOptions struct {
	IO     *IOStreams
	Engine func() (statsEngine, error)

	Refs     []string
	All      bool
	NoStream bool
	NoReset  bool
	NoTrunc  bool
	Format   string
	Interval time.Duration
	// Frames stops a stream after that many frames (no flag: for tests);
	// 0 streams until interrupted.
	Frames int
}

func newStatsCmd(f *Factory, runF func(context.Context, *statsOptions) error) *cobra.Command {
	opts := &statsOptions{IO: f.IO, Engine: engineFor[statsEngine](f)}
	var interval int
	c := &cobra.Command{
		Use:   "stats [flags] [CONTAINER...]",
		Short: "Display the resource usage of containers",
		Long: "Stats shows the CPU, memory, network I/O, block I/O and process counts of running containers, " +
			"redrawn every interval until interrupted (once with --no-stream). CPU % is the CPU time used " +
			"since the previous frame (since the start for the first) over the time passed, 100% being one " +
			"CPU busy. Rootless containers on a cgroup v1 host have no cgroup: they show only network I/O.\n\n" +
			"Template fields: .ID .ContainerID .Name .CPUPerc .CPU .AVGCPU .AvgCPU .UpTime .MemUsage .MemUsageBytes\n" +
			"  .MemPerc .MemLimit .NetIO .NetInput .NetOutput .BlockIO .BlockInput .BlockOutput .PIDS .PIDs",
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: newCompleter(f).args(true, runningContainers),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Refs = args
			if opts.All && len(args) > 0 {
				return flagErrorf("--all and container names or IDs are mutually exclusive")
			}
			if interval < 1 {
				return flagErrorf("--interval %d: give a number of seconds, at least 1", interval)
			}
			opts.Interval = time.Duration(interval) * time.Second
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runStats(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.BoolVarP(&opts.All, "all", "a", false, "show all containers (only running ones have stats)")
	fl.BoolVar(&opts.NoStream, "no-stream", false, "print one frame and exit")
	fl.BoolVar(&opts.NoReset, "no-reset", false, "do not clear the terminal between frames")
	fl.BoolVar(&opts.NoTrunc, "no-trunc", false, "do not truncate IDs")
	fl.IntVarP(&interval, "interval", "i", 1, "seconds between frames")
	formatFlag(c, &opts.Format, "output format: table, json, yaml, or a Go template", "table", "json", "yaml")
	return c
}

// runStats prints frames: once with --no-stream, else every interval
// until the context ends.
func runStats(ctx context.Context, opts *statsOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	format := report.ParseFormat(opts.Format)
	prev := map[string]engine.ContainerStats{}
	for frame := 1; ; frame++ {
		stats, err := e.Stats(ctx, engine.StatsOptions{Refs: opts.Refs, Previous: prev})
		if err != nil {
			return err
		}
		// One write per frame: a redraw never shows half a table.
		var b bytes.Buffer
		if !opts.NoStream && !opts.NoReset && opts.IO.IsStdoutTTY() {
			b.WriteString(clearScreen)
		}
		// JSON and YAML print the formatted rows too, as Podman does.
		rows := make([]statsRow, len(stats))
		for i, s := range stats {
			rows[i] = newStatsRow(s, opts.NoTrunc)
		}
		if err := report.WriteList(&b, format, statsTable(), rows, func(r statsRow) statsRow { return r }); err != nil {
			return err
		}
		if _, err := opts.IO.Out.Write(b.Bytes()); err != nil {
			return err
		}
		if opts.NoStream || frame == opts.Frames {
			return nil
		}
		prev = make(map[string]engine.ContainerStats, len(stats))
		for _, s := range stats {
			prev[s.ID] = s
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(opts.Interval):
		}
	}
}

func statsTable() report.Table {
	return report.Table{
		Default: "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDS}}\t{{.UpTime}}\t{{.AVGCPU}}",
		Headers: map[string]string{
			"ID": "ID", "CPUPerc": "CPU %", "MemUsage": "MEM USAGE / LIMIT", "MemUsageBytes": "MEM USAGE / LIMIT",
			"MemPerc": "MEM %", "NetIO": "NET IO", "BlockIO": "BLOCK IO", "PIDS": "PIDS", "UpTime": "CPU TIME",
			"AVGCPU": "AVG CPU %",
		},
	}
}
