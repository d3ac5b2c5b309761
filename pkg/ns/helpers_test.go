package ns

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/internal/testutil"
)

// testCaps is Podman's default capability set, which pkg/spec uses.
func testCaps() []string {
	return []string{
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
		"CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
		"CAP_SETUID", "CAP_SYS_CHROOT",
	}
}

// makeRootfs builds a tiny busybox root filesystem in a temp dir.
func makeRootfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"bin", "etc", "dev", "proc", "sys", "tmp", "root", "home/tester"} {
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
	for _, a := range []string{"sh", "cat", "echo", "id", "ls", "sleep", "ps", "hostname", "mount",
		"grep", "wc", "touch", "stat", "tty", "stty", "true", "pwd", "kill", "readlink"} {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", a)); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"etc/passwd":  "root:x:0:0:root:/root:/bin/sh\ntester:x:1000:1000::/home/tester:/bin/sh\n",
		"etc/group":   "root:x:0:\ntty:x:5:\nwheel:x:10:\ntesters:x:1000:\n",
		"etc/notexec": "plain file\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// newSpec is a spec like pkg/spec's default for a busybox rootfs.
func newSpec(rootfs string, args ...string) *specs.Spec {
	caps := testCaps()
	return &specs.Spec{
		Root:     &specs.Root{Path: rootfs},
		Hostname: "ctr-test",
		Process: &specs.Process{
			Args: args,
			Env:  []string{"PATH=/bin", "TERM=xterm"},
			Cwd:  "/",
			Capabilities: &specs.LinuxCapabilities{
				Bounding: caps, Effective: caps, Permitted: caps,
			},
			Rlimits: []specs.POSIXRlimit{
				{Type: "RLIMIT_NOFILE", Hard: 1048576, Soft: 1048576},
				{Type: "RLIMIT_NPROC", Hard: 4194304, Soft: 4194304},
			},
			NoNewPrivileges: true,
		},
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=64000k"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		},
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace},
				{Type: specs.MountNamespace}, {Type: specs.NetworkNamespace},
			},
			MaskedPaths: []string{
				"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
				"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
				"/sys/firmware", "/sys/devices/virtual/powercap",
			},
			ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		},
	}
}

// startContainer starts spec with stdout and stderr on one pipe and kills
// the container at the end of the test.
func startContainer(t *testing.T, spec *specs.Spec) (*Init, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	init, err := Start(Config{Spec: spec, Stdout: w, Stderr: w})
	w.Close()
	if err != nil {
		r.Close()
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(init.Pid, syscall.SIGKILL)
		_, _ = init.Wait()
		r.Close()
		if init.Console != nil {
			init.Console.Close()
		}
	})
	return init, r
}

// runContainer runs spec to completion and returns its output and status.
func runContainer(t *testing.T, spec *specs.Spec) (string, syscall.WaitStatus) {
	t.Helper()
	init, r := startContainer(t, spec)
	if err := init.Exec(); err != nil {
		t.Fatalf("Exec: %v", err)
	}
	out := readAll(t, r)
	ws, err := init.Wait()
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return out, ws
}

// readAll reads r to EOF (or EIO, how a pty master reports that the slave
// side is gone), giving up after 20 s.
func readAll(t *testing.T, r *os.File) string {
	t.Helper()
	_ = r.SetReadDeadline(time.Now().Add(20 * time.Second))
	b, err := io.ReadAll(r)
	if err != nil && !isEIO(err) {
		t.Fatalf("read output: %v (so far %q)", err, b)
	}
	return string(b)
}

func isEIO(err error) bool { return errors.Is(err, syscall.EIO) }

// readUntil reads from r until the output contains want.
func readUntil(t *testing.T, r *os.File, want string) string {
	t.Helper()
	_ = r.SetReadDeadline(time.Now().Add(20 * time.Second))
	var got []byte
	buf := make([]byte, 4096)
	for !strings.Contains(string(got), want) {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("waiting for %q: %v (got %q)", want, err, got)
		}
	}
	return string(got)
}
