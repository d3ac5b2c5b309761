package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// tool is one container engine under test, with the global flags and the
// environment that confine it to this run's temporary directories.
type tool struct {
	name   string
	bin    string
	global []string // --root/--runroot (and Podman's --tmpdir)
	env    []string
	out    string // scratch file for the command's stdout
	errOut string // scratch file for its stderr
	// broken is set when the tool cannot take part at all (binary missing,
	// image import failed); every benchmark then reports it for this tool.
	broken error
	// lastCPU is the user and system time of the last command run, its
	// waited-for children included.
	lastCPU time.Duration
}

// cmdTimeout bounds one engine command, so a hung engine costs a row, not
// the run.
const cmdTimeout = 2 * time.Minute

// killDelay is how long a cancelled command has between SIGTERM and SIGKILL.
const killDelay = 10 * time.Second

// run executes one engine command and returns its wall time and stdout.
//
// Stdout and stderr go to regular files rather than pipes: a detached
// monitor that inherited a pipe would keep Wait blocked until the container
// exits, and would distort the timing of `run -d`.
func (t *tool) run(ctx context.Context, args ...string) (time.Duration, string, error) {
	ctx, cancel := context.WithTimeout(ctx, cmdTimeout)
	defer cancel()
	stdout, err := os.Create(t.out)
	if err != nil {
		return 0, "", fmt.Errorf("scratch output: %w", err)
	}
	defer stdout.Close()
	stderr, err := os.Create(t.errOut)
	if err != nil {
		return 0, "", fmt.Errorf("scratch output: %w", err)
	}
	defer stderr.Close()

	cmd := exec.CommandContext(ctx, t.bin, append(append([]string(nil), t.global...), args...)...)
	cmd.Env, cmd.Stdout, cmd.Stderr = t.env, stdout, stderr
	// A process group of its own keeps a terminal's ^C away from the
	// engines (the harness stops them itself) and lets a timeout signal the
	// whole command. SIGTERM first: an engine killed outright while holding
	// one of Podman's host-wide shared-memory locks could leave it taken.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = killDelay
	start := time.Now()
	runErr := cmd.Run()
	elapsed := time.Since(start)
	t.lastCPU = 0
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			t.lastCPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}

	outBytes, _ := os.ReadFile(t.out)
	if runErr != nil {
		errBytes, _ := os.ReadFile(t.errOut)
		return elapsed, string(outBytes), fmt.Errorf("%s %s: %w: %s",
			t.name, strings.Join(args, " "), runErr, lastLine(errBytes))
	}
	return elapsed, string(outBytes), nil
}

// lastLine returns the last non-empty line of a command's stderr, where
// engines put the error that made them fail.
func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(bytes.ToValidUTF8(b, nil))), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if last == "" {
		return "(no output on stderr)"
	}
	return last
}

// toolDirs are the private directories of one tool in one phase.
type toolDirs struct {
	root, runroot, tmp string
}

// dirsOf returns the private directories of the named tool in dir.
func dirsOf(dir, name string) toolDirs {
	return toolDirs{
		root:    filepath.Join(dir, name, "root"),
		runroot: filepath.Join(dir, name, "run"),
		tmp:     filepath.Join(dir, name, "tmp"),
	}
}

// newTools returns the two tools confined to dir: hutch first, Podman
// second, the order every benchmark alternates in. env is shared by both.
func newTools(dir, hutchBin, podmanBin string, env []string) ([]*tool, error) {
	mk := func(name, bin string) (*tool, toolDirs, error) {
		d := dirsOf(dir, name)
		for _, p := range []string{d.root, d.runroot, d.tmp} {
			if err := os.MkdirAll(p, 0o700); err != nil {
				return nil, d, fmt.Errorf("%s dirs: %w", name, err)
			}
		}
		t := &tool{
			name: name, bin: bin, env: env,
			global: []string{"--root", d.root, "--runroot", d.runroot},
			out:    filepath.Join(dir, name, "stdout"),
			errOut: filepath.Join(dir, name, "stderr"),
		}
		if _, err := exec.LookPath(bin); err != nil {
			t.broken = fmt.Errorf("%s binary: %w", name, err)
		}
		return t, d, nil
	}
	h, _, err := mk("hutch", hutchBin)
	if err != nil {
		return nil, err
	}
	p, pd, err := mk("podman", podmanBin)
	if err != nil {
		return nil, err
	}
	// Podman keeps its events, lock files and (rootless) pause.pid in its
	// "tmpdir", /run/libpod for root by default: keep it private too.
	p.global = append(p.global, "--tmpdir", pd.tmp)
	return []*tool{h, p}, nil
}

// importImage imports the same rootfs tarball into every tool under ref. A
// tool that cannot import is marked broken; the others carry on.
func importImage(ctx context.Context, tools []*tool, tarball, ref string) {
	for _, t := range tools {
		if t.broken != nil {
			continue
		}
		if _, _, err := t.run(ctx, "import", tarball, ref); err != nil {
			t.broken = fmt.Errorf("image import: %w", err)
		}
	}
}

// removeAll force-removes every container of every tool, with no stop
// timeout (sleep as pid 1 ignores SIGTERM, so a graceful stop would wait
// the full default timeout per container).
func removeAll(ctx context.Context, tools []*tool) error {
	var errs []error
	for _, t := range tools {
		if _, err := exec.LookPath(t.bin); err != nil {
			continue
		}
		if _, _, err := t.run(ctx, "rm", "-fa", "-t", "0"); err != nil {
			// An engine without `rm -t` still gets a plain forced removal.
			if _, _, err2 := t.run(ctx, "rm", "-fa"); err2 != nil {
				errs = append(errs, err2)
			}
		}
	}
	return errors.Join(errs...)
}
