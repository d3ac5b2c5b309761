package monitor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/cgroupsv2"
	"github.com/hutchctr/hutch/pkg/state"
)

// cgroupUnsharedEnv marks the re-run of TestCgroupRealRuntime in private
// mount and network namespaces.
const cgroupUnsharedEnv = "_HUTCH_MONITOR_CGROUP_TEST_UNSHARED"

// TestCgroupRealRuntime runs busybox containers with limits through the
// monitor and the real runtime, as root on this host's cgroup v1
// hierarchies (the VM lane proves cgroup v2 with the hutch binary). The
// cgroups go under a parent with a unique name (--cgroup-parent), removed
// at the end.
func TestCgroupRealRuntime(t *testing.T) {
	testutil.Requires(t, testutil.Root(), testutil.Busybox(), testutil.Requirement{Name: "unshare (util-linux)", Check: func() error {
		_, err := exec.LookPath("unshare")
		return err
	}})
	var fs unix.Statfs_t
	if unix.Statfs(cgroupsv2.DefaultRoot, &fs) == nil && fs.Type == unix.CGROUP2_SUPER_MAGIC {
		t.Skip("this host uses cgroup v2 only; the VM lane covers it")
	}
	if os.Getenv(cgroupUnsharedEnv) == "" {
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("unshare", "--mount", "--propagation", "private", "--net", "--",
			self, "-test.run", "^TestCgroupRealRuntime$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), cgroupUnsharedEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("in private namespaces: %v\n%s", err, out)
		}
		t.Logf("in private namespaces:\n%s", out)
		return
	}
	var raw [6]byte
	_, _ = rand.Read(raw[:])
	parent := "hutch-test-" + hex.EncodeToString(raw[:])
	t.Cleanup(func() {
		for _, ctrl := range []string{"blkio", "cpu", "cpuacct", "cpuset", "freezer", "memory", "pids", "hugetlb"} {
			if err := os.Remove(filepath.Join(cgroupsv2.DefaultRoot, ctrl, parent)); err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
	rootfs := busyboxRootfs(t)
	for _, a := range []string{"head", "grep", "tr"} {
		if err := os.Symlink("busybox", filepath.Join(rootfs, "bin", a)); err != nil {
			t.Fatal(err)
		}
	}
	limited := func(t *testing.T, script string, r *specs.LinuxResources, modify func(*specs.Spec)) *fixture {
		f := realFixture(t, rootfs, script)
		spec, err := loadSpec(f.cfg.SpecPath)
		if err != nil {
			t.Fatal(err)
		}
		spec.Linux.Resources = r
		spec.Annotations = map[string]string{cgroupsv2.ParentAnnotation: parent}
		if modify != nil {
			modify(spec)
		}
		writeJSONFile(t, f.cfg.SpecPath, spec)
		return f
	}
	mem32 := &specs.LinuxMemory{Limit: ptrTo(int64(32 << 20)), Swap: ptrTo(int64(32 << 20))}

	t.Run("limits, cgroup namespace, oom score, removal", func(t *testing.T) {
		r := &specs.LinuxResources{Memory: mem32, Pids: &specs.LinuxPids{Limit: ptrTo(int64(16))}}
		f := limited(t, "grep -E ':(memory|pids):' /proc/self/cgroup; cat /proc/self/oom_score_adj; echo ready; sleep 2", r, func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
			s.Process.OOMScoreAdj = ptrTo(300)
		})
		f.launch(nil)
		waitFor(t, 10*time.Second, func() bool { o, _ := f.logs(); return strings.Contains(o, "ready") })
		st := f.state()
		if st.Cgroup == nil || st.Cgroup.Layout != cgroupsv2.LayoutV1 {
			t.Fatalf("state.Cgroup = %+v, want a v1 cgroup", st.Cgroup)
		}
		for ctrl, want := range map[string]string{"memory/memory.limit_in_bytes": "33554432", "pids/pids.max": "16"} {
			c, file, _ := strings.Cut(ctrl, "/")
			got, _ := os.ReadFile(filepath.Join(st.Cgroup.Paths[c], file))
			if strings.TrimSpace(string(got)) != want {
				t.Errorf("%s = %q, want %q", file, got, want)
			}
			if want := filepath.Join(cgroupsv2.DefaultRoot, c, parent, f.id); st.Cgroup.Paths[c] != want {
				t.Errorf("%s cgroup %s, want %s", c, st.Cgroup.Paths[c], want)
			}
		}
		procs, _ := os.ReadFile(filepath.Join(st.Cgroup.Paths["pids"], "cgroup.procs"))
		if !strings.Contains(string(procs), strconv.Itoa(st.Pid)) {
			t.Errorf("init %d is not in its cgroup (cgroup.procs %q)", st.Pid, procs)
		}
		out, _ := f.logs()
		// In its own cgroup namespace, the container's cgroups are roots.
		for _, line := range strings.Split(strings.TrimSpace(out), "\n")[:2] {
			if !strings.HasSuffix(line, ":/") {
				t.Errorf("/proc/self/cgroup line %q, want the namespace's root", line)
			}
		}
		if !strings.Contains(out, "\n300\n") {
			t.Errorf("output %q: want oom_score_adj 300", out)
		}
		f.waitExited()
		if st := f.state(); st.Cgroup != nil || st.OOMKilled {
			t.Errorf("after exit: cgroup %+v, OOMKilled %v; want none, false", st.Cgroup, st.OOMKilled)
		}
		for c, d := range st.Cgroup.Paths {
			if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s cgroup %s still exists after the container exited", c, d)
			}
		}
	})

	t.Run("OOM killed", func(t *testing.T) {
		f := limited(t, "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived", &specs.LinuxResources{Memory: mem32}, nil)
		code, out, _ := runAttached(t, f, "", false)
		if code != 137 || strings.Contains(out, "survived") {
			t.Errorf("got (%d, %q), want 137 without output", code, out)
		}
		f.waitExited()
		if st := f.state(); !st.OOMKilled || st.ExitCode != 137 {
			t.Errorf("state OOMKilled %v, code %d; want true, 137", st.OOMKilled, st.ExitCode)
		}
	})

	t.Run("a limit that cannot be set fails the start", func(t *testing.T) {
		f := limited(t, "echo ran", &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "4096"}}, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, err := Launch(ctx, f.cfg, nil)
		if err == nil || !strings.Contains(err.Error(), "--cpuset-cpus") {
			t.Fatalf("got %v, want an error naming --cpuset-cpus\n%s", err, f.monitorLog())
		}
		f.waitExited()
		if st := f.state(); st.Status != state.Created || !strings.Contains(st.Error, "cpuset.cpus") || st.Cgroup != nil {
			t.Errorf("state %s, error %q, cgroup %+v; want created, naming cpuset.cpus, no cgroup", st.Status, st.Error, st.Cgroup)
		}
		if _, err := os.Stat(filepath.Join(cgroupsv2.DefaultRoot, "cpuset", parent, f.id)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the failed container's cpuset cgroup is left: %v", err)
		}
	})
}

func ptrTo[T any](v T) *T { return &v }
