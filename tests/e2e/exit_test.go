//go:build e2e

package e2e

import (
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hutchctr/hutch/internal/testutil"
)

// TestRunExitCodes is the exit-code contract of a foreground `run`
// (Podman's run_exit_test.go, DESIGN.md §5).
func TestRunExitCodes(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		// wantErr is text stderr must contain; stderr must then be one line
		// (flag errors may add a usage hint, so they set oneLine false).
		wantErr string
		oneLine bool
	}{
		{name: "true", args: []string{"run", "--rm", imageName, "true"}, wantCode: 0},
		{name: "echo", args: []string{"run", "--rm", imageName, "echo", "hello"}, wantCode: 0, wantStdout: "hello\n"},
		{name: "exit 42", args: []string{"run", "--rm", imageName, "sh", "-c", "exit 42"}, wantCode: 42},
		{name: "unknown image", args: []string{"run", "--rm", "no-such-image", "true"}, wantCode: 125, wantErr: "no-such-image", oneLine: true},
		{name: "command not found", args: []string{"run", "--rm", imageName, "/nonexistent"}, wantCode: 127, wantErr: "/nonexistent", oneLine: true},
		{name: "command not in PATH", args: []string{"run", "--rm", imageName, "no-such-command"}, wantCode: 127, wantErr: "no-such-command", oneLine: true},
		{name: "directory /etc", args: []string{"run", "--rm", imageName, "/etc"}, wantCode: 126, wantErr: "/etc", oneLine: true},
		{name: "directory /", args: []string{"run", "--rm", imageName, "/"}, wantCode: 126, oneLine: true},
		{name: "not executable", args: []string{"run", "--rm", imageName, "/etc/passwd"}, wantCode: 126, wantErr: "/etc/passwd", oneLine: true},
		// The container's sh is pid 1 of its namespace, which the kernel
		// shields from signals it has no handler for, even SIGKILL sent from
		// inside: `kill -9 $$` does nothing and sh exits 0 (as in Podman).
		{name: "pid 1 ignores its own SIGKILL", args: []string{"run", "--rm", imageName, "sh", "-c", "kill -9 $$; echo survived"}, wantCode: 0, wantStdout: "survived\n"},
		{name: "bad flag", args: []string{"run", "--no-such-flag", imageName, "true"}, wantCode: 125, wantErr: "no-such-flag"},
		{name: "unknown verb", args: []string{"no-such-verb"}, wantCode: 125, wantErr: "no-such-verb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := h.run(t, tt.args...)
			if tt.oneLine {
				wantUserError(t, r, tt.wantCode, tt.wantErr)
			} else {
				wantCode(t, r, tt.wantCode)
				if !strings.Contains(r.Stderr, tt.wantErr) {
					t.Errorf("stderr %q does not mention %q", r.Stderr, tt.wantErr)
				}
			}
			if tt.wantCode < 125 && r.Stdout != tt.wantStdout {
				t.Errorf("got stdout %q, want %q", r.Stdout, tt.wantStdout)
			}
		})
	}
}

// TestRunExitCodeSignal: a foreground run whose container is killed by
// signal N exits 128+N; here SIGKILL from `hutch kill` gives 137.
func TestRunExitCodeSignal(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	c := h.command(t.Context(), "run", "--name", "victim", imageName, "sleep", "100")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	h.waitStatus(t, "victim", "running", 30*time.Second)
	h.ok(t, "kill", "-s", "KILL", "victim")
	err := c.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("run returned %v, want an exit status", err)
	}
	if got := testutil.ExitCode(c.ProcessState); got != 137 {
		t.Errorf("run exited %d, want 137 (128+SIGKILL)", got)
	}
	if got := h.inspect(t, "victim", "{{.State.ExitCode}}"); got != "137" {
		t.Errorf("inspect ExitCode = %s, want 137", got)
	}
	ws := c.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		t.Errorf("hutch itself died of %v; it must exit with the container's code", ws.Signal())
	}
}
