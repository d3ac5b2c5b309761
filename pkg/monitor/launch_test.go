package monitor

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gofrs/flock"
	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/ns"
	"github.com/hutchctr/hutch/pkg/state"
)

func syscallKill(pid int) { syscall.Kill(pid, syscall.SIGKILL) }

// runAttached is a foreground `run`: Launch with the first client, then
// Attach until exit.
func runAttached(t *testing.T, f *fixture, in string, stdin bool) (code int, stdout, stderr string) {
	t.Helper()
	forMonitor, conn, err := SocketPair()
	if err != nil {
		t.Fatal(err)
	}
	f.launch(forMonitor)
	forMonitor.Close()
	var o, e bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code, err = Attach(ctx, conn, Streams{In: strings.NewReader(in), Out: &o, Err: &e}, stdin)
	if err != nil {
		t.Fatalf("Attach: %v", err)
	}
	return code, o.String(), e.String()
}

func TestRunRecordsExit(t *testing.T) {
	tests := []struct {
		name       string
		script     string
		wantCode   int
		wantSignal int
		wantOut    string
		wantErr    string
	}{
		{"exit 0", "echo hello", 0, 0, "hello\n", ""},
		{"exit code and both streams", "echo out; echo err >&2; printf partial; exit 3", 3, 0, "out\npartial", "err\n"},
		{"killed by signal", "echo before; kill -TERM $$", 143, 15, "before\n", ""},
		{"killed by SIGKILL", "kill -KILL $$", 137, 9, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, sh(tt.script))
			code, out, errOut := runAttached(t, f, "", false)
			if code != tt.wantCode || out != tt.wantOut || errOut != tt.wantErr {
				t.Errorf("attach: got (%d, %q, %q), want (%d, %q, %q)", code, out, errOut, tt.wantCode, tt.wantOut, tt.wantErr)
			}
			f.waitExited()
			st := f.state()
			got := []any{st.Status, st.ExitCode, st.ExitSignal, st.Pid, st.MonitorPid, st.Error, st.FinishedAt.IsZero(), st.StartedAt.IsZero()}
			want := []any{state.Exited, tt.wantCode, tt.wantSignal, 0, 0, "", false, false}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("state (-got +want):\n%s", diff)
			}
			logOut, logErr := f.logs()
			if logOut != tt.wantOut || logErr != tt.wantErr {
				t.Errorf("log: got (%q, %q), want (%q, %q)", logOut, logErr, tt.wantOut, tt.wantErr)
			}
			if _, err := os.Stat(f.socket()); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("attach socket left behind: %v", err)
			}
		})
	}
}

func TestLaunchExecErrors(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "script")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		args      []string
		wantErrno syscall.Errno
		wantCode  int
	}{
		{"absolute path missing", []string{"/nonexistent/cmd"}, syscall.ENOENT, 127},
		{"not in PATH", []string{"no-such-command-hutch"}, syscall.ENOENT, 127},
		{"not executable", []string{notExec}, syscall.EACCES, 126},
		{"directory", []string{dir}, syscall.EACCES, 126},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, specs.Process{Args: tt.args})
			marker := filepath.Join(f.dir, "cleaned")
			f.cfg.CleanupArgs = []string{"/bin/sh", "-c", "touch " + marker}
			_, err := Launch(context.Background(), f.cfg, nil)
			var ee *ns.ExecError
			if !errors.As(err, &ee) {
				t.Fatalf("got error %v, want an *ns.ExecError\nmonitor.log:\n%s", err, f.monitorLog())
			}
			if ee.Errno != tt.wantErrno || ee.Path != tt.args[0] {
				t.Errorf("got ExecError{%q, %v}, want {%q, %v}", ee.Path, ee.Errno, tt.args[0], tt.wantErrno)
			}
			if !errors.Is(err, tt.wantErrno) || !strings.Contains(err.Error(), tt.args[0]) {
				t.Errorf("error %q: want it to name %q and wrap %v", err, tt.args[0], tt.wantErrno)
			}
			st := f.state()
			if st.Status != state.Exited || st.ExitCode != tt.wantCode || st.Error != err.Error() {
				t.Errorf("state: got (%s, %d, %q), want (exited, %d, %q)", st.Status, st.ExitCode, st.Error, tt.wantCode, err.Error())
			}
			if _, serr := os.Stat(marker); serr != nil {
				t.Errorf("cleanup did not run before Launch returned: %v", serr)
			}
			if f.alive() {
				t.Error("monitor still holds its lock after Launch returned the error")
			}
		})
	}
}

func TestLaunchStartError(t *testing.T) {
	f := newFixture(t, specs.Process{Args: []string{fakeFailStart}})
	marker := filepath.Join(f.dir, "cleaned")
	f.cfg.CleanupArgs = []string{"/bin/sh", "-c", "touch " + marker}
	_, err := Launch(context.Background(), f.cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "mount /etc/hosts") {
		t.Fatalf("got %v, want the runtime's error", err)
	}
	st := f.state()
	if st.Status != state.Created || !strings.Contains(st.Error, "mount /etc/hosts") {
		t.Errorf("state: got (%s, %q), want created with the error", st.Status, st.Error)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("cleanup did not run: %v", err)
	}
}

