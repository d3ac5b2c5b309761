package ns

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// capMask is the /proc/PID/status rendering of a capability set.
func capMask(t *testing.T, names []string) string {
	t.Helper()
	caps, err := parseCaps(names)
	if err != nil {
		t.Fatal(err)
	}
	var m uint64
	for _, c := range caps {
		m |= 1 << uint(c)
	}
	return fmt.Sprintf("%016x", m)
}

func hardNofile(t *testing.T) uint64 {
	t.Helper()
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	return lim.Max
}

// firstOpt prints the first mount option (rw/ro) of each mountpoint given.
const firstOpt = `for p in "$@"; do while read d m ty o r; do [ "$m" = "$p" ] && echo "$m ${o%%,*}"; done < /proc/mounts; done; true`

func TestContainer(t *testing.T) {
	requireContainers(t)
	caps := capMask(t, testCaps())
	hostFile := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(hostFile, []byte("127.0.0.1 ctr-test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		modify func(*specs.Spec)
		want   string
		code   int
	}{
		{name: "init is pid 1", args: []string{"sh", "-c", "echo $$"}, want: "1\n"},
		{name: "hostname", args: []string{"hostname"}, want: "ctr-test\n"},
		{name: "proc shows only the container", args: []string{"sh", "-c", "echo /proc/[0-9]*"}, want: "/proc/1\n"},
		{name: "dev has exactly the expected entries", args: []string{"ls", "-A", "/dev"},
			want: "core\nfd\nfull\nmqueue\nnull\nptmx\npts\nrandom\nshm\nstderr\nstdin\nstdout\ntty\nurandom\nzero\n"},
		{name: "device nodes are the host's", args: []string{"sh", "-c",
			`for f in null zero full random urandom tty; do stat -c "%n %F %t:%T" /dev/$f; done; readlink /dev/ptmx; readlink /dev/fd`},
			want: "/dev/null character special file 1:3\n/dev/zero character special file 1:5\n" +
				"/dev/full character special file 1:7\n/dev/random character special file 1:8\n" +
				"/dev/urandom character special file 1:9\n/dev/tty character special file 5:0\npts/ptmx\n/proc/self/fd\n"},
		{name: "sys and readonly paths are read-only", args: []string{"sh", "-c", firstOpt, "sh", "/", "/sys", "/proc/sys", "/proc/bus"},
			want: "/ rw\n/sys ro\n/proc/sys ro\n/proc/bus ro\n"},
		{name: "masked paths are empty", args: []string{"sh", "-c", "cat /proc/keys /proc/timer_list | wc -c; ls -A /sys/firmware | wc -l; touch /sys/firmware/x 2>/dev/null || echo refused"},
			want: "0\n0\nrefused\n"},
		{name: "capabilities", args: []string{"grep", "Cap", "/proc/self/status"},
			want: fmt.Sprintf("CapInh:\t%016x\nCapPrm:\t%s\nCapEff:\t%s\nCapBnd:\t%s\nCapAmb:\t%016x\n", 0, caps, caps, caps, 0)},
		{name: "no_new_privs", args: []string{"grep", "NoNewPrivs", "/proc/self/status"}, want: "NoNewPrivs:\t1\n"},
		{name: "rlimit above the hard limit is clamped", args: []string{"sh", "-c", "ulimit -Hn; ulimit -Sn"},
			modify: func(s *specs.Spec) {
				// Above fs.nr_open: refused even to real root.
				s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1 << 30, Soft: 1 << 30}}
			},
			want: fmt.Sprintf("%d\n%d\n", hardNofile(t), hardNofile(t))},
		{name: "read-only rootfs", args: []string{"sh", "-c", "touch /x || echo refused; touch /dev/shm/y && echo shm-ok; " + firstOpt, "sh", "/"},
			modify: func(s *specs.Spec) { s.Root.Readonly = true },
			want:   "touch: /x: Read-only file system\nrefused\nshm-ok\n/ ro\n"},
		{name: "user, groups and a created cwd", args: []string{"sh", "-c", "id -u; id -g; id -G; pwd; echo $HOME; grep CapEff /proc/self/status"},
			modify: func(s *specs.Spec) {
				s.Process.User = specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{10}}
				s.Process.Cwd = "/home/tester/work"
			},
			want: "1000\n1000\n1000 10\n/home/tester/work\n/home/tester\nCapEff:\t0000000000000000\n"},
		{name: "bind mounts and tmpfs", args: []string{"sh", "-c", "cat /etc/hosts; echo x >> /etc/hosts || echo refused; touch /scratch/f && echo tmpfs-ok; " + firstOpt, "sh", "/etc/hosts", "/scratch"},
			modify: func(s *specs.Spec) {
				s.Mounts = append(s.Mounts,
					specs.Mount{Destination: "/etc/hosts", Type: "bind", Source: hostFile, Options: []string{"bind", "ro", "nosuid"}},
					specs.Mount{Destination: "/scratch", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "size=1m"}})
			},
			want: "127.0.0.1 ctr-test\nsh: line 0: can't create /etc/hosts: Read-only file system\nrefused\ntmpfs-ok\n/etc/hosts ro\n/scratch rw\n"},
		{name: "host network", args: []string{"sh", "-c", firstOpt + "; ls /sys/class/net | grep -x lo", "sh", "/sys"},
			modify: func(s *specs.Spec) { s.Linux.Namespaces = s.Linux.Namespaces[:4] },
			want:   "/sys ro\nlo\n"},
		{name: "exit code", args: []string{"sh", "-c", "exit 42"}, code: 42},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := newSpec(makeRootfs(t), tt.args...)
			if tt.modify != nil {
				tt.modify(spec)
			}
			out, ws := runContainer(t, spec)
			if diff := cmp.Diff(out, tt.want); diff != "" {
				t.Errorf("output (-got +want):\n%s", diff)
			}
			if got, want := ws.ExitStatus(), tt.code; got != want {
				t.Errorf("exit status %d (%v), want %d", got, ws, want)
			}
		})
	}
}

