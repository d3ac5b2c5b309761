package cgroupsv2

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// unsharedEnv marks the re-run of TestRealV2 in a private mount
// namespace, where it mounts a cgroup2 hierarchy of its own.
const unsharedEnv = "_HUTCH_CGROUP_TEST_UNSHARED"

const testUser = "hutchtest"

// TestRealV2 drives a real cgroup2 mount. On this hybrid host every
// controller is bound to v1, so the hierarchy has none: directories,
// cgroup.procs, cgroup.freeze, cgroup.kill and cpu.stat are what it
// proves, plus the rootless path in a subtree delegated to hutchtest.
// Where controllers are free (a cgroup v2 host), limits are tested too.
func TestRealV2(t *testing.T) {
	testutil.Requires(t, testutil.Root(), testutil.Busybox(), testutil.Requirement{Name: "unshare and setpriv (util-linux)", Check: func() error {
		for _, b := range []string{"unshare", "setpriv"} {
			if _, err := exec.LookPath(b); err != nil {
				return err
			}
		}
		return nil
	}})
	if os.Getenv(unsharedEnv) == "" {
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("unshare", "--mount", "--propagation", "private", "--", self, "-test.run", "^TestRealV2$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), unsharedEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("in a private mount namespace: %v\n%s", err, out)
		}
		t.Logf("in a private mount namespace:\n%s", out)
		return
	}
	mnt := publicTempDir(t)
	if err := unix.Mount("none", mnt, "cgroup2", 0, ""); err != nil {
		t.Fatalf("mount cgroup2 on %s: %v", mnt, err)
	}
	t.Cleanup(func() { _ = unix.Unmount(mnt, unix.MNT_DETACH) })
	parent := uniqueName("hutch-test-")
	t.Cleanup(func() {
		if err := removeTree(filepath.Join(mnt, parent), 5*time.Second); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	avail := words(filepath.Join(mnt, "cgroup.controllers"))
	t.Run("create, join, freeze, stats, destroy", func(t *testing.T) { realV2Lifecycle(t, mnt, parent) })
	t.Run("limits", func(t *testing.T) {
		mem := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(32 << 20))}, Pids: &specs.LinuxPids{Limit: ptr(int64(16))}}
		o := Options{ID: uniqueName("c"), Parent: parent, Root: mnt}
		if !slices.Contains(avail, "memory") || !slices.Contains(avail, "pids") {
			err := Check(o, mem)
			if !errors.Is(err, errdefs.ErrNotImplemented) || !strings.Contains(err.Error(), "--memory needs the memory controller") {
				t.Errorf("Check without controllers: got %v, want not implemented naming --memory", err)
			}
			return
		}
		realV2Limits(t, o, mem)
	})
	t.Run("rootless in a delegated subtree", func(t *testing.T) { realV2Rootless(t, mnt, parent) })
}

// publicTempDir is a temp dir others may enter (hutchtest must reach the
// cgroup2 mount and the test binary).
func publicTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hutch-cgtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func realV2Lifecycle(t *testing.T, mnt, parent string) {
	c, err := New(Options{ID: uniqueName("c"), Parent: parent, Root: mnt})
	if err != nil {
		t.Fatal(err)
	}
	dir := c.Ref().Paths[""]
	if c.Ref().Layout != LayoutV2 || dir != filepath.Join(mnt, parent, "hutch-"+c.opts.ID+".scope") {
		t.Fatalf("ref %+v, want v2 in %s", c.Ref(), parent)
	}
	if err := c.Create(nil); err != nil {
		t.Fatal(err)
	}
	busy := busybox(t, "while :; do :; done")
	if err := c.Join(busy.pid()); err != nil {
		t.Fatal(err)
	}
	busy.go_()
	if procs, err := c.Procs(); err != nil || !slices.Equal(procs, []int{busy.pid()}) {
		t.Errorf("Procs = %v, %v; want [%d]", procs, err, busy.pid())
	}
	usage := func() uint64 {
		st, err := c.Stats()
		if err != nil {
			t.Fatal(err)
		}
		return st.CPUUsageNanos
	}
	waitUntil(t, 10*time.Second, "cpu usage", func() bool { return usage() > 0 })
	if err := c.Freeze(); err != nil {
		t.Fatal(err)
	}
	u1 := usage()
	time.Sleep(200 * time.Millisecond)
	if u2 := usage(); u2 != u1 {
		t.Errorf("frozen, the loop still used %d ns of CPU", u2-u1)
	}
	if err := c.Thaw(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "progress after Thaw", func() bool { return usage() > u1 })
	if err := FromRef(c.Ref(), mnt).Destroy(); err != nil {
		t.Fatal(err)
	}
	if ws := busy.wait(); ws.Signal() != syscall.SIGKILL {
		t.Errorf("loop ended with %v, want killed (cgroup.kill)", ws)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still exists after Destroy", dir)
	}
}

