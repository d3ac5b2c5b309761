package nsenter

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hutchctr/hutch/internal/testutil"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

func TestPrepare(t *testing.T) {
	existing, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer existing.Close()
	tests := []struct {
		name      string
		extra     []*os.File
		env       []string
		nss       []Namespace
		fork      bool
		cwd       string
		wantEnv   []string
		wantExtra int
	}{
		{
			name:      "after existing extra files",
			extra:     []*os.File{existing},
			env:       []string{"A=1", "_HUTCH_NSENTER=stale=9"},
			nss:       []Namespace{{Kind: User, File: existing}, {Kind: Mount, File: existing}},
			fork:      true,
			cwd:       "/work",
			wantEnv:   []string{"A=1", "_HUTCH_NSENTER=user=4,mnt=5", "_HUTCH_NSENTER_FORK=1", "_HUTCH_NSENTER_CWD=/work"},
			wantExtra: 3,
		},
		{
			name:    "cwd only",
			env:     []string{"A=1", "_HUTCH_NSENTER_CWD=/old"},
			cwd:     "/new",
			wantEnv: []string{"A=1", "_HUTCH_NSENTER_CWD=/new"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command("/bin/true")
			cmd.ExtraFiles, cmd.Env = tt.extra, tt.env
			Prepare(cmd, tt.nss, tt.fork, tt.cwd)
			if diff := cmp.Diff(cmd.Env, tt.wantEnv); diff != "" {
				t.Errorf("env (-got +want):\n%s", diff)
			}
			if got := len(cmd.ExtraFiles); got != tt.wantExtra {
				t.Errorf("got %d extra files, want %d", got, tt.wantExtra)
			}
		})
	}
}

func TestPrepareExecKeepsFDs(t *testing.T) {
	f, err := os.Open("/proc/self/ns/mnt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env, err := PrepareExec([]string{"A=1"}, []Namespace{{Kind: Mount, File: f}}, false, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"A=1", "_HUTCH_NSENTER=mnt=" + itoa(int(f.Fd()))}
	if diff := cmp.Diff(env, want); diff != "" {
		t.Errorf("env (-got +want):\n%s", diff)
	}
	flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := flags & unix.FD_CLOEXEC; got != 0 {
		t.Errorf("got FD_CLOEXEC set on %d, want cleared", f.Fd())
	}
}

// TestJoin joins namespaces that the test user created and checks, from
// inside, the ids, the namespaces, the cwd and that the variables are gone.
func TestJoin(t *testing.T) {
	u := requireRootAndTestUser(t)
	bin := testutil.PublicCopy(t, "nsenter.test")
	dir := filepath.Dir(bin)
	userMnt := startTarget(t, u, "--user", "--map-root-user", "--mount")
	withPid := startTarget(t, u, "--user", "--map-root-user", "--mount", "--pid", "--fork", "--mount-proc")
	tests := []struct {
		name   string
		as     *ids
		target int
		kinds  []string
		fork   bool
		check  func(t *testing.T, r report)
	}{
		{name: "user+mnt as the owner", as: &u, target: userMnt, kinds: []string{User, Mount}},
		{name: "user+mnt as host root", target: userMnt, kinds: []string{User, Mount}},
		{
			name: "user+mnt+pid with fork", as: &u, target: withPid, kinds: []string{User, Mount, PID}, fork: true,
			check: func(t *testing.T, r report) {
				if got, want := r.PidNS, nsLink(t, withPid, "pid"); got != want {
					t.Errorf("got pid namespace %s, want %s", got, want)
				}
				if r.Pid < 2 || r.Pid > 10 {
					t.Errorf("got pid %d, want a small pid inside the new pid namespace", r.Pid)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin)
			asUser(cmd, tt.as)
			cmd.Dir = "/" // so that ending up in dir proves the chdir
			cmd.Env = []string{roleEnv + "=report"}
			Prepare(cmd, openNS(t, tt.target, tt.kinds...), tt.fork, dir)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("joined process: %v: %s", err, stderr.String())
			}
			var r report
			if err := json.Unmarshal(out, &r); err != nil {
				t.Fatalf("parse %q: %v", out, err)
			}
			want := report{UID: 0, GID: 0, User: nsLink(t, tt.target, "user"), Mnt: nsLink(t, tt.target, "mnt"), Cwd: dir}
			got := report{UID: r.UID, GID: r.GID, User: r.User, Mnt: r.Mnt, Cwd: r.Cwd, LeftoverVars: r.LeftoverVars}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("joined process (-got +want):\n%s", diff)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

// TestForkStatus checks that the waiting parent exits like the child.
func TestForkStatus(t *testing.T) {
	u := requireRootAndTestUser(t)
	bin := testutil.PublicCopy(t, "nsenter.test")
	target := startTarget(t, u, "--user", "--map-root-user", "--mount", "--pid", "--fork", "--mount-proc")
	tests := []struct {
		role     string
		wantCode int
		wantSig  syscall.Signal
	}{
		{role: "exit42", wantCode: 42},
		{role: "killself", wantCode: -1, wantSig: syscall.SIGKILL},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			cmd := joinedCmd(t, bin, &u, target, tt.role)
			err := cmd.Run()
			code, sig := status(t, err)
			if code != tt.wantCode || sig != tt.wantSig {
				t.Errorf("got exit %d signal %v, want exit %d signal %v", code, sig, tt.wantCode, tt.wantSig)
			}
		})
	}
}

// TestForkForwardsSignals sends signals to the waiting parent and checks
// that the child got them, and that the parent dies of a fatal one too.
func TestForkForwardsSignals(t *testing.T) {
	u := requireRootAndTestUser(t)
	bin := testutil.PublicCopy(t, "nsenter.test")
	target := startTarget(t, u, "--user", "--map-root-user", "--mount", "--pid", "--fork", "--mount-proc")
	tests := []struct {
		role     string
		send     []syscall.Signal
		wantOut  []string
		wantCode int
		wantSig  syscall.Signal
	}{
		{role: "waitsig", send: []syscall.Signal{syscall.SIGUSR1, syscall.SIGWINCH, syscall.SIGTERM},
			wantOut: []string{"ready", "user defined signal 1", "window changed"}, wantCode: 43},
		{role: "sleep", send: []syscall.Signal{syscall.SIGTERM}, wantOut: []string{"ready"},
			wantCode: -1, wantSig: syscall.SIGTERM},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			cmd := joinedCmd(t, bin, &u, target, tt.role)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(stdout)
			var got []string
			for _, s := range tt.send {
				if len(got) == 0 { // wait for "ready" before the first signal
					got = append(got, nextLine(t, lines))
				}
				if err := cmd.Process.Signal(s); err != nil {
					t.Fatal(err)
				}
				if s != syscall.SIGTERM {
					got = append(got, nextLine(t, lines))
				}
			}
			code, sig := status(t, cmd.Wait())
			if diff := cmp.Diff(got, tt.wantOut); diff != "" {
				t.Errorf("child output (-got +want):\n%s", diff)
			}
			if code != tt.wantCode || sig != tt.wantSig {
				t.Errorf("got exit %d signal %v, want exit %d signal %v", code, sig, tt.wantCode, tt.wantSig)
			}
		})
	}
}

