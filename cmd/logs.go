package cmd

import (
	"context"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type logsEngine interface {
	Logs(ctx context.Context, ref string, o engine.LogsOptions, stdout, stderr io.Writer) error
}

var _ logsEngine = (*engine.Engine)(nil)

type logsOptions struct {
	IO     *IOStreams
	Engine func() (logsEngine, error)

	Ref  string
	Logs engine.LogsOptions
}

func newLogsCmd(f *Factory, runF func(context.Context, *logsOptions) error) *cobra.Command {
	opts := &logsOptions{IO: f.IO, Engine: engineFor[logsEngine](f)}
	var since, until string
	now := time.Now
	c := &cobra.Command{
		Use:   "logs [flags] CONTAINER",
		Short: "Print a container's output",
		Long: "Logs prints what a container wrote to stdout and stderr.\n\n" +
			"--since and --until take an RFC 3339 time (2006-01-02T15:04:05Z, or a date),\n" +
			"Unix seconds, or a duration before now (10m, 1h30m).",
		Args:              exactArgs(1),
		ValidArgsFunction: newCompleter(f).args(false, allContainers),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Ref = args[0]
			var err error
			if opts.Logs.Since, err = parseTimeFlag("since", since, now()); err != nil {
				return err
			}
			if opts.Logs.Until, err = parseTimeFlag("until", until, now()); err != nil {
				return err
			}
			if opts.Logs.Tail < 0 {
				opts.Logs.Tail = -1
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runLogs(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.BoolVarP(&opts.Logs.Follow, "follow", "f", false, "keep printing new output until the container exits")
	fl.IntVar(&opts.Logs.Tail, "tail", -1, "print only the last N lines (-1: all)")
	fl.StringVar(&since, "since", "", "print output written after this time")
	fl.StringVar(&until, "until", "", "print output written before this time")
	fl.BoolVarP(&opts.Logs.Timestamps, "timestamps", "t", false, "prefix each line with its time")
	return c
}

func runLogs(ctx context.Context, opts *logsOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	return e.Logs(ctx, opts.Ref, opts.Logs, opts.IO.Out, opts.IO.ErrOut)
}

// parseTimeFlag reads --since/--until: a duration before now, Unix seconds
// (with an optional fraction, as Docker allows), or an RFC 3339 time; a
// time without a zone, or a bare date, is local.
func parseTimeFlag(name, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).In(now.Location()), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, now.Location()); err == nil {
			return t, nil
		}
	}
	return time.Time{}, flagErrorf("invalid --%s %q: use an RFC 3339 time (2006-01-02T15:04:05Z), Unix seconds or a duration (10m)", name, s)
}
