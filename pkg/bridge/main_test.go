package bridge

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
)

// Test binary roles (TestMain re-exec dispatch):
//
//	root, no netnsEnv   re-run the tests in a new network namespace, so
//	                    that nothing can touch the host's
//	netnsEnv=1          run the tests (every test makes its own
//	                    namespaces below this one)
//	usernsEnv=want      (as the test user) re-exec into a new user
//	                    namespace mapping uid 0 to the user
//	usernsEnv=in        run the tests there (TestRootless asks for
//	                    TestRootlessInner only)
const (
	netnsEnv  = "_BRIDGE_TEST_NETNS"
	usernsEnv = "_BRIDGE_TEST_USERNS"
)

func TestMain(m *testing.M) {
	switch os.Getenv(usernsEnv) {
	case "want":
		os.Exit(reexec(usernsEnv+"=in", &syscall.SysProcAttr{
			Cloneflags:  syscall.CLONE_NEWUSER,
			UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
			GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
		}))
	case "in":
		os.Exit(m.Run()) // TestRootlessInner, as TestRootless asked
	}
	if os.Geteuid() == 0 && os.Getenv(netnsEnv) == "" {
		os.Exit(reexec(netnsEnv+"=1", &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}))
	}
	if os.Getenv(netnsEnv) != "" {
		if lo, err := netlink.LinkByName("lo"); err == nil {
			netlink.LinkSetUp(lo)
		}
	}
	os.Exit(m.Run())
}

// reexec runs this binary again with the same arguments, env added, and
// attr, and returns its exit code.
func reexec(env string, attr *syscall.SysProcAttr) int {
	cmd := exec.Command("/proc/self/exe", os.Args[1:]...)
	cmd.Env = append(os.Environ(), env)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = attr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "re-exec test binary (%s): %v\n", env, err)
		return 1
	}
	return 0
}
