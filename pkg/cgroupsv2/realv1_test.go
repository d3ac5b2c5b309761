package cgroupsv2

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/internal/testutil"
)

// TestRealV1 runs containers' cgroups on this host's v1 hierarchies as
// root: limits in the files, a fork bomb stopped by pids.max, the OOM
// killer counted, freeze, update, destroy. Everything lives under a
// parent with a unique name, removed at the end.
func TestRealV1(t *testing.T) {
	testutil.Requires(t, testutil.Root())
	if unified, _ := isUnified(DefaultRoot); unified {
		t.Skip("this host uses cgroup v2 only; TestRealV2 covers it")
	}
	parent := uniqueName("hutch-test-")
	t.Cleanup(func() {
		mounts, _ := (&Cgroup{opts: Options{Root: DefaultRoot}}).v1Mounts()
		for _, mnt := range mounts {
			if err := removeTree(filepath.Join(mnt, parent), 5*time.Second); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
	newV1 := func(t *testing.T) *Cgroup {
		c, err := New(Options{ID: uniqueName("c"), Parent: parent})
		if err != nil {
			t.Fatal(err)
		}
		if c.Ref().Layout != LayoutV1 {
			t.Fatalf("layout %s, want v1", c.Ref().Layout)
		}
		for _, ctrl := range []string{"memory", "pids", "freezer"} {
			if c.Ref().Paths[ctrl] == "" {
				t.Fatalf("no %s hierarchy found: %v", ctrl, c.Ref().Paths)
			}
		}
		t.Cleanup(func() { _ = c.Destroy() })
		return c
	}
	limits := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: ptr(int64(32 << 20)), Swap: ptr(int64(32 << 20))},
		Pids:   &specs.LinuxPids{Limit: ptr(int64(16))},
	}

	t.Run("limits, fork bomb, freeze, update, destroy", func(t *testing.T) { realV1Limits(t, newV1(t), limits) })

	t.Run("OOM kill", func(t *testing.T) {
		c := newV1(t)
		if err := c.Create(limits); err != nil {
			t.Fatal(err)
		}
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), helperEnv+"=hog")
		h := startGated(t, cmd)
		if err := c.Join(h.pid()); err != nil {
			t.Fatal(err)
		}
		h.go_()
		if ws := h.wait(); ws.Signal() != syscall.SIGKILL {
			t.Fatalf("hog ended with %v (%s), want killed by the OOM killer", ws, h.out)
		}
		n, err := c.OOMKills()
		if err != nil || n == 0 {
			t.Errorf("OOMKills = %d, %v; want at least 1", n, err)
		}
		if err := c.Destroy(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a bad value names the flag and the file", func(t *testing.T) {
		c := newV1(t)
		err := c.Create(&specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "4096"}})
		if err == nil || !strings.Contains(err.Error(), "--cpuset-cpus") || !strings.Contains(err.Error(), "cpuset.cpus") {
			t.Fatalf("got %v, want an error naming --cpuset-cpus and cpuset.cpus", err)
		}
		for _, d := range c.Ref().Paths {
			if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s left behind by a failed Create", d)
			}
		}
	})

	t.Run("rootless gets no cgroup", func(t *testing.T) {
		c, err := New(Options{ID: uniqueName("c"), Parent: parent, Rootless: true})
		if err != nil {
			t.Fatal(err)
		}
		if c.Ref().Layout != LayoutNone {
			t.Errorf("layout %s, want none", c.Ref().Layout)
		}
		err = Check(Options{ID: "x", Rootless: true}, &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(5))}})
		want := "--pids-limit needs cgroup v2 with the pids controller delegated; this host uses cgroup v1, where rootless containers cannot have limits"
		if err == nil || err.Error() != want {
			t.Errorf("Check: got %v, want %q", err, want)
		}
	})
}

// realV1Limits checks limits in the files, a fork bomb stopped by
// pids.max, stats, freeze, update and destroy.
func realV1Limits(t *testing.T, c *Cgroup, limits *specs.LinuxResources) {
	if err := c.Create(limits); err != nil {
		t.Fatal(err)
	}
	p := c.Ref().Paths
	got := map[string]string{}
	for _, f := range []struct{ ctrl, file string }{{"memory", "memory.limit_in_bytes"}, {"pids", "pids.max"}} {
		got[f.file], _ = readTrim(filepath.Join(p[f.ctrl], f.file))
	}
	if diff := cmp.Diff(got, map[string]string{"memory.limit_in_bytes": "33554432", "pids.max": "16"}); diff != "" {
		t.Errorf("files (-got +want):\n%s", diff)
	}
	if cpus, _ := readTrim(filepath.Join(p["cpuset"], "cpuset.cpus")); p["cpuset"] != "" && cpus == "" {
		t.Errorf("cpuset.cpus is empty: not inherited from the parent")
	}
	bomb := busybox(t, "i=0; while [ $i -lt 40 ]; do "+testutil.BusyboxPath+" sleep 30 & i=$((i+1)); done; echo spawned; wait")
	if err := c.Join(bomb.pid()); err != nil {
		t.Fatal(err)
	}
	bomb.go_()
	waitUntil(t, 10*time.Second, "forks refused (pids.events max)", func() bool {
		n, _ := readKeyed(p["pids"], "pids.events", "max")
		return n > 0
	})
	if n, _ := readValue(p["pids"], "pids.current"); n > 16 {
		t.Errorf("pids.current %d, above pids.max 16", n)
	}
	// The shell gives up when a fork fails; its children stay.
	procs, err := c.Procs()
	if err != nil || len(procs) == 0 || len(procs) > 16 {
		t.Errorf("Procs = %v, %v; want 1 to 16 processes", procs, err)
	}
	st, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.MemoryLimit != 32<<20 || st.PidsLimit != 16 || st.PidsCurrent == 0 || st.PidsCurrent > 16 || st.MemoryUsage == 0 {
		t.Errorf("stats %+v: want memory limit 32 MiB, pids limit 16, some pids and memory in use", st)
	}
	if err := c.Freeze(); err != nil {
		t.Fatal(err)
	}
	if s, _ := readTrim(filepath.Join(p["freezer"], "freezer.state")); s != "FROZEN" {
		t.Errorf("freezer.state %q after Freeze", s)
	}
	if err := c.Thaw(); err != nil {
		t.Fatal(err)
	}
	up := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(64 << 20)), Swap: ptr(int64(128 << 20))}}
	if err := FromRef(c.Ref(), "").Update(up); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{"memory.limit_in_bytes": "67108864", "memory.memsw.limit_in_bytes": "134217728"} {
		if v, _ := readTrim(filepath.Join(p["memory"], file)); v != want {
			t.Errorf("%s = %s after update, want %s", file, v, want)
		}
	}
	if err := FromRef(c.Ref(), "").Destroy(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range procs {
		if err := syscall.Kill(pid, 0); err == nil {
			if st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); !strings.Contains(string(st), ") Z ") {
				t.Errorf("process %d of the cgroup survived Destroy", pid)
			}
		}
	}
	for ctrl, d := range p {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s cgroup %s still exists after Destroy", ctrl, d)
		}
	}
	if err := c.Destroy(); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
}
