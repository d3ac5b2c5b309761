package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// params are the sizes of one run.
type params struct {
	iterations int // timed rounds per tool
	warmup     int // discarded rounds per tool
	psCount    int // containers created for the `ps -a` benchmark
	memCount   int // running containers for the monitor-memory benchmark
}

const imageRef = "localhost/hutch-bench:latest"

// sampler alternates one command between the tools and collects each
// tool's wall times; a tool whose command fails drops out of this
// benchmark only.
type sampler struct {
	tools   []*tool
	samples [][]float64
	errs    []error
}

func newSampler(tools []*tool) *sampler {
	s := &sampler{tools: tools, samples: make([][]float64, len(tools)), errs: make([]error, len(tools))}
	for i, t := range tools {
		s.errs[i] = t.broken
	}
	return s
}

// round runs args once per tool, in order, and keeps the times if keep.
func (s *sampler) round(ctx context.Context, keep bool, args ...string) {
	for i, t := range s.tools {
		if s.errs[i] != nil {
			continue
		}
		d, _, err := t.run(ctx, args...)
		if err != nil {
			s.errs[i] = err
			continue
		}
		if keep {
			s.samples[i] = append(s.samples[i], float64(d)/float64(time.Millisecond))
		}
	}
}

func (s *sampler) rounds(ctx context.Context, p params, args ...string) {
	for i := 0; i < p.warmup+p.iterations && ctx.Err() == nil; i++ {
		s.round(ctx, i >= p.warmup, args...)
	}
}

func (s *sampler) series(i int) Series {
	if s.errs[i] != nil {
		return Series{Err: s.errs[i].Error()}
	}
	return Series{Samples: s.samples[i]}
}

// result turns the samples into a table row; tools[0] is hutch, tools[1] Podman.
func (s *sampler) result(name, unit, stat string, goal Goal) Result {
	return Result{Name: name, Unit: unit, Stat: stat, Hutch: s.series(0), Podman: s.series(1), Goal: goal}
}

// ratioGoal is the speed goal: hutch at most 0.2 × Podman's median.
func ratioGoal() Goal { return Goal{Max: 0.2, Of: "ratio"} }

// benchRunRm times `run --rm --network none IMAGE true`.
func benchRunRm(ctx context.Context, tools []*tool, p params, mode string) Result {
	slog.Info("run --rm", "mode", mode, "rounds", p.warmup+p.iterations)
	s := newSampler(tools)
	s.rounds(ctx, p, "run", "--rm", "--network", "none", imageRef, "true")
	return s.result(fmt.Sprintf("run --rm true (%s)", mode), unitMS, statMedian, ratioGoal())
}

// benchPs times `ps -a` with no containers and with p.psCount created ones,
// and reports how much each tool's listing slows down with them. The
// creations are timed too, as an informational row.
func benchPs(ctx context.Context, tools []*tool, p params) []Result {
	slog.Info("ps -a, empty store", "rounds", p.warmup+p.iterations)
	empty := newSampler(tools)
	empty.rounds(ctx, p, "ps", "-a")

	slog.Info("create", "containers", p.psCount)
	create := newSampler(tools)
	for i := 0; i < p.psCount && ctx.Err() == nil; i++ {
		create.round(ctx, true, "create", "--network", "none", imageRef, "true")
	}
	full := newSampler(tools)
	for i, err := range create.errs {
		if err != nil && full.errs[i] == nil {
			full.errs[i] = fmt.Errorf("creating containers: %w", err)
		}
	}
	slog.Info("ps -a, full store", "rounds", p.warmup+p.iterations)
	full.rounds(ctx, p, "ps", "-a")

	results := []Result{
		empty.result("ps -a, 0 containers (root)", unitMS, statMedian, Goal{}),
		full.result(fmt.Sprintf("ps -a, %d containers (root)", p.psCount), unitMS, statMedian, ratioGoal()),
		growth(empty, full, p.psCount),
		create.result("create (root)", unitMS, statMedian, Goal{}),
	}
	return results
}

// growth compares each tool's `ps -a` median with and without containers;
// hutch's should barely grow (the 1.5 bound is this harness's reading of
// "barely").
func growth(empty, full *sampler, n int) Result {
	r := Result{
		Name: fmt.Sprintf("ps -a growth, %d vs 0 containers", n),
		Unit: unitTimes, Stat: statMedian, Goal: Goal{Max: 1.5, Of: "hutch"},
	}
	one := func(i int) Series {
		e, f := empty.series(i), full.series(i)
		switch {
		case e.Err != "":
			return e
		case f.Err != "":
			return f
		case len(e.Samples) == 0 || len(f.Samples) == 0:
			return Series{}
		}
		return Series{Samples: []float64{median(f.Samples) / median(e.Samples)}}
	}
	r.Hutch, r.Podman = one(0), one(1)
	return r
}

// containerID is the last line a `run -d` printed: the new container's ID.
func containerID(stdout string) string {
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
