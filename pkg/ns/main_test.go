package ns

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"go.uber.org/goleak"

	"github.com/hutchctr/hutch/internal/testutil"
)

// The test binary plays every role hutch's binary plays: Start and StartExec
// re-execute /proc/self/exe, which here is the test binary.
//
// Modes (testModeEnv):
//   - unset, as root: TestMain re-executes the binary under
//     `unshare --mount --propagation private --net`, so that no mount or
//     network change can reach the host, with mode "root".
//   - "root": the container tests run as real root.
//   - "rootless": the container tests run as uid 0 of a user namespace owned
//     by hutchtest with its /etc/subuid map, as rootless hutch does.
//     TestRootless builds that chain: test (root) -> userns-parent (as
//     hutchtest) -> clone NEWUSER|NEWNS -> newuidmap/newgidmap ->
//     userns-child re-execs itself (capabilities are computed at execve,
//     so only a process exec'd after the map has them) -> m.Run.
const (
	testModeEnv = "_HUTCH_NS_TEST_MODE"
	testRoleEnv = "_HUTCH_NS_TEST_ROLE"
	testUser    = "hutchtest"
)

func TestMain(m *testing.M) {
	switch os.Getenv("_HUTCH_ROLE") {
	case "init":
		os.Exit(InitMain())
	case "exec":
		os.Exit(ExecMain())
	}
	switch os.Getenv(testRoleEnv) {
	case "userns-parent":
		os.Exit(usernsParent())
	case "userns-child":
		os.Exit(usernsChild())
	}
	if os.Geteuid() == 0 && os.Getenv(testModeEnv) == "" {
		os.Exit(reexecUnshared())
	}
	// Every goroutine Start and StartExec create must end with its child.
	goleak.VerifyTestMain(m)
}

// reexecUnshared replaces the process by itself in private mount and
// network namespaces.
func reexecUnshared() int {
	self, err := os.Executable()
	if err == nil {
		var unshare string
		if unshare, err = exec.LookPath("unshare"); err == nil {
			args := append([]string{"unshare", "--mount", "--propagation", "private", "--net", "--", self}, os.Args[1:]...)
			err = syscall.Exec(unshare, args, append(os.Environ(), testModeEnv+"=root"))
		}
	}
	fmt.Fprintf(os.Stderr, "ns tests: re-exec under unshare: %v\n", err)
	return 2
}

// requireContainers fails unless the test runs in one of the modes that
// may start containers.
func requireContainers(t *testing.T) {
	t.Helper()
	testutil.Requires(t, testutil.Busybox(), testutil.Requirement{Name: "root, in the test's private namespaces", Check: func() error {
		switch os.Getenv(testModeEnv) {
		case "root", "rootless":
			return nil
		}
		return fmt.Errorf("running as uid %d without %s", os.Geteuid(), testModeEnv)
	}})
}

func rootless() bool { return os.Getenv(testModeEnv) == "rootless" }

// usernsParent runs as hutchtest: it clones the child into a new user and
// mount namespace, maps it with newuidmap/newgidmap and waits for it.
func usernsParent() int {
	if err := runUsernsParent(); err != nil {
		fmt.Fprintf(os.Stderr, "ns tests: userns parent: %v\n", err)
		return 2
	}
	return 0
}

func runUsernsParent() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	child := exec.Command("/proc/self/exe", os.Args[1:]...)
	child.Env = append(withoutEnv(os.Environ(), testRoleEnv), testRoleEnv+"=userns-child")
	child.Stdout, child.Stderr, child.ExtraFiles = os.Stdout, os.Stderr, []*os.File{r}
	child.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL}
	if err := child.Start(); err != nil {
		return err
	}
	r.Close()
	mapErr := writeMaps(child.Process.Pid)
	w.Close()
	if mapErr != nil {
		_ = child.Process.Kill()
		_ = child.Wait()
		return mapErr
	}
	return child.Wait()
}

// writeMaps maps 0 to the caller and 1..N to its subordinate range.
func writeMaps(pid int) error {
	u, err := user.Current()
	if err != nil {
		return err
	}
	for _, m := range []struct{ tool, file, id string }{
		{"newuidmap", "/etc/subuid", u.Uid}, {"newgidmap", "/etc/subgid", u.Gid},
	} {
		start, count, err := testutil.SubIDRange(m.file, u.Username, u.Uid)
		if err != nil {
			return err
		}
		out, err := exec.Command(m.tool, strconv.Itoa(pid), "0", m.id, "1", "1", strconv.Itoa(start), strconv.Itoa(count)).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %v: %s", m.tool, err, out)
		}
	}
	return nil
}

// usernsChild waits for its maps, then re-execs itself in rootless mode.
func usernsChild() int {
	f := os.NewFile(3, "map-sync")
	_, _ = io.Copy(io.Discard, f)
	f.Close()
	self, err := os.Executable()
	if err == nil {
		env := append(withoutEnv(withoutEnv(os.Environ(), testRoleEnv), testModeEnv), testModeEnv+"=rootless")
		err = syscall.Exec(self, os.Args, env)
	}
	fmt.Fprintf(os.Stderr, "ns tests: userns child: %v\n", err)
	return 2
}

func withoutEnv(env []string, key string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}
