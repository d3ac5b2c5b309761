package cgroupsv2

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// The user a rootless test plays: the fake tree's delegated part belongs
// to it.
const testUID = 4242

const userService = "/user.slice/user-1000.slice/user@1000.service"

// fakeDelegated is a unified tree as a systemd user session leaves it:
// user@1000.service (owned by testUID, offering delegated) and the
// terminal's scope below, where the caller runs. procsInTop puts a
// process in user@1000.service itself.
func fakeDelegated(t *testing.T, delegated string, procsInTop bool) (root string, e env) {
	t.Helper()
	root = t.TempDir()
	all := "cpu cpuset io memory pids"
	fakeDir(t, root, []string{"cgroup.subtree_control"}, map[string]string{"cgroup.controllers": all, "cgroup.procs": "1\n"})
	fakeDir(t, filepath.Join(root, "user.slice"), []string{"cgroup.subtree_control", "cgroup.procs"}, map[string]string{"cgroup.controllers": all})
	fakeDir(t, filepath.Join(root, "user.slice/user-1000.slice"), []string{"cgroup.subtree_control", "cgroup.procs"}, map[string]string{"cgroup.controllers": all})
	top := filepath.Join(root, userService)
	procs := ""
	if procsInTop {
		procs = "77\n"
	}
	fakeDir(t, top, []string{"cgroup.subtree_control"}, map[string]string{"cgroup.controllers": delegated, "cgroup.procs": procs})
	fakeDir(t, filepath.Join(top, "app.slice/term.scope"), []string{"cgroup.subtree_control"}, map[string]string{"cgroup.controllers": "", "cgroup.procs": "100\n"})
	fakeDir(t, filepath.Join(top, "hutch"), []string{"cgroup.subtree_control", "cgroup.procs"}, map[string]string{"cgroup.controllers": delegated})
	fakeDir(t, filepath.Join(top, "hutch", "hutch-"+testID+".scope"), v2Files, map[string]string{"cgroup.controllers": delegated})
	if err := filepath.Walk(top, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, testUID, testUID)
	}); err != nil {
		t.Fatal(err)
	}
	e = testEnv(t, userService+"/app.slice/term.scope")
	e.euid = testUID
	return root, e
}