func TestConstructorErrors(t *testing.T) {
	requireRootAndTestUser(t)
	bin := testutil.PublicCopy(t, "nsenter.test")
	tests := []struct {
		env        string
		wantStderr string
	}{
		{env: "_HUTCH_NSENTER=bogus=3", wantStderr: "hutch: nsenter: parse _HUTCH_NSENTER: Invalid argument\n"},
		{env: "_HUTCH_NSENTER=mnt=77", wantStderr: "hutch: nsenter: setns mnt: Bad file descriptor\n"},
		{env: "_HUTCH_NSENTER_CWD=/nonexistent", wantStderr: "hutch: nsenter: chdir /nonexistent: No such file or directory\n"},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			cmd := exec.Command(bin)
			cmd.Env = []string{roleEnv + "=report", tt.env}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			code, _ := status(t, cmd.Run())
			if code != 125 {
				t.Errorf("got exit %d, want 125", code)
			}
			if got := stderr.String(); got != tt.wantStderr {
				t.Errorf("got stderr %q, want %q", got, tt.wantStderr)
			}
		})
	}
}

func joinedCmd(t *testing.T, bin string, u *ids, target int, role string) *exec.Cmd {
	cmd := exec.Command(bin)
	asUser(cmd, u)
	cmd.Env = []string{roleEnv + "=" + role}
	cmd.Stderr = os.Stderr
	Prepare(cmd, openNS(t, target, User, Mount, PID), true, "")
	return cmd
}

func nextLine(t *testing.T, sc *bufio.Scanner) string {
	t.Helper()
	done := make(chan bool, 1)
	go func() { done <- sc.Scan() }()
	select {
	case ok := <-done:
		if !ok {
			t.Fatalf("child output ended: %v", sc.Err())
		}
		return sc.Text()
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for the child's output")
		return ""
	}
}

// status returns the exit code, or -1 and the signal that killed it.
func status(t *testing.T, err error) (int, syscall.Signal) {
	t.Helper()
	if err == nil {
		return 0, 0
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("run: %v", err)
	}
	ws := ee.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return -1, ws.Signal()
	}
	return ws.ExitStatus(), 0
}

func itoa(i int) string { return strconv.Itoa(i) }