// realV2Limits checks limits where the kernel offers the controllers.
func realV2Limits(t *testing.T, o Options, r *specs.LinuxResources) {
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Destroy() })
	if err := c.Create(r); err != nil {
		t.Fatal(err)
	}
	dir := c.Ref().Paths[""]
	for file, want := range map[string]string{"memory.max": "33554432", "pids.max": "16"} {
		if v, _ := readTrim(filepath.Join(dir, file)); v != want {
			t.Errorf("%s = %q, want %q", file, v, want)
		}
	}
	bomb := busybox(t, "i=0; while [ $i -lt 40 ]; do "+testutil.BusyboxPath+" sleep 30 & i=$((i+1)); done; wait")
	if err := c.Join(bomb.pid()); err != nil {
		t.Fatal(err)
	}
	bomb.go_()
	waitUntil(t, 10*time.Second, "forks refused (pids.events max)", func() bool {
		n, _ := readKeyed(dir, "pids.events", "max")
		return n > 0
	})
	if err := c.Destroy(); err != nil {
		t.Fatal(err)
	}
}

// realV2Rootless delegates <parent>/deleg to hutchtest the way systemd
// does (the directory and its cgroup.procs, cgroup.subtree_control and
// cgroup.threads), puts a helper running as hutchtest in deleg/leaf, and
// lets it make, use and remove a container's cgroup there.
func realV2Rootless(t *testing.T, mnt, parent string) {
	u, err := user.Lookup(testUser)
	if err != nil {
		t.Fatalf("requires the user %s: %v", testUser, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	deleg := filepath.Join(mnt, parent, "deleg")
	for _, d := range []string{deleg, filepath.Join(deleg, "leaf")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"", "cgroup.procs", "cgroup.subtree_control", "cgroup.threads"} {
			if err := os.Chown(filepath.Join(d, f), uid, gid); err != nil {
				t.Fatal(err)
			}
		}
	}
	bin := filepath.Join(publicTempDir(t), "cgroupsv2.test")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := copyFile(self, bin); err != nil {
		t.Fatal(err)
	}
	id := uniqueName("c")
	cmd := exec.Command("setpriv", "--reuid="+u.Uid, "--regid="+u.Gid, "--clear-groups", "--", bin)
	cmd.Env = append(os.Environ(), helperEnv+"=rootless-v2", "CG_ROOT="+mnt, "CG_ID="+id, "CG_WANT="+filepath.Join(deleg, "hutch", "hutch-"+id+".scope"))
	h := startGated(t, cmd)
	if err := os.WriteFile(filepath.Join(deleg, "leaf", "cgroup.procs"), []byte(strconv.Itoa(h.pid())), 0); err != nil {
		t.Fatal(err)
	}
	h.go_()
	if ws := h.wait(); ws.ExitStatus() != 0 || !strings.HasSuffix(h.out.String(), "ok\n") {
		t.Errorf("rootless helper: %v\n%s", ws, h.out)
	}
}

// rootlessV2Helper runs as hutchtest in a delegated leaf: see
// realV2Rootless.
func rootlessV2Helper() int {
	if _, err := io.ReadAll(io.LimitReader(os.Stdin, 1)); err != nil {
		return 2
	}
	if err := rootlessV2Steps(); err != nil {
		fmt.Println("FAIL:", err)
		return 1
	}
	fmt.Println("ok")
	return 0
}

func rootlessV2Steps() error {
	o := Options{ID: os.Getenv("CG_ID"), Root: os.Getenv("CG_ROOT"), Rootless: true}
	c, err := New(o)
	if err != nil {
		return err
	}
	if got, want := c.Ref().Paths[""], os.Getenv("CG_WANT"); c.Ref().Layout != LayoutV2 || got != want {
		return fmt.Errorf("ref %+v, want v2 at %s", c.Ref(), want)
	}
	err = Check(o, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(32 << 20))}})
	if !errors.Is(err, errdefs.ErrPermission) || !strings.Contains(err.Error(), "delegate.conf") {
		return fmt.Errorf("Check --memory: got %v, want a permission error saying how to delegate", err)
	}
	if err := c.Create(nil); err != nil {
		return err
	}
	child := exec.Command(testutil.BusyboxPath, "sleep", "30")
	if err := child.Start(); err != nil {
		return err
	}
	defer child.Process.Kill()
	if err := c.Join(child.Process.Pid); err != nil {
		return err
	}
	if procs, err := c.Procs(); err != nil || !slices.Equal(procs, []int{child.Process.Pid}) {
		return fmt.Errorf("Procs = %v, %v", procs, err)
	}
	if err := c.Freeze(); err != nil {
		return err
	}
	if err := c.Thaw(); err != nil {
		return err
	}
	if err := c.Destroy(); err != nil {
		return err
	}
	_ = child.Wait()
	if ws := child.ProcessState.Sys().(syscall.WaitStatus); ws.Signal() != syscall.SIGKILL {
		return fmt.Errorf("child ended with %v, want killed by Destroy", ws)
	}
	if _, err := os.Stat(c.Ref().Paths[""]); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s still exists after Destroy", c.Ref().Paths[""])
	}
	return nil
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o755)
}
