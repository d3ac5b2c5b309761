package testutil

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// NetTestMain is the TestMain dispatch of packages whose tests make
// network namespaces (pkg/bridge, pkg/network). netnsEnv and usernsEnv are
// the package's own variable names:
//
//	root, no netnsEnv   re-run the tests in a new network namespace, so
//	                    that nothing can touch the host's
//	netnsEnv=1          run the tests there, with lo up (every test makes
//	                    its own namespaces below this one)
//	usernsEnv=want      (as the test user, RunRootlessInner) re-exec into a
//	                    new user namespace mapping uid 0 to the user
//	usernsEnv=in        run the tests there
//
// It returns the exit code for os.Exit.
func NetTestMain(m *testing.M, netnsEnv, usernsEnv string) int {
	switch os.Getenv(usernsEnv) {
	case "want":
		return reexecTests(usernsEnv+"=in", &syscall.SysProcAttr{
			Cloneflags:  syscall.CLONE_NEWUSER,
			UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
			GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
		})
	case "in":
		return m.Run()
	}
	if os.Geteuid() == 0 && os.Getenv(netnsEnv) == "" {
		return reexecTests(netnsEnv+"=1", &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET})
	}
	if os.Getenv(netnsEnv) != "" {
		if lo, err := netlink.LinkByName("lo"); err == nil {
			netlink.LinkSetUp(lo)
		}
	}
	return m.Run()
}

// reexecTests runs the test binary again with the same arguments, env
// added, and attr, and returns its exit code.
func reexecTests(env string, attr *syscall.SysProcAttr) int {
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

// RunRootlessInner runs the test binary's TestRootlessInner as TestUser in
// a user namespace of its own (NetTestMain's usernsEnv=want), from a copy
// named bin that the user can read, with env added, and fails t unless it
// passes.
func RunRootlessInner(t *testing.T, bin, usernsEnv string, env ...string) {
	t.Helper()
	Requires(t, UserNS())
	uid, gid := TestUserIDs(t)
	cmd := exec.Command(PublicCopy(t, bin), "-test.run=^TestRootlessInner$", "-test.v", "-test.count=1")
	cmd.Env = append(append(os.Environ(), usernsEnv+"=want"), env...)
	cmd.Dir = "/tmp"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestRootlessInner") {
		t.Fatalf("TestRootlessInner as %s: %v\n%s", TestUser, err, out)
	}
}

// InNetNS runs args in the network namespace ns (nsenter) and returns
// their combined output.
func InNetNS(ns string, timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "nsenter", append([]string{"--net=" + ns, "--"}, args...)...).CombinedOutput()
	return string(out), err
}

// Ping sends one echo request from the network namespace ns to ip with
// busybox's ping.
func Ping(ns, ip string) error {
	out, err := InNetNS(ns, 10*time.Second, BusyboxPath, "ping", "-c", "1", "-W", "1", ip)
	if err != nil {
		return fmt.Errorf("ping %s: %v: %s", ip, err, out)
	}
	return nil
}
