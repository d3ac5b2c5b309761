package ns

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestWithoutCgroupNS(t *testing.T) {
	flags, unshare := withoutCgroupNS(unix.CLONE_NEWPID | unix.CLONE_NEWCGROUP)
	if flags != unix.CLONE_NEWPID || !unshare {
		t.Errorf("got %#x, %v; want %#x, true", flags, unshare, unix.CLONE_NEWPID)
	}
	flags, unshare = withoutCgroupNS(unix.CLONE_NEWPID)
	if flags != unix.CLONE_NEWPID || unshare {
		t.Errorf("got %#x, %v; want %#x, false", flags, unshare, unix.CLONE_NEWPID)
	}
}

// TestCgroupNamespace: init is placed in a cgroup (Config.Place) before
// it unshares its cgroup namespace, so the container sees that cgroup as
// its root ("0::/" on cgroup v2). It uses a cgroup2 mount of its own in
// the test's private mount namespace.
func TestCgroupNamespace(t *testing.T) {
	requireContainers(t)
	if rootless() {
		t.Skip("mounting cgroup2 needs root in the initial user namespace; the root mode covers this")
	}
	mnt := t.TempDir()
	if err := unix.Mount("none", mnt, "cgroup2", 0, ""); err != nil {
		t.Fatalf("mount cgroup2: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(mnt, unix.MNT_DETACH) })
	var raw [6]byte
	_, _ = rand.Read(raw[:])
	name := "hutch-nstest-" + hex.EncodeToString(raw[:])
	dir := filepath.Join(mnt, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeCgroup(t, dir) })
	place := func(pid int) error {
		return os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0)
	}
	tests := []struct {
		name string
		ns   bool
		want string
	}{
		{name: "private cgroup namespace", ns: true, want: "0::/"},
		{name: "host cgroup namespace", ns: false, want: "0::/" + name},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := newSpec(makeRootfs(t), "cat", "/proc/self/cgroup")
			if tt.ns {
				spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
			}
			out := runPlaced(t, spec, place)
			if !strings.Contains("\n"+out, "\n"+tt.want+"\n") {
				t.Errorf("/proc/self/cgroup:\n%s\nwant the line %q", out, tt.want)
			}
		})
	}
	t.Run("exec joins the cgroup", func(t *testing.T) {
		init := runningContainer(t)
		var placed int
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		p, err := StartExec(ExecConfig{Pid: init.Pid, Process: execProc("cat", "/proc/self/cgroup"), Stdout: w, Stderr: w,
			Place: func(pid int) error { placed = pid; return place(pid) }})
		w.Close()
		if err != nil {
			t.Fatalf("StartExec: %v", err)
		}
		out := readAll(t, r)
		if _, err := p.Wait(); err != nil {
			t.Fatal(err)
		}
		if placed <= 0 || placed == p.Pid || !strings.Contains("\n"+out, "\n0::/"+name+"\n") {
			t.Errorf("placed pid %d (forking parent %d), /proc/self/cgroup:\n%s\nwant the exec'd process in /%s", placed, p.Pid, out, name)
		}
		_, err = StartExec(ExecConfig{Pid: init.Pid, Process: execProc("true"), Place: func(int) error { return errors.New("no cgroup for you") }})
		if err == nil || err.Error() != "no cgroup for you" {
			t.Errorf("failed placement: got %v, want its error", err)
		}
	})
	t.Run("a failed placement kills init", func(t *testing.T) {
		spec := newSpec(makeRootfs(t), "true")
		_, err := Start(Config{Spec: spec, Place: func(int) error { return errors.New("no cgroup for you") }})
		if err == nil || err.Error() != "no cgroup for you" {
			t.Errorf("got %v, want the placement's error", err)
		}
	})
}

// runPlaced runs spec to completion with place as Config.Place and
// returns its output.
func runPlaced(t *testing.T, spec *specs.Spec, place func(int) error) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	init, err := Start(Config{Spec: spec, Stdout: w, Stderr: w, Place: place})
	w.Close()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := init.Exec(); err != nil {
		_ = syscall.Kill(init.Pid, syscall.SIGKILL)
		_, _ = init.Wait()
		t.Fatalf("Exec: %v", err)
	}
	out := readAll(t, r)
	if _, err := init.Wait(); err != nil {
		t.Fatal(err)
	}
	return out
}

// removeCgroup removes a cgroup directory once its last process is gone.
func removeCgroup(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("remove cgroup %s: %v", dir, err)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
