package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
)

// netParams are the sizes of the network benchmarks (issue 4).
type netParams struct {
	netRounds  int // iperf3 runs per path, alternating between the paths
	netSeconds int // length of one iperf3 run
}

// Host ports of the root phase: each engine has a network namespace of
// its own, so both use rootHostPort; the baseline server listens in the
// run's namespace.
const (
	baselinePort = 15200
	rootHostPort = 15201
)

// networkConf is added to the phase's containers.conf for root Podman,
// whose netavark network configuration would otherwise live in
// /etc/containers/networks.
const networkConf = "\n[network]\nnetwork_config_dir = %q\n"

// networkPhase runs the network benchmarks in dir: as root (throughput of a
// published port against the host's loopback, and `run --rm --network
// bridge` latency), then, as o.user, the rootless ones. The network
// namespace is the run's own; each root engine gets one more inside it.
func networkPhase(ctx context.Context, o options, dir string) []Result {
	// 0755: the rootless half reads the image here.
	if err := os.Mkdir(dir, 0o755); err != nil {
		return []Result{phaseError("network benchmarks", err)}
	}
	undo, err := privateRun()
	defer undo()
	if err == nil {
		err = loopbackUp()
	}
	if err != nil {
		return []Result{phaseError("network benchmarks", err)}
	}
	image := filepath.Join(dir, "net.tar")
	if err := writeNetImage(image); err != nil {
		return []Result{phaseError("network benchmarks", err)}
	}
	results := netRootPhase(ctx, o, filepath.Join(dir, "root"), image)
	killLeftovers(dir)
	if !o.skipRootless && ctx.Err() == nil {
		results = append(results, netRootlessPhase(ctx, o, dir, image)...)
		killLeftovers(dir)
	}
	return results
}

// netRootPhase benchmarks both engines as root, each confined to a network
// namespace of its own.
func netRootPhase(ctx context.Context, o options, dir, image string) []Result {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return []Result{phaseError("network benchmarks (root)", err)}
	}
	env, err := phaseEnv(dir)
	if err == nil {
		err = appendNetworkConf(dir)
	}
	if err != nil {
		return []Result{phaseError("network benchmarks (root)", err)}
	}
	tools, err := newTools(dir, o.hutch, o.podman, env)
	if err != nil {
		return []Result{phaseError("network benchmarks (root)", err)}
	}
	prefixes := make([][]string, len(tools))
	for i, t := range tools {
		ns, err := newNetNS(ctx)
		if err != nil {
			t.broken = err
			continue
		}
		defer ns.close()
		ns.confine(t)
		prefixes[i] = []string{"nsenter", "--net=" + ns.path, "--"}
	}
	// Removal runs before the namespaces close (deferred calls run last
	// first) and needs a live context even after an interrupt.
	defer func() {
		if err := removeAll(context.Background(), tools); err != nil {
			slog.Warn("cleanup", "err", err)
		}
	}()
	importImage(ctx, tools, image, netImageRef)
	base, series := iperfRoot(ctx, o, tools, prefixes)
	slog.Info("run --rm --network bridge", "mode", "root", "rounds", o.warmup+o.iterations)
	s := newSampler(tools)
	s.rounds(ctx, o.params, "run", "--rm", "--network", "bridge", netImageRef, "true")
	return []Result{
		{Name: "iperf3 on host loopback, no engine (root)", Unit: unitGbps, Stat: statMedian, Hutch: base},
		{Name: "iperf3 to a published port (root)", Unit: unitGbps, Stat: statMedian, Hutch: series[0], Podman: series[1]},
		{Name: "published port / host loopback, throughput (root)", Unit: unitTimes, Stat: statMedian,
			Hutch: ratioSeries(series[0], base), Podman: ratioSeries(series[1], base), Goal: Goal{Min: 0.8, Of: "hutch"}},
		{Name: "iperf3 to a published port, network -o mtu=65520 (root, hutch only)", Unit: unitGbps, Stat: statMedian, Hutch: series[2]},
		{Name: "published port / host loopback, mtu 65520 (root, hutch only)", Unit: unitTimes, Stat: statMedian,
			Hutch: ratioSeries(series[2], base)},
		s.result("run --rm --network bridge true (root)", unitMS, statMedian, Goal{Max: 0.25, Of: "ratio"}),
	}
}

