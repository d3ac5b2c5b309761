package cgroupsv2

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// kernelFreezes plays the kernel for a fake v2 cgroup: once want is
// written to cgroup.freeze, cgroup.events says so.
func kernelFreezes(t *testing.T, dir, want string) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if v, _ := readTrim(filepath.Join(dir, "cgroup.freeze")); v == want {
				writeTestFile(t, filepath.Join(dir, "cgroup.events"), "populated 1\nfrozen "+want+"\n")
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return done
}

func TestFreezeV2Fake(t *testing.T) {
	_, dir := fakeV2(t, "memory pids")
	writeTestFile(t, filepath.Join(dir, "cgroup.events"), "populated 1\nfrozen 0\n")
	c := FromRef(Ref{Layout: LayoutV2, Paths: map[string]string{"": dir}}, "")
	done := kernelFreezes(t, dir, "1")
	if err := c.Freeze(); err != nil {
		t.Fatalf("Freeze: %v", err)
	}
	<-done
	done = kernelFreezes(t, dir, "0")
	if err := c.Thaw(); err != nil {
		t.Fatalf("Thaw: %v", err)
	}
	<-done

	t.Run("the kernel never freezes", func(t *testing.T) {
		writeTestFile(t, filepath.Join(dir, "cgroup.events"), "populated 1\nfrozen 0\n")
		c.timeout = 100 * time.Millisecond
		err := c.Freeze()
		if err == nil || !strings.Contains(err.Error(), "cgroup.events") {
			t.Errorf("got %v, want a timeout naming cgroup.events", err)
		}
	})
	t.Run("no cgroup.freeze", func(t *testing.T) {
		_, dir := fakeV2(t, "memory")
		if err := os.Remove(filepath.Join(dir, "cgroup.freeze")); err != nil {
			t.Fatal(err)
		}
		err := FromRef(Ref{Layout: LayoutV2, Paths: map[string]string{"": dir}}, "").Freeze()
		if !errors.Is(err, errdefs.ErrNotImplemented) {
			t.Errorf("got %v, want not implemented", err)
		}
	})
}

func TestFreezeV1Fake(t *testing.T) {
	root := fakeV1(t)
	dir := filepath.Join(root, "freezer", "hutch", testID)
	c := FromRef(Ref{Layout: LayoutV1, Paths: map[string]string{"freezer": dir}}, "")
	if err := c.Freeze(); err != nil {
		t.Fatal(err)
	}
	if got := readTestFile(t, filepath.Join(dir, "freezer.state")); got != "FROZEN" {
		t.Errorf("freezer.state %q, want FROZEN", got)
	}
	if err := c.Thaw(); err != nil {
		t.Fatal(err)
	}
	if got := readTestFile(t, filepath.Join(dir, "freezer.state")); got != "THAWED" {
		t.Errorf("freezer.state %q, want THAWED", got)
	}
	noFreezer := FromRef(Ref{Layout: LayoutV1, Paths: map[string]string{"memory": filepath.Join(root, "memory", "hutch", testID)}}, "")
	if err := noFreezer.Freeze(); !errors.Is(err, errdefs.ErrNotImplemented) {
		t.Errorf("without a freezer: got %v, want not implemented", err)
	}
}

func TestStats(t *testing.T) {
	t.Run("v2", func(t *testing.T) {
		_, dir := fakeV2(t, "cpu memory pids io")
		for f, v := range map[string]string{
			"cpu.stat":       "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n",
			"memory.current": "1048576\n",
			"memory.max":     "max\n",
			"pids.current":   "3\n",
			"pids.max":       "16\n",
			"io.stat":        "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n8:16 rbytes=5 wbytes=6 rios=1 wios=1 dbytes=0 dios=0\n",
			"memory.events":  "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n",
		} {
			writeTestFile(t, filepath.Join(dir, f), v)
		}
		c := FromRef(Ref{Layout: LayoutV2, Paths: map[string]string{"": dir}}, "")
		got, err := c.Stats()
		if err != nil {
			t.Fatal(err)
		}
		want := &Stats{CPUUsageNanos: 1500000, MemoryUsage: 1 << 20, PidsCurrent: 3, PidsLimit: 16, BlockRead: 105, BlockWrite: 206}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("stats (-got +want):\n%s", diff)
		}
		if n, err := c.OOMKills(); err != nil || n != 1 {
			t.Errorf("OOMKills = %d, %v; want 1", n, err)
		}
	})
	t.Run("v1", func(t *testing.T) {
		root := fakeV1(t)
		paths := map[string]string{}
		for ctrl, mnt := range map[string]string{"memory": "memory", "pids": "pids", "cpuacct": "cpu,cpuacct", "blkio": "blkio"} {
			paths[ctrl] = filepath.Join(root, mnt, "hutch", testID)
		}
		for f, v := range map[string]string{
			"cpu,cpuacct/hutch/" + testID + "/cpuacct.usage":                       "123456789\n",
			"memory/hutch/" + testID + "/memory.usage_in_bytes":                    "2097152\n",
			"memory/hutch/" + testID + "/memory.limit_in_bytes":                    "9223372036854771712\n",
			"memory/hutch/" + testID + "/memory.oom_control":                       "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
			"pids/hutch/" + testID + "/pids.current":                               "4\n",
			"pids/hutch/" + testID + "/pids.max":                                   "max\n",
			"blkio/hutch/" + testID + "/blkio.throttle.io_service_bytes_recursive": "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n8:0 Discard 0\n8:0 Total 12288\nTotal 12288\n",
		} {
			writeTestFile(t, filepath.Join(root, f), v)
		}
		c := FromRef(Ref{Layout: LayoutV1, Paths: paths}, "")
		got, err := c.Stats()
		if err != nil {
			t.Fatal(err)
		}
		want := &Stats{CPUUsageNanos: 123456789, MemoryUsage: 2 << 20, PidsCurrent: 4, BlockRead: 4096, BlockWrite: 8192}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("stats (-got +want):\n%s", diff)
		}
	})
	t.Run("gone", func(t *testing.T) {
		c := FromRef(Ref{Layout: LayoutV2, Paths: map[string]string{"": filepath.Join(t.TempDir(), "gone")}}, "")
		if _, err := c.Stats(); !errors.Is(err, errdefs.ErrNotFound) {
			t.Errorf("got %v, want not found", err)
		}
	})
}

func TestExpandSlice(t *testing.T) {
	for in, want := range map[string]string{
		"machine.slice":    "machine.slice",
		"user-1000.slice":  "user.slice/user-1000.slice",
		"a-b-c.slice":      "a.slice/a-b.slice/a-b-c.slice",
		"-.slice":          "",
		"system-web.slice": "system.slice/system-web.slice",
	} {
		if got := expandSlice(in); got != want {
			t.Errorf("expandSlice(%q) = %q, want %q", in, got, want)
		}
	}
}
