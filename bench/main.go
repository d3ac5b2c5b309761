package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

// options are the command-line settings of one invocation.
type options struct {
	hutch, podman string
	user          string // the unprivileged user of the rootless half
	skipRootless  bool
	jsonOut       string
	// suites are the benchmark groups to run: "containers" (run, ps,
	// monitor memory), "images" (pull, images) and "network" (published
	// port throughput, run --network bridge).
	suites []string
	params
	imageParams
	netParams

	// role "rootless" marks the copy of this program that runuser starts;
	// it benchmarks in dir with the tarball image and prints JSON.
	role, dir, image string
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	role := "bench"
	if o.role != "" {
		role = "bench:" + o.role
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, nil)).With("role", role))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	switch o.role {
	case "":
		err = drive(ctx, o, args, stdout)
	case "rootless":
		err = rootlessMain(ctx, o, stdout)
	case "rootless-net":
		err = netRootlessMain(ctx, o, stdout)
	default:
		err = fmt.Errorf("unknown role %q", o.role)
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	return 0
}

// runs reports whether the suite is to run.
func (o options) runs(suite string) bool { return slices.Contains(o.suites, suite) }

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	hutch := os.Getenv("HUTCH")
	if hutch == "" {
		hutch = "bin/hutch"
	}
	fs.StringVar(&o.hutch, "hutch", hutch, "hutch binary; the HUTCH environment variable sets the default")
	fs.StringVar(&o.podman, "podman", "podman", "podman binary")
	fs.StringVar(&o.user, "user", "hutchtest", "unprivileged user (with an /etc/subuid range) for the rootless half")
	fs.BoolVar(&o.skipRootless, "skip-rootless", false, "run only the root half")
	fs.StringVar(&o.jsonOut, "json", "", "also write the results as JSON to this file")
	fs.IntVar(&o.iterations, "n", 15, "timed rounds per tool for each timing benchmark")
	fs.IntVar(&o.warmup, "warmup", 2, "discarded warm-up rounds per tool")
	fs.IntVar(&o.psCount, "ps", 200, "containers created for the ps -a benchmark")
	fs.IntVar(&o.memCount, "mem", 10, "running containers per tool for the monitor-memory benchmark")
	suites := fs.String("suites", "containers,images,cgroups,network",
		"comma-separated benchmark groups: containers (run, ps, memory), images (pull, images), cgroups (run with limits, stats), network (iperf3, run --network bridge)")
	fs.IntVar(&o.pullRounds, "pull-n", 3, "timed pulls per tool, each into empty storage")
	fs.IntVar(&o.pullMB, "pull-mb", 200, "uncompressed size in MiB of the pull benchmark's image")
	fs.IntVar(&o.pullLayers, "pull-layers", 4, "layers of the pull benchmark's image")
	fs.IntVar(&o.manyImages, "images", 100, "images in storage for the images benchmark")
	fs.IntVar(&o.netRounds, "net-rounds", 3, "iperf3 runs per path in the network benchmarks")
	fs.IntVar(&o.netSeconds, "net-seconds", 3, "seconds of one iperf3 run")
	fs.StringVar(&o.role, "role", "", "internal: the part of the run this process plays")
	fs.StringVar(&o.dir, "dir", "", "internal: work directory of the rootless role")
	fs.StringVar(&o.image, "image", "", "internal: image tarball of the rootless role")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bench: unexpected arguments %q\n", fs.Args())
		return o, errors.New("usage")
	}
	if o.iterations < 1 || o.warmup < 0 || o.psCount < 0 || o.memCount < 1 {
		fmt.Fprintln(stderr, "bench: -n and -mem must be at least 1, -warmup and -ps not negative")
		return o, errors.New("usage")
	}
	if o.pullRounds < 1 || o.pullMB < 1 || o.pullLayers < 1 || o.manyImages < 1 || o.netRounds < 1 || o.netSeconds < 1 {
		fmt.Fprintln(stderr, "bench: -pull-n, -pull-mb, -pull-layers, -images, -net-rounds and -net-seconds must be at least 1")
		return o, errors.New("usage")
	}
	for _, s := range strings.Split(*suites, ",") {
		if s != "containers" && s != "images" && s != "cgroups" && s != "network" {
			fmt.Fprintf(stderr, "bench: unknown suite %q in -suites (containers, images, cgroups, network)\n", s)
			return o, errors.New("usage")
		}
		o.suites = append(o.suites, s)
	}
	return o, nil
}

// rootlessMain is the rootless half, run as the unprivileged user: the
// same timing and memory benchmarks, in o.dir, reported as JSON on stdout.
func rootlessMain(ctx context.Context, o options, stdout io.Writer) error {
	env, err := phaseEnv(o.dir)
	if err != nil {
		return err
	}
	tools, err := newTools(o.dir, o.hutch, o.podman, env)
	if err != nil {
		return err
	}
	results := rootlessBenchmarks(ctx, tools, o.params, o.image)
	// Removal needs a live context even after an interrupt.
	if err := removeAll(context.Background(), tools); err != nil {
		slog.Warn("cleanup", "err", err)
	}
	killLeftovers(o.dir)
	return json.NewEncoder(stdout).Encode(results)
}

func rootlessBenchmarks(ctx context.Context, tools []*tool, p params, image string) []Result {
	importImage(ctx, tools, image, imageRef)
	results := []Result{benchRunRm(ctx, tools, p, "rootless")}
	if err := removeAll(ctx, tools); err != nil {
		slog.Warn("cleanup", "err", err)
	}
	return append(results, benchMem(ctx, tools, p, "rootless")...)
}