// appendNetworkConf adds networkConf to the phase's containers.conf.
func appendNetworkConf(dir string) error {
	netDir := filepath.Join(dir, "podman", "networks")
	if err := os.MkdirAll(netDir, 0o700); err != nil {
		return fmt.Errorf("podman network dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "containers.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("podman config: %w", err)
	}
	if _, err := fmt.Fprintf(f, networkConf, netDir); err != nil {
		f.Close()
		return fmt.Errorf("podman config: %w", err)
	}
	return f.Close()
}

// iperfRoot measures the host-loopback baseline and, for each engine, a
// client in its namespace → 127.0.0.1:rootHostPort → iperf3 -s in a
// container, alternating baseline, hutch, Podman each round.
func iperfRoot(ctx context.Context, o options, tools []*tool, prefixes [][]string) (Series, []Series) {
	slog.Info("iperf3 through published ports", "mode", "root", "rounds", o.netRounds, "seconds", o.netSeconds)
	paths := []iperfPath{{name: "host loopback", port: baselinePort}}
	stop, err := iperfServer(baselinePort)
	if err != nil {
		paths[0].err = err
	} else {
		defer stop()
		paths[0].err = waitIperf(ctx, nil, baselinePort)
	}
	for i, t := range tools {
		p := iperfPath{name: t.name, prefix: prefixes[i], port: rootHostPort, err: t.broken}
		if p.err == nil {
			_, _, p.err = t.run(ctx, "run", "-d", "--name", "iperf", "-p", fmt.Sprintf("%d:%d", rootHostPort, iperfPort),
				netImageRef, "iperf3", "-s")
		}
		if p.err == nil {
			p.err = waitIperf(ctx, p.prefix, p.port)
		}
		paths = append(paths, p)
	}
	// hutch only, for the report: the same path on a network whose MTU is
	// loopback-sized, to show how much of the gap to the host's loopback
	// is the 1500-byte MTU of the default network.
	jumbo := iperfPath{name: "hutch, mtu 65520", prefix: prefixes[0], port: rootHostPort + 1, err: tools[0].broken}
	if jumbo.err == nil {
		_, _, jumbo.err = tools[0].run(ctx, "network", "create", "-o", "mtu=65520", "--subnet", "10.99.0.0/24", "jumbo")
	}
	if jumbo.err == nil {
		_, _, jumbo.err = tools[0].run(ctx, "run", "-d", "--name", "iperf-jumbo", "--network", "jumbo",
			"-p", fmt.Sprintf("%d:%d", jumbo.port, iperfPort), netImageRef, "iperf3", "-s")
	}
	if jumbo.err == nil {
		jumbo.err = waitIperf(ctx, jumbo.prefix, jumbo.port)
	}
	paths = append(paths, jumbo)
	measure(ctx, o.netParams, paths)
	return paths[0].series(), []Series{paths[1].series(), paths[2].series(), paths[3].series()}
}

// iperfPath is one way from an iperf3 client to a server.
type iperfPath struct {
	name    string
	prefix  []string // runs the client in the right namespace
	port    int
	samples []float64
	err     error
}

func (p *iperfPath) series() Series {
	if p.err != nil {
		return Series{Err: p.err.Error()}
	}
	return Series{Samples: p.samples}
}

// measure runs p.netRounds rounds, one client run per path per round.
func measure(ctx context.Context, p netParams, paths []iperfPath) {
	for r := 0; r < p.netRounds && ctx.Err() == nil; r++ {
		for i := range paths {
			if paths[i].err != nil {
				continue
			}
			v, err := iperfClient(ctx, paths[i].prefix, paths[i].port, p.netSeconds)
			if err != nil {
				paths[i].err = err
				continue
			}
			paths[i].samples = append(paths[i].samples, v)
		}
	}
}

// ratioSeries is the median of a over the median of b, as one sample.
func ratioSeries(a, b Series) Series {
	for _, s := range []Series{a, b} {
		if s.Err != "" {
			return s
		}
		if len(s.Samples) == 0 {
			return Series{Err: errors.New("no samples").Error()}
		}
	}
	return Series{Samples: []float64{median(a.Samples) / median(b.Samples)}}
}
