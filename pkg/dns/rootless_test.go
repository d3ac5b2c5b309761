package dns

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/hutchctr/hutch/internal/testutil"
)

// TestRootless runs the namespace tests again as an unprivileged user, in
// a user namespace of its own: there the test is the namespace holder's
// monitor (in the user namespace, not in the network namespace), the
// network namespaces it makes are owned by that user namespace like the
// holder's, and the responder joins one and binds port 53 with the
// capabilities the user namespace gives.
func TestRootless(t *testing.T) {
	testutil.Requires(t, testutil.Root(), testutil.UserNS())
	uid, gid := testutil.TestUserIDs(t)
	bin := testutil.PublicCopy(t, "dns.test")
	cmd := exec.Command("unshare", "--user", "--map-root-user", "--",
		bin, "-test.count=1", "-test.v",
		"-test.run", "^(TestResponderEndToEnd|TestEnsureResponderParallel|TestEnsureResponderAgainstExit|TestResponderFollowsNamespace|TestResponderOfReplacedNetwork)$")
	cmd.Dir = "/tmp"
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/tmp", "TMPDIR=/tmp"}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{}},
		Pdeathsig:  syscall.SIGKILL,
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("as %s in a user namespace: %v\n%s", testutil.TestUser, err, out)
	}
	for _, name := range []string{"TestResponderEndToEnd", "TestEnsureResponderParallel", "TestEnsureResponderAgainstExit", "TestResponderFollowsNamespace", "TestResponderOfReplacedNetwork"} {
		if !strings.Contains(string(out), "--- PASS: "+name) {
			t.Errorf("%s did not pass as %s:\n%s", name, testutil.TestUser, out)
		}
	}
}