func TestCheck(t *testing.T) {
	mem := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(32 << 20))}}
	cpus := &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr(int64(50000)), Period: ptr(uint64(100000))}}
	pids := &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(16))}}
	swap := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(32 << 20)), Swap: ptr(int64(64 << 20))}}
	tests := []struct {
		name  string
		setup func(t *testing.T) (Options, env)
		r     *specs.LinuxResources
		err   error
		text  []string // the message contains these
	}{
		{name: "no limits anywhere", r: &specs.LinuxResources{}, setup: func(t *testing.T) (Options, env) {
			return Options{ID: testID, Rootless: true, Root: fakeV1(t)}, testEnv(t, "/")
		}},
		{name: "v1 rootless --memory", r: mem, err: errdefs.ErrPermission, setup: func(t *testing.T) (Options, env) {
			return Options{ID: testID, Rootless: true, Root: fakeV1(t)}, testEnv(t, "/")
		}, text: []string{"--memory needs cgroup v2 with the memory controller delegated; this host uses cgroup v1, where rootless containers cannot have limits"}},
		{name: "v1 rootless --pids-limit", r: pids, err: errdefs.ErrPermission, setup: func(t *testing.T) (Options, env) {
			return Options{ID: testID, Rootless: true, Root: fakeV1(t)}, testEnv(t, "/")
		}, text: []string{"--pids-limit needs cgroup v2 with the pids controller delegated"}},
		{name: "v1 root --memory", r: mem, setup: func(t *testing.T) (Options, env) {
			return Options{ID: testID, Root: fakeV1(t)}, testEnv(t, "/")
		}},
		{name: "v1 root without a pids hierarchy", r: pids, err: errdefs.ErrNotImplemented, setup: func(t *testing.T) (Options, env) {
			root := fakeV1(t)
			if err := os.RemoveAll(filepath.Join(root, "pids")); err != nil {
				t.Fatal(err)
			}
			return Options{ID: testID, Root: root}, testEnv(t, "/")
		}, text: []string{"--pids-limit needs the pids controller"}},
		{name: "v1 root --memory-swap without swap accounting", r: swap, err: errdefs.ErrNotImplemented, setup: func(t *testing.T) (Options, env) {
			return Options{ID: testID, Root: fakeV1(t, "memory.memsw.limit_in_bytes")}, testEnv(t, "/")
		}, text: []string{"--memory-swap", "swapaccount=1"}},
		{name: "v2 root without the cpu controller", r: cpus, err: errdefs.ErrNotImplemented, setup: func(t *testing.T) (Options, env) {
			root, _ := fakeV2(t, "memory pids")
			return Options{ID: testID, Root: root}, testEnv(t, "/")
		}, text: []string{"--cpus/--cpu-quota needs the cpu controller", "cgroup.controllers"}},
		{name: "v2 rootless, delegated", r: mem, setup: func(t *testing.T) (Options, env) {
			root, e := fakeDelegated(t, "memory pids", false)
			return Options{ID: testID, Root: root, Rootless: true}, e
		}},
		{name: "v2 rootless, cpu not delegated", r: cpus, err: errdefs.ErrPermission, setup: func(t *testing.T) (Options, env) {
			root, e := fakeDelegated(t, "memory pids", false)
			return Options{ID: testID, Root: root, Rootless: true}, e
		}, text: []string{"--cpus/--cpu-quota needs the cpu controller, which is not delegated to you", "user@1000.service/cgroup.controllers has \"memory pids\"",
			"systemctl edit user@.service", "/etc/systemd/system/user@.service.d/delegate.conf", "Delegate=cpu cpuset io memory pids"}},
		{name: "v2 rootless, processes in the delegated cgroup", r: mem, err: errdefs.ErrPermission, setup: func(t *testing.T) (Options, env) {
			root, e := fakeDelegated(t, "memory pids", true)
			return Options{ID: testID, Root: root, Rootless: true}, e
		}, text: []string{"has processes of its own"}},
		{name: "v2 rootless, not delegated at all", r: pids, err: errdefs.ErrPermission, setup: func(t *testing.T) (Options, env) {
			root, _ := fakeV2(t, "memory pids")
			fakeDir(t, filepath.Join(root, "user.slice/user-1000.slice/session-1.scope"), nil, map[string]string{"cgroup.procs": "100\n"})
			e := testEnv(t, "/user.slice/user-1000.slice/session-1.scope")
			e.euid = testUID
			return Options{ID: testID, Root: root, Rootless: true}, e
		}, text: []string{"--pids-limit needs the pids controller, but your cgroup", "session-1.scope is not delegated to you (it belongs to uid 0)"}},
		{name: "bad --cgroup-parent", r: mem, err: errdefs.ErrInvalidArgument, setup: func(t *testing.T) (Options, env) {
			root, _ := fakeV2(t, "memory")
			return Options{ID: testID, Root: root, Parent: "a/../../b"}, testEnv(t, "/")
		}, text: []string{"--cgroup-parent"}},
		{name: "rootless --cgroup-parent not owned", r: mem, err: errdefs.ErrPermission, setup: func(t *testing.T) (Options, env) {
			root, e := fakeDelegated(t, "memory pids", false)
			return Options{ID: testID, Root: root, Rootless: true, Parent: "system.slice"}, e
		}, text: []string{"--cgroup-parent system.slice", "is not delegated to you"}},
		{name: "bad cgroup-manager", r: mem, err: errdefs.ErrInvalidArgument, setup: func(t *testing.T) (Options, env) {
			root, _ := fakeV2(t, "memory")
			return Options{ID: testID, Root: root, Manager: "upstart"}, testEnv(t, "/")
		}, text: []string{"cgroup-manager \"upstart\""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, e := tt.setup(t)
			c, err := newCgroup(o, e)
			if err == nil {
				err = c.check(tt.r)
			}
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, tt.err)
			}
			for _, s := range tt.text {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message %q does not say %q", err, s)
				}
			}
		})
	}
}

// TestRootlessV2Fake creates the container's cgroup below the user's
// delegated cgroup, enabling the delegated controllers from its top.
func TestRootlessV2Fake(t *testing.T) {
	root, e := fakeDelegated(t, "memory pids", false)
	c, err := newCgroup(Options{ID: testID, Root: root, Rootless: true}, e)
	if err != nil {
		t.Fatal(err)
	}
	r := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(32 << 20))}}
	if err := c.Create(r); err != nil {
		t.Fatal(err)
	}
	top := filepath.Join(root, userService)
	dir := filepath.Join(top, "hutch", "hutch-"+testID+".scope")
	got := []string{
		readTestFile(t, filepath.Join(top, "cgroup.subtree_control")),
		readTestFile(t, filepath.Join(top, "hutch", "cgroup.subtree_control")),
		readTestFile(t, filepath.Join(dir, "memory.max")),
	}
	// memory is needed; pids, optional, is enabled after it.
	if diff := cmp.Diff(got, []string{"+memory\n+pids\n", "+memory\n+pids\n", "33554432"}); diff != "" {
		t.Errorf("files (-got +want):\n%s", diff)
	}
	if c.Ref().Paths[""] != dir {
		t.Errorf("cgroup %s, want %s", c.Ref().Paths[""], dir)
	}
}

// TestNoneWithoutLimits: rootless on v1, a container without limits has
// no cgroup, and Create, Join and Destroy do nothing.
func TestNoneWithoutLimits(t *testing.T) {
	c, err := newCgroup(Options{ID: testID, Rootless: true, Root: fakeV1(t)}, testEnv(t, "/"))
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{c.Create(nil), c.Create(&specs.LinuxResources{}), c.Join(1), c.Destroy()} {
		if err != nil {
			t.Errorf("got %v, want nil", err)
		}
	}
	if diff := cmp.Diff(c.Ref(), Ref{Layout: LayoutNone}); diff != "" {
		t.Errorf("ref (-got +want):\n%s", diff)
	}
	if err := c.Freeze(); !errors.Is(err, errdefs.ErrNotImplemented) {
		t.Errorf("Freeze: got %v, want not implemented", err)
	}
}
