package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
)

// limitFlags are the limits of the run-latency benchmark with limits.
var limitFlags = []string{"--memory", "64m", "--pids-limit", "100", "--cpus", "1"}

// statsContainers is how many running containers `stats` reads.
const statsContainers = 20

// cgroupsPhase runs the issue-5 benchmarks as root in dir: `run --rm`
// with and without limits, alternating, and `stats --no-stream` over
// statsContainers running containers.
func cgroupsPhase(ctx context.Context, o options, dir, image string) []Result {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return []Result{phaseError("cgroup benchmarks", err)}
	}
	env, err := phaseEnv(dir)
	if err != nil {
		return []Result{phaseError("cgroup benchmarks", err)}
	}
	tools, err := newTools(dir, o.hutch, o.podman, env)
	if err != nil {
		return []Result{phaseError("cgroup benchmarks", err)}
	}
	defer func() {
		if err := removeAll(context.Background(), tools); err != nil {
			slog.Warn("cleanup", "err", err)
		}
	}()
	importImage(ctx, tools, image, imageRef)

	slog.Info("run --rm with and without limits", "mode", "root", "rounds", o.warmup+o.iterations)
	plain, limited := newSampler(tools), newSampler(tools)
	withLimits := append(append([]string{"run", "--rm", "--network", "none"}, limitFlags...), imageRef, "true")
	for i := 0; i < o.warmup+o.iterations && ctx.Err() == nil; i++ {
		plain.round(ctx, i >= o.warmup, "run", "--rm", "--network", "none", imageRef, "true")
		limited.round(ctx, i >= o.warmup, withLimits...)
	}
	results := []Result{
		plain.result("run --rm true, no limits (root)", unitMS, statMedian, Goal{}),
		limited.result("run --rm --memory 64m --pids-limit 100 --cpus 1 true (root)", unitMS, statMedian, Goal{}),
		{Name: "limits' cost on run --rm (root), median difference", Unit: unitMS, Stat: statMedian,
			Hutch: diffSeries(limited.series(0), plain.series(0)), Podman: diffSeries(limited.series(1), plain.series(1)),
			Goal: Goal{Max: 5, Of: "hutch"}},
	}

	slog.Info("stats --no-stream", "mode", "root", "containers", statsContainers, "rounds", o.warmup+o.iterations)
	for _, t := range tools {
		for i := 0; i < statsContainers && t.broken == nil && ctx.Err() == nil; i++ {
			if _, _, err := t.run(ctx, "run", "-d", "--network", "none", imageRef, "sleep", "600"); err != nil {
				t.broken = fmt.Errorf("start the containers for stats: %w", err)
			}
		}
	}
	s := newSampler(tools)
	s.rounds(ctx, o.params, "stats", "--no-stream")
	return append(results, s.result(fmt.Sprintf("stats --no-stream, %d running containers (root)", statsContainers),
		unitMS, statMedian, ratioGoal()))
}

// diffSeries is the median of a minus the median of b, as one sample.
func diffSeries(a, b Series) Series {
	for _, s := range []Series{a, b} {
		if s.Err != "" {
			return s
		}
		if len(s.Samples) == 0 {
			return Series{Err: "no samples"}
		}
	}
	return Series{Samples: []float64{median(a.Samples) - median(b.Samples)}}
}
