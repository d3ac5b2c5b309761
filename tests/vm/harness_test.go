//go:build vm

package vm

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/internal/testutil"
)

// A trimmed copy of tests/e2e's harness (that package cannot be imported):
// per-test hutch directories, commands with timeouts, polling.

const (
	// defaultTimeout bounds one hutch command. Under TCG everything is
	// about ten times slower than on the host.
	defaultTimeout = 2 * time.Minute
	guestPath      = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// result is what one hutch command did.
type result = testutil.CLIResult

// hutchEnv is one test's private hutch installation under dir.
type hutchEnv struct {
	dir     string
	root    string
	runroot string
	env     []string
}

// newEnv prepares an empty installation and registers its cleanup, which
// removes every container and what hutch left running.
func newEnv(t *testing.T) *hutchEnv {
	t.Helper()
	// Not t.TempDir: rootless storage holds files owned by subordinate
	// ids, which the test user cannot delete (the guest is thrown away).
	dir, err := os.MkdirTemp("", "hutch-vm-test-")
	if err != nil {
		t.Fatal(err)
	}
	h := &hutchEnv{dir: dir, root: filepath.Join(dir, "root"), runroot: filepath.Join(dir, "run")}
	h.env = []string{"PATH=" + guestPath, "LANG=C.UTF-8"}
	sub := map[string]string{"HOME": "home", "XDG_RUNTIME_DIR": "xdg-run", "XDG_DATA_HOME": "xdg-data",
		"XDG_CONFIG_HOME": "xdg-config", "TMPDIR": "tmp"}
	for k, v := range sub {
		p := filepath.Join(dir, v)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		h.env = append(h.env, k+"="+p)
	}
	t.Cleanup(func() { h.cleanup(t) })
	return h
}

// newLoadedEnv is newEnv with the busybox fixture loaded.
func newLoadedEnv(t *testing.T) *hutchEnv {
	t.Helper()
	h := newEnv(t)
	h.ok(t, "load", "-i", dockerArchive(t))
	return h
}

// cleanup stops and removes every container, kills the processes whose
// environment names the test's directory (the namespace holder), and
// removes what it can of the directory.
func (h *hutchEnv) cleanup(t *testing.T) {
	for _, args := range [][]string{{"stop", "--all", "-t", "0"}, {"rm", "-fa"}} {
		if r := h.runWith(t, runOpts{Timeout: 3 * time.Minute}, args...); r.Code != 0 {
			t.Errorf("cleanup: %v", r)
		}
	}
	for _, pid := range processesOf(h.dir) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	if !rootless() {
		mps := mountsUnder(h.dir)
		sort.Sort(sort.Reverse(sort.StringSlice(mps)))
		for _, mp := range mps {
			unix.Unmount(mp, unix.MNT_DETACH)
		}
	}
	os.RemoveAll(h.dir)
}

// processesOf lists the processes (other than this one) whose environment
// mentions dir.
func processesOf(dir string) []int {
	paths, _ := filepath.Glob("/proc/[0-9]*")
	var out []int
	for _, p := range paths {
		pid, err := strconv.Atoi(filepath.Base(p))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if env, err := os.ReadFile(p + "/environ"); err == nil && bytes.Contains(env, []byte(dir)) {
			out = append(out, pid)
		}
	}
	return out
}

// mountsUnder lists this mount namespace's mount points below dir.
func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && strings.HasPrefix(fields[4], dir+"/") {
			out = append(out, fields[4])
		}
	}
	return out
}

// runOpts are the less common settings of a command.
type runOpts struct {
	Timeout time.Duration
}

// runWith runs hutch and returns what it did. It never fails the test by
// itself, except for a timeout.
func (h *hutchEnv) runWith(t testing.TB, o runOpts, args ...string) result {
	t.Helper()
	if o.Timeout == 0 {
		o.Timeout = defaultTimeout
	}
	return testutil.RunCLI(t, o.Timeout, args, func(ctx context.Context) *exec.Cmd {
		full := append([]string{"--root", h.root, "--runroot", h.runroot}, args...)
		c := exec.CommandContext(ctx, os.Getenv(binaryEnv), full...)
		c.Env = h.env
		c.Dir = h.dir
		// A detached child that kept hutch's stdout open would hang Wait.
		c.WaitDelay = 5 * time.Second
		return c
	})
}

func (h *hutchEnv) run(t testing.TB, args ...string) result {
	t.Helper()
	return h.runWith(t, runOpts{}, args...)
}

// ok runs hutch, fails the test unless it exits 0, and returns stdout
// without its trailing newline.
func (h *hutchEnv) ok(t testing.TB, args ...string) string {
	t.Helper()
	r := h.run(t, args...)
	if r.Code != 0 {
		t.Fatalf("want exit 0: %v", r)
	}
	return r.Out()
}

// inspect returns `hutch inspect --format TMPL REF`.
func (h *hutchEnv) inspect(t testing.TB, ref, tmpl string) string {
	t.Helper()
	return h.ok(t, "inspect", "--format", tmpl, ref)
}

// pid is the host pid of the container's init.
func (h *hutchEnv) pid(t testing.TB, ref string) int {
	t.Helper()
	out := h.inspect(t, ref, "{{.State.Pid}}")
	pid, err := strconv.Atoi(out)
	if err != nil || pid <= 0 {
		t.Fatalf("State.Pid of %s is %q", ref, out)
	}
	return pid
}

// waitStatus polls until the container's State.Status is want.
func (h *hutchEnv) waitStatus(t testing.TB, ref, want string, timeout time.Duration) {
	t.Helper()
	var last result
	eventually(t, timeout, func() bool {
		last = h.run(t, "inspect", "--format", "{{.State.Status}}", ref)
		return last.Code == 0 && last.Out() == want
	}, func() string { return fmt.Sprintf("container %s to be %q; last: %v", ref, want, last) })
}

// eventually polls cond every half second until it holds or timeout
// passes (each poll runs hutch, which costs CPU time under TCG);
// what describes what was awaited.
func eventually(t testing.TB, timeout time.Duration, cond func() bool, what func() string) {
	t.Helper()
	testutil.Eventually(t, timeout, 500*time.Millisecond, cond, what)
}

// wantCode fails the test unless r exited with code.
func wantCode(t testing.TB, r result, code int) {
	t.Helper()
	testutil.WantCode(t, r, code)
}

// rootless reports whether the suite runs as the test user.
func rootless() bool { return os.Getuid() != 0 }
