package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
)

// netRootlessPhase runs a copy of this program as o.user with the role
// "rootless-net" in a work directory of its own and returns the rows it
// prints.
func netRootlessPhase(ctx context.Context, o options, dir, image string) []Result {
	results, err := runNetRootless(ctx, o, dir, image)
	if err != nil {
		return []Result{phaseError("network benchmarks (rootless)", err)}
	}
	return results
}

func runNetRootless(ctx context.Context, o options, dir, image string) ([]Result, error) {
	u, err := user.Lookup(o.user)
	if err != nil {
		return nil, fmt.Errorf("rootless user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	// A short path directly under the temporary directory: Podman's
	// slirp4netns API socket, <tmpdir>/<64 hex>.net, must fit in a socket
	// address (108 bytes), and Podman refuses a rootless runroot longer
	// than 50 characters.
	rdir, err := os.MkdirTemp("", "hbn.")
	if err != nil {
		return nil, fmt.Errorf("rootless work dir: %w", err)
	}
	defer cleanup(rdir, nil)
	if err := os.Chown(rdir, uid, gid); err != nil {
		return nil, fmt.Errorf("rootless work dir: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("rootless half: %w", err)
	}
	bin := filepath.Join(dir, "bin", "bench")
	if err := copyExecutable(self, bin); err != nil {
		return nil, err
	}
	slog.Info("starting the rootless network half", "user", o.user)
	return runAsUser(ctx, o.user, "rootless network half", rdir, bin,
		"-role", "rootless-net", "-dir", rdir, "-image", image, "-hutch", o.hutch, "-podman", o.podman,
		"-n", strconv.Itoa(o.iterations), "-warmup", strconv.Itoa(o.warmup),
		"-net-rounds", strconv.Itoa(o.netRounds), "-net-seconds", strconv.Itoa(o.netSeconds))
}

// netRootlessMain is the rootless network half, run as the unprivileged
// user in o.dir: iperf3 from the user's (the run's) namespace to a
// published port of hutch (its holder's bridge and rootlesskit's builtin
// port driver) and of Podman (slirp4netns with rootlessport, its default,
// and with slirp4netns's own port handler), and `run --rm --network bridge`
// latency. It prints the rows as JSON.
func netRootlessMain(ctx context.Context, o options, stdout io.Writer) error {
	env, err := phaseEnv(o.dir)
	if err != nil {
		return err
	}
	tools, err := newTools(o.dir, o.hutch, o.podman, env)
	if err != nil {
		return err
	}
	importImage(ctx, tools, o.image, netImageRef)
	results := iperfRootless(ctx, o, tools)
	// Removal needs a live context even after an interrupt.
	if err := removeAll(context.Background(), tools); err != nil {
		slog.Warn("cleanup", "err", err)
	}
	slog.Info("run --rm --network bridge", "mode", "rootless", "rounds", o.warmup+o.iterations)
	s := newSampler(tools)
	s.rounds(ctx, o.params, "run", "--rm", "--network", "bridge", netImageRef, "true")
	results = append(results, s.result("run --rm --network bridge true (rootless)", unitMS, statMedian, Goal{Max: 0.25, Of: "ratio"}))
	if err := removeAll(context.Background(), tools); err != nil {
		slog.Warn("cleanup", "err", err)
	}
	killLeftovers(o.dir)
	return json.NewEncoder(stdout).Encode(results)
}

// iperfRootless starts the three servers, measures them alternately and
// returns the throughput rows.
func iperfRootless(ctx context.Context, o options, tools []*tool) []Result {
	slog.Info("iperf3 through published ports", "mode", "rootless", "rounds", o.netRounds, "seconds", o.netSeconds)
	hutch, podman := tools[0], tools[1]
	servers := []struct {
		t    *tool
		name string
		net  []string
	}{
		{hutch, "hutch", nil},
		{podman, "podman", nil},
		{podman, "podman-slirp", []string{"--network", "slirp4netns:port_handler=slirp4netns"}},
	}
	paths := make([]iperfPath, len(servers))
	for i, s := range servers {
		p := iperfPath{name: s.name, err: s.t.broken}
		if p.err == nil {
			p.port, p.err = freePort()
		}
		if p.err == nil {
			args := append([]string{"run", "-d", "--name", "iperf-" + s.name}, s.net...)
			args = append(args, "-p", fmt.Sprintf("%d:%d", p.port, iperfPort), netImageRef, "iperf3", "-s")
			_, _, p.err = s.t.run(ctx, args...)
		}
		if p.err == nil {
			p.err = waitIperf(ctx, nil, p.port)
		}
		paths[i] = p
	}
	measure(ctx, o.netParams, paths)
	return []Result{
		{Name: "iperf3 to a published port (rootless), Podman with slirp4netns's port handler", Unit: unitGbps,
			Stat: statMedian, Hutch: paths[0].series(), Podman: paths[2].series(), Goal: Goal{Min: 1.5, Of: "ratio"}},
		{Name: "iperf3 to a published port (rootless), Podman with rootlessport (its default)", Unit: unitGbps,
			Stat: statMedian, Hutch: paths[0].series(), Podman: paths[1].series()},
	}
}

// freePort returns a TCP port nothing listens on in this namespace.
func freePort() (int, error) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
