package ns

import (
	"os"
	"os/exec"
	"os/user"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hutchctr/hutch/internal/testutil"
)

// TestRootless runs the container and exec tests again as uid 0 of a user
// namespace owned by hutchtest, the way rootless hutch runs them.
func TestRootless(t *testing.T) {
	if rootless() {
		t.Skip("already rootless")
	}
	requireContainers(t)
	testutil.Requires(t, testutil.Root(), testutil.UserNS(), testutil.Newuidmap(), testutil.SubIDUser(testUser))
	u, err := user.Lookup(testUser)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	bin := testutil.PublicCopy(t, "ns.test")
	args := []string{"-test.run", "^(TestContainer|TestExec|TestStartLatency)", "-test.v"}
	if testing.Short() {
		args = append(args, "-test.short")
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{testRoleEnv + "=userns-parent", "TMPDIR=/tmp", "PATH=" + os.Getenv("PATH")}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}},
		Pdeathsig:  syscall.SIGKILL,
	}
	out, err := cmd.CombinedOutput()
	t.Logf("rootless run:\n%s", out)
	if err != nil {
		t.Fatalf("rootless tests: %v", err)
	}
}

// TestStartLatency measures Start to a successful Exec of `true`.
func TestStartLatency(t *testing.T) {
	requireContainers(t)
	rootfs := makeRootfs(t)
	const runs = 20
	var took []time.Duration
	for range runs {
		spec := newSpec(rootfs, "true")
		begin := time.Now()
		init, err := Start(Config{Spec: spec})
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		if err := init.Exec(); err != nil {
			t.Fatalf("Exec: %v", err)
		}
		took = append(took, time.Since(begin))
		if ws, err := init.Wait(); err != nil || ws.ExitStatus() != 0 {
			t.Fatalf("Wait: %v %v", ws, err)
		}
	}
	slices.Sort(took)
	t.Logf("%s: Start to Exec of true, median of %d: %v (min %v, max %v)",
		modeName(), runs, took[runs/2], took[0], took[runs-1])
}

func modeName() string {
	if rootless() {
		return "rootless"
	}
	return "root"
}
