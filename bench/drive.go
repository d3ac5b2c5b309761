package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// unsharedEnv marks the copy of this program that already runs in its own
// mount and network namespaces.
const unsharedEnv = "_HUTCH_BENCH_UNSHARED"

// drive is the root side: it benchmarks as root, then starts the rootless
// half as o.user, and prints the table.
func drive(ctx context.Context, o options, args []string, stdout io.Writer) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("run as root: the root half needs it, and the rootless half is started with runuser")
	}
	if os.Getenv(unsharedEnv) == "" {
		return reexecUnshared(args)
	}
	abs, err := filepath.Abs(o.hutch)
	if err != nil {
		return fmt.Errorf("hutch binary: %w", err)
	}
	o.hutch = abs

	dir, err := os.MkdirTemp("", "hutch-bench.")
	if err != nil {
		return fmt.Errorf("work dir: %w", err)
	}
	// 0755: the rootless half runs binaries and reads the image in here.
	if err := os.Chmod(dir, 0o755); err != nil {
		return fmt.Errorf("work dir: %w", err)
	}
	bound, err := privateBinds(dir)
	defer cleanup(dir, bound)
	if err != nil {
		return err
	}
	image := filepath.Join(dir, "busybox.tar")
	if err := writeImage(image); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "# hutch=%s podman=%s rounds=%d+%d warm-up ps=%d mem=%d; load average at start: %s\n",
		o.hutch, o.podman, o.iterations, o.warmup, o.psCount, o.memCount, loadAverage())
	// Benchmark a snapshot: the tree's bin/hutch may be rebuilt during the
	// run, and the rootless user may not be able to read the original. A
	// missing binary is reported per row, like any failing tool.
	if snap := filepath.Join(dir, "bin", "hutch"); copyExecutable(o.hutch, snap) == nil {
		o.hutch = snap
	}

	var results []Result
	if o.runs("containers") {
		if results, err = rootPhase(ctx, o, filepath.Join(dir, "root"), image); err != nil {
			return err
		}
		killLeftovers(dir)
		if !o.skipRootless && ctx.Err() == nil {
			results = append(results, rootlessPhase(ctx, o, dir, image)...)
		}
	}
	var notes []string
	if o.runs("images") && ctx.Err() == nil {
		rows, n := imagePhase(ctx, o, filepath.Join(dir, "img"), image)
		results, notes = append(results, rows...), n
		killLeftovers(dir)
	}
	if o.runs("cgroups") && ctx.Err() == nil {
		results = append(results, cgroupsPhase(ctx, o, filepath.Join(dir, "cg"), image)...)
		killLeftovers(dir)
	}
	if o.runs("network") && ctx.Err() == nil {
		results = append(results, networkPhase(ctx, o, filepath.Join(dir, "net"))...)
		killLeftovers(dir)
	}
	if err := printTable(stdout, results); err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintf(stdout, "# %s\n", n)
	}
	// Other work on the machine shows in every number; say how much there was.
	fmt.Fprintf(stdout, "# load average at end: %s\n", loadAverage())
	return writeJSON(o.jsonOut, results)
}

// reexecUnshared replaces this process with itself under unshare(1), in new
// mount and network namespaces with private propagation: the engines'
// overlay mounts and this program's private binds stay out of the host's
// mount table, and no interface of the host is ever in reach.
func reexecUnshared(args []string) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("re-exec: %w", err)
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		return fmt.Errorf("re-exec needs unshare(1) from util-linux: %w", err)
	}
	argv := append([]string{"unshare", "--mount", "--propagation", "private", "--net", "--", self}, args...)
	env := append(os.Environ(), unsharedEnv+"=1")
	if err := syscall.Exec(unshare, argv, env); err != nil {
		return fmt.Errorf("re-exec under unshare: %w", err)
	}
	return nil
}

