//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hutchctr/hutch/internal/testutil"
)

const (
	// defaultTimeout bounds one hutch command; a hang fails the test instead
	// of the whole suite. The machine is small and often loaded.
	defaultTimeout = 60 * time.Second
	// hostPath is the PATH hutch runs with: newuidmap lives in /usr/bin.
	hostPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

var fullIDRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// result is what one hutch command did.
type result = testutil.CLIResult

// hutchEnv is one test's private hutch installation: every directory hutch
// uses (--root, --runroot, HOME, XDG_*) lives under dir, a t.TempDir(), so
// tests run in parallel without seeing each other.
type hutchEnv struct {
	dir     string
	root    string
	runroot string
	env     []string
	// baseline is storage as it was right after the fixture was loaded;
	// the cleanup checks that nothing was added to it.
	baseline *storageState
	// ns is the test's own network namespace (root); hutch runs in it.
	ns *netNS
}

// newEnv prepares an empty installation and registers its cleanup, which
// removes every container and then checks that nothing leaked (see leaks).
func newEnv(t *testing.T) *hutchEnv {
	t.Helper()
	return newEnvNet(t, true)
}

// newEnvNet is newEnv; without privateNet, root hutch runs in the lane's
// network namespace (to reach servers on its loopback) and its containers
// must not use bridge networks (see regEnv).
func newEnvNet(t *testing.T, privateNet bool) *hutchEnv {
	t.Helper()
	dir := t.TempDir()
	h := &hutchEnv{dir: dir, root: filepath.Join(dir, "root"), runroot: filepath.Join(dir, "run")}
	if privateNet && !rootless() {
		// Root hutch puts its bridge, addresses and firewall table in the
		// namespace it runs in: each test gets its own, inside the lane's
		// (made first, so that it is removed after the test's cleanup).
		h.ns = newNetNS(t, "hutch")
	}
	sub := map[string]string{"HOME": "home", "XDG_RUNTIME_DIR": "xdg-run", "XDG_DATA_HOME": "xdg-data",
		"XDG_CONFIG_HOME": "xdg-config", "TMPDIR": "tmp"}
	h.env = []string{"PATH=" + hostPath, "LANG=C.UTF-8"}
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
	h.load(t)
	return h
}

// load loads the busybox docker-archive and records storage's baseline.
func (h *hutchEnv) load(t *testing.T) {
	t.Helper()
	h.ok(t, "load", "-i", dockerArchive(t))
	st, err := readStorage(h.root)
	if err != nil {
		t.Fatalf("read storage after load: %v", err)
	}
	h.baseline = st
}

// runOpts are the less common settings of a command.
type runOpts struct {
	Stdin   string
	Timeout time.Duration
	// Env is added to the environment (KEY=VALUE).
	Env []string
}

// command returns an unstarted hutch command with the global flags set.
func (h *hutchEnv) command(ctx context.Context, args ...string) *exec.Cmd {
	full := append([]string{"--root", h.root, "--runroot", h.runroot}, args...)
	c := exec.CommandContext(ctx, os.Getenv(binaryEnv), full...)
	c.Env = append([]string(nil), h.env...)
	c.Dir = h.dir
	if h.ns != nil {
		prefix := h.ns.enterArgs()
		c.Args = append(prefix, c.Args...)
		c.Path = "/usr/bin/nsenter"
	}
	// A detached child (the monitor) that kept hutch's stdout open would make
	// `id=$(hutch run -d ...)` hang in a shell: Wait gives up after this delay
	// and the result reports it.
	c.WaitDelay = 5 * time.Second
	return c
}

// runWith runs hutch and returns what it did. It never fails the test by
// itself, except for a timeout or a stdio pipe left open by a child.
func (h *hutchEnv) runWith(t testing.TB, o runOpts, args ...string) result {
	t.Helper()
	return execute(t, o, args, h.command)
}

// execute runs the command that build makes for args, with o's timeout,
// environment and stdin, and returns what it did.
func execute(t testing.TB, o runOpts, args []string, build func(context.Context, ...string) *exec.Cmd) result {
	t.Helper()
	if o.Timeout == 0 {
		o.Timeout = defaultTimeout
	}
	return testutil.RunCLI(t, o.Timeout, args, func(ctx context.Context) *exec.Cmd {
		c := build(ctx, args...)
		c.Env = append(c.Env, o.Env...)
		c.Stdin = strings.NewReader(o.Stdin)
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

// runDetached starts `hutch run -d ARGS` and returns the container's ID.
func (h *hutchEnv) runDetached(t testing.TB, args ...string) string {
	t.Helper()
	id := h.ok(t, append([]string{"run", "-d"}, args...)...)
	if !fullIDRE.MatchString(id) {
		t.Fatalf("run -d printed %q, want a 64-hex container ID", id)
	}
	return id
}

// inspect returns `hutch inspect --format TMPL REF`.
func (h *hutchEnv) inspect(t testing.TB, ref, tmpl string) string {
	t.Helper()
	return h.ok(t, "inspect", "--format", tmpl, ref)
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

// eventually polls cond every 100 ms until it holds or timeout passes;
// what describes what was awaited.
func eventually(t testing.TB, timeout time.Duration, cond func() bool, what func() string) {
	t.Helper()
	testutil.Eventually(t, timeout, 100*time.Millisecond, cond, what)
}

// wantCode fails the test unless r exited with code.
func wantCode(t testing.TB, r result, code int) {
	t.Helper()
	testutil.WantCode(t, r, code)
}

// wantUserError checks hutch's error contract (DESIGN.md §5): exit code,
// exactly one line on stderr, containing each of substrs.
func wantUserError(t testing.TB, r result, code int, substrs ...string) {
	t.Helper()
	wantCode(t, r, code)
	msg := strings.TrimRight(r.Stderr, "\n")
	if msg == "" || strings.Contains(msg, "\n") {
		t.Errorf("want exactly one line on stderr, got %q", r.Stderr)
	}
	for _, s := range substrs {
		if !strings.Contains(msg, s) {
			t.Errorf("stderr %q does not mention %q", msg, s)
		}
	}
}

// wantUserErrorAny is wantUserError where stderr must mention at least one
// of alts (a container's name or its short ID, say).
func wantUserErrorAny(t testing.TB, r result, code int, alts ...string) {
	t.Helper()
	wantUserError(t, r, code)
	for _, a := range alts {
		if strings.Contains(r.Stderr, a) {
			return
		}
	}
	t.Errorf("stderr %q mentions none of %q", r.Stderr, alts)
}

// procAlive reports whether pid exists and is not a zombie.
func procAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	i := bytes.LastIndexByte(data, ')')
	return i > 0 && i+2 < len(data) && data[i+2] != 'Z' && data[i+2] != 'X'
}

// hostNS returns the test process's namespace link for kind ("pid", "net", ...).
func hostNS(t testing.TB, kind string) string {
	t.Helper()
	link, err := os.Readlink("/proc/self/ns/" + kind)
	if err != nil {
		t.Fatal(err)
	}
	return link
}

// rootless reports whether the suite runs in the rootless lane.
func rootless() bool { return os.Getuid() != 0 }

// sortedFields splits s on white space and sorts the fields; nil if none.
func sortedFields(s string) []string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return nil
	}
	sort.Strings(f)
	return f
}