func TestContainerKilled(t *testing.T) {
	requireContainers(t)
	init, _ := startContainer(t, newSpec(makeRootfs(t), "sleep", "100"))
	if err := init.Exec(); err != nil {
		t.Fatalf("Exec: %v", err)
	}
	// Only SIGKILL reaches a pid 1 without handlers from outside.
	if err := syscall.Kill(init.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ws, err := init.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ws.Signal(), syscall.SIGKILL; !ws.Signaled() || got != want {
		t.Errorf("status %v, want killed by %v", ws, want)
	}
}

func TestContainerExecErrors(t *testing.T) {
	requireContainers(t)
	tests := []struct {
		args  []string
		errno syscall.Errno
		code  int
	}{
		{args: []string{"no-such-command"}, errno: syscall.ENOENT, code: 127},
		{args: []string{"/bin/no-such-command"}, errno: syscall.ENOENT, code: 127},
		{args: []string{"/etc"}, errno: syscall.EACCES, code: 126},
		{args: []string{"/etc/notexec"}, errno: syscall.EACCES, code: 126},
	}
	for _, tt := range tests {
		t.Run(tt.args[0], func(t *testing.T) {
			init, _ := startContainer(t, newSpec(makeRootfs(t), tt.args...))
			err := init.Exec()
			want := &ExecError{Path: tt.args[0], Errno: tt.errno}
			if diff := cmp.Diff(err, error(want), cmp.Comparer(func(a, b error) bool { return a.Error() == b.Error() })); diff != "" {
				t.Errorf("Exec error (-got +want):\n%s", diff)
			}
			ws, _ := init.Wait()
			if got := ws.ExitStatus(); got != tt.code {
				t.Errorf("exit status %d, want %d", got, tt.code)
			}
		})
	}
}

func TestContainerSetupErrors(t *testing.T) {
	requireContainers(t)
	tests := []struct {
		name   string
		modify func(*specs.Spec)
		op     string
		errno  syscall.Errno
	}{
		{name: "cwd under a file", modify: func(s *specs.Spec) { s.Process.Cwd = "/etc/passwd/sub" },
			op: "create cwd /etc/passwd/sub", errno: syscall.ENOTDIR},
		{name: "missing bind source", modify: func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/data", Type: "bind", Source: "/nonexistent/dir", Options: []string{"rbind"}})
		}, op: "mount /data", errno: syscall.ENOENT},
		{name: "bad filesystem", modify: func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "nosuchfs", Source: "x"})
		}, op: "mount /x", errno: syscall.ENODEV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := newSpec(makeRootfs(t), "true")
			tt.modify(spec)
			init, err := Start(Config{Spec: spec})
			if err == nil {
				init.Exec()
				init.Wait()
				t.Fatal("Start succeeded")
			}
			var ie *InitError
			if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), "container init: "+tt.op+": ") {
				t.Fatalf("Start error %T %v, want *InitError", err, err)
			}
			if got, want := []any{ie.Op, ie.Errno}, []any{tt.op, tt.errno}; !cmp.Equal(got, want) {
				t.Errorf("got op, errno %v (%v), want %v", got, err, want)
			}
		})
	}
}

func TestContainerTerminal(t *testing.T) {
	requireContainers(t)
	spec := newSpec(makeRootfs(t), "sh", "-c", `trap "echo got-int; exit 3" INT; tty; stty size; ls -A /dev | grep console; echo ready; while :; do sleep 1; done`)
	spec.Process.Terminal = true
	init, _ := startContainer(t, spec)
	if init.Console == nil {
		t.Fatal("no console")
	}
	if err := unix.IoctlSetWinsize(int(init.Console.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 30, Col: 100}); err != nil {
		t.Fatal(err)
	}
	if err := init.Exec(); err != nil {
		t.Fatalf("Exec: %v", err)
	}
	got := readUntil(t, init.Console, "ready\r\n")
	if want := "/dev/pts/0\r\n30 100\r\nconsole\r\nready\r\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
	// ^C through the pty: the line discipline sends SIGINT to the
	// foreground process group, so the shell's trap runs.
	if _, err := init.Console.Write([]byte{3}); err != nil {
		t.Fatal(err)
	}
	rest := readAll(t, init.Console)
	if !strings.Contains(rest, "got-int") {
		t.Errorf("after ^C got %q, want got-int", rest)
	}
	if ws, _ := init.Wait(); ws.ExitStatus() != 3 {
		t.Errorf("status %v, want exit 3", ws)
	}
}
