package ns

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// runningContainer starts `sleep 1000` and lets it exec.
func runningContainer(t *testing.T) *Init {
	t.Helper()
	init, _ := startContainer(t, newSpec(makeRootfs(t), "sleep", "1000"))
	if err := init.Exec(); err != nil {
		t.Fatalf("Exec: %v", err)
	}
	return init
}

func execProc(args ...string) *specs.Process {
	caps := testCaps()
	return &specs.Process{
		Args:            args,
		Env:             []string{"PATH=/bin"},
		Cwd:             "/",
		Capabilities:    &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps},
		NoNewPrivileges: true,
	}
}

// runExecIn runs proc in the container and returns its output and code.
func runExecIn(t *testing.T, init *Init, proc *specs.Process) (string, int) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p, err := StartExec(ExecConfig{Pid: init.Pid, Process: proc, Stdout: w, Stderr: w})
	w.Close()
	if err != nil {
		t.Fatalf("StartExec: %v", err)
	}
	out := readAll(t, r)
	code, err := p.Wait()
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return out, code
}

func TestExec(t *testing.T) {
	requireContainers(t)
	init := runningContainer(t)
	caps := capMask(t, testCaps())
	tests := []struct {
		name string
		proc *specs.Process
		want string
		code int
	}{
		{name: "same pid namespace, hostname and root",
			proc: execProc("sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; echo; hostname; ls /bin/busybox; [ $$ != 1 ] && echo not-pid-1"),
			want: "sleep 1000 \nctr-test\n/bin/busybox\nnot-pid-1\n"},
		{name: "credentials", proc: func() *specs.Process {
			p := execProc("sh", "-c", "id -u; id -G; pwd; grep -e CapEff -e NoNewPrivs /proc/self/status")
			p.User = specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{10}}
			p.Cwd = "/home/tester"
			return p
		}(), want: "1000\n1000 10\n/home/tester\nCapEff:\t0000000000000000\nNoNewPrivs:\t1\n"},
		{name: "root capabilities", proc: execProc("grep", "CapEff", "/proc/self/status"), want: "CapEff:\t" + caps + "\n"},
		{name: "exit code", proc: execProc("sh", "-c", "exit 3"), code: 3},
		{name: "killed by a signal", proc: execProc("sh", "-c", "kill -TERM $$"), code: 128 + int(syscall.SIGTERM)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code := runExecIn(t, init, tt.proc)
			if diff := cmp.Diff(out, tt.want); diff != "" {
				t.Errorf("output (-got +want):\n%s", diff)
			}
			if code != tt.code {
				t.Errorf("exit code %d, want %d", code, tt.code)
			}
		})
	}
}

func TestExecErrors(t *testing.T) {
	requireContainers(t)
	init := runningContainer(t)
	tests := []struct {
		name string
		proc *specs.Process
		want string
	}{
		{name: "not found", proc: execProc("no-such-command"), want: `cannot execute "no-such-command": no such file or directory`},
		{name: "directory", proc: execProc("/etc"), want: `cannot execute "/etc": permission denied`},
		{name: "missing cwd", proc: func() *specs.Process { p := execProc("true"); p.Cwd = "/nonexistent"; return p }(),
			want: "exec: chdir /nonexistent: no such file or directory"},
		{name: "dead container", proc: execProc("true"), want: "container init 2147483647: not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pid := init.Pid
			if tt.name == "dead container" {
				pid = 1<<31 - 1
			}
			p, err := StartExec(ExecConfig{Pid: pid, Process: tt.proc})
			if err == nil {
				p.Wait()
				t.Fatal("StartExec succeeded")
			}
			if got := err.Error(); !strings.HasPrefix(got, tt.want) {
				t.Errorf("error %q, want prefix %q", got, tt.want)
			}
		})
	}
}

func TestExecTerminal(t *testing.T) {
	requireContainers(t)
	init := runningContainer(t)
	proc := execProc("sh", "-c", "tty; stty size")
	proc.Terminal = true
	proc.ConsoleSize = &specs.Box{Height: 25, Width: 90}
	p, err := StartExec(ExecConfig{Pid: init.Pid, Process: proc})
	if err != nil {
		t.Fatalf("StartExec: %v", err)
	}
	if p.Console == nil {
		t.Fatal("no console")
	}
	defer p.Console.Close()
	out := readAll(t, p.Console)
	if code, err := p.Wait(); code != 0 || err != nil {
		t.Errorf("Wait = %d, %v", code, err)
	}
	// init has no terminal, so the exec's pty is the instance's first.
	if want := "/dev/pts/0\r\n25 90\r\n"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
	if err := unix.Kill(p.Pid, 0); err == nil {
		t.Errorf("process %d still exists after Wait", p.Pid)
	}
}
