//go:build vm

package vm

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// The guest's delegated subtree for uid 1000 (tests/vm/init.sh), laid out
// as systemd lays out a user session.
const (
	userService = cgroupRoot + "/user.slice/user-1000.slice/user@1000.service"
	// userControllers are the controllers systemd delegates to
	// user@.service by default (Delegate=pids memory cpu).
	userControllers = "cpu memory pids"
)

// TestGuestCgroupV2: the guest is what the other tests assume, a unified
// hierarchy with the controllers on; rootless, the suite runs in a leaf of
// a subtree the test user owns, with memory, pids and cpu delegated.
func TestGuestCgroupV2(t *testing.T) {
	t.Parallel()
	var st unix.Statfs_t
	if err := unix.Statfs(cgroupRoot, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type != unix.CGROUP2_SUPER_MAGIC {
		t.Fatalf("%s has filesystem type %#x, want cgroup2 (%#x)", cgroupRoot, st.Type, unix.CGROUP2_SUPER_MAGIC)
	}
	got := strings.Fields(cgroupFile(t, cgroupRoot, "cgroup.subtree_control"))
	want := []string{"cpuset", "cpu", "io", "memory", "pids"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("controllers enabled at the root (-got +want):\n%s", diff)
	}
	if !rootless() {
		return
	}
	own, err := cgroupOf("self")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(own, userService+"/") {
		t.Errorf("the suite runs in %s, not below %s", own, userService)
	}
	if got := cgroupFile(t, userService, "cgroup.controllers"); got != userControllers {
		t.Errorf("%s/cgroup.controllers = %q, want %q", userService, got, userControllers)
	}
	fi, err := os.Stat(userService)
	if err != nil {
		t.Fatal(err)
	}
	if uid := fi.Sys().(*syscall.Stat_t).Uid; int(uid) != os.Getuid() {
		t.Errorf("%s belongs to uid %d, want %d (delegated)", userService, uid, os.Getuid())
	}
}

// TestInfoCgroupV2: hutch info reports the unified hierarchy and the mode.
func TestInfoCgroupV2(t *testing.T) {
	t.Parallel()
	h := newEnv(t)
	got := h.ok(t, "info", "--format", "{{.Host.CgroupVersion}} {{.Host.Rootless}}")
	want := "v2 " + strconv.FormatBool(rootless())
	if got != want {
		t.Errorf("info: %q, want %q", got, want)
	}
}

// TestRunPlain: a run without limit flags works, attached and detached,
// with the default network (root: a bridge; rootless: a bridge in the
// namespace holder, which slirp4netns connects).
func TestRunPlain(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	wantCode(t, h.run(t, "run", "--rm", imageName, "true"), 0)
	r := h.run(t, "run", "--rm", imageName, "sh", "-c", "echo hello; exit 3")
	wantCode(t, r, 3)
	if r.Out() != "hello" {
		t.Errorf("stdout %q, want %q", r.Stdout, "hello\n")
	}
	addr := h.ok(t, "run", "--rm", imageName, "ip", "-o", "-4", "addr", "show", "eth0")
	if !strings.Contains(addr, "inet ") {
		t.Errorf("the container's eth0 has no IPv4 address: %q", addr)
	}
	if rootless() && !slirpRunsFor(h.dir) {
		t.Errorf("no slirp4netns process runs for the test's namespace holder")
	}
}

// slirpRunsFor reports whether a slirp4netns process started by the hutch
// of dir runs.
func slirpRunsFor(dir string) bool {
	for _, pid := range processesOf(dir) {
		exe, _ := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "exe"))
		if filepath.Base(exe) == "slirp4netns" {
			return true
		}
	}
	return false
}
