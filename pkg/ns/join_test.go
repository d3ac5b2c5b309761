package ns

import (
	"bufio"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/internal/testutil"
)

// TestJoinUserNamespace execs, as real root, into a process whose
// namespaces (user included) belong to hutchtest: the case of `hutch exec`
// run from outside the user namespace a rootless container lives in.
func TestJoinUserNamespace(t *testing.T) {
	requireContainers(t)
	testutil.Requires(t, testutil.Root(), testutil.UserNS(), testutil.SubIDUser(testUser))
	u, err := user.Lookup(testUser)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	// --kill-child: the forked sleeper must die with unshare, which is
	// all the cleanup below can kill directly.
	cmd := exec.Command("unshare", "--user", "--map-root-user", "--mount", "--uts", "--pid", "--fork", "--kill-child", "--mount-proc",
		"sh", "-c", "hostname joined-ns && echo ready && exec sleep 1000")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}},
		Pdeathsig:  syscall.SIGKILL,
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	if line, err := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
		t.Fatalf("target said %q, %v", line, err)
	}
	children, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/task/" + strconv.Itoa(cmd.Process.Pid) + "/children")
	if err != nil {
		t.Fatal(err)
	}
	target, _ := strconv.Atoi(strings.TrimSpace(string(children)))
	t.Cleanup(func() { _ = syscall.Kill(target, syscall.SIGKILL) })
	userNS, err := os.Readlink("/proc/" + strconv.Itoa(target) + "/ns/user")
	if err != nil {
		t.Fatal(err)
	}
	proc := execProc("sh", "-c", "id -u; hostname; readlink /proc/self/ns/user; cat /proc/1/comm")
	proc.Env = []string{"PATH=/usr/bin:/bin"}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p, err := StartExec(ExecConfig{Pid: target, Process: proc, Stdout: w, Stderr: w})
	w.Close()
	if err != nil {
		t.Fatalf("StartExec: %v", err)
	}
	got := readAll(t, r)
	if code, err := p.Wait(); code != 0 || err != nil {
		t.Errorf("Wait = %d, %v", code, err)
	}
	if diff := cmp.Diff(got, "0\njoined-ns\n"+userNS+"\nsleep\n"); diff != "" {
		t.Errorf("output (-got +want):\n%s", diff)
	}
}

// TestJoinNetworkByPath starts a container in an existing network
// namespace (the nsenter constructor joins it in init before Go starts).
func TestJoinNetworkByPath(t *testing.T) {
	requireContainers(t)
	testutil.Requires(t, testutil.Root())
	// A namespace of our own whose loopback is up, unlike a fresh one's.
	holder := exec.Command("unshare", "--net", "sh", "-c", "ip link set lo up && echo ready && exec sleep 1000")
	holder.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = holder.Process.Kill()
		_ = holder.Wait()
	})
	if line, err := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
		t.Fatalf("holder said %q, %v", line, err)
	}
	spec := newSpec(makeRootfs(t), "cat", "/sys/class/net/lo/flags")
	for i, n := range spec.Linux.Namespaces {
		if n.Type == "network" {
			spec.Linux.Namespaces[i].Path = "/proc/" + strconv.Itoa(holder.Process.Pid) + "/ns/net"
		}
	}
	got, ws := runContainer(t, spec)
	// IFF_UP|IFF_LOOPBACK; a fresh namespace's lo shows 0x8.
	if want := "0x9\n"; got != want || ws.ExitStatus() != 0 {
		t.Errorf("lo flags %q (%v), want %q", got, ws, want)
	}
}
