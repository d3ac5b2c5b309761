package slirp

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWaitReady drives waitReady with stand-ins for the holder.
func TestWaitReady(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		timeout time.Duration
		wantErr string // regexp; "" means ready
	}{
		{name: "ready", script: "touch $DIR/child_pid $DIR/api.sock $DIR/ready; sleep 5", timeout: 5 * time.Second},
		{name: "dies", script: "echo 'newuidmap: boom' >&2; exit 3", timeout: 5 * time.Second,
			wantErr: `^namespace holder exited during start-up \(exit status 3\); .*holder.log says: newuidmap: boom$`},
		{name: "hangs", script: "touch $DIR/child_pid $DIR/api.sock; sleep 5", timeout: 200 * time.Millisecond,
			wantErr: `^namespace holder not ready: context deadline exceeded; .*holder.log says: $`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			logPath := filepath.Join(dir, logName)
			logf, err := os.Create(logPath)
			must(t, err)
			defer logf.Close()
			cmd := exec.Command("/bin/sh", "-c", tt.script)
			cmd.Env = []string{"DIR=" + dir, "PATH=/usr/bin:/bin"}
			cmd.Stderr = logf
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			must(t, cmd.Start())
			t.Cleanup(func() {
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				_, _ = syscall.Wait4(cmd.Process.Pid, nil, 0, nil)
			})
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			err = waitReady(ctx, cmd.Process.Pid, dir, logPath)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want ready", err)
				}
				return
			}
			if err == nil || !regexp.MustCompile(tt.wantErr).MatchString(err.Error()) {
				t.Errorf("got error %v, want match of %q", err, tt.wantErr)
			}
		})
	}
}

// TestNoSubordinateRange runs a command as a uid without /etc/subuid
// entry: it must fail with the message that names the file and the fix,
// before any holder is started.
func TestNoSubordinateRange(t *testing.T) {
	e := newTestEnv(t)
	e.uid, e.gid = 54321, 54321 // no passwd entry, no subordinate range
	must(t, os.Chown(e.home, 54321, 54321))
	must(t, os.Chown(filepath.Join(e.home, "run"), 54321, 54321))
	must(t, os.Chmod(e.work, 0o755))
	_, err := e.tryRun("v1")
	want := `no subordinate uid range for user "54321" in /etc/subuid: ask an administrator to run ` +
		`"usermod --add-subuids 100000-165535 --add-subgids 100000-165535 54321"`
	if err == nil || !strings.Contains(err.Error(), "exit status 125: "+want+"\n") {
		t.Errorf("got %v, want exit 125 and %q", err, want)
	}
	if _, err := os.Stat(e.runDir); err == nil {
		t.Errorf("run directory %s exists, want nothing created", e.runDir)
	}
}
