package nsenter

import (
	"bufio"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testUser is the unprivileged user the rootless cases run as.
const testUser = "hutchtest"

type ids struct{ uid, gid uint32 }

// requireRootAndTestUser fails (never skips) when the machine is not set up:
// `make test` runs as root on a host with the hutchtest user.
func requireRootAndTestUser(t *testing.T) ids {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("these tests must run as root (they start processes as %s)", testUser)
	}
	u, err := user.Lookup(testUser)
	if err != nil {
		t.Fatalf("user %s is missing: create it with a /etc/subuid range (make deps): %v", testUser, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return ids{uint32(uid), uint32(gid)}
}

// asUser sets cmd to run as u (nil: stay root) and to die with the test.
func asUser(cmd *exec.Cmd, u *ids) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if u != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: []uint32{}}
	}
}

// startTarget runs `unshare flags... sleep 600` as the test user and
// returns the pid of the sleeper that owns the new namespaces (the forked
// child when flags include --fork).
func startTarget(t *testing.T, u ids, flags ...string) int {
	t.Helper()
	args := append(append([]string{}, flags...), "sleep", "600")
	cmd := exec.Command("unshare", args...)
	asUser(cmd, &u)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	var target int
	t.Cleanup(func() {
		// Kill the sleeper itself: with --fork it is a pid namespace's
		// init that outlives unshare.
		if target > 0 {
			_ = syscall.Kill(target, syscall.SIGKILL)
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		target = pid
		if contains(flags, "--fork") {
			target = firstChild(pid)
		}
		if target > 0 && comm(target) == "sleep" {
			return target
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("unshare %v: sleeper did not start", flags)
	return 0
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func comm(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	return strings.TrimSpace(string(b))
}

func firstChild(pid int) int {
	p := strconv.Itoa(pid)
	f, err := os.Open("/proc/" + p + "/task/" + p + "/children")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Split(bufio.ScanWords)
	if !sc.Scan() {
		return 0
	}
	n, _ := strconv.Atoi(sc.Text())
	return n
}

// openNS opens /proc/pid/ns/kind for each kind, closing them at the end of
// the test.
func openNS(t *testing.T, pid int, kinds ...string) []Namespace {
	t.Helper()
	var nss []Namespace
	for _, k := range kinds {
		f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/ns/" + k)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		nss = append(nss, Namespace{Kind: k, File: f})
	}
	return nss
}

func nsLink(t *testing.T, pid int, kind string) string {
	t.Helper()
	l, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/" + kind)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
