package ns

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	for name, mode := range map[string]os.FileMode{"a/run": 0o755, "b/run": 0o755, "a/plain": 0o644, "b/plain": 0o644} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "a/subdir"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := "PATH=" + filepath.Join(dir, "a") + ":" + filepath.Join(dir, "b")
	tests := []struct {
		name    string
		env     []string
		want    string
		wantErr error
	}{
		{name: "run", env: []string{path}, want: filepath.Join(dir, "a/run")},
		{name: "plain", env: []string{path}, wantErr: syscall.EACCES},
		{name: "subdir", env: []string{path}, wantErr: syscall.EACCES},
		{name: "missing", env: []string{path}, wantErr: syscall.ENOENT},
		{name: "/abs/anything", env: []string{path}, want: "/abs/anything"},
		{name: "sh", env: []string{"PATH=/bin", "PATH=" + dir + "/nonexistent"}, want: "/bin/sh"},
		{name: "sh", env: nil, want: "/usr/bin/sh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lookPath(tt.name, tt.env)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("lookPath error %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("lookPath = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSyncMessages(t *testing.T) {
	pipes, err := newChildPipes()
	if err != nil {
		t.Fatal(err)
	}
	defer pipes.release()
	child := &syncConn{fd: int(pipes.childSync.Fd())}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()

	if err := child.send(syncMsg{Type: msgConsole}, int(w.Fd())); err != nil {
		t.Fatal(err)
	}
	m, fds, err := pipes.sync.recv()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := []any{m.Type, len(fds)}, []any{msgConsole, 1}; !cmp.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	f, err := consoleFile(fds)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("x")); err != nil {
		t.Errorf("passed descriptor is not the pipe: %v", err)
	}
	f.Close()

	child.sendError(stepf(unix.ENOENT, "mount %s", "/etc/hosts"))
	want := &InitError{Op: "mount /etc/hosts", Errno: unix.ENOENT, Text: "no such file or directory"}
	if diff := cmp.Diff(pipes.sync.expect(msgReady), error(want)); diff != "" {
		t.Errorf("expect (-got +want):\n%s", diff)
	}

	if err := child.send(syncMsg{Type: msgExecFailed, Path: "x", Errno: unix.EACCES}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pipes.sync.awaitExec(), error(&ExecError{Path: "x", Errno: unix.EACCES})); diff != "" {
		t.Errorf("awaitExec (-got +want):\n%s", diff)
	}
	pipes.closeChildEnds()
	if err := pipes.sync.awaitExec(); err != nil {
		t.Errorf("awaitExec after EOF = %v, want nil (execve succeeded)", err)
	}
}

func TestErrorsUnwrap(t *testing.T) {
	tests := []struct {
		err    error
		target error
		want   bool
	}{
		{err: &ExecError{Path: "x", Errno: unix.ENOENT}, target: unix.ENOENT, want: true},
		{err: &InitError{Op: "mount /x", Errno: unix.EPERM, Text: "operation not permitted"}, target: unix.EPERM, want: true},
		{err: &InitError{Op: "bootstrap", Text: "bad"}, target: unix.EPERM, want: false},
	}
	for _, tt := range tests {
		if got := errors.Is(tt.err, tt.target); got != tt.want {
			t.Errorf("errors.Is(%v, %v) = %v, want %v", tt.err, tt.target, got, tt.want)
		}
	}
}

func TestValidateSpec(t *testing.T) {
	valid := func() *specs.Spec { return newSpec("/rootfs", "true") }
	tests := []struct {
		name   string
		modify func(*specs.Spec)
		want   error
	}{
		{name: "valid", modify: func(*specs.Spec) {}},
		{name: "relative root", modify: func(s *specs.Spec) { s.Root.Path = "rootfs" }, want: errdefs.ErrInvalidArgument},
		{name: "no process", modify: func(s *specs.Spec) { s.Process = nil }, want: errdefs.ErrInvalidArgument},
		{name: "no args", modify: func(s *specs.Spec) { s.Process.Args = nil }, want: errdefs.ErrInvalidArgument},
		{name: "relative cwd", modify: func(s *specs.Spec) { s.Process.Cwd = "app" }, want: errdefs.ErrInvalidArgument},
		{name: "unknown capability", modify: func(s *specs.Spec) { s.Process.Capabilities.Ambient = []string{"CAP_FLY"} }, want: errdefs.ErrInvalidArgument},
		{name: "unknown rlimit", modify: func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_FUN", Hard: 1, Soft: 1}}
		}, want: errdefs.ErrInvalidArgument},
		{name: "soft above hard", modify: func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1, Soft: 2}}
		}, want: errdefs.ErrInvalidArgument},
		{name: "no mount namespace", modify: func(s *specs.Spec) { s.Linux.Namespaces = s.Linux.Namespaces[:3] }, want: errdefs.ErrInvalidArgument},
		{name: "hostname without uts", modify: func(s *specs.Spec) {
			s.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.MountNamespace}}
		}, want: errdefs.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := valid()
			tt.modify(s)
			if err := validateSpec(s); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("validateSpec = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNamespaceSetup(t *testing.T) {
	tests := []struct {
		name string
		list []specs.LinuxNamespace
		want uintptr
		err  error
	}{
		{name: "all new", list: newSpec("/r").Linux.Namespaces,
			want: unix.CLONE_NEWPID | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS | unix.CLONE_NEWNS | unix.CLONE_NEWNET},
		{name: "user", list: []specs.LinuxNamespace{{Type: specs.UserNamespace}}, err: errdefs.ErrNotImplemented},
		{name: "join mount by path", list: []specs.LinuxNamespace{{Type: specs.MountNamespace, Path: "/proc/1/ns/mnt"}}, err: errdefs.ErrNotImplemented},
		{name: "time", list: []specs.LinuxNamespace{{Type: specs.TimeNamespace}}, err: errdefs.ErrNotImplemented},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, joins, err := namespaceSetup(tt.list)
			closeNamespaces(joins)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("namespaceSetup error %v, want %v", err, tt.err)
			}
			if got != tt.want {
				t.Errorf("flags %#x, want %#x", got, tt.want)
			}
		})
	}
}
