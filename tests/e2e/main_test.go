//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The suite's inputs travel in the environment, set once by TestMain (or by
// the lane scripts), so that no package-level variable is needed.
const (
	// binaryEnv names the hutch binary under test. The lanes set it to the
	// prebuilt bin/hutch; when it is unset TestMain builds hutch.
	binaryEnv = "HUTCH_BINARY"
	// fixturesEnv names the directory where tests share fixture archives.
	fixturesEnv = "HUTCH_E2E_FIXTURES"
	// buildTags are the tags hutch is always built with.
	buildTags = "exclude_graphdriver_btrfs,containers_image_openpgp"
	// isolatedEnv marks a suite already running in its own network and
	// mount namespaces (the lanes start it that way).
	isolatedEnv = "HUTCH_E2E_ISOLATED"
)

func TestMain(m *testing.M) {
	if os.Geteuid() == 0 && os.Getenv(isolatedEnv) == "" {
		os.Exit(isolate())
	}
	code, err := testMain(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		code = 1
	}
	os.Exit(code)
}

func testMain(m *testing.M) (int, error) {
	work, err := os.MkdirTemp("", "hutch-e2e-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(work)
	// Sub-directories must be reachable by the unprivileged users some
	// tests switch to (hutchnosub).
	if err := os.Chmod(work, 0o755); err != nil {
		return 1, err
	}
	bin, err := locateBinary(work)
	if err != nil {
		return 1, err
	}
	fix := filepath.Join(work, "fixtures")
	if err := os.Mkdir(fix, 0o755); err != nil {
		return 1, err
	}
	os.Setenv(binaryEnv, bin)
	os.Setenv(fixturesEnv, fix)
	return m.Run(), nil
}

// isolate re-runs the test binary, as root, in new network and mount
// namespaces with loopback up and private propagation, as the root lane
// does: root hutch mounts, and plain `go test` must not leave mounts on the
// host or reach its network.
func isolate() int {
	args := append([]string{"--net", "--mount", "--propagation", "private", "--",
		"sh", "-c", `ip link set lo up && exec "$@"`, "sh"}, os.Args...)
	cmd := exec.Command("unshare", args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), isolatedEnv+"=1")
	if err := cmd.Run(); err != nil && cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "e2e: isolate the suite with unshare (util-linux):", err)
		return 1
	}
	return cmd.ProcessState.ExitCode()
}

// locateBinary returns the absolute path of the hutch binary: $HUTCH_BINARY,
// or one built from this module into work.
func locateBinary(work string) (string, error) {
	if bin := os.Getenv(binaryEnv); bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			return "", err
		}
		if fi, err := os.Stat(abs); err != nil || fi.Mode()&0o111 == 0 {
			return "", fmt.Errorf("%s=%s is not an executable file", binaryEnv, bin)
		}
		return abs, nil
	}
	bin := filepath.Join(work, "hutch")
	// The test runs in tests/e2e; the module root is two levels up.
	cmd := exec.Command("go", "build", "-tags", buildTags, "-o", bin, "../..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build hutch (set %s to use a prebuilt one): %v\n%s", binaryEnv, err, out)
	}
	return bin, nil
}