// rootPhase runs every root benchmark in dir and removes its containers.
func rootPhase(ctx context.Context, o options, dir, image string) ([]Result, error) {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("root work dir: %w", err)
	}
	env, err := phaseEnv(dir)
	if err != nil {
		return nil, err
	}
	tools, err := newTools(dir, o.hutch, o.podman, env)
	if err != nil {
		return nil, err
	}
	// Removal needs a live context even after an interrupt.
	defer func() {
		if err := removeAll(context.Background(), tools); err != nil {
			slog.Warn("cleanup", "err", err)
		}
	}()
	importImage(ctx, tools, image, imageRef)
	results := []Result{benchRunRm(ctx, tools, o.params, "root")}
	results = append(results, benchPs(ctx, tools, o.params)...)
	if err := removeAll(ctx, tools); err != nil {
		slog.Warn("cleanup", "err", err)
	}
	return append(results, benchMem(ctx, tools, o.params, "root")...), nil
}

// rootlessPhase runs a copy of this program as o.user in dir/rootless and
// returns the results it prints. The program is copied into dir/bin (next
// to the hutch snapshot) because the user may not be able to enter the
// directory it was built in.
func rootlessPhase(ctx context.Context, o options, dir, image string) []Result {
	results, err := runRootless(ctx, o, dir, image)
	if err != nil {
		e := Series{Err: err.Error()}
		return []Result{{Name: "rootless half", Hutch: e, Podman: e}}
	}
	return results
}

func runRootless(ctx context.Context, o options, dir, image string) ([]Result, error) {
	u, err := user.Lookup(o.user)
	if err != nil {
		return nil, fmt.Errorf("rootless user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	rdir := filepath.Join(dir, "rootless")
	if err := os.Mkdir(rdir, 0o700); err != nil {
		return nil, fmt.Errorf("rootless work dir: %w", err)
	}
	if err := os.Chown(rdir, uid, gid); err != nil {
		return nil, fmt.Errorf("rootless work dir: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("rootless half: %w", err)
	}
	bin := filepath.Join(dir, "bin")
	if err := copyExecutable(self, filepath.Join(bin, "bench")); err != nil {
		return nil, err
	}
	slog.Info("starting the rootless half", "user", o.user)
	return runAsUser(ctx, o.user, "rootless half", rdir, filepath.Join(bin, "bench"),
		"-role", "rootless", "-dir", rdir, "-image", image, "-hutch", o.hutch, "-podman", o.podman,
		"-n", strconv.Itoa(o.iterations), "-warmup", strconv.Itoa(o.warmup), "-mem", strconv.Itoa(o.memCount))
}

// runAsUser runs a role of this program (bin, args) as user in dir and
// returns the rows it prints as JSON; what names the role in errors.
func runAsUser(ctx context.Context, user, what, dir, bin string, args ...string) ([]Result, error) {
	cmd := exec.CommandContext(ctx, "runuser", append([]string{"-u", user, "--", bin}, args...)...)
	var out bytes.Buffer
	cmd.Dir, cmd.Env = dir, []string{basePath, "LANG=C.UTF-8"}
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s as %s: %w", what, user, err)
	}
	var results []Result
	if err := json.Unmarshal(out.Bytes(), &results); err != nil {
		return nil, fmt.Errorf("%s: results: %w", what, err)
	}
	return results, nil
}

func copyExecutable(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}

// cleanup removes everything the run left: processes, mounts, the private
// binds and the work directory (as root, including the rootless store's
// files owned by the user's subordinate ids).
func cleanup(dir string, bound []string) {
	killLeftovers(dir)
	unbind(bound)
	if err := unmountUnder(dir); err != nil {
		slog.Warn("cleanup", "err", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		slog.Warn("cleanup: work dir left behind", "dir", dir, "err", err)
	}
}

func writeJSON(path string, results []Result) error {
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return fmt.Errorf("json results: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("json results: %w", err)
	}
	return nil
}

// loadAverage returns the 1, 5 and 15 minute load averages of the host.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