func TestLaunchConflict(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, f *fixture)
	}{
		{"monitor lock held", func(t *testing.T, f *fixture) {
			l := flock.New(f.store.MonitorLockPath(f.id))
			if ok, err := l.TryLock(); !ok || err != nil {
				t.Fatal(ok, err)
			}
			t.Cleanup(func() { l.Unlock() })
		}},
		{"state removing", func(t *testing.T, f *fixture) {
			h, err := f.store.Lock(f.id)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Unlock()
			if err := h.Update(func(s *state.State) error { s.Status = state.Removing; return nil }); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, sh("echo should not run"))
			marker := filepath.Join(f.dir, "cleaned")
			f.cfg.CleanupArgs = []string{"/bin/sh", "-c", "touch " + marker}
			tt.prepare(t, f)
			_, err := Launch(context.Background(), f.cfg, nil)
			if !errors.Is(err, errdefs.ErrConflict) {
				t.Errorf("got %v, want ErrConflict", err)
			}
			if out, _ := f.logs(); out != "" {
				t.Errorf("container ran: %q", out)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Error("cleanup ran for a container the monitor did not start")
			}
		})
	}
}

func TestLaunchContextCancel(t *testing.T) {
	f := newFixture(t, specs.Process{Args: []string{fakeHangStart}})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Launch(ctx, f.cfg, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Launch took %v after its context ended", d)
	}
	if f.alive() {
		t.Error("monitor still alive")
	}
}

func TestLaunchBadConfig(t *testing.T) {
	_, err := Launch(context.Background(), Config{ID: "x"}, nil)
	if !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("got %v, want ErrInvalidArgument", err)
	}
}

func TestMonitorLockAndStdin(t *testing.T) {
	f := newFixture(t, sh("cat; echo done"))
	f.cfg.Stdin = true
	st := f.launch(nil)
	if !f.alive() {
		t.Error("monitor lock not held while the container runs")
	}
	s := f.state()
	if s.Status != state.Running || s.Pid != st.Pid || s.MonitorPid != st.MonitorPid || s.PidStart == 0 {
		t.Errorf("state %+v, want running with pid %d, monitor %d and a pid start time", s, st.Pid, st.MonitorPid)
	}
	if want, _ := pidStart(st.Pid); s.PidStart != want {
		t.Errorf("PidStart %d, want %d", s.PidStart, want)
	}
	conn, err := Dial(f.socket())
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code, err := Attach(context.Background(), conn, Streams{In: strings.NewReader("hello\nworld\n"), Out: &out}, true)
	if err != nil || code != 0 || out.String() != "hello\nworld\ndone\n" {
		t.Errorf("Attach: got (%d, %q, %v), want (0, %q, nil)", code, out.String(), err, "hello\nworld\ndone\n")
	}
	f.waitExited()
}

func TestStdinNotForwardedWithoutFlag(t *testing.T) {
	f := newFixture(t, sh("cat; echo eof"))
	code, out, _ := runAttached(t, f, "ignored\n", true)
	if code != 0 || out != "eof\n" {
		t.Errorf("got (%d, %q), want (0, %q): stdin must be /dev/null without -i", code, out, "eof\n")
	}
}

func TestCleanupRunsAfterExitRecorded(t *testing.T) {
	f := newFixture(t, sh("exit 7"))
	marker := filepath.Join(f.dir, "state-seen-by-cleanup")
	env := filepath.Join(f.dir, "env-of-cleanup")
	statePath := filepath.Join(f.store.Dir(f.id), "state.json")
	f.cfg.CleanupArgs = []string{"/bin/sh", "-c", "sleep 0.3; env > " + env + "; cat " + statePath + " > " + marker + "; echo cleanup-said-this >&2"}
	code, _, _ := runAttached(t, f, "", false)
	if code != 7 {
		t.Errorf("exit code %d, want 7", code)
	}
	// Attach returned: cleanup must be over already.
	data, err := os.ReadFile(marker)
	if err != nil {
		t.Fatalf("cleanup had not run when the exit code arrived: %v", err)
	}
	if s := string(data); !strings.Contains(s, `"status":"exited"`) || !strings.Contains(s, `"exitCode":7`) {
		t.Errorf("cleanup saw state %s, want exited with code 7", s)
	}
	envData, _ := os.ReadFile(env)
	if strings.Contains(string(envData), "_HUTCH_ROLE=") || strings.Contains(string(envData), configEnv+"=") {
		t.Errorf("cleanup inherited the monitor's role variables:\n%s", envData)
	}
	f.waitExited()
	if log := f.monitorLog(); !strings.Contains(log, "cleanup-said-this") || !strings.Contains(log, "[hutch:monitor]") {
		t.Errorf("monitor.log lacks the cleanup's output:\n%s", log)
	}
}

func TestCleanupFailureIsLogged(t *testing.T) {
	// A failing cleanup is logged and does not keep the exit code from
	// clients.
	f := newFixture(t, sh("exit 0"))
	f.cfg.CleanupArgs = []string{"/bin/sh", "-c", "echo cannot unmount >&2; exit 1"}
	if code, _, _ := runAttached(t, f, "", false); code != 0 {
		t.Errorf("code %d, want 0", code)
	}
	f.waitExited()
	if log := f.monitorLog(); !strings.Contains(log, "cannot unmount") || !strings.Contains(log, "level=ERROR") {
		t.Errorf("monitor.log lacks the failed cleanup:\n%s", log)
	}
}
