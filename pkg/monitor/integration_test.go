package monitor

import (
	"context"
	"errors"

	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/ns"
	"github.com/hutchctr/hutch/pkg/state"
)

// unsharedEnv marks the re-run of TestRealRuntime inside private mount and
// network namespaces, where containers may be started as root without any
// mount reaching the host.
const unsharedEnv = "_HUTCH_MONITOR_TEST_UNSHARED"

// TestRealRuntime runs busybox containers through the monitor with the
// real runtime (pkg/ns), as root.
func TestRealRuntime(t *testing.T) {
	testutil.Requires(t, testutil.Root(), testutil.Busybox(), testutil.Requirement{Name: "unshare (util-linux)", Check: func() error {
		_, err := exec.LookPath("unshare")
		return err
	}})
	if os.Getenv(unsharedEnv) == "" {
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("unshare", "--mount", "--propagation", "private", "--net", "--",
			self, "-test.run", "^TestRealRuntime$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), unsharedEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("in private namespaces: %v\n%s", err, out)
		}
		t.Logf("in private namespaces:\n%s", out)
		return
	}
	rootfs := busyboxRootfs(t)
	t.Run("output, exit code and state", func(t *testing.T) {
		f := realFixture(t, rootfs, "echo hello; echo oops >&2; hostname; echo pid $$; exit 5")
		code, out, errOut := runAttached(t, f, "", false)
		if code != 5 || out != "hello\nctr-test\npid 1\n" || errOut != "oops\n" {
			t.Errorf("got (%d, %q, %q), want (5, %q, %q)", code, out, errOut, "hello\nctr-test\npid 1\n", "oops\n")
		}
		f.waitExited()
		if st := f.state(); st.Status != state.Exited || st.ExitCode != 5 {
			t.Errorf("state %s %d, want exited 5", st.Status, st.ExitCode)
		}
		if o, e := f.logs(); o != out || e != errOut {
			t.Errorf("log (%q, %q), want (%q, %q)", o, e, out, errOut)
		}
	})
	t.Run("stdin", func(t *testing.T) {
		f := realFixture(t, rootfs, "cat")
		f.cfg.Stdin = true
		if code, out, _ := runAttached(t, f, "piped in\n", true); code != 0 || out != "piped in\n" {
			t.Errorf("got (%d, %q), want (0, %q)", code, out, "piped in\n")
		}
	})
	t.Run("terminal", func(t *testing.T) {
		f := realFixture(t, rootfs, "tty; stty size")
		f.cfg.Rows, f.cfg.Cols = 30, 90
		setTerminal(t, f)
		code, out, _ := runAttached(t, f, "", false)
		out = strings.ReplaceAll(out, "\r", "")
		if code != 0 || !strings.Contains(out, "/dev/") || !strings.HasSuffix(out, "30 90\n") {
			t.Errorf("got (%d, %q), want a tty name and 30 90", code, out)
		}
	})
	t.Run("killed", func(t *testing.T) {
		f := realFixture(t, rootfs, "echo up; sleep 100")
		st := f.launch(nil)
		conn, err := Dial(f.socket())
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, func() bool { o, _ := f.logs(); return o == "up\n" })
		syscall.Kill(st.Pid, syscall.SIGKILL)
		code, err := Attach(context.Background(), conn, Streams{Out: io.Discard}, false)
		if err != nil || code != 137 {
			t.Errorf("got (%d, %v), want 137", code, err)
		}
		f.waitExited()
		if s := f.state(); s.ExitCode != 137 || s.ExitSignal != 9 {
			t.Errorf("state code %d signal %d, want 137 and 9", s.ExitCode, s.ExitSignal)
		}
	})
	t.Run("command not found", func(t *testing.T) {
		f := realFixture(t, rootfs, "")
		setArgs(t, f, "/no/such/thing")
		_, err := Launch(context.Background(), f.cfg, nil)
		var ee *ns.ExecError
		if !errors.As(err, &ee) || ee.Errno != syscall.ENOENT {
			t.Fatalf("got %v, want an ExecError with ENOENT\n%s", err, f.monitorLog())
		}
		if st := f.state(); st.Status != state.Exited || st.ExitCode != 127 {
			t.Errorf("state %s %d, want exited 127", st.Status, st.ExitCode)
		}
	})
}

// realFixture is a fixture for the real runtime running script in rootfs.
func realFixture(t *testing.T, rootfs, script string) *fixture {
	t.Helper()
	f := newFixture(t, sh(script))
	f.cfg.env = nil
	spec := busyboxSpec(rootfs, "/bin/sh", "-c", script)
	writeJSONFile(t, f.cfg.SpecPath, spec)
	return f
}

func setTerminal(t *testing.T, f *fixture) {
	spec, err := loadSpec(f.cfg.SpecPath)
	if err != nil {
		t.Fatal(err)
	}
	spec.Process.Terminal = true
	writeJSONFile(t, f.cfg.SpecPath, spec)
}

func setArgs(t *testing.T, f *fixture, args ...string) {
	spec, err := loadSpec(f.cfg.SpecPath)
	if err != nil {
		t.Fatal(err)
	}
	spec.Process.Args = args
	writeJSONFile(t, f.cfg.SpecPath, spec)
}

// busyboxRootfs builds a root filesystem of busybox applets.
func busyboxRootfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"bin", "etc", "dev", "proc", "sys", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bb, err := os.ReadFile(testutil.BusyboxPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin/busybox"), bb, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"sh", "cat", "echo", "hostname", "sleep", "tty", "stty", "kill"} {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", a)); err != nil {
			t.Fatal(err)
		}
	}
	passwd := "root:x:0:0:root:/:/bin/sh\n"
	if err := os.WriteFile(filepath.Join(root, "etc/passwd"), []byte(passwd), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// busyboxSpec is a minimal spec in the shape pkg/spec produces.
func busyboxSpec(rootfs string, args ...string) *specs.Spec {
	caps := []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_KILL", "CAP_SETGID", "CAP_SETUID"}
	return &specs.Spec{
		Version:  specs.Version,
		Root:     &specs.Root{Path: rootfs},
		Hostname: "ctr-test",
		Process: &specs.Process{
			Args:            args,
			Env:             []string{"PATH=/bin", "TERM=xterm"},
			Cwd:             "/",
			Capabilities:    &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps},
			NoNewPrivileges: true,
		},
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		},
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace},
				{Type: specs.MountNamespace}, {Type: specs.NetworkNamespace},
			},
		},
	}
}
